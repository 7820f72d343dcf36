#!/bin/bash
# tlbench.sh — the timeline's start-up backfill from a big access log
# (issue 19), against goaccess on the same file, in one run. Prints
# figures; never fails on absolute times.
#
#  1. a TLBENCH_MIB (default 1024) MiB access.log in the format of the
#     README's `log_format timeline` (upstream fields), spanning the last
#     3 h, with a 5xx burst
#  2. bench/tlbench.c (the project's objects): the feeder's first pass —
#     the 512 KiB tail and the bisection to --since, all that stands before
#     the dashboard's first frame (target <= 100 ms) — then the backfill
#     of the 3 h on the sd-event loop in 4 MiB steps: MiB/s, lines/s, the
#     longest step (what a key press may wait)
#  3. the real dashboard's time to its first complete frame with that file
#     as the access log of a lab nginx (tests/lab/lab.sh healthy, reloaded
#     with `access_log FILE timeline`), 200x50 in tmux (root and tmux
#     needed, else skipped): bash stamps $EPOCHREALTIME and execs gwtop;
#     `tmux pipe-pane -O` hands the pane's output to a reader that stamps
#     the arrival of the header's "probed " (drawn only once the first
#     pass is in: the frame before it says "probing the stack..."; a frame
#     is one write). TLBENCH_TTFF_RUNS (default 5) launches: min / median
#  4. goaccess (Debian package goaccess) on the same file, COMBINED format,
#     JSON output to a file: its whole parse, in the same run
# All read from the page cache (the file is read once before).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MIB=${TLBENCH_MIB:-1024}
W=$(mktemp -d /var/tmp/gwtop-tlbench.XXXXXX)
chmod 0755 "$W"            # the lab lives below it (nginx workers are nobody)
SOCK=gwtlbench-$$
LAB=""
cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null || true
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"
	if [ -n "$LAB" ]; then tests/lab/lab.sh down "$LAB" >/dev/null 2>&1 || true; fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== building bench/tlbench.c with the project's objects"
make -s gwtop >/dev/null
OBJS=()
for o in build/rel/src/*.o build/rel/probes/*.o build/rel/ui/*.o; do
	[ "$o" = build/rel/src/main.o ] || OBJS+=("$o")
done
# shellcheck disable=SC2207  # pkg-config flags are split on purpose
PKG=($(pkg-config --cflags --libs ncursesw libcurl libsystemd libproc2 jansson zlib))
cc -O2 -std=gnu11 -D_GNU_SOURCE -Isrc -Iprobes -Iui -o "$W/tlbench" bench/tlbench.c "${OBJS[@]}" "${PKG[@]}" -lm

echo "== writing a $MIB MiB access.log (timeline format, last 3 h)"
/usr/bin/python3 - "$W/access.log" "$MIB" <<'PY'
import sys, time
path, mib = sys.argv[1], int(sys.argv[2])
target = mib << 20
now = int(time.time())
paths = ["/", "/api/users/%d", "/api/orders/%d/items", "/static/app.%x.js", "/health"]
fmt = time.strftime
# estimate the line count first, then spread the lines over 3 h
sample = '10.0.0.1 - - [07/Dec/2026:21:00:00 +0000] "GET /api/users/123456 HTTP/1.1" 200 1234 "-" "Mozilla/5.0 (X11; Linux x86_64) bench" rt=0.012 ua="127.0.0.1:8000" us="200" urt="0.011"\n'
n = target // len(sample)
start = now - 3 * 3600 + 60
with open(path, "w") as f:
    buf = []
    size = 0
    i = 0
    while size < target:
        t = start + (i * (3 * 3600 - 120)) // n
        p = paths[i % 5]
        if "%" in p:
            p = p % (i * 7919 % 1000003)
        burst = (t - start) // 60 in (100, 101)
        st = 502 if burst and i % 3 else 200
        ts = fmt("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(t))
        line = '10.0.%d.%d - - [%s] "GET %s HTTP/1.1" %d %d "-" "Mozilla/5.0 (X11; Linux x86_64) bench" rt=0.%03d ua="127.0.0.1:%d" us="%d" urt="0.%03d"\n' % (
            i % 250, i % 200, ts, p, st, 1000 + i % 5000, i % 900, 8000 + i % 3, st, i % 800)
        buf.append(line)
        size += len(line)
        i += 1
        if len(buf) >= 10000:
            f.write("".join(buf))
            buf = []
    f.write("".join(buf))
PY
echo "   $(stat -c %s "$W/access.log") bytes"
cat "$W/access.log" >/dev/null   # page cache

echo "== gwtop's timeline: first pass, then the backfill of 3 h (--since 10800)"
"$W/tlbench" "$W/access.log" 10800 | tee "$W/tl.out" | sed 's/^/   /'
BF=$(awk '$1 == "backfill_s" {print $2}' "$W/tl.out")
BYTES=$(awk '$1 == "backfill_bytes" {print $2}' "$W/tl.out")
LINES=$(awk '$1 == "lines" {print $2}' "$W/tl.out")

FIRST=$(awk '$1 == "first_pass_ms" {print $2}' "$W/tl.out")

echo "== the dashboard's first frame, that file as a lab nginx's access log (200x50 tmux)"
TTFF=""
SMALL=""
if [ "$(id -u)" != 0 ] || ! command -v tmux >/dev/null; then
	echo "   skipped: needs root (the lab) and tmux"
else
	LAB=$W/lab
	tests/lab/lab.sh up "$LAB" healthy >"$W/lab.log" 2>&1 || { tail -5 "$W/lab.log"; exit 1; }
	# shellcheck disable=SC1091
	. "$LAB/lab.env"
	cat >"$W/frame.py" <<'EOF'
import os, sys, time
def stamp(path):
    with open(path + ".tmp", "w") as f:
        f.write("%d\n" % time.time_ns())
    os.rename(path + ".tmp", path)
tail = b""
first = False
while True:
    b = os.read(0, 65536)
    if not b:
        break
    if not first and b"gwtop" in tail + b:   # the first frame: the header, "probing the stack..."
        stamp(sys.argv[2])
        first = True
    if b"probed " in tail + b:               # the first frame with the first pass's verdict
        stamp(sys.argv[1])
        break
    tail = (tail + b)[-16:]
EOF
	# ttff KEY LABEL: TLBENCH_TTFF_RUNS launches of the dashboard; ms per run in $W/ttff.KEY, the median in TTFF
	ttff() {
		local i end
		: >"$W/ttff.$1"
		: >"$W/ttf0.$1"
		for i in $(seq "${TLBENCH_TTFF_RUNS:-5}"); do
			rm -f "$W/t0" "$W/t1" "$W/tf"
			# shellcheck disable=SC2016  # $EPOCHREALTIME is the inner bash's
			tmux -L "$SOCK" new-session -d -s "f$1$i" -x 200 -y 50 \
				"bash -c 'read -r _; echo \$EPOCHREALTIME > $W/t0; exec $ROOT/gwtop --nginx-conf $CONF --since 10800 --read-only'"
			tmux -L "$SOCK" pipe-pane -O -t "f$1$i" "exec /usr/bin/python3 $W/frame.py $W/t1 $W/tf"
			tmux -L "$SOCK" send-keys -t "f$1$i" Enter
			end=$(($(date +%s) + 20))
			while [ ! -s "$W/t1" ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.01; done
			if [ -s "$W/t1" ] && [ -s "$W/t0" ]; then
				awk -v a="$(cat "$W/t0")" -v b="$(cat "$W/t1")" 'BEGIN { printf "%.1f\n", b / 1e6 - a * 1000 }' >>"$W/ttff.$1"
			fi
			if [ -s "$W/tf" ] && [ -s "$W/t0" ]; then
				awk -v a="$(cat "$W/t0")" -v b="$(cat "$W/tf")" 'BEGIN { printf "%.1f\n", b / 1e6 - a * 1000 }' >>"$W/ttf0.$1"
			fi
			[ "$i" != 1 ] || tmux -u -L "$SOCK" capture-pane -p -t "f$1$i" >"$W/frame.$1.txt"
			tmux -L "$SOCK" kill-session -t "f$1$i"
		done
		TTFF=n/a
		if [ -s "$W/ttff.$1" ]; then
			TTFF=$(sort -n "$W/ttff.$1" | awk '{ v[NR] = $1 } END { printf "%s", v[int((NR + 1) / 2)] }')
			echo "   $2: runs (ms) $(tr '\n' ' ' <"$W/ttff.$1")-> min $(sort -n "$W/ttff.$1" | head -1), median $TTFF ms"
			[ -s "$W/ttf0.$1" ] && echo "   $2: the first frame (header + \"probing the stack...\", before the first pass), runs (ms) $(tr '\n' ' ' <"$W/ttf0.$1")-> median $(sort -n "$W/ttf0.$1" | awk '{ v[NR] = $1 } END { printf "%s", v[int((NR + 1) / 2)] }') ms"
		else
			echo "   $2: no first frame seen within 20 s"
		fi
	}
	# the lab's own small access log first: what the first pass costs without the big file
	ttff small "the lab's access.log ($(stat -c %s "$ACCESS_LOG") bytes)"
	SMALL=$TTFF
	cat >"$LAB/conf.d/00-timeline.conf" <<'EOF'
log_format timeline '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" rt=$request_time ua="$upstream_addr" us="$upstream_status" urt="$upstream_response_time"';
EOF
	sed -i "s|^    server_name lab.test;|    server_name lab.test;\n    access_log $W/access.log timeline;|" "$SITE_CONF"
	grep -q "access_log $W/access.log timeline" "$SITE_CONF"
	SIZE0=$(stat -c %s "$W/access.log")
	kill -HUP "$NGINX_PID"
	end=$(($(date +%s) + 15))
	while [ "$(stat -c %s "$W/access.log")" = "$SIZE0" ]; do   # the new workers write to it
		curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$NGINX_PORT/" || true
		[ "$(date +%s)" -lt "$end" ] || { echo "   nginx does not write to the big log"; exit 1; }
		sleep 0.1
	done
	ttff big "the $MIB MiB log"
	grep -q "Timeline" "$W/frame.big.txt" &&
		echo "   (its first frame shows the timeline strip: $(grep -m1 -o 'Timeline[^│]*' "$W/frame.big.txt" | sed 's/  *$//'))"
	echo "   target <= 100 ms"
fi
echo "== side by side: feeder first step ${FIRST} ms; dashboard first frame ${TTFF:-n/a} ms with the $MIB MiB log, ${SMALL:-n/a} ms with the lab's small log (medians)"
echo "== goaccess on the same file ($(goaccess --version 2>/dev/null | head -1))"
if command -v goaccess >/dev/null; then
	T0=$(date +%s%N)
	goaccess "$W/access.log" --log-format=COMBINED --no-progress -o "$W/ga.json" >/dev/null 2>&1
	T1=$(date +%s%N)
	GA=$(awk -v a="$T0" -v b="$T1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
	GAREQ=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["general"]["valid_requests"])' "$W/ga.json" 2>/dev/null || echo "?")
	echo "   goaccess_s $GA (valid requests: $GAREQ)"
	SIZE=$(stat -c %s "$W/access.log")
	awk -v bf="$BF" -v by="$BYTES" -v ln="$LINES" -v ga="$GA" -v sz="$SIZE" 'BEGIN {
		printf "   timeline backfill: %.0f MiB/s, %.0f lines/s\n", by / 1048576 / bf, ln / bf;
		printf "   goaccess:          %.0f MiB/s\n", sz / 1048576 / ga;
		printf "   timeline / goaccess rate: %.1fx\n", (by / bf) / (sz / ga) }'
else
	echo "   goaccess not installed (apt-get install goaccess): no comparison"
fi
