#!/bin/bash
# App slower than proxy_read_timeout: 504, upstream_timeout.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up read_timeout
it_check_json
it_expect 2 crit upstream_timeout app
t_mentions upstream_timeout 'timed out|proxy_read_timeout|504' "the timeout"
