#!/bin/bash
# fuzz/run.sh — build every libFuzzer target and run each for SECONDS
# (default 60, as in CI). Fails (exit 1) on any crash, leak, timeout or
# out-of-memory; the reproducer lands in build/fuzz/artifacts/.
#
#   fuzz/run.sh [SECONDS] [TARGET...]      targets: nginx_conf logclass sanitize report
#                                          appbind docker snapjson replay
#   fuzz/run.sh 0                          replay the corpora once (regression)
#   FUZZ_SANITIZE=leak fuzz/run.sh 2400 report   a long local run
#
# Needs clang with libFuzzer (Debian: clang, libclang-rt-14-dev or the
# compiler-rt shipped with clang-14). New inputs go to
# build/fuzz/corpus/TARGET (the seeds in fuzz/corpus/TARGET are read only).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
SECS=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(nginx_conf logclass sanitize report appbind docker snapjson replay)
CC=${FUZZ_CC:-clang}
OUT=build/fuzz
# FUZZ_SANITIZE: the sanitizers besides libFuzzer's coverage. Default
# address,undefined (CI). For long local runs FUZZ_SANITIZE=leak keeps leak
# checks and UB checks at about 4x the speed (ASan's shadow memory and page
# faults on the reports' large findings dominate the report target); clang
# 14 cannot link UBSan's runtime with LSan's, so UB then traps (a crash
# libFuzzer reports with its stack).
SAN=${FUZZ_SANITIZE:-address,undefined}
# shellcheck disable=SC2054  # -fsanitize=a,b is one flag
CFLAGS=(-g -O1 -fno-omit-frame-pointer "-fsanitize=fuzzer,$SAN"
	-fno-sanitize-recover=undefined -std=gnu11 -Wall -Wextra -D_GNU_SOURCE
	-Isrc -Iprobes -DGW_VERSION='"fuzz"')
[ "$SAN" = leak ] && CFLAGS+=(-fsanitize=undefined -fsanitize-trap=undefined)

# The sources each target links. A target that links a part without a
# file it calls gets an explicit stub file (fuzz/stubs_*.c), never a weak
# symbol: a renamed function is then a link error here, not a rule set
# that silently vanishes (make lint refuses __attribute__((weak))).
sources() {
	case $1 in
	nginx_conf) echo probes/nginx_conf.c src/addr.c src/trust.c src/util.c src/model.c ;;
	logclass) echo probes/logclass.c probes/accesslog.c probes/journal.c probes/db.c src/addr.c src/sanitize.c src/util.c src/model.c ;;
	sanitize) echo src/sanitize.c ;;
	report) echo src/report.c src/incident.c src/outfile.c src/timeline.c src/diagnose.c src/diagnose_truth.c src/causes.c probes/appbind.c src/addr.c src/util.c src/model.c fuzz/stubs_diagnose.c ;;
	appbind) echo probes/appbind.c src/util.c src/model.c ;;
	docker) echo probes/docker.c probes/curlev.c probes/logclass.c src/addr.c src/sanitize.c src/util.c src/model.c ;;
	replay) echo src/record.c src/snapjson.c src/timeline.c src/outfile.c src/report.c src/incident.c src/diagnose.c src/diagnose_truth.c src/diagnose_units.c src/diagnose_docker.c src/causes.c src/addr.c src/util.c src/model.c fuzz/stubs_logstream.c ;;
	snapjson) echo src/snapjson.c src/diagnose.c src/diagnose_truth.c src/diagnose_units.c src/diagnose_docker.c src/causes.c src/addr.c src/util.c src/model.c ;;
	*) echo "fuzz/run.sh: unknown target $1" >&2; exit 2 ;;
	esac
}
# Sources built with the sanitizers but without coverage: code another
# target fuzzes on its own, whose per-byte compares would only slow this
# one down (report: sanitize.c was half of its run time).
plain_sources() {
	case $1 in
	report | replay) echo src/sanitize.c ;;
	esac
}
libs() {
	case $1 in
	# the parser's file calls go to the harness's in-memory tree
	# a lower file cap: an include fan-out reaches it 16x sooner (same code)
	nginx_conf) echo "-DNGINX_CONF_MAX_FILES=256 -Wl,--wrap=open,--wrap=stat,--wrap=fstat,--wrap=read,--wrap=close,--wrap=glob,--wrap=globfree" ;;
	report) echo "-ljansson -lm" ;;
	logclass) echo "-lsystemd" ;;
	docker) echo "-ljansson -lcurl -lsystemd" ;;
	snapjson) echo "-ljansson -lm" ;;
	replay) echo "-ljansson -lm -lz" ;;
	esac
}
maxlen() {
	case $1 in report | docker | snapjson) echo 8192 ;; replay) echo 32768 ;; *) echo 4096 ;; esac
}
# nginx_conf: an input whose includes fan out to the 4096-file cap is slow,
# not hung (0.3 s plain, 1-15 s under ASan on a loaded machine)
timeout_of() { if [ "$1" = nginx_conf ]; then echo 60; else echo 10; fi; }

mkdir -p "$OUT/artifacts"
fail=0
summary=()
for t in "${TARGETS[@]}"; do
	read -ra src <<<"$(sources "$t")"
	read -ra lib <<<"$(libs "$t")"
	echo "== build fuzz_$t"
	read -ra plain <<<"$(plain_sources "$t")"
	objs=()
	for f in "${plain[@]}"; do
		o=$OUT/plain-$t-$(basename "$f" .c).o
		"$CC" "${CFLAGS[@]/-fsanitize=fuzzer,/-fsanitize=}" -c -o "$o" "$f"
		objs+=("$o")
	done
	"$CC" "${CFLAGS[@]}" -o "$OUT/fuzz_$t" "fuzz/fuzz_$t.c" "${src[@]}" "${objs[@]}" "${lib[@]}"
	mkdir -p "$OUT/corpus/$t"
	dict=()
	[ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
	[ "$t" = report ] && dict=(-dict=fuzz/sanitize.dict)
	echo "== run fuzz_$t for ${SECS}s"
	log="$OUT/fuzz_$t.log"
	rc=0
	if [ "$SECS" = 0 ]; then limit=(-runs=0); else limit=(-max_total_time="$SECS"); fi
	# entropic_scale_per_exec_time: spend the time on fast inputs (an
	# nginx_conf input with include fan-out costs 100x a plain one);
	# reload=0: no re-read of the output corpus every few seconds (there
	# are no parallel jobs to pick inputs up from; 23k files cost 7%)
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	"$OUT/fuzz_$t" "${dict[@]}" "${limit[@]}" -timeout="$(timeout_of "$t")" \
		-rss_limit_mb=2048 -max_len="$(maxlen "$t")" -print_final_stats=1 \
		-entropic_scale_per_exec_time=1 -reload=0 \
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
