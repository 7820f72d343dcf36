#!/bin/bash
# nginx finds no local port to connect to the app: in a private network
# namespace whose net.ipv4.ip_local_port_range holds two ports (40000-40001)
# and whose TIME-WAIT ports are not reused (tcp_tw_reuse 0), a port left in
# TIME-WAIT and a slow request hold both; the other requests fail, 502,
# "(99: Cannot assign requested address) while connecting to upstream"
# (lab.sh proves both). gwtop, run in the same namespace, names
# local_ports_exhausted with the port range, the TIME-WAIT / open
# connections to the app, and the fix (upstream keepalive, a wider range).
# The host's network settings are not touched: the sysctls are the
# namespace's own.
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
ip link set lo up || it_skip "cannot bring up lo in a network namespace"
sysctl -q -w net.ipv4.ip_local_port_range="40000 40001" || it_skip "cannot narrow ip_local_port_range in the namespace"
sysctl -q -w net.ipv4.tcp_tw_reuse=0 || it_skip "cannot set tcp_tw_reuse in the namespace"
it_lab_up local_ports
it_check_json
it_expect 2 crit local_ports_exhausted upstream
t_json findings.0.cause local_ports_exhausted
t_json findings.0.client_status 502
t_mentions local_ports_exhausted "connect\(\) to 127\.0\.0\.1:$APP_PORT failed \(99: Cannot assign requested address\) while connecting to upstream" "nginx's error.log line"
t_mentions local_ports_exhausted "net\.ipv4\.ip_local_port_range 40000 40001: 2 local ports" "the port range"
t_mentions local_ports_exhausted "connections to 127\.0\.0\.1:$APP_PORT now: [0-9]+ in TIME-WAIT, [0-9]+ open" "the TIME-WAIT / open connections to the app"
t_mentions local_ports_exhausted "keepalive 32; in an upstream\{\} block, with proxy_http_version 1\.1" "the fix (upstream keepalive)"
t_mentions local_ports_exhausted "$(re "$PROXY_PASS_AT")" "the proxy_pass (file:line)"
