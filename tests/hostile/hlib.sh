# shellcheck shell=bash
# hlib.sh — extras for tests/hostile/*.sh on top of tests/integration/lib.sh
# (sourced after it): timing, TODO results, child processes to clean up.

# shellcheck disable=SC2034  # BC, H_PID, H_MS are for the sourcing test
HOSTILE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BC=("$PY" "$HOSTILE/bytecheck.py")
H_PIDS=()       # helper processes this test started (killed by PID on exit)

h_finish() {
	local rc=$? p
	for p in ${H_PIDS[@]+"${H_PIDS[@]}"}; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	(exit "$rc")
	t_finish
}

# h_init — it_init plus the helper-process cleanup.
h_init() {
	it_init
	trap h_finish EXIT
}

# h_bg CMD... — start a helper in the background, remember its PID in H_PID.
h_bg() {
	"$@" &
	H_PID=$!
	H_PIDS+=("$H_PID")
}

# h_within SECONDS CMD... — CMD until it succeeds, on a clock deadline (not
# a count of polls: each poll forks tmux or pgrep, slower on a busy machine;
# never a fixed sleep before an assertion); one last try at the deadline.
h_within() {
	local end=$(( ${EPOCHREALTIME/./} / 1000 + ${1%.*} * 1000 ))
	shift
	while [ $(( ${EPOCHREALTIME/./} / 1000 )) -lt "$end" ]; do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# h_kill PID — stop one helper now.
h_kill() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# h_timed ARGS... — it_gwtop, and H_MS = its wall time in ms.
h_timed() {
	local start
	start=$(date +%s%N)
	it_gwtop "$@"
	# shellcheck disable=SC2034
	H_MS=$((($(date +%s%N) - start) / 1000000))
}

# t_todo NAME STATUS REASON — a known bug: reported, not counted as failure.
t_todo() {
	T_N=$((T_N + 1))
	if [ "$2" = 0 ]; then
		echo "ok $T_N - $1 # TODO $3 (now passes)"
	else
		echo "not ok $T_N - $1 # TODO $3"
	fi
}

# t_asan_clean — the last gwtop run printed no sanitizer report.
t_asan_clean() {
	! grep -q 'Sanitizer' "$GW_ERR"
	t_result "no sanitizer report on stderr" $?
}
