#!/bin/bash
# nginx was started with a target nobody listens on; the file on disk now
# names the app's port, nginx was not reloaded: every request fails against
# the old address. error.log names the address nginx really used; the
# on-disk target answers. nginx_config_stale at crit, not warn.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up stale_failing
it_check_json
it_expect 2 crit nginx_config_stale nginx
t_mentions nginx_config_stale "$(re "$OLD_TARGET")" "the address nginx used ($OLD_TARGET)"
t_mentions nginx_config_stale "$(re "$(basename "$STALE_FILE")")" "the edited file"
t_mentions nginx_config_stale "through nginx: HTTP 502" "the failing request through nginx"
t_json hops.0.status fail
