#!/bin/bash
# proxy_pass https:// to a server that speaks plain HTTP, two ways (lab.sh
# proves each through nginx and error.log first):
#  - tls_wrong_version: the target answers at once (a plain nginx server):
#    502, "SSL_do_handshake() failed (SSL: error:...:wrong version number)";
#  - tls_plain: the target is gunicorn, which waits for the end of a request
#    line: the handshake hangs, 504, "upstream timed out ... while SSL
#    handshaking to upstream" (no rule may call that a slow app).
# gwtop names upstream_tls_failure: the direct https probe fails, plain HTTP
# answers; the fix is http:// in the proxy_pass (file:line).
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop

it_lab_up tls_wrong_version
it_check_json
it_expect 2 crit upstream_tls_failure upstream
t_json findings.0.cause upstream_tls_failure
t_json findings.0.client_status 502
t_mentions upstream_tls_failure "SSL_do_handshake\(\) failed \(SSL: error:[0-9A-F]+:SSL routines::wrong version number\) while SSL handshaking to upstream" "nginx's error.log line"
t_mentions upstream_tls_failure "plain HTTP to 127\.0\.0\.1:$OTHER_PORT: HTTP 200: it speaks plain HTTP" "what the target really speaks (the plain-HTTP probe)"
t_mentions upstream_tls_failure "direct probe over https 127\.0\.0\.1:$OTHER_PORT: .*(wrong version|unexpected TLS packet|SSL|TLS)" "the failed https probe"
# the site's proxy_pass https:// (the plain server's own proxy_pass comes first)
TLS_PASS_AT=$SITE_CONF:$(grep -n 'proxy_pass https://' "$SITE_CONF" | cut -d: -f1)
t_mentions upstream_tls_failure "use http:// in proxy_pass \($(re "$TLS_PASS_AT")\)" "the fix at the proxy_pass https:// (file:line)"
"$LAB" down "$LAB_DIR" >/dev/null 2>&1
LAB_DIR=""

it_lab_up tls_plain
it_check_json
it_expect 2 crit upstream_tls_failure upstream
t_mentions upstream_tls_failure "while SSL handshaking to upstream" "nginx's error.log line"
t_mentions upstream_tls_failure "plain HTTP to 127\.0\.0\.1:$APP_PORT: HTTP 200" "what the target really speaks"
t_mentions upstream_tls_failure "use http:// in proxy_pass \($(re "$PROXY_PASS_AT")\)" "the fix at the proxy_pass (file:line)"
t_check "no upstream_timeout finding for the hung handshake" \
	bash -c "! '$PY' '$JCHECK' mentions '$GW_OUT' upstream_timeout . >/dev/null 2>&1"
