#!/bin/bash
# repeat.sh — run the suite N times, each time in a fresh clone of the
# current HEAD, and print a table: test x failures.
#
#   tests/repeat.sh [PATTERN]            N=5 by default
#   N=3 STRESS=1 tests/repeat.sh docker/     or: make test-repeat N=3 STRESS=1 PATTERN=docker/
#
# Each run: `git clone` of this repository into a new mktemp dir (mode 0700,
# as /root is: tests that run gwtop as another user must cope), checkout of
# the commit HEAD was at the start, `make gwtop unit` there, then
# `tests/run.sh PATTERN`; the clone is removed after the run. What is not
# committed is not tested (the clone has only HEAD).
#
# STRESS=1 keeps `stress-ng --cpu $(nproc)` running beside the runs (both
# CPUs busy: the machine-speed assumptions show); it is started once,
# before the first clone, and ended by its PID at the end, on any exit.
# SANITIZE=1 builds the clones with the sanitizers (build/san).
#
# The report: one line per run (passed/failed/skipped, seconds), then the
# table of every test run (failures / runs, in which runs; the failing ones
# first), then each failed run's failing checks (the FAIL / not ok lines
# tests/run.sh repeats at its end). The full logs of runs with a failure
# are kept in a directory named at the end; with no failure it is removed.
# Exit 0 when every run passed, 1 otherwise.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
PATTERN=${1:-${PATTERN:-}}
N=${N:-5}
STRESS=${STRESS:-0}
SANITIZE=${SANITIZE:-0}
JOBS=$(nproc 2>/dev/null || echo 2)

case $N in '' | *[!0-9]*) echo "repeat: N must be a number (got '$N')" >&2; exit 2 ;; esac
REV=$(git -C "$SRC" rev-parse HEAD) || { echo "repeat: $SRC is not a git repository" >&2; exit 2; }
if [ -n "$(git -C "$SRC" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	echo "repeat: note: uncommitted changes in $SRC are not in the clones (HEAD $REV only)"
fi
OBJDIR=build/rel
[ "$SANITIZE" = 1 ] && OBJDIR=build/san

LOGS=$(mktemp -d /tmp/gwtop-repeat-logs.XXXXXX)
CLONE=""
STRESS_PID=""
cleanup() {
	if [ -n "$STRESS_PID" ]; then
		kill "$STRESS_PID" 2>/dev/null
		wait "$STRESS_PID" 2>/dev/null
		STRESS_PID=""
	fi
	[ -z "$CLONE" ] || rm -rf -- "$CLONE"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$STRESS" = 1 ]; then
	command -v stress-ng >/dev/null || { echo "repeat: STRESS=1 needs stress-ng (make deps)" >&2; exit 2; }
	stress-ng --cpu "$JOBS" --timeout 0 --quiet >/dev/null 2>&1 &
	STRESS_PID=$!
	echo "repeat: stress-ng --cpu $JOBS running beside the suite (pid $STRESS_PID)"
fi

LOAD=""
[ "$STRESS" = 1 ] && LOAD=", stress-ng --cpu $JOBS beside"
echo "repeat: $N run(s) of tests/run.sh${PATTERN:+ $PATTERN} on fresh clones of $REV$LOAD"
declare -A FAILS=() RUNS=() WHICH=()
summary=()
bad_runs=0
for ((i = 1; i <= N; i++)); do
	log=$LOGS/run$i.log
	CLONE=$(mktemp -d /tmp/gwtop-repeat.XXXXXX)
	start=$SECONDS
	{
		git clone -q --no-checkout "$SRC" "$CLONE/gwtop" &&
			git -C "$CLONE/gwtop" checkout -q "$REV" &&
			make -s -C "$CLONE/gwtop" -j"$JOBS" SANITIZE="$SANITIZE" gwtop unit
	} >"$log.build" 2>&1
	brc=$?
	if [ "$brc" != 0 ]; then
		summary+=("run $i: clone/build FAILED (exit $brc), see $log.build")
		FAILS[build]=$((${FAILS[build]:-0} + 1))
		RUNS[build]=$((${RUNS[build]:-0} + 1))
		WHICH[build]="${WHICH[build]:+${WHICH[build]} }$i"
		bad_runs=$((bad_runs + 1))
		rm -rf -- "$CLONE"
		CLONE=""
		continue
	fi
	(cd "$CLONE/gwtop" && OBJDIR=$OBJDIR tests/run.sh "$PATTERN") >"$log" 2>&1
	rc=$?
	rm -rf -- "$CLONE"
	CLONE=""
	while read -r verdict name _; do
		RUNS[$name]=$((${RUNS[$name]:-0} + 1))
		if [ "$verdict" = FAIL ]; then
			FAILS[$name]=$((${FAILS[$name]:-0} + 1))
			WHICH[$name]="${WHICH[$name]:+${WHICH[$name]} }$i"
		fi
	done < <(grep -aE '^(PASS|FAIL|SKIP)  ' "$log")
	last=$(tail -n 1 "$log")
	summary+=("run $i: $last ($((SECONDS - start)) s)")
	echo "  ${summary[-1]}"
	[ "$rc" = 0 ] || bad_runs=$((bad_runs + 1))
done

echo
echo "== $N run(s)${PATTERN:+ of $PATTERN}, $bad_runs with a failure$LOAD"
printf '%-42s %9s  %s\n' "test" "failures" "failed in runs"
any=0
for name in $(for k in "${!RUNS[@]}"; do printf '%s %s\n' "${FAILS[$k]:-0}" "$k"; done | sort -k1,1nr -k2 | awk '{print $2}'); do
	[ "${FAILS[$name]:-0}" = 0 ] || any=1
	printf '%-42s %5s/%-3s %s\n' "$name" "${FAILS[$name]:-0}" "${RUNS[$name]}" "${WHICH[$name]:-}"
done

if [ "$any" = 1 ] || [ "$bad_runs" -gt 0 ]; then
	echo
	echo "== failing checks per run"
	for ((i = 1; i <= N; i++)); do
		[ -f "$LOGS/run$i.log" ] || continue
		if grep -q '^failed: ' "$LOGS/run$i.log"; then
			echo "run $i:"
			sed -n '/^failed: /,$p' "$LOGS/run$i.log" | sed 's/^/  /'
		fi
	done
	echo
	echo "full logs: $LOGS (run<i>.log: tests/run.sh's output; run<i>.log.build: clone and build)"
	exit 1
fi
rm -rf -- "$LOGS"
exit 0
