#!/bin/bash
# test_lab_logs.sh — the live merged log stream (probes/logstream.c) against a
# real nginx + gunicorn lab (tests/lab/lab.sh), under TZ=Europe/Berlin.
#
#  A. app_down: requests flow (a foreground and a background client) while
#     error.log and access.log are rotated by rename + `nginx -s reopen`
#     (USR1 to the master), then error.log is copy-truncated, then deleted
#     and re-created by another reopen. Every request's error.log and
#     access.log line is seen exactly once (none doubled, none lost; the
#     only lines allowed missing are those copytruncate itself loses: in the
#     copy, written after our last read before the truncation).
#  B. worker_timeout: gunicorn's app.log ("[... +0100] [pid] [CRITICAL]
#     WORKER TIMEOUT") and nginx's error.log (local time, no zone) merge in
#     time order: the two lines of one failed request are seconds apart.
#
# Needs root (the lab runs nginx as root with workers as nobody). Prints
# TAP-ish lines; exit 0 all passed, 1 a failure, 77 skipped.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=$ROOT/tests/lab/lab.sh
export TZ=Europe/Berlin
PY=/usr/bin/python3

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (the lab starts nginx)"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: no curl"; exit 77; }

OUT=$(mktemp -d /tmp/gwtop-lablogs.XXXXXX)
chmod 755 "$OUT"                # nginx workers (nobody) reopen the logs below it
LABS=()
PIDS=()
N=0
FAILED=0

cleanup() {
	local p d
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for d in "${LABS[@]}"; do "$LAB" down "$d" >/dev/null 2>&1 || echo "# lab down failed: $d"; done
	if [ -n "${KEEP:-}" ]; then echo "# kept $OUT"; else rm -rf -- "$OUT"; fi
}
trap 'rc=$?; cleanup; echo "1..$N"; [ $FAILED = 0 ] && [ $rc = 0 ] || exit 1; exit 0' EXIT
trap 'exit 130' INT TERM

ok() { N=$((N + 1)); echo "ok $N - $1"; }
notok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }

# lsdrive is built by `make unit` (with the same flags as gwtop: ASan under
# SANITIZE=1); build it here when run alone
LSDRIVE=$ROOT/${OBJDIR:-build/rel}/tests/lsdrive
if [ ! -x "$LSDRIVE" ]; then
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$ROOT" "${OBJDIR:-build/rel}/tests/lsdrive" \
		SANITIZE="$([ "${OBJDIR:-}" = build/san ] && echo 1 || echo 0)" >/dev/null ||
		{ notok "build lsdrive"; exit 1; }
fi
cp "$LSDRIVE" "$OUT/lsdrive"

# lab_up NAME FAULT -> sources DIR/lab.env into the environment
lab_up() {
	local dir=$OUT/$1
	LABS+=("$dir")
	"$LAB" up "$dir" "$2" >"$OUT/$1.lab.log" 2>&1 || { sed 's/^/# /' "$OUT/$1.lab.log"; return 1; }
	# shellcheck disable=SC1091
	. "$dir/lab.env"
}

# drive_start OUTFILE ARGS... : start lsdrive follow, wait for READY
drive_start() {
	local out=$1 i
	shift
	"$OUT/lsdrive" follow "$@" >"$out" 2>"$out.err" &
	DRV=$!
	PIDS+=("$DRV")
	for ((i = 0; i < 100; i++)); do
		grep -q '^READY' "$out" && return 0
		sleep 0.05
	done
	return 1
}

drive_stop() {
	kill -TERM "$DRV" 2>/dev/null
	wait "$DRV" 2>/dev/null
}

# ------------------------------------------------------------------ A
if lab_up a app_down; then
	ok "lab app_down up (nginx $NGINX_PORT, master $NGINX_PID)"
	drive_start "$OUT/a.out" "err:$ERROR_LOG" "acc:$ACCESS_LOG" || notok "lsdrive READY"
	base=http://127.0.0.1:$NGINX_PORT
	( for ((j = 0; j < 150; j++)); do curl -s -o /dev/null "$base/b/$j"; sleep 0.02; done ) &
	BG=$!
	PIDS+=("$BG")
	for ((i = 0; i < 320; i++)); do
		curl -s -o /dev/null "$base/f/$i"
		case $i in
		100)    # logrotate without copytruncate: rename, then reopen
			mv "$ERROR_LOG" "$ERROR_LOG.1"
			mv "$ACCESS_LOG" "$ACCESS_LOG.1"
			sleep 0.05                           # the writer still writes to the old files
			kill -USR1 "$NGINX_PID" ;;
		200)    # copytruncate
			cp "$ERROR_LOG" "$ERROR_LOG.2"
			: >"$ERROR_LOG" ;;
		260)    # deleted; nginx writes to the unlinked file until it reopens
			rm -f "$ERROR_LOG"
			sleep 0.05
			kill -USR1 "$NGINX_PID" ;;
		esac
	done
	wait "$BG"
	sleep 1.5
	drive_stop
	# the files nginx wrote: the truth to compare with
	cat "$ERROR_LOG.1" "$ERROR_LOG" >"$OUT/a.err.files" 2>/dev/null
	cat "$ACCESS_LOG.1" "$ACCESS_LOG" >"$OUT/a.acc.files" 2>/dev/null
	"$PY" - "$OUT/a.out" "$OUT/a.err.files" "$ERROR_LOG.2" "$OUT/a.acc.files" >"$OUT/a.py" 2>&1 <<'EOF'
import collections, re, sys
out, errfiles, copy, accfiles = sys.argv[1:5]
rq = re.compile(r'GET /([fb]/\d+) ')
def ids(lines):
    c = collections.Counter()
    for l in lines:
        m = rq.search(l)
        if m: c[m.group(1)] += 1
    return c
seen_err, seen_acc, ring = [], [], []
for l in open(out, errors='replace'):
    f = l.rstrip('\n').split('\t', 4)
    if len(f) < 5: continue
    kind, t, tag, flags, text = f
    if kind == 'RING': ring.append(float(t)); continue
    if kind != 'LINE' or int(flags) & 8: continue       # markers
    (seen_err if tag == 'nginx-err' else seen_acc if tag == 'nginx-acc' else []).append(text)
se, sa = ids(seen_err), ids(seen_acc)
fe, fa, fc = ids(open(errfiles, errors='replace')), ids(open(accfiles, errors='replace')), ids(open(copy, errors='replace'))
dup_e = [k for k, v in se.items() if v > 1]
dup_a = [k for k, v in sa.items() if v > 1]
lost_e = [k for k in fe if k not in se]
lost_copy = [k for k in fc if k not in se]
lost_a = [k for k in fa if k not in sa]
print("err seen %d files %d copy %d; acc seen %d files %d" % (len(se), len(fe), len(fc), len(sa), len(fa)))
print("dup_err", dup_e[:5], "dup_acc", dup_a[:5])
print("lost_err", lost_e[:5], "lost_in_copy", len(lost_copy), lost_copy[:5], "lost_acc", lost_a[:5])
ordered = all(a <= b for a, b in zip(ring, ring[1:]))
print("ring", len(ring), "ordered", ordered)
# nginx wrote >= 400 request lines to the files we compare with (some more went to
# the deleted file or were lost by cp+truncate itself: we may have them, once)
ok = not dup_e and not dup_a and not lost_e and not lost_a and ordered \
     and len(set(fe) | set(fc)) >= 300 and len(fa) >= 400 and len(lost_copy) <= 3
sys.exit(0 if ok else 1)
EOF
	rc=$?
	sed 's/^/# /' "$OUT/a.py"
	check "rotate by rename + reopen, copytruncate, delete + re-create under load: no line lost or doubled, stream in time order" [ $rc = 0 ]
	check "the user is told about the rotation" grep -Eq $'LINE\t.*\tnginx-err\t8\tgwtop: .*(was rotated|removed or renamed)' "$OUT/a.out"
	check "the user is told about the truncation" grep -q $'LINE\t.*\tnginx-err\t8\tgwtop: .*truncated' "$OUT/a.out"
	check "both sources followed to the end" grep -q $'^SOURCE\tnginx-acc\t.*ok=1' "$OUT/a.out"
else
	notok "lab app_down up"
fi

# ------------------------------------------------------------------ B
if [ -n "${ONLY_A:-}" ]; then
	:
elif lab_up b worker_timeout; then
	ok "lab worker_timeout up"
	drive_start "$OUT/b.out" "err:$ERROR_LOG" "app:$APP_LOG" || notok "lsdrive READY (b)"
	sleep 0.5
	drive_stop
	"$PY" - "$OUT/b.out" >"$OUT/b.py" 2>&1 <<'EOF'
import sys
ring = []
for l in open(sys.argv[1], errors='replace'):
    f = l.rstrip('\n').split('\t', 4)
    if len(f) == 5 and f[0] == 'RING': ring.append((float(f[1]), f[2], f[4]))
app = [r for r in ring if 'WORKER TIMEOUT' in r[2]]
ngx = [r for r in ring if 'upstream prematurely closed' in r[2]]
print("app", app[:1]); print("nginx", ngx[:1])
ordered = all(a[0] <= b[0] for a, b in zip(ring, ring[1:]))
# the WORKER TIMEOUT of the failed request and nginx's 502 line: same moment
close = app and ngx and min(abs(a[0] - n[0]) for a in app for n in ngx) < 5
print("ordered", ordered, "close", close)
sys.exit(0 if ordered and close else 1)
EOF
	rc=$?
	sed 's/^/# /' "$OUT/b.py"
	check "gunicorn app.log (with zone) and nginx error.log (local time) merge in time order under TZ=$TZ" [ $rc = 0 ]
else
	notok "lab worker_timeout up"
fi
