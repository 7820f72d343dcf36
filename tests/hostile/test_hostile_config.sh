#!/bin/bash
# Hostile nginx configs given to `gwtop --check --json --nginx-conf`:
# unbalanced braces, unterminated quote, include loop, include of a
# directory, a glob matching 10,000 files, a 100 MB file, binary garbage, an
# include unreadable to the user gwtop runs as, a symlink loop. Each run:
# bounded wall time (< 10 s), valid clean JSON, no crash (exit 0-3, no
# sanitizer report), and the JSON names the problem with file:line.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/lib.sh
. "$HERE/../integration/lib.sh"
it_init
it_require_gwtop
BC=("$PY" "$HERE/bytecheck.py")
NGINX=/usr/sbin/nginx
chmod 755 "$OUT"          # nobody must reach the configs below

# conf_case NAME DIR REGEX [RUNAS...] — run gwtop on DIR/nginx.conf, check
# time, exit code range, JSON validity, and that REGEX matches some string
# of the JSON (a file:line or the problem's words).
conf_case() {
	local name=$1 dir=$2 rx=$3
	shift 3
	local start ms
	GW_OUT=$OUT/$name.json
	GW_ERR=$OUT/$name.err
	start=$(date +%s%N)
	timeout -k 5 30 "$@" "${CASE_BIN:-$GWTOP}" --check --json --nginx-bin "$NGINX" --nginx-conf "$dir/nginx.conf" \
		>"$GW_OUT" 2>"$GW_ERR" </dev/null
	GW_RC=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	t_result "$name: finished in ${ms} ms (< 10 s)" "$([ "$ms" -lt 10000 ]; echo $?)"
	t_result "$name: exit code in 1..3, no crash (got $GW_RC)" "$([ "$GW_RC" -ge 1 ] && [ "$GW_RC" -le 3 ] && ! grep -q 'Sanitizer' "$GW_ERR"; echo $?)"
	t_check "$name: valid, clean JSON" "${BC[@]}" json "$GW_OUT"
	"$PY" - "$GW_OUT" "$rx" <<'PYEOF'
import json, re, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
def strings(o):
    if isinstance(o, str): yield o
    elif isinstance(o, dict):
        for v in o.values(): yield from strings(v)
    elif isinstance(o, list):
        for v in o: yield from strings(v)
sys.exit(0 if any(re.search(sys.argv[2], s) for s in strings(doc)) else 1)
PYEOF
	t_result "$name: JSON says /$rx/" $?
}

mk() { mkdir -p "$OUT/$1"; echo "$OUT/$1"; }
HEAD='events {}
http {'

d=$(mk braces)
printf '%s\n server { listen 127.0.0.1:1; }\n}\n}\n' "$HEAD" >"$d/nginx.conf"
conf_case unbalanced-close "$d" "$d/nginx.conf:5"

d=$(mk unclosed)
printf '%s\n server { listen 127.0.0.1:1;\n' "$HEAD" >"$d/nginx.conf"
conf_case unclosed-brace "$d" "$d/nginx.conf:[0-9]+"

d=$(mk quote)
printf '%s\n server { listen 127.0.0.1:1; location / { proxy_pass "http://127.0.0.1:1;\n }\n}\n' "$HEAD" >"$d/nginx.conf"
conf_case unterminated-quote "$d" "$d/nginx.conf:[0-9]+"

d=$(mk loop)
printf '%s\n include a.conf;\n}\n' "$HEAD" >"$d/nginx.conf"
printf 'include b.conf;\n' >"$d/a.conf"
printf 'include a.conf;\n' >"$d/b.conf"
conf_case include-loop "$d" "$d/[ab].conf:1"

d=$(mk incdir)
mkdir -p "$d/sites"
printf '%s\n include sites;\n}\n' "$HEAD" >"$d/nginx.conf"
conf_case include-directory "$d" "$d/nginx.conf:3"

d=$(mk glob10k)
mkdir -p "$d/many"
(cd "$d/many" && seq -f 'f%05g.conf' 1 10000 | xargs touch)
printf '%s\n include many/*.conf;\n server { listen 127.0.0.1:1; location / { proxy_pass http://127.0.0.1:9; } }\n}\n' "$HEAD" >"$d/nginx.conf"
conf_case glob-10000-files "$d" "4096|many/"

# an include fan-out: each level includes the next twice, 4096 copies of a
# file of 40 servers (163,840 of each directive). gwtop keeps 10,000 per
# table and says so; `nginx -t` itself is left out (/bin/true: real nginx
# takes ~10 s and ~1 GB on this, gwtop waits for it).
d=$(mk fanout)
printf '%s
 include l1.conf;
 include l1.conf;
}
' "$HEAD" >"$d/nginx.conf"
for i in $(seq 1 11); do printf 'include l%d.conf;\ninclude l%d.conf;\n' $((i + 1)) $((i + 1)) >"$d/l$i.conf"; done
"$PY" -c '
import sys
print("".join("server { listen 127.0.0.1:%d; location /%d { proxy_pass http://127.0.0.1:%d; proxy_read_timeout 5s; } }\n"
              % (20000 + i, i, 30000 + i) for i in range(40)))' >"$d/l12.conf"
start=$(date +%s%N)
RSS_KB=$("$PY" -c '
import resource, subprocess, sys
with open(sys.argv[1], "w") as out:
    subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, timeout=60)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$OUT/fanout.json" \
	"$GWTOP" --check --json --nginx-bin /bin/true --nginx-conf "$d/nginx.conf")
ms=$((($(date +%s%N) - start) / 1000000))
# ASan's shadow memory and quarantine (make test SANITIZE=1) need about 3x
LIMIT_MB=256
[ "$(nm -D "$GWTOP" 2>/dev/null | grep -c __asan_init || true)" = 0 ] || LIMIT_MB=768
t_result "include fan-out: finished in ${ms} ms (< 10 s)" "$([ "$ms" -lt 10000 ]; echo $?)"
t_result "include fan-out: peak RSS ${RSS_KB:-?} KiB (< $LIMIT_MB MiB)" "$([ "${RSS_KB:-999999}" -lt $((LIMIT_MB * 1024)) ]; echo $?)"
t_check "include fan-out: valid JSON" "${BC[@]}" json "$OUT/fanout.json"
t_check "include fan-out: says the proxy_pass table is capped" "${BC[@]}" grep "$OUT/fanout.json" "more than 10000 *_pass directives"
t_check "include fan-out: says the file cap was reached" "${BC[@]}" grep "$OUT/fanout.json" "more than 4096 config files"
rm -f "$d"/*.conf

d=$(mk huge)
"$PY" -c '
import sys
with open(sys.argv[1], "w") as f:
    f.write("events {}\nhttp {\n")
    chunk = ("# " + "x" * 97 + "\n") * 10000
    for _ in range(105): f.write(chunk)
    f.write("}\n")' "$d/nginx.conf"
conf_case 100MB-config "$d" "16 MiB|larger"
rm -f "$d/nginx.conf"

d=$(mk garbage)
head -c 65536 /dev/urandom >"$d/nginx.conf"
conf_case binary-garbage "$d" "$d/nginx.conf(:[0-9]+)?"

d=$(mk garbage-nonul)
head -c 200000 /dev/urandom | tr -d '\000' >"$d/nginx.conf"
conf_case binary-garbage-no-nul "$d" "$d/nginx.conf:[0-9]+"

d=$(mk symloop)
ln -s "$d/l2" "$d/l1"
ln -s "$d/l1" "$d/l2"
printf '%s\n include l1;\n}\n' "$HEAD" >"$d/nginx.conf"
conf_case symlink-loop "$d" "$d/nginx.conf:3"

d=$(mk symloop-main)
ln -s "$d/nginx.conf" "$d/nginx.conf"      # points at itself: ELOOP
conf_case symlink-loop-main "$d" "nginx.conf"

# unreadable include, as an unprivileged user (root reads mode 000 files)
d=$(mk unreadable)
printf '%s\n include secret.conf;\n server { listen 127.0.0.1:1; location / { proxy_pass http://127.0.0.1:9; } }\n}\n' "$HEAD" >"$d/nginx.conf"
printf 'proxy_read_timeout 5s;\n' >"$d/secret.conf"
chmod 000 "$d/secret.conf"
chmod 755 "$d"
chmod 644 "$d/nginx.conf"
# (the binary as nobody reaches it: a copy when the clone is under a 0700 dir)
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	echo "ok $((T_N += 1)) - unreadable include # SKIP needs root and setpriv"
elif ! CASE_BIN=$(it_bin_for_user nobody "$GWTOP"); then
	echo "ok $((T_N += 1)) - unreadable include # SKIP user nobody cannot execute $GWTOP nor a copy of it under $OUT"
else
	conf_case unreadable-include-as-nobody "$d" "$d/nginx.conf:3" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/nonexistent
	t_check "unreadable include: the reason is Permission denied" "${BC[@]}" grep "$GW_OUT" "Permission denied"
	CASE_BIN=""
fi
