#!/bin/bash
# An upstream of two servers (the app bound on both ports), max_fails=1
# fail_timeout=60s. The app stopped, a request failed on both and marked
# both failed; the app started again: nginx still answers 502 "no live
# upstreams" (lab.sh proves it), while both servers answer a direct probe.
# gwtop names upstream_marked_down with max_fails / fail_timeout (file:line),
# when the servers came back, and the fix (wait fail_timeout, or reload).
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up marked_down
it_check_json
it_expect 2 crit upstream_marked_down upstream
t_json findings.0.cause upstream_marked_down
t_json findings.0.client_status 502
t_mentions upstream_marked_down "no live upstreams while connecting to upstream" "nginx's error.log line"
t_mentions upstream_marked_down "server 127\.0\.0\.1:$APP_PORT max_fails=1 fail_timeout=60s \($(re "$SITE_CONF"):2\)" "the first server's max_fails / fail_timeout (file:line)"
t_mentions upstream_marked_down "server 127\.0\.0\.1:$OTHER_PORT max_fails=1 fail_timeout=60s \($(re "$SITE_CONF"):3\)" "the second server's (file:line)"
t_mentions upstream_marked_down "127\.0\.0\.1:$APP_PORT: last failed at [0-9:]+ \(connect_refused\); back now: HTTP 200, its app process started at [0-9:]+" "when the server failed and came back"
t_mentions upstream_marked_down "wait fail_timeout \(60s\), or reload nginx" "the fix"
t_json targets.0.http_status 200
t_json targets.1.http_status 200
