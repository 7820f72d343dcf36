#!/bin/bash
# fastcgi_pass to a port nobody listens on: upstream_down.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up fastcgi_down
it_check_json
it_expect 2 crit upstream_down upstream
t_mentions upstream_down "$APP_PORT" "the fastcgi target port $APP_PORT"
