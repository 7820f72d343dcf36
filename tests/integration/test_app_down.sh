#!/bin/bash
# gunicorn stopped, nginx proxies to a dead port: upstream_down, crit.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up app_down
it_check_json
it_expect 2 crit upstream_down upstream
t_mentions upstream_down "$APP_PORT" "the target port $APP_PORT"
t_mentions upstream_down "$(re "$(basename "$PROXY_PASS_FILE"):$PROXY_PASS_LINE")" "the proxy_pass at $(basename "$PROXY_PASS_FILE"):$PROXY_PASS_LINE"
