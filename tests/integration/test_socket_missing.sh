#!/bin/bash
# proxy_pass to a unix socket that does not exist: socket_missing.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up socket_missing
it_check_json
it_expect 2 crit socket_missing upstream
t_mentions socket_missing "$(re "$SOCKET")" "the socket path"
t_mentions socket_missing "$(re "$(basename "$PROXY_PASS_FILE"):$PROXY_PASS_LINE")" "the proxy_pass at $(basename "$PROXY_PASS_FILE"):$PROXY_PASS_LINE"
