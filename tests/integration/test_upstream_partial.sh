#!/bin/bash
# Upstream block with one dead and one live server: warn, not crit.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up upstream_partial
it_check_json
t_rc 1
t_json status warn
t_mentions '*' "$(re "$DEAD_SERVER")" "the dead server $DEAD_SERVER"
