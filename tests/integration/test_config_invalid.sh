#!/bin/bash
# Syntax error in an included file, old config still running: nginx_config_invalid with file:line.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up config_invalid
it_check_json
it_expect 2 crit nginx_config_invalid nginx
t_mentions nginx_config_invalid "$(re "$(basename "$INVALID_AT")")" "the error at $(basename "$INVALID_AT")"
