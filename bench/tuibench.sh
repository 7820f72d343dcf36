#!/bin/bash
# tuibench.sh — the dashboard's cost next to htop and btop, in one run, on the
# real lab (tests/lab/lab.sh healthy).  Prints figures; asserts nothing.
#
#  1. idle CPU over BENCH_SECS (30) s in 120x40 tmux panes, all at once
#     (on-CPU time from schedstat, ns, see cpu_us below):
#     gwtop --interval 1 vs htop -d 10 (both refresh every second), and
#     gwtop at its default interval (2 s) vs btop (default update 2000 ms)
#  2. peak RSS (VmHWM) of each at the end of that window, and of
#     bench/rssfloor.c beside them: gwtop's libraries started the way gwtop
#     starts them, without any gwtop code (what the RSS target leaves)
#  3. keypress-to-screen latency while an upstream hangs: a python server
#     on 127.0.0.1 accepts and never answers (--upstream, --timeout 8, so a
#     probe is always in flight); press `?` and poll capture-pane every 5 ms
#     until the help shows; median of 10.  One poll (a tmux client +
#     capture) costs a few ms itself: its median is printed beside.
# The machine may be shared: the load average is printed before and after.
#
#   bench/tuibench.sh          (root: the lab needs it; ./gwtop built)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
GW=$ROOT/gwtop
SECS=${BENCH_SECS:-30}
SOCK=gwtuibench-$$
PY=/usr/bin/python3
HZ=$(getconf CLK_TCK)
W=$(mktemp -d /var/tmp/gwtop-tuibench.XXXXXX)
chmod 0755 "$W"            # the lab lives below it (nginx workers are nobody)
HANG_PID=""
LAB=""
cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null || true
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"    # the server leaves its socket file
	if [ -n "$HANG_PID" ]; then kill "$HANG_PID" 2>/dev/null || true; wait "$HANG_PID" 2>/dev/null || true; fi
	if [ -n "$LAB" ]; then tests/lab/lab.sh down "$LAB" >/dev/null 2>&1 || true; fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -x "$GW" ] || { echo "tuibench: no ./gwtop (run make)"; exit 1; }
command -v tmux >/dev/null || { echo "tuibench: tmux missing (apt-get install tmux): skipped"; exit 0; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
mib()   { awk -v k="$1" 'BEGIN { if (k > 0) printf "%.1f MiB", k / 1024; else print "n/a" }'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# CPU time in microseconds. utime+stime count in clock ticks (10 ms): over
# 30 s an idle process is a dozen ticks, too coarse for a ratio. The
# scheduler's own on-CPU time (/proc/PID/task/*/schedstat, ns) is exact;
# it is used when the process has one thread at the start (a thread that
# exits in the window would take its time along), else the ticks.
cpu_us_ticks() { awk -v hz="$HZ" '{ printf "%d", ($14 + $15) * 1000000 / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }
cpu_us_sched() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d", s / 1000 }'; }
cpu_mode() {
	local n
	n=$(find "/proc/$1/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	if [ "$n" = 1 ] && [ -r "/proc/$1/schedstat" ]; then echo sched; else echo ticks; fi
}
cpu_us() { if [ "$2" = sched ]; then cpu_us_sched "$1"; else cpu_us_ticks "$1"; fi; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# start NAME CMD... — CMD exec'd as the pane's process (pane_pid is CMD)
start() {
	local name=$1; shift
	mkdir -p "$W/home-$name"
	tmux -u -L "$SOCK" new-session -d -s "$name" -x 120 -y 40 \
		"exec env HOME=$W/home-$name LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=tmux-256color $* 2>$W/$name.err"
}
pane_pid() { tmux -L "$SOCK" list-panes -t "$1" -F '#{pane_pid}'; }
cap() { tmux -u -L "$SOCK" capture-pane -p -t "$1" 2>/dev/null; }

echo "gwtop tuibench — $(date -u +%FT%TZ) — $(nproc) CPUs — load average $(loadavg)"
LAB=$W/lab
if tests/lab/lab.sh up "$LAB" healthy >"$W/lab.log" 2>&1; then
	# shellcheck disable=SC1091
	. "$LAB/lab.env"
	GWARGS="--nginx-conf $CONF"
else
	echo "(lab did not start: gwtop probes this host's own nginx, if any)"; LAB=""; GWARGS=""
fi

# ------------------------------------------------------------------ idle CPU + RSS
names=(gw1 htop)
start gw1 "$GW" $GWARGS --interval 1
start htop htop -d 10
if command -v btop >/dev/null; then
	names+=(gw2 btop)
	start gw2 "$GW" $GWARGS
	start btop btop --utf-force
else
	echo "(btop not installed: apt-get install btop; the default-interval comparison is skipped)"
	names+=(gw2)
	start gw2 "$GW" $GWARGS
fi
# the libraries' floor (not in the CPU table: it sleeps)
FLOOR=""
read -r -a PKGFLAGS <<<"$(pkg-config --cflags --libs ncursesw libcurl libsystemd libproc2 jansson)"
if cc -O2 -o "$W/rssfloor" bench/rssfloor.c "${PKGFLAGS[@]}" 2>"$W/rssfloor.err"; then
	start floor "$W/rssfloor"
	FLOOR=floor
else
	echo "(bench/rssfloor.c did not build: $(head -c 200 "$W/rssfloor.err"))"
fi
sleep 3   # start-up (first probe pass, htop's first scan) is not idle
declare -A PID C0 CPU HWM MODE
for n in "${names[@]}"; do
	PID[$n]=$(pane_pid "$n")
	MODE[$n]=$(cpu_mode "${PID[$n]}")
	C0[$n]=$(cpu_us "${PID[$n]}" "${MODE[$n]}")
done
echo "idle window: ${SECS} s, 120x40 tmux panes, all side by side ..."
sleep "$SECS"
for n in "${names[@]}"; do
	CPU[$n]=$(( ($(cpu_us "${PID[$n]}" "${MODE[$n]}") - C0[$n]) / 1000 ))
	HWM[$n]=$(hwm_kib "${PID[$n]}")
done
FLOOR_KIB=0
[ -z "$FLOOR" ] || FLOOR_KIB=$(hwm_kib "$(pane_pid floor)")
tmux -L "$SOCK" kill-server 2>/dev/null || true

echo
printf '%-36s %12s %10s %12s\n' "" "CPU ms/${SECS}s" "CPU %" "peak RSS"
row() { printf '%-36s %12s %9s%% %12s\n' "$1" "${CPU[$2]}" \
	"$(awk -v c="${CPU[$2]}" -v s="$SECS" 'BEGIN { printf "%.2f", c / (s * 10) }')" "$(mib "${HWM[$2]}")"; }
row "gwtop --interval 1" gw1
row "htop -d 10 (1 s)" htop
row "gwtop (default interval, 2 s)" gw2
[ -n "${PID[btop]:-}" ] && row "btop (default, 2 s)" btop
echo
echo "idle CPU  gwtop --interval 1 / htop -d 10:   $(ratio "${CPU[gw1]}" "${CPU[htop]}")   (target <= 0.25x)"
[ -n "${PID[btop]:-}" ] &&
	echo "idle CPU  gwtop default / btop default:      $(ratio "${CPU[gw2]}" "${CPU[btop]}")   (target < 1x)"
echo "peak RSS  gwtop --interval 1: $(mib "${HWM[gw1]}") vs htop $(mib "${HWM[htop]}")   (target <= 10 MiB)"
[ -z "$FLOOR" ] ||
	echo "          its libraries alone, started as gwtop starts them (bench/rssfloor.c): $(mib "$FLOOR_KIB")"

# ------------------------------------------------------------------ key latency, upstream hanging
"$PY" -c 'import socket,time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)   # accept, never answer
' >"$W/hang.port" &
HANG_PID=$!
for _ in $(seq 100); do [ -s "$W/hang.port" ] && break; sleep 0.05; done
HPORT=$(cat "$W/hang.port")
start lat "$GW" $GWARGS --upstream "http://127.0.0.1:$HPORT/" --timeout 8 --interval 1
for _ in $(seq 200); do cap lat | grep -q "F1Help" && break; sleep 0.05; done
sleep 1.5
# the pane's output also streams into a file: the first bytes gwtop writes
# after the key are its reaction, seen without capture-pane's cost
: >"$W/lat.out"
tmux -L "$SOCK" pipe-pane -o -t lat "cat >> $W/lat.out"
sleep 0.5
"$PY" - "$SOCK" "$W/lat.out" "$HPORT" >"$W/lat.txt" <<'PYEOF'
import os, statistics, subprocess, sys, time
sock, out, hport = sys.argv[1], sys.argv[2], sys.argv[3]
tmux = ["tmux", "-u", "-L", sock]
def cap():
    return subprocess.run(tmux + ["capture-pane", "-p", "-t", "lat"],
                          capture_output=True, text=True).stdout
def inflight():
    r = subprocess.run(["ss", "-Htn", "state", "established", "( dport = :%s )" % hport],
                       capture_output=True, text=True).stdout
    return bool(r.strip())
first, sent, shown, caps, pending = [], [], [], [], 0
for _ in range(10):
    size0 = os.stat(out).st_size
    t0 = time.monotonic()
    subprocess.run(tmux + ["send-keys", "-t", "lat", "?"])
    t1 = time.monotonic()
    while os.stat(out).st_size == size0 and time.monotonic() - t0 < 2:
        time.sleep(0.0005)
    t2 = time.monotonic()
    while "zoom the logs pane" not in cap() and time.monotonic() - t0 < 2:
        time.sleep(0.005)
    t3 = time.monotonic()
    pending += inflight()
    first.append((t2 - t0) * 1000); sent.append((t1 - t0) * 1000); shown.append((t3 - t0) * 1000)
    subprocess.run(tmux + ["send-keys", "-t", "lat", "Escape"])
    while "zoom the logs pane" in cap():
        time.sleep(0.01)
    time.sleep(0.3)
for _ in range(10):
    t0 = time.monotonic(); cap(); caps.append((time.monotonic() - t0) * 1000)
med = lambda v: "%.0f" % statistics.median(v)
print("  key -> first bytes on the pty:   median %s ms of 10 (all: %s; target <= 50 ms)"
      % (med(first), " ".join("%.0f" % v for v in first)))
print("    of which the tmux send-keys client itself: median %s ms" % med(sent))
print("  key -> help visible via capture-pane polled every 5 ms: median %s ms" % med(shown))
print("    one capture-pane poll costs median %s ms (tmux client start + capture)" % med(caps))
print("  a probe of the hanging target was in flight at %d of the 10 key presses" % pending)
PYEOF
tmux -L "$SOCK" send-keys -t lat q
echo
echo "key latency (\`?\` -> help) while 127.0.0.1:$HPORT accepts and never answers (--timeout 8):"
cat "$W/lat.txt"
for n in gw1 htop gw2 btop lat; do
	if [ -s "$W/$n.err" ]; then echo "($n wrote to stderr:)"; head -5 "$W/$n.err"; fi
done
echo
echo "load average at the end: $(loadavg)  ($(nproc) CPUs; the box is shared: figures are indicative)"
