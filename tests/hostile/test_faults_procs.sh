#!/bin/bash
# Processes appearing and exiting during the scan (/proc entries vanishing
# mid-read): a forking storm runs while gwtop does 50 dashboard passes
# (--bench-ticks 50). Best with the sanitizer build:
#   make SANITIZE=1 build/san/gwtop && GWTOP=build/san/gwtop tests/hostile/test_faults_procs.sh
# No crash, no sanitizer report, exit 0..3, clean output.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/lib.sh
. "$HERE/../integration/lib.sh"
# shellcheck source=tests/hostile/hlib.sh
. "$HERE/hlib.sh"
h_init
it_require_root
it_require_gwtop
it_lab_up healthy
GW_TIMEOUT=300

h_bg "$PY" "$HERE/churn.py" 12 >"$OUT/churn.out"
CHURN=$H_PID
h_timed --bench-ticks 50 --timeout 1 --nginx-conf "$CONF" --app-log "$APP_LOG"
t_result "50 passes under process churn: exit $GW_RC (0..3) in ${H_MS} ms" "$([ "$GW_RC" -le 3 ]; echo $?)"
t_asan_clean
h_timed --check --json --timeout 1 --nginx-conf "$CONF" --app-log "$APP_LOG"
t_check "--check under churn: valid, clean JSON" "${BC[@]}" json "$GW_OUT"
t_asan_clean
t_json verdict.cause healthy
h_timed --check --timeout 1 --nginx-conf "$CONF" --app-log "$APP_LOG"
t_check "--check text under churn: clean" "${BC[@]}" text "$GW_OUT"
wait "$CHURN" 2>/dev/null
echo "# churn: $(cat "$OUT/churn.out" 2>/dev/null || echo '?') processes forked in 12 s"
