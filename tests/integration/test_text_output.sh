#!/bin/bash
# --check text output (no --json) names the cause and has no escape bytes.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up app_down
it_gwtop --check --nginx-conf "$CONF" --app-log "$APP_LOG"
t_rc 2
t_check "text output names upstream_down" grep -q 'upstream_down' "$GW_OUT"
t_check "text output has no raw ESC byte" t_no_esc "$GW_OUT"
t_check "text output has no control bytes" "$PY" "$JCHECK" clean "$GW_OUT"
