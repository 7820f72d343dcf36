#!/bin/bash
# Socket in a 0700 directory, nginx worker is nobody: socket_permission names the directory.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up socket_permission_dir
it_check_json
it_expect 2 crit socket_permission upstream
# the denying component is the directory itself, not just the socket below it
t_mentions socket_permission "$(re "$DENY_PATH")(?!/app\\.sock)" "the denying directory $DENY_PATH"
t_mentions socket_permission 'nobody' "the worker user nobody"
