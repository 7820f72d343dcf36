#!/bin/bash
# Issue 17 finding 7: 3,000 upstream targets under a limit of 1,024 open
# files. All at once, ~2,000 probes failed with EMFILE and were reported
# as "down". Now at most 64 are in flight, the soft limit is raised to the
# hard one at start, and a probe that could not start is "not probed".
# The 3,000 targets are REAL listeners (unix sockets answering HTTP 200,
# one Python process): every one must be reported reachable with 200,
#  1. --upstream x 3,000 under `ulimit -S -n 1024` (hard limit higher),
#  2. a config file with 3,000 `upstream =` lines under `ulimit -n 1024`
#     (soft = hard: only the cap keeps gwtop within the limit).
set -u
# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source-path=SCRIPTDIR source=seclib.sh
. "$(dirname "$0")/seclib.sh"
it_init
it_require_root
it_require_gwtop
sec_init
N=${N_TARGETS:-3000}
L=$SEC_DIR/l
mkdir "$L"

cat >"$SEC_DIR/listen.py" <<'PY'
import os, resource, selectors, socket, sys
d, n = sys.argv[1], int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
sel = selectors.DefaultSelector()
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(os.path.join(d, "s.%d" % i))
    s.listen(128)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, "listen")
print("ready", flush=True)
REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"
while True:
    for key, _ in sel.select():
        if key.data == "listen":
            try:
                c, _ = key.fileobj.accept()
            except OSError:
                continue
            c.setblocking(False)
            sel.register(c, selectors.EVENT_READ, "conn")
        else:
            c = key.fileobj
            try:
                data = c.recv(4096)
            except OSError:
                data = b""
            if data:
                try:
                    c.send(REPLY)
                except OSError:
                    pass
            sel.unregister(c)
            c.close()
PY
/usr/bin/python3 "$SEC_DIR/listen.py" "$L" "$N" >"$OUT/listen.log" 2>&1 &
SEC_PIDS+=($!)
for _ in $(seq 300); do grep -q ready "$OUT/listen.log" && break; sleep 0.1; done
t_check "$N real listeners are up" grep -q ready "$OUT/listen.log"

count_targets() {   # JSON FILE -> "total up(200) notprobed down emfile"
	"$PY" - "$1" "$L" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
mine = [t for t in doc.get("targets", []) if sys.argv[2] in (t.get("target") or "")]
up = sum(1 for t in mine if t.get("reachable") is True and t.get("http_status") == 200)
notp = sum(1 for t in mine if t.get("probed") is False)
down = sum(1 for t in mine if t.get("probed") and t.get("reachable") is False)
emf = sum(1 for t in mine if "Too many open files" in json.dumps(t) or "EMFILE" in json.dumps(t))
print(len(mine), up, notp, down, emf)
PY
}

# 1. --upstream x N, soft limit 1024 (gwtop raises it to the hard limit)
args=()
for i in $(seq 0 $((N - 1))); do args+=(--upstream "unix:$L/s.$i"); done
t0=$SECONDS
GW_OUT=$OUT/j1 GW_ERR=$OUT/e1
(ulimit -S -n 1024 && exec timeout -k 5 120 "$GWTOP" --check --json "${args[@]}") >"$GW_OUT" 2>"$GW_ERR" </dev/null
GW_RC=$?
read -r tot up notp down emf < <(count_targets "$GW_OUT")
echo "# 1: $tot targets: $up up (200), $notp not probed, $down down, $emf EMFILE; $((SECONDS - t0)) s"
t_result "1: soft limit 1024: all $N targets reported" "$([ "$tot" = "$N" ] && echo 0 || echo 1)"
t_result "1: soft limit 1024: all $N up with HTTP 200 ($up)" "$([ "$up" = "$N" ] && echo 0 || echo 1)"
t_result "1: none down, none EMFILE ($down, $emf)" "$([ "$down" = 0 ] && [ "$emf" = 0 ] && echo 0 || echo 1)"

# 2. a config file with N upstream lines, soft = hard = 1024
for i in $(seq 0 $((N - 1))); do echo "upstream = unix:$L/s.$i"; done >"$SEC_DIR/many.conf"
chmod 0644 "$SEC_DIR/many.conf"
t0=$SECONDS
GW_OUT=$OUT/j2 GW_ERR=$OUT/e2
(ulimit -n 1024 && exec timeout -k 5 120 "$GWTOP" --check --json --config "$SEC_DIR/many.conf") >"$GW_OUT" 2>"$GW_ERR" </dev/null
GW_RC=$?
read -r tot up notp down emf < <(count_targets "$GW_OUT")
echo "# 2: $tot targets: $up up (200), $notp not probed, $down down, $emf EMFILE; $((SECONDS - t0)) s"
t_result "2: hard limit 1024: all $N targets reported" "$([ "$tot" = "$N" ] && echo 0 || echo 1)"
t_result "2: hard limit 1024: all $N up with HTTP 200 ($up)" "$([ "$up" = "$N" ] && echo 0 || echo 1)"
t_result "2: none down, none EMFILE ($down, $emf)" "$([ "$down" = 0 ] && [ "$emf" = 0 ] && echo 0 || echo 1)"
