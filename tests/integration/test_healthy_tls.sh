#!/bin/bash
# Healthy stack over TLS (proxy_pass https://, gunicorn with a self-signed
# certificate): gwtop's HTTP probe speaks TLS (libcurl's GnuTLS flavour),
# does not verify the certificate (nor does nginx by default) and says
# healthy, exit 0.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up healthy_tls
it_check_json
it_expect 0 ok healthy
t_json targets.0.target "127.0.0.1:$APP_PORT"
t_json targets.0.reachable true
t_json targets.0.http_status 200

# The app stops: the TLS target is refused, the verdict is upstream_down
# (nothing listens, and no request went through nginx since) and the
# equivalent command is an https curl that does not verify (-k).
kill -INT "$GUNICORN_PID"
it_until 10 eval '! kill -0 "$GUNICORN_PID" 2>/dev/null'
it_check_json
it_expect 2 crit upstream_down
t_mentions upstream_down "$(re "curl -sS -k -o /dev/null -w '%{http_code}\n' https://127.0.0.1:$APP_PORT/")" "curl -k https://127.0.0.1:$APP_PORT/"
