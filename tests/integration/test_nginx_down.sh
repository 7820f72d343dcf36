#!/bin/bash
# nginx not running, gunicorn fine: nginx_down.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up nginx_down
it_check_json
it_expect 2 crit nginx_down nginx
