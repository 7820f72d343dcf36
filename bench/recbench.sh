#!/bin/bash
# recbench.sh — what --record costs (issue 19: <= 10 MiB per hour of a busy
# lab, CPU <= 10 % of the dashboard's own), in one run on the real lab.
#
# A healthy lab (tests/lab/lab.sh) takes RATE requests a second (bench/
# traffic.py: paths with ids, some 404, a 502 burst while the app is
# stopped for OUTAGE seconds in the middle); two dashboards watch it side
# by side in 120x40 tmux panes at the default interval, one with --record:
# their on-CPU time over BENCH_SECS (schedstat, ns) and the recording's
# size, scaled to an hour. Prints figures; asserts nothing.
#
#   bench/recbench.sh       (root: the lab; ./gwtop built)
#   BENCH_SECS=120 RATE=50 OUTAGE=15 KEEP=/tmp/x.gwrec bench/recbench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
GW=$ROOT/gwtop
SECS=${BENCH_SECS:-120}
RATE=${RATE:-50}
OUTAGE=${OUTAGE:-15}
SOCK=gwrecbench-$$
PY=/usr/bin/python3
W=$(mktemp -d /var/tmp/gwtop-recbench.XXXXXX)
chmod 0755 "$W"
LAB=""
TRAFFIC=""
cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null || true
	if [ -n "$TRAFFIC" ]; then kill "$TRAFFIC" 2>/dev/null || true; wait "$TRAFFIC" 2>/dev/null || true; fi
	if [ -n "$LAB" ]; then tests/lab/lab.sh down "$LAB" >/dev/null 2>&1 || true; fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -x "$GW" ] || { echo "recbench: no ./gwtop (run make)"; exit 1; }
command -v tmux >/dev/null || { echo "recbench: tmux missing: skipped"; exit 0; }
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d", s }'; }
pane_pid() { tmux -L "$SOCK" list-panes -t "$1" -F '#{pane_pid}'; }

LAB=$W/lab
tests/lab/lab.sh up "$LAB" healthy >"$W/lab.log" 2>&1 || { cat "$W/lab.log"; exit 1; }
# shellcheck disable=SC1091
. "$LAB/lab.env"

tmux -L "$SOCK" new-session -d -s plain -x 120 -y 40 "exec $GW --nginx-conf $CONF --read-only"
tmux -L "$SOCK" new-session -d -s rec -x 120 -y 40 "exec $GW --nginx-conf $CONF --read-only --record $W/bench.gwrec"
sleep 3                                   # both past their first pass and start-up backfill
P1=$(pane_pid plain)
P2=$(pane_pid rec)
"$PY" bench/traffic.py "$NGINX_PORT" "$RATE" "$SECS" &
TRAFFIC=$!
c1=$(cpu_ns "$P1"); c2=$(cpu_ns "$P2")
s0=$(stat -c %s "$W/bench.gwrec")
t0=$(date +%s.%N)
sleep $(( (SECS - OUTAGE) / 2 ))
kill -TERM "$GUNICORN_PID"                # the middle: an outage (502s, error lines)
sleep "$OUTAGE"
sleep $(( SECS - OUTAGE - (SECS - OUTAGE) / 2 ))
t1=$(date +%s.%N)
d1=$(( $(cpu_ns "$P1") - c1 )); d2=$(( $(cpu_ns "$P2") - c2 ))
wait "$TRAFFIC" || true
TRAFFIC=""
s1=$(stat -c %s "$W/bench.gwrec")
reqs=$(wc -l <"$ACCESS_LOG")
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
echo "recbench: $secs s, $RATE req/s offered, $reqs access-log lines, ${OUTAGE} s outage in the middle"
awk -v b=$((s1 - s0)) -v s="$secs" -v r="$reqs" 'BEGIN {
	printf "  recording: %d bytes in %.0f s = %.2f MiB/hour (target <= 10), %.1f bytes a request\n",
	       b, s, b * 3600 / s / 1048576, (r > 0 ? b / r : 0) }'
awk -v a="$d1" -v b="$d2" -v s="$secs" 'BEGIN {
	printf "  dashboard CPU: %.1f ms/s plain, %.1f ms/s with --record: +%.1f%% (target <= 10%%)\n",
	       a / 1e6 / s, b / 1e6 / s, (a > 0 ? (b - a) * 100 / a : 0) }'
[ -n "${KEEP:-}" ] && cp "$W/bench.gwrec" "$KEEP"
zcat "$W/bench.gwrec" 2>/dev/null | "$PY" -c '
import json, sys, collections
n = collections.Counter(); z = collections.Counter()
for line in sys.stdin:
    try: r = json.loads(line)["r"]
    except Exception: continue
    n[r] += 1; z[r] += len(line)
print("  records (uncompressed bytes):", ", ".join("%s %d (%d KiB)" % (k, n[k], z[k] // 1024) for k in sorted(n, key=lambda k: -z[k])))
'
