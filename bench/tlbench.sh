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
#  3. goaccess (Debian package goaccess) on the same file, COMBINED format,
#     JSON output to a file: its whole parse, in the same run
# Both read from the page cache (the file is read once before).
set -euo pipefail
cd "$(dirname "$0")/.."
MIB=${TLBENCH_MIB:-1024}
W=$(mktemp -d /var/tmp/gwtop-tlbench.XXXXXX)
trap 'rm -rf "$W"' EXIT
trap 'exit 130' INT TERM

echo "== building bench/tlbench.c with the project's objects"
make -s gwtop >/dev/null
OBJS=()
for o in build/rel/src/*.o build/rel/probes/*.o build/rel/ui/*.o; do
	[ "$o" = build/rel/src/main.o ] || OBJS+=("$o")
done
# shellcheck disable=SC2207  # pkg-config flags are split on purpose
PKG=($(pkg-config --cflags --libs ncursesw libcurl libsystemd libproc2 jansson))
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
