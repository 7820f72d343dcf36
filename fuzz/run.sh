#!/bin/bash
# fuzz/run.sh — build every libFuzzer target and run each for SECONDS
# (default 60, as in CI). Fails (exit 1) on any crash, leak, timeout or
# out-of-memory; the reproducer lands in build/fuzz/artifacts/.
#
#   fuzz/run.sh [SECONDS] [TARGET...]      targets: nginx_conf logclass sanitize report
#   fuzz/run.sh 0                          replay the corpora once (regression)
#
# Needs clang with libFuzzer (Debian: clang, libclang-rt-14-dev or the
# compiler-rt shipped with clang-14). New inputs go to
# build/fuzz/corpus/TARGET (the seeds in fuzz/corpus/TARGET are read only).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
SECS=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(nginx_conf logclass sanitize report)
CC=${FUZZ_CC:-clang}
OUT=build/fuzz
# shellcheck disable=SC2054  # -fsanitize=a,b is one flag
CFLAGS=(-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=undefined -std=gnu11 -Wall -Wextra -D_GNU_SOURCE
	-Isrc -Iprobes -DGW_VERSION='"fuzz"')

sources() {
	case $1 in
	nginx_conf) echo probes/nginx_conf.c src/util.c src/model.c ;;
	logclass) echo probes/logclass.c src/util.c src/model.c ;;
	sanitize) echo src/sanitize.c ;;
	report) echo src/report.c src/diagnose.c probes/appbind.c src/sanitize.c src/util.c src/model.c ;;
	*) echo "fuzz/run.sh: unknown target $1" >&2; exit 2 ;;
	esac
}
libs() { if [ "$1" = report ]; then echo "-ljansson -lm"; fi; }
maxlen() {
	case $1 in nginx_conf) echo 16384 ;; report) echo 8192 ;; *) echo 4096 ;; esac
}

mkdir -p "$OUT/artifacts"
fail=0
summary=()
for t in "${TARGETS[@]}"; do
	read -ra src <<<"$(sources "$t")"
	read -ra lib <<<"$(libs "$t")"
	echo "== build fuzz_$t"
	"$CC" "${CFLAGS[@]}" -o "$OUT/fuzz_$t" "fuzz/fuzz_$t.c" "${src[@]}" "${lib[@]}"
	mkdir -p "$OUT/corpus/$t"
	dict=()
	[ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
	[ "$t" = report ] && dict=(-dict=fuzz/sanitize.dict)
	echo "== run fuzz_$t for ${SECS}s"
	log="$OUT/fuzz_$t.log"
	rc=0
	if [ "$SECS" = 0 ]; then limit=(-runs=0); else limit=(-max_total_time="$SECS"); fi
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	"$OUT/fuzz_$t" "${dict[@]}" "${limit[@]}" -timeout=10 \
		-rss_limit_mb=2048 -max_len="$(maxlen "$t")" -print_final_stats=1 \
		-artifact_prefix="$OUT/artifacts/${t}-" \
		"$OUT/corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if [ "$rc" -ne 0 ]; then
		fail=1
		summary+=("FAIL fuzz_$t (exit $rc, ${execs:-?} execs): see $log")
		grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5 >&2 || true
	else
		summary+=("ok   fuzz_$t: ${execs:-?} executions in ${SECS}s")
	fi
done
echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
exit $fail
