#!/bin/bash
# soak.sh — long run of gwtop's dashboard pass against a real lab with a
# fault toggled on a timer; prints RSS, open fds and zombie children of the
# gwtop process at the start, every minute, and at the end (make soak).
#
#   bench/soak.sh [SECONDS] [TOGGLE_SECONDS]     defaults: 600 s, toggle every 20 s
#
# gwtop runs `--bench-ticks N` (the dashboard's per-interval pass, back to
# back, so each tick stands for one --interval of a real session; N is
# calibrated to last about SECONDS; if it runs longer it is stopped by PID
# after the last sample). The fault: the lab's gunicorn master
# and workers are frozen (SIGSTOP: the upstream accepts, never answers) and
# thawed (SIGCONT) in turn, by PID; each toggle also touches the site config
# (so `nginx -t` runs again as a child) and appends error.log lines.
# GWTOP=build/san/gwtop runs the sanitizer build. Prints figures; fails only
# when gwtop crashes or leaves zombies / grows fds.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GWTOP=${GWTOP:-$ROOT/gwtop}
LAB=$ROOT/tests/lab/lab.sh
SECS=${1:-600}
TOGGLE=${2:-20}
LAB_DIR=""
GW_PID=""
FROZEN=()

cleanup() {
	local p
	for p in ${FROZEN[@]+"${FROZEN[@]}"}; do kill -CONT "$p" 2>/dev/null || true; done
	if [ -n "$GW_PID" ] && kill -0 "$GW_PID" 2>/dev/null; then
		kill "$GW_PID" 2>/dev/null || true
		wait "$GW_PID" 2>/dev/null || true
	fi
	if [ -n "$LAB_DIR" ]; then
		"$LAB" down "$LAB_DIR" >/dev/null 2>&1 || echo "soak: lab down failed for $LAB_DIR" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -x "$GWTOP" ] || { echo "soak: no gwtop at $GWTOP (make gwtop)" >&2; exit 1; }
LAB_DIR=$(mktemp -d /tmp/gwtop-soak.XXXXXX)
"$LAB" up "$LAB_DIR" healthy >"$LAB_DIR.log" 2>&1 || { cat "$LAB_DIR.log" >&2; exit 1; }
rm -f "$LAB_DIR.log"
# shellcheck disable=SC1091
. "$LAB_DIR/lab.env"
ARGS=(--timeout 1 --nginx-conf "$CONF" --app-log "$APP_LOG" --error-log "$ERROR_LOG")

# calibrate: how long does one pass take here?
calout=$("$GWTOP" --bench-ticks 20 "${ARGS[@]}" 2>/dev/null || true)
cal=$(printf '%s\n' "$calout" | sed -n 's/.*wall_ms_per_tick \([0-9.]*\).*/\1/p')
cal=${cal:-50}
case $calout in
*" procs 0 "*) echo "soak: WARNING: gwtop --bench-ticks saw no processes: its passes do no work ($calout)" >&2 ;;
esac
# half the time the app is frozen and a pass waits for the 1 s probe timeout
TICKS=$(awk -v s="$SECS" -v ms="$cal" 'BEGIN { n = int(s / 2 * 1000 / (ms > 1 ? ms : 1) + s / 2 / 1.2); print (n < 50 ? 50 : n) }')
echo "soak: ${SECS}s, ~${cal} ms per pass -> --bench-ticks $TICKS (= $(awk -v n="$TICKS" 'BEGIN { printf "%.1f", n * 2 / 3600 }') h of a 2 s dashboard), fault toggled every ${TOGGLE}s"

"$GWTOP" --bench-ticks "$TICKS" "${ARGS[@]}" >"$LAB_DIR/soak.out" 2>"$LAB_DIR/soak.err" &
GW_PID=$!

# sample [LABEL] — figures of GW_PID into S_*; printed when LABEL is given.
# (Taken every second, so the last one is at most 1 s before gwtop ends.)
sample() {
	local rss fds thr zomb kids
	[ -r "/proc/$GW_PID/status" ] || return 0
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$GW_PID/status" 2>/dev/null) || return 0
	thr=$(awk '/^Threads:/ { print $2 }' "/proc/$GW_PID/status" 2>/dev/null) || return 0
	fds=$( (find "/proc/$GW_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null || true) | wc -l)
	kids=$(pgrep -c -P "$GW_PID" || true)
	zomb=$(pgrep -c -r Z -P "$GW_PID" || true)
	[ -n "$rss" ] || return 0
	S_RSS=$rss S_FDS=$fds S_ZOMB=$zomb S_THR=$thr S_KIDS=$kids S_T=$SECONDS
	[ "$zomb" -le "$max_zomb" ] || max_zomb=$zomb
	[ -z "${1:-}" ] || print_sample "$1"
}
print_sample() {
	printf 'soak: %-6s t=%4ds rss_kb=%s fds=%s threads=%s children=%s zombies=%s\n' \
		"$1" "$S_T" "$S_RSS" "$S_FDS" "$S_THR" "$S_KIDS" "$S_ZOMB"
}
S_RSS='?' S_FDS='?' S_ZOMB=0 S_THR='?' S_KIDS='?' S_T=0 max_zomb=0

SECONDS=0
sleep 5
sample start
RSS0=$S_RSS FDS0=$S_FDS
frozen=0 next_toggle=$TOGGLE next_sample=60 toggles=0
while kill -0 "$GW_PID" 2>/dev/null; do
	sleep 1
	sample
	if [ "$SECONDS" -ge "$next_toggle" ]; then
		next_toggle=$((SECONDS + TOGGLE))
		toggles=$((toggles + 1))
		if [ "$frozen" = 0 ] && [ -n "${GUNICORN_PID:-}" ]; then
			mapfile -t FROZEN < <(echo "$GUNICORN_PID"; ps -o pid= --ppid "$GUNICORN_PID" | tr -d ' ')
			kill -STOP "${FROZEN[@]}" 2>/dev/null || true
			frozen=1
		else
			kill -CONT ${FROZEN[@]+"${FROZEN[@]}"} 2>/dev/null || true
			FROZEN=()
			frozen=0
		fi
		touch "$SITE_CONF"
		printf '%s [error] 1#1: *1 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 127.0.0.1, server: lab.test, request: "GET / HTTP/1.1", upstream: "%s/", host: "x"\n' \
			"$(date '+%Y/%m/%d %H:%M:%S')" "$TARGET" >>"$ERROR_LOG"
	fi
	if [ "$SECONDS" -ge "$next_sample" ] && kill -0 "$GW_PID" 2>/dev/null; then
		next_sample=$((SECONDS + 60))
		print_sample run
	fi
	if [ "$SECONDS" -gt $((SECS + SECS / 5 + 30)) ]; then
		echo "soak: gwtop still running after ${SECONDS}s: stopping it (by PID) after the last sample"
		print_sample end
		kill "$GW_PID" 2>/dev/null || true
		STOPPED=1
		break
	fi
done
[ -n "${STOPPED:-}" ] || print_sample end
kill -CONT ${FROZEN[@]+"${FROZEN[@]}"} 2>/dev/null || true
FROZEN=()
rc=0
wait "$GW_PID" || rc=$?
[ -z "${STOPPED:-}" ] || rc=0
GW_PID=""
echo "soak: gwtop exit $rc after ${SECONDS}s, $toggles fault toggles; its report: $(tr '\n' ' ' <"$LAB_DIR/soak.out")"
if grep -q Sanitizer "$LAB_DIR/soak.err"; then
	echo "soak: SANITIZER REPORT:"; head -40 "$LAB_DIR/soak.err"; exit 1
fi
echo "soak: start rss_kb=$RSS0 fds=$FDS0 | last rss_kb=$S_RSS fds=$S_FDS | max zombies seen=$max_zomb"
[ "$rc" -le 3 ] || exit 1
