#!/bin/bash
# proxy_pass through a variable. Set to an address literal, nginx needs no
# resolver and gwtop knows the target (healthy, target probed). Set to a
# name with no resolver, nginx answers 502 with "no resolver defined to
# resolve localhost": upstream_resolve_failure, never healthy.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up variable_target
it_check_json
it_expect 0 ok healthy
t_json targets.0.target "127.0.0.1:$APP_PORT"
t_json targets.0.http_status 200
"$LAB" down "$LAB_DIR" >/dev/null 2>&1
LAB_DIR=""

it_lab_up variable_noresolver
it_check_json
it_expect 2 crit upstream_resolve_failure nginx
t_mentions upstream_resolve_failure "no resolver defined to resolve localhost" "nginx's own error line"
t_json hops.0.status fail
