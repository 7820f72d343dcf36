#!/bin/bash
# The app sends an 8 KiB Set-Cookie, the location's proxy_buffer_size is 1k:
# nginx answers 502, "upstream sent too big header" (lab.sh proves both).
# gwtop names upstream_header_too_big with the proxy_buffer_size in effect
# (file:line) and the fix.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up header_too_big
it_check_json
it_expect 2 crit upstream_header_too_big app
t_json findings.0.cause upstream_header_too_big
t_json findings.0.client_status 502
t_mentions upstream_header_too_big "upstream sent too big header while reading response header from upstream" "nginx's error.log line"
t_mentions upstream_header_too_big "proxy_buffer_size 1k at $(re "$BUFFER_AT")" "the proxy_buffer_size in effect (file:line)"
t_mentions upstream_header_too_big "raise proxy_buffer_size" "the fix"
# the app answers its direct probe: it is not down
t_json targets.0.http_status 200
