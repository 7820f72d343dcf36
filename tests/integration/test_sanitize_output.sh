#!/bin/bash
# App log with terminal escape sequences: JSON and text output carry none of them.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
# the "missing module" name carries CSI colour, an OSC title sequence and BEL;
# broken.py raises ModuleNotFoundError with it raw, so app.log holds raw ESC
export LAB_MISSING_MODULE=$'psycopg2_\e[31mred\e[0m_\e]0;pwned\a_xyz'
it_lab_up boot_failure
t_check "app.log holds the raw escape bytes" grep -q $'\e\\[31m' "$APP_LOG"
it_check_json
t_rc 2
t_json verdict.cause app_boot_failure
t_check "JSON output has no raw control bytes" "$PY" "$JCHECK" clean "$GW_OUT"
summary=$(jget verdict.summary)
[[ $summary == *psycopg2_* ]]
t_result "summary still names the module ('$summary')" $?
it_gwtop --check --nginx-conf "$CONF" --app-log "$APP_LOG"
t_rc 2
t_check "text output has no raw ESC byte" t_no_esc "$GW_OUT"
t_check "text output has no control bytes" "$PY" "$JCHECK" clean "$GW_OUT"
