#!/bin/bash
# make bench — gwtop's probe cost side by side with the tools an operator
# would run by hand, in one run, as ratios. Prints figures; never fails on
# absolute times.
#
#  1. load: 1,000 extra processes + 10,000 TCP listeners on 127.0.0.1, and a
#     real lab (nginx + gunicorn) so every probe has work to do
#  2. one `gwtop --check` pass vs `ss -ltnp` + `ps aux` (wall and CPU)
#  3. one dashboard tick (gwtop --bench-ticks: no nginx -t when no config
#     file changed) vs the same sum
#  4. --check with a 1 GiB error.log vs a 1 KiB one (and grep over the 1 GiB)
#  5. htop (if installed) vs the gwtop dashboard: CPU per refresh in tmux
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
GW=$ROOT/gwtop
RUNS=${BENCH_RUNS:-5}
NPROCS=${BENCH_PROCS:-1000}
NLISTEN=${BENCH_LISTENERS:-10000}
W=$(mktemp -d /var/tmp/gwtop-bench.XXXXXX)
LOADPID=""
LAB=""
cleanup() {
	if [ -n "$LOADPID" ]; then stop_load; fi
	if [ -n "$LAB" ]; then tests/lab/lab.sh down "$LAB" >/dev/null 2>&1 || true; fi
	rm -rf "$W"
}
# the load runs in its own process group: end the whole group, by its id
stop_load() {
	kill -TERM -- "-$LOADPID" 2>/dev/null || true
	sleep 1
	kill -KILL -- "-$LOADPID" 2>/dev/null || true
	wait "$LOADPID" 2>/dev/null || true
	LOADPID=""
}
trap cleanup EXIT

# run CMD RUNS times; print "wall_ms cpu_ms" medians (CPU = user+sys of the children)
measure() {
	local walls=() cpus=() i t0 t1 c0 c1 me=$BASHPID   # $BASHPID inside $(...) would be that subshell
	for ((i = 0; i < RUNS; i++)); do
		c0=$(awk '{print $16+$17}' "/proc/$me/stat")
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 || true
		t1=$(date +%s%N)
		c1=$(awk '{print $16+$17}' "/proc/$me/stat")
		walls+=($(( (t1 - t0) / 1000000 )))
		cpus+=($(( (c1 - c0) * 1000 / $(getconf CLK_TCK) )))
	done
	printf '%s %s\n' "$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$((RUNS / 2 + 1))p")" \
		"$(printf '%s\n' "${cpus[@]}" | sort -n | sed -n "$((RUNS / 2 + 1))p")"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }

ulimit -n "$(ulimit -Hn)"
echo "gwtop bench — $(date -u +%FT%TZ) — $(nproc) CPUs — median of $RUNS runs"
LAB=$W/lab
if tests/lab/lab.sh up "$LAB" healthy >"$W/lab.log" 2>&1; then
	# shellcheck disable=SC1091
	. "$LAB/lab.env"
	GWARGS=(--nginx-conf "$CONF")
else
	echo "(lab did not start: measuring without nginx; see $W/lab.log)"; cat "$W/lab.log"
	LAB=""; GWARGS=()
fi
/usr/bin/python3 bench/load.py "$NPROCS" "$NLISTEN" "$W/ready" &
LOADPID=$!
for _ in $(seq 600); do [ -s "$W/ready" ] && break; sleep 0.1; done
echo "load: $(cat "$W/ready" 2>/dev/null || echo '? ?') (processes listeners) + lab; $(find /proc -maxdepth 1 -name '[0-9]*' 2>/dev/null | wc -l) processes in all"
echo

read -r ss_w ss_c < <(measure ss -ltnp)
read -r ps_w ps_c < <(measure ps aux)
sum_w=$((ss_w + ps_w)); sum_c=$((ss_c + ps_c))
read -r ck_w ck_c < <(measure "$GW" --check --json "${GWARGS[@]}")
tick=$("$GW" --bench-ticks 10 "${GWARGS[@]}")
tk_w=$(awk '{print $4}' <<<"$tick"); tk_c=$(awk '{print $6}' <<<"$tick")

printf '%-44s %10s %10s\n' "" "wall ms" "cpu ms"
printf '%-44s %10s %10s\n' "ss -ltnp" "$ss_w" "$ss_c"
printf '%-44s %10s %10s\n' "ps aux" "$ps_w" "$ps_c"
printf '%-44s %10s %10s\n' "ss -ltnp + ps aux (anchor)" "$sum_w" "$sum_c"
printf '%-44s %10s %10s   ratio wall %s cpu %s (target <= 1.0x)\n' "gwtop --check (one full pass)" "$ck_w" "$ck_c" \
	"$(ratio "$ck_w" "$sum_w")" "$(ratio "$ck_c" "$sum_c")"
printf '%-44s %10s %10s   ratio wall %s cpu %s (target <= 0.5x)\n' "gwtop dashboard tick (mean of 10)" "$tk_w" "$tk_c" \
	"$(ratio "$tk_w" "$sum_w")" "$(ratio "$tk_c" "$sum_c")"
echo "  (a tick's wall time includes waiting for the HTTP answers of the upstreams; its CPU is the work)"
echo

stop_load

# big log: 1 GiB of real error.log lines vs 1 KiB
line='2026/11/25 10:00:00 [error] 41#41: *5 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: _, request: "GET / HTTP/1.1", upstream: "http://127.0.0.1:8000/", host: "localhost"'
{ yes "$line" || true; } | head -c 1024 >"$W/small.log"      # yes ends by SIGPIPE: not a failure
{ yes "$line" || true; } | head -c $((1 << 30)) >"$W/big.log"
read -r sm_w sm_c < <(measure "$GW" --check --json "${GWARGS[@]}" --error-log "$W/small.log")
read -r bg_w bg_c < <(measure "$GW" --check --json "${GWARGS[@]}" --error-log "$W/big.log")
# through a pipe: GNU grep stops at the first match when its output is /dev/null
read -r gr_w gr_c < <(measure sh -c 'grep -c "connect() failed" "$1" | cat' sh "$W/big.log")
printf '%-44s %10s %10s\n' "gwtop --check, 1 KiB error.log" "$sm_w" "$sm_c"
printf '%-44s %10s %10s   ratio to 1 KiB: wall %s\n' "gwtop --check, 1 GiB error.log" "$bg_w" "$bg_c" "$(ratio "$bg_w" "$sm_w")"
printf '%-44s %10s %10s   (anchor: reading the whole file)\n' "grep -c over the 1 GiB error.log" "$gr_w" "$gr_c"
rm -f "$W/big.log"

# dashboards: CPU over 10 s in tmux, htop vs gwtop (both refresh every 2 s)
if command -v htop >/dev/null && command -v tmux >/dev/null && "$GW" --help | grep -q dashboard; then
	echo
	sock="gwbench$$"
	dash_cpu() {   # name cmd... -> CPU ms over 10 s
		tmux -L "$sock" new-session -d -x 120 -y 40 "$@"
		sleep 1
		local pid; pid=$(tmux -L "$sock" list-panes -F '#{pane_pid}')
		local c0 c1; c0=$(awk '{print $14+$15}' "/proc/$pid/stat")
		sleep 10
		c1=$(awk '{print $14+$15}' "/proc/$pid/stat")
		tmux -L "$sock" kill-server 2>/dev/null || true
		echo $(( (c1 - c0) * 1000 / $(getconf CLK_TCK) ))
	}
	h=$(dash_cpu htop -d 20)
	g=$(dash_cpu "$GW" --interval 2 "${GWARGS[@]}")
	printf '%-44s %10s   ratio %s\n' "htop -d 20, CPU ms over 10 s" "$h" ""
	printf '%-44s %10s   ratio to htop %s\n' "gwtop dashboard, CPU ms over 10 s" "$g" "$(ratio "$g" "$h")"
else
	echo "(htop or the dashboard not available: dashboard comparison skipped; apt-get install htop)"
fi
