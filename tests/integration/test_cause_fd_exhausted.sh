#!/bin/bash
# worker_rlimit_nofile leaves a worker one free fd: a request's client
# connection takes it, its upstream socket() fails, 500 "(24: Too many open
# files) while connecting to upstream" (lab.sh proves the 500 and the line).
# gwtop names fd_exhausted with worker_rlimit_nofile (file:line), the
# worker's /proc/PID/limits and open fd count (root), and the fix.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up fd_exhausted
it_check_json
it_expect 2 crit fd_exhausted nginx
t_json findings.0.cause fd_exhausted
t_json findings.0.client_status 500
t_mentions fd_exhausted "socket\(\) failed \(24: Too many open files\) while connecting to upstream" "nginx's error.log line"
t_mentions fd_exhausted "worker_rlimit_nofile $WORKER_NOFILE \($(re "$RLIMIT_AT")\)" "the worker_rlimit_nofile in effect (file:line)"
t_mentions fd_exhausted "worker [0-9]+: Max open files $WORKER_NOFILE \(hard $WORKER_NOFILE\), [0-9]+ open now" "the worker's limit and open fds"
t_mentions fd_exhausted "raise worker_rlimit_nofile \($(re "$RLIMIT_AT")\)" "the fix"
t_json hops.0.status fail
