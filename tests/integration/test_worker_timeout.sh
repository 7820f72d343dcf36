#!/bin/bash
# gunicorn --timeout 2 kills a worker mid-request: app_crash_during_request.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up worker_timeout
it_check_json
it_expect 2 crit app_crash_during_request app
t_mentions app_crash_during_request 'WORKER TIMEOUT|prematurely closed' "the worker timeout / premature close"
