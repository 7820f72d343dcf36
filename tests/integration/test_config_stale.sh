#!/bin/bash
# Config edited after the last reload, nginx still serves the old one: nginx_config_stale, warn.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up config_stale
it_check_json
it_expect 1 warn nginx_config_stale nginx
t_mentions nginx_config_stale "$(re "$(basename "$STALE_FILE")")" "the edited file $(basename "$STALE_FILE")"
