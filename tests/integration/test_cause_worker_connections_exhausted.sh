#!/bin/bash
# worker_connections 5 and three slow requests at once: one request's
# upstream connection finds no slot, 500 "5 worker_connections are not
# enough while connecting to upstream" (lab.sh proves the 500 and the line).
# gwtop names worker_connections_exhausted with worker_connections x
# workers (file:line) and the fix.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up worker_connections
it_check_json
it_expect 2 crit worker_connections_exhausted nginx
t_json findings.0.cause worker_connections_exhausted
t_json findings.0.client_status 500
t_mentions worker_connections_exhausted "5 worker_connections are not enough" "nginx's error.log line"
t_mentions worker_connections_exhausted "5 worker_connections x 1 worker = 5 connections" "worker_connections x workers"
t_mentions worker_connections_exhausted "worker_connections 5 \($(re "$WORKER_CONNECTIONS_AT")\)" "the worker_connections in effect (file:line)"
t_mentions worker_connections_exhausted "raise worker_connections" "the fix"
