#!/bin/bash
# A fork storm against the healthy lab: tests/hostile/forkstorm.c starts
# short-lived processes as fast as the machine manages (at most 10,000/s)
# for 10 s, some renamed "gunicorn", while the dashboard runs in tmux and
# `gwtop --check --json` runs again and again. Every --check must exit 0
# with the verdict "healthy" and clean JSON, no sanitizer report; the
# dashboard stays up, still shows the healthy header afterwards and quits
# with `q`. Prints the fork rate reached.
#   GWTOP=build/san/gwtop tests/hostile/test_fork_storm.sh     under ASan/UBSan
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/lib.sh
. "$HERE/../integration/lib.sh"
# shellcheck source=tests/hostile/hlib.sh
. "$HERE/hlib.sh"
h_init
it_require_root
it_require_gwtop
command -v tmux >/dev/null || it_skip "no tmux"
command -v cc >/dev/null || it_skip "no C compiler for the generator"
SOCK=gwfork-$$
TM=(tmux -L "$SOCK" -f /dev/null)
tui_stop() {
	local p
	p=$("${TM[@]}" display-message -p '#{pid}' 2>/dev/null)
	"${TM[@]}" kill-server 2>/dev/null
	[ -n "$p" ] || return 0
	h_within 5 eval '! kill -0 "$p" 2>/dev/null'
	return 0
}
trap 'rc=$?; tui_stop; (exit $rc); h_finish' EXIT

# static if the toolchain can (fork() copies fewer page tables), else plain
cc -O2 -static -o "$OUT/forkstorm" "$HERE/forkstorm.c" 2>/dev/null ||
	cc -O2 -o "$OUT/forkstorm" "$HERE/forkstorm.c" || it_skip "cannot build forkstorm.c"

it_lab_up healthy
GW_TIMEOUT=60
ARGS=(--nginx-conf "$CONF" --timeout 1)
[ ! -f "$APP_LOG" ] || ARGS+=(--app-log "$APP_LOG")

# the dashboard, in tmux; its exit code lands in $OUT/exit
"${TM[@]}" new-session -d -x 120 -y 40 -s s \
	"env TERM=xterm-256color LANG=C.UTF-8 '$GWTOP' ${ARGS[*]} --interval 1; echo \$? > '$OUT/exit'; sleep 600"
# shellcheck disable=SC2034  # read by h_within's eval
pane=$("${TM[@]}" display-message -p -t s '#{pane_pid}')
GW_PID=""
h_within 10 eval 'GW_PID=$(pgrep -P "$pane" -x gwtop | head -1); [ -n "$GW_PID" ]'
screen() { "${TM[@]}" capture-pane -p -t s 2>/dev/null; }
on_screen() { screen | grep -qE -- "$1"; }
wait_screen() { h_within "$2" on_screen "$1"; }
alive() { [ -n "$1" ] && [ -e "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat")" != Z ]; }
wait_screen "^ ✓ OK +healthy" 20
t_result "dashboard up and healthy before the storm (pid ${GW_PID:-?})" $?

# one generator per CPU, 10,000/s in all: a single one tops out near the
# machine's fork rate for one core, and gwtop competes for it
GEN=$(nproc 2>/dev/null || echo 1)
[ "$GEN" -ge 1 ] || GEN=1
[ "$GEN" -le 4 ] || GEN=4
STORMS=()
for g in $(seq 1 "$GEN"); do
	h_bg "$OUT/forkstorm" $((10000 / GEN)) 10 >"$OUT/storm.$g.out"
	STORMS+=("$H_PID")
done
cpu0=$(awk '{print $14 + $15}' "/proc/$GW_PID/stat" 2>/dev/null || echo 0)
storming() { local p; for p in "${STORMS[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
runs=0 bad=0 dirty=0
while storming; do
	it_gwtop --check --json "${ARGS[@]}"
	runs=$((runs + 1))
	cause=$(jget verdict.cause)
	if [ "$GW_RC" != 0 ] || [ "$cause" != healthy ]; then
		bad=$((bad + 1))
		echo "# run $runs: exit $GW_RC, cause '$cause'"
	fi
	if ! "${BC[@]}" json "$GW_OUT" >/dev/null 2>&1 || grep -q Sanitizer "$GW_ERR"; then
		dirty=$((dirty + 1))
		echo "# run $runs: unclean output or a sanitizer report"
		sed 's/^/#   /' "$GW_ERR" | head -20
	fi
	alive "$GW_PID" || break
	# paced: --check back to back would take a CPU from the storm (on 2 vCPUs
	# the two generators alone reach ~9,800/s)
	sleep 1
done
for p in "${STORMS[@]}"; do wait "$p" 2>/dev/null; done
cpu1=$(awk '{print $14 + $15}' "/proc/$GW_PID/stat" 2>/dev/null || echo 0)
forks=0 rate=0 secs=0 peak=0
for g in $(seq 1 "$GEN"); do
	read -r f s r p <"$OUT/storm.$g.out" || continue
	forks=$((forks + f)); rate=$((rate + ${r%.*})); peak=$((peak + p)); secs=$s
done
echo "# fork storm: $forks processes in $secs s = $rate/s from $GEN generators (at most $peak alive at once);" \
	"the dashboard used $(( (cpu1 - cpu0) * 1000 / $(getconf CLK_TCK) )) ms CPU meanwhile"
[ "${forks:-0}" -gt 1000 ]
t_result "the storm ran: ${forks:-0} processes started" $?
[ "$runs" -ge 2 ] && [ "$bad" = 0 ]
t_result "$runs --check runs during the storm: every one exit 0, verdict healthy ($bad not)" $?
[ "$dirty" = 0 ]
t_result "--check output valid, clean JSON, no sanitizer report ($dirty not)" $?

alive "$GW_PID"
t_result "the dashboard survived the storm" $?
wait_screen "^ ✓ OK +healthy" 15
t_result "the dashboard still shows the healthy header" $?
"${TM[@]}" send-keys -t s q
h_within 10 test -s "$OUT/exit"
code=$(cat "$OUT/exit" 2>/dev/null)
[ "$code" = 0 ]
t_result "q quits the dashboard with exit code 0 (got '$code')" $?
