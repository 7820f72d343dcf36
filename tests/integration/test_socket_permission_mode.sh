#!/bin/bash
# Socket is srw------- root, nginx worker is nobody: socket_permission.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up socket_permission_mode
it_check_json
it_expect 2 crit socket_permission upstream
t_mentions socket_permission "$(re "$SOCKET")" "the socket $SOCKET"
t_mentions socket_permission 'nobody' "the worker user nobody"
