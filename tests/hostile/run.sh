#!/bin/bash
# tests/hostile/run.sh — run every hostile-input / fault scenario here
# (test_*.sh, TAP output each) and print "N passed, N failed, N skipped".
#   GWTOP=build/san/gwtop tests/hostile/run.sh      under ASan/UBSan
#   tests/hostile/run.sh test_log_injection.sh      one scenario
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../.." || exit 1
pass=0 fail=0 skip=0
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=("$HERE"/test_*.sh)
for t in "${tests[@]}"; do
	[ -f "$t" ] || t=$HERE/$t
	name=$(basename "$t" .sh)
	echo "# --- $name"
	bash "$t"
	case $? in
	0) pass=$((pass + 1)) ;;
	77) skip=$((skip + 1)) ;;
	*) fail=$((fail + 1)); echo "# FAILED: $name" ;;
	esac
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
