#!/bin/bash
# detect.sh — time to detect: the dashboard runs on a healthy lab at its
# default interval (2 s) in a 120x40 tmux pane; then
#   app_killed:  the lab's gunicorn is killed by its PID;
#   route_broken: site.conf's proxy_pass is pointed at a port nobody
#                 listens on and nginx reloaded (a deploy that breaks routing);
# and a client then requests through nginx until it gets a 5xx. Printed:
# milliseconds from that first failing request to the header showing CRIT
# (0 when the header was red before the client saw a failure: the process
# exit or the reload was seen first), and from the fault itself; median of
# BENCH_RUNS (5) labs each. Prints figures; asserts nothing.
#
#   bench/detect.sh          (root: the lab needs it; ./gwtop built)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
GW=$ROOT/gwtop
RUNS=${BENCH_RUNS:-5}
SOCK=gwdetect-$$
W=$(mktemp -d /var/tmp/gwtop-detect.XXXXXX)
chmod 0755 "$W"
LAB=""
cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null || true
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"
	if [ -n "$LAB" ]; then tests/lab/lab.sh down "$LAB" >/dev/null 2>&1 || true; fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
cap() { tmux -u -L "$SOCK" capture-pane -p -t d 2>/dev/null; }

# one_run FAULT -> prints "FROM_REQUEST FROM_FAULT" (ms)
one_run() {
	local fault=$1 t_fault t_fail="" t_crit="" code end
	LAB=$W/lab
	tests/lab/lab.sh up "$LAB" healthy >"$W/lab.log" 2>&1 || { cat "$W/lab.log" >&2; return 1; }
	# shellcheck disable=SC1091
	. "$LAB/lab.env"
	tmux -u -L "$SOCK" new-session -d -s d -x 120 -y 40 \
		"env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=tmux-256color $GW --nginx-conf $CONF"
	end=$(( $(now_ms) + 20000 ))
	until cap | grep -Eq '^ ✓ OK +healthy'; do
		[ "$(now_ms)" -lt "$end" ] || { echo "dashboard never healthy" >&2; return 1; }
		sleep 0.05
	done
	sleep 2.5                                    # settle: somewhere between two ticks
	t_fault=$(now_ms)
	case $fault in
	app_killed) kill -TERM "$GUNICORN_PID" ;;
	route_broken)
		sed -i "s|proxy_pass http://127.0.0.1:$APP_PORT;|proxy_pass http://127.0.0.1:$OTHER_PORT;|" "$SITE_CONF"
		/usr/sbin/nginx -c "$CONF" -p "$LAB/" -s reload 2>/dev/null ;;
	esac
	end=$(( t_fault + 15000 ))
	while [ "$(now_ms)" -lt "$end" ] && { [ -z "$t_fail" ] || [ -z "$t_crit" ]; }; do
		if [ -z "$t_fail" ]; then
			code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$NGINX_PORT/" || true)
			[[ $code == 5* ]] && t_fail=$(now_ms)
		fi
		if [ -z "$t_crit" ] && cap | grep -Eq '^ ✗ CRIT '; then t_crit=$(now_ms); fi
		[ -n "$t_fail" ] && [ -z "$t_crit" ] && sleep 0.01
	done
	tmux -L "$SOCK" kill-server 2>/dev/null || true
	tests/lab/lab.sh down "$LAB" >/dev/null 2>&1 || true
	LAB=""
	[ -n "$t_fail" ] && [ -n "$t_crit" ] || { echo "no failure or no CRIT within 15 s" >&2; return 1; }
	local from_req=$((t_crit - t_fail))
	[ "$from_req" -ge 0 ] || from_req=0
	echo "$from_req $((t_crit - t_fault))"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "?" }'; }

echo "== time to detect (gwtop at its default --interval 2; median of $RUNS labs each; load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-14s %22s %18s %12s\n' fault "first 5xx -> CRIT ms" "fault -> CRIT ms" "--interval"
for fault in app_killed route_broken; do
	: >"$W/r"
	for ((i = 0; i < RUNS; i++)); do one_run "$fault" >>"$W/r" || true; done
	printf '%-14s %22s %18s %12s\n' "$fault" "$(cut -d' ' -f1 "$W/r" | median)" \
		"$(cut -d' ' -f2 "$W/r" | median)" "2000 ms"
	sed 's/^/    run: /' "$W/r"
done
