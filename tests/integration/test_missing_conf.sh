#!/bin/bash
# --nginx-conf names a missing file: exit 3, valid JSON, status unknown.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_gwtop
it_gwtop --check --json --nginx-conf /nonexistent/gwtop-test/nginx.conf
t_rc 3
t_check "output is valid JSON" "$PY" "$JCHECK" valid "$GW_OUT"
t_json status unknown
t_check "output has no raw ESC byte" t_no_esc "$GW_OUT"
