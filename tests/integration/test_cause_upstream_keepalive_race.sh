#!/bin/bash
# nginx keeps idle connections to the app (keepalive 4 in the upstream),
# gunicorn closes idle ones after --keep-alive 1, sooner than nginx's
# keepalive_timeout (60s by default). lab.sh holds the app's FIN back (in
# this test's private network namespace) so nginx sends a POST on the
# connection the app closed: 502, "recv() failed (104: Connection reset by
# peer)", while fresh connections work. gwtop names upstream_keepalive_race
# with keepalive (file:line), both keep-alive timeouts and the fix.
set -u
if [ "${GWTOP_IN_NETNS:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 77; }
	command -v unshare >/dev/null || { echo "1..0 # SKIP no unshare"; exit 77; }
	exec env GWTOP_IN_NETNS=1 unshare -n bash "$0" "$@"
fi
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
command -v iptables >/dev/null || it_skip "no iptables"
ip link set lo up || it_skip "cannot bring up lo in a network namespace"
it_lab_up keepalive_race
it_check_json
it_expect 2 crit upstream_keepalive_race app
t_json findings.0.cause upstream_keepalive_race
t_json findings.0.client_status 502
t_mentions upstream_keepalive_race "recv\(\) failed \(104: Connection reset by peer\) while reading response header from upstream" "nginx's error.log line"
t_mentions upstream_keepalive_race "keepalive 4 in upstream app_pool \($(re "$KEEPALIVE_AT")\)" "the upstream's keepalive (file:line)"
t_mentions upstream_keepalive_race "keepalive_timeout not set in upstream app_pool: nginx's default 60s" "nginx's keepalive_timeout"
t_mentions upstream_keepalive_race "gunicorn --keep-alive 1s" "the app's keep-alive"
t_mentions upstream_keepalive_race "keepalive_timeout 0\.5s; in upstream app_pool" "the fix"
t_json targets.0.http_status 200
