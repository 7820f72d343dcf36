#!/bin/bash
# run.sh — the whole suite, as `make test` runs it: every unit test binary
# ($OBJDIR/tests/test_*, cmocka), then every real-stack scenario
# (tests/integration/test_*.sh: real nginx + gunicorn, needs root).
#
#   OBJDIR=build/rel tests/run.sh [PATTERN]
#
# PATTERN (a substring) limits the run to matching test names.  GWTOP names
# the binary under test (default ./gwtop).  V=1 prints
# every test's output, not only failures'.  A test exiting 77 is skipped.
# The last line is always "N passed, N failed, N skipped"; exit 1 on any
# failure.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
OBJDIR=${OBJDIR:-build/rel}
PATTERN=${1:-}
V=${V:-0}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-120}
IT_TIMEOUT=${IT_TIMEOUT:-240}
GWTOP=${GWTOP:-$PWD/gwtop}     # the binary the scenarios run
export GWTOP

passed=0
failed=0
skipped=0
failures=()
failing_checks=()   # the FAIL / not ok lines of failed tests, repeated at the end

LOGDIR=$(mktemp -d /tmp/gwtop-run.XXXXXX)
trap 'rm -rf -- "$LOGDIR"' EXIT
trap 'exit 130' INT TERM

# record NAME RC LOG SECONDS
record() {
	local name=$1 rc=$2 log=$3 secs=$4
	case $rc in
	0)
		passed=$((passed + 1))
		printf 'PASS  %-40s %3ss\n' "$name" "$secs"
		[ "$V" = 0 ] || sed 's/^/      /' "$log"
		;;
	77)
		skipped=$((skipped + 1))
		printf 'SKIP  %-40s %s\n' "$name" "$(grep -m1 -o 'SKIP.*' "$log" || true)"
		;;
	*)
		failed=$((failed + 1))
		failures+=("$name")
		if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
			printf 'FAIL  %-40s %3ss (timed out)\n' "$name" "$secs"
		else
			printf 'FAIL  %-40s %3ss (exit %s)\n' "$name" "$secs" "$rc"
		fi
		head -n 400 "$log" | sed 's/^/      /'
		local line
		while IFS= read -r line; do
			failing_checks+=("$name: $line")
		done < <(grep -aE '^(FAIL|not ok|\[  FAILED  \]|\[  ERROR   \])' "$log" | head -n 20)
		;;
	esac
}

# run_one NAME TIMEOUT CMD...
run_one() {
	local name=$1 limit=$2 log rc start
	shift 2
	log=$LOGDIR/$(basename "$name").log
	start=$SECONDS
	timeout -k 10 "$limit" "$@" >"$log" 2>&1 </dev/null
	rc=$?
	record "$name" "$rc" "$log" $((SECONDS - start))
}

selected() { [ -z "$PATTERN" ] || [[ $1 == *"$PATTERN"* ]]; }

echo "== unit tests ($OBJDIR/tests)"
shopt -s nullglob
units=("$OBJDIR"/tests/test_*)
if [ ${#units[@]} = 0 ]; then
	echo "   (no unit test binaries in $OBJDIR/tests: run make unit)"
fi
for bin in "${units[@]}"; do
	if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
		continue
	fi
	name=unit/$(basename "$bin")
	selected "$name" || continue
	run_one "$name" "$UNIT_TIMEOUT" "$bin"
done

echo "== integration tests (real nginx + gunicorn, TUI in tmux, hostile input, ...)"
shopt -s nullglob
scenarios=(tests/integration/test_*.sh tests/tui/test_*.sh tests/logs/test_*.sh tests/hostile/test_*.sh tests/security/test_*.sh
	tests/systemd/test_*.sh tests/systemd/run.sh tests/docker/test_*.sh tests/docker/run.sh)
shopt -u nullglob
if [ "$(id -u)" != 0 ]; then
	echo "   skipping ${#scenarios[@]} integration scenarios: they need root (nginx workers run as nobody); run: sudo make test"
	for s in "${scenarios[@]}"; do
		name=$(basename "$(dirname "$s")")/$(basename "$s" .sh)
		selected "$name" || continue
		skipped=$((skipped + 1))
		printf 'SKIP  %-40s %s\n' "$name" "not root"
	done
elif [ ! -x "$GWTOP" ]; then
	echo "   no gwtop binary at $GWTOP: run make gwtop (counting the scenarios as failed)"
	for s in "${scenarios[@]}"; do
		name=$(basename "$(dirname "$s")")/$(basename "$s" .sh)
		selected "$name" || continue
		failed=$((failed + 1))
		failures+=("$name")
		printf 'FAIL  %-40s %s\n' "$name" "no gwtop binary"
	done
else
	for s in "${scenarios[@]}"; do
		name=$(basename "$(dirname "$s")")/$(basename "$s" .sh)
		selected "$name" || continue
		tmo=$IT_TIMEOUT
		case $name in systemd/* | docker/* | logs/*) tmo=$((IT_TIMEOUT * 3)) ;; esac
		run_one "$name" "$tmo" bash "$s"
	done
fi

if [ "$failed" -gt 0 ]; then
	echo "failed: ${failures[*]}"
	for c in "${failing_checks[@]}"; do
		printf '  %s\n' "$c"
	done
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
