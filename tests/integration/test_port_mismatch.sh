#!/bin/bash
# gunicorn listens on another port than proxy_pass: port_mismatch names both.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up port_mismatch
it_check_json
it_expect 2 crit port_mismatch upstream
t_mentions port_mismatch "$APP_PORT" "the nginx target port $APP_PORT"
t_mentions port_mismatch "$APP_BIND_PORT" "the app's port $APP_BIND_PORT"
t_mentions port_mismatch "$(re "$(basename "$PROXY_PASS_FILE"):$PROXY_PASS_LINE")" "the proxy_pass at $(basename "$PROXY_PASS_FILE"):$PROXY_PASS_LINE"
