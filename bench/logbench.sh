#!/bin/bash
# logbench.sh — the live log stream's cost, side by side with the tools an
# operator would use, in one run. Prints figures; never fails on absolute
# times (bench/README-style: make bench runs it after bench.sh).
#
#  1. classification throughput over a 1 GiB nginx error.log (logclass, as
#     the stream runs it on every line) vs `LC_ALL=C grep -c` on the same
#     file, both from the page cache (target >= 0.5x grep's rate)
#  2. the stream's live path (read, split, classify, insert into the ring)
#     on 256 MiB appended to a followed file
#  3. time to the first screen with the 1 GiB log vs a tiny one (target
#     <= 100 ms), and vs lnav on the same file in tmux (if installed)
#  4. memory with the ring full (default cap and 5x)
#
# Env: LOGBENCH_MIB (size of the big log, default 1024), LOGBENCH_LNAV_MAX
# (seconds to wait for lnav's first screen, default 120), LOGBENCH_RUNS
# (runs of grep and of the classifier in part 1, default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
MIB=${LOGBENCH_MIB:-1024}
LNAV_MAX=${LOGBENCH_LNAV_MAX:-120}
RUNS=${LOGBENCH_RUNS:-5}
W=$(mktemp -d /var/tmp/gwtop-logbench.XXXXXX)
TMUX_SOCK="gwtop-logbench-$$"
cleanup() {
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }

echo "== building tests/logs/lsdrive (-O2, the project's objects)"
make -s build/rel/tests/lsdrive >/dev/null
cp build/rel/tests/lsdrive "$W/lsdrive"

echo "== writing a $MIB MiB error.log of real nginx line shapes (recent local times)"
/usr/bin/python3 - "$W/big.log" "$MIB" <<'EOF'
import sys, time, random
path, mib = sys.argv[1], int(sys.argv[2])
random.seed(5)
ts = time.strftime('%Y/%m/%d %H:%M:%S', time.localtime(time.time() - 60))
shapes = [
 '{t} [error] {p}#{p}: *{c} connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: app.example, request: "GET /api/items/{c} HTTP/1.1", upstream: "http://127.0.0.1:8000/api/items/{c}", host: "app.example"',
 '{t} [error] {p}#{p}: *{c} upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.0.0.7, server: app.example, request: "POST /checkout HTTP/1.1", upstream: "http://127.0.0.1:8000/checkout", host: "app.example"',
 '{t} [crit] {p}#{p}: *{c} connect() to unix:/run/gunicorn.sock failed (13: Permission denied) while connecting to upstream, client: 10.0.0.9, server: _, request: "GET / HTTP/1.1", upstream: "http://unix:/run/gunicorn.sock:/", host: "example"',
 '{t} [error] {p}#{p}: *{c} upstream prematurely closed connection while reading response header from upstream, client: 10.1.2.3, server: app.example, request: "GET /report HTTP/1.1", upstream: "http://127.0.0.1:8000/report", host: "app.example"',
 '{t} [warn] {p}#{p}: *{c} an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/1/00/0000000{c} while reading upstream, client: 10.0.0.1, server: app.example, request: "GET /big HTTP/1.1"',
 '{t} [notice] {p}#{p}: signal process started',
 '{t} [error] {p}#{p}: *{c} no live upstreams while connecting to upstream, client: 10.0.0.2, server: app.example, request: "GET /x HTTP/1.1", upstream: "http://backend/x", host: "app.example"',
]
block = []
size = 0
while size < (1 << 20):
    l = random.choice(shapes).format(t=ts, p=random.randint(100, 9999), c=random.randint(1, 10**6)) + '\n'
    block.append(l); size += len(l)
data = ''.join(block).encode()
with open(path, 'wb') as f:
    for _ in range(mib * (1 << 20) // len(data)):
        f.write(data)
EOF
ls -l "$W/big.log" | awk '{printf "   %s bytes\n", $5}'
printf '%s [error] 1#1: *1 connect() failed (111: Connection refused) while connecting to upstream\n' \
	"$(date '+%Y/%m/%d %H:%M:%S')" >"$W/tiny.log"
cat "$W/big.log" >/dev/null    # page cache for both contenders

echo
echo "== 1. classification throughput (page cache warm; grep and logclass"
echo "   alternate, $RUNS runs each, medians: the machine may be loaded)"
median() { sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
grates=() lrates=()
for _ in $(seq "$RUNS"); do
	# grep's output goes to a pipe: with stdout on /dev/null grep -c stops
	# at the first match
	t0=$(now_ms); gl=$(LC_ALL=C grep -c '\[error\]' "$W/big.log"); t1=$(now_ms)
	grates+=("$(awk -v m="$MIB" -v t="$((t1 - t0))" 'BEGIN{printf "%.1f", m/((t>0?t:1)/1000)}')")
	out=$("$W/lsdrive" classify "$W/big.log")
	lrates+=("$(awk '{print $8}' <<<"$out")")
done
g_med=$(printf '%s\n' "${grates[@]}" | median)
l_med=$(printf '%s\n' "${lrates[@]}" | median)
echo "   grep -c '[error]':  $gl lines matched; MiB/s ${grates[*]}  (median $g_med)"
echo "   logclass (stream): $out"
echo "   logclass MiB/s ${lrates[*]}  (median $l_med)"
awk -v g="$g_med" -v s="$l_med" 'BEGIN{printf "   ratio: %.2fx grep'"'"'s rate (target >= 0.5x)\n", s/g}'

echo
echo "== 2. live path: 256 MiB appended to a followed file (read+split+classify+ring)"
echo "   $("$W/lsdrive" ingest "$W/big.log" "$W" 256)"

echo
echo "== 3. time to first screen"
for f in tiny big; do
	best=""
	for _ in 1 2 3; do
		r=$("$W/lsdrive" first "$W/$f.log")
		ms=$(awk '{print $2}' <<<"$r")
		if [ -z "$best" ] || awk -v a="$ms" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$ms; line=$r; fi
	done
	echo "   gwtop stream, $f.log: $line   (best of 3)"
done
if command -v lnav >/dev/null; then
	# lnav in a real terminal: time until a log line of the file is on its screen
	mkdir -p "$W/lnavhome"
	t0=$(now_ms)
	HOME=$W/lnavhome tmux -L "$TMUX_SOCK" new-session -d -x 160 -y 40 "lnav '$W/big.log'"
	shown=""
	while [ $(( $(now_ms) - t0 )) -lt $((LNAV_MAX * 1000)) ]; do
		if tmux -L "$TMUX_SOCK" capture-pane -p 2>/dev/null | grep -q 'while connecting to upstream\|signal process started\|upstream prematurely'; then
			shown=$(( $(now_ms) - t0 ))
			break
		fi
		sleep 0.05
	done
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true
	if [ -n "$shown" ]; then
		echo "   lnav $(lnav -V 2>/dev/null | head -1 | awk '{print $2}'), big.log: first screen with a log line after ${shown} ms"
	else
		echo "   lnav: no log line on its screen within ${LNAV_MAX} s"
	fi
else
	echo "   lnav: not installed (apt-get install lnav)"
fi

echo
echo "== 4. memory with the ring full"
for cap in 20000 100000; do
	echo "   $("$W/lsdrive" fill "$W/big.log" "$W" "$cap")"
done
