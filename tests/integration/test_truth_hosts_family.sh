#!/bin/bash
# proxy_pass http://gwtop-dual.test:PORT where /etc/hosts lists that name as
# ::1 first and 127.0.0.1 second (as Debian lists localhost where IPv6 is
# on), the app on 127.0.0.1 only. nginx resolved both at load time: each
# request tries [::1] first (refused, in error.log) and then 127.0.0.1.
# curl's happy eyeballs over the name would find the app and call it
# healthy; gwtop probes each address as nginx would: ip_family_mismatch,
# naming [::1] and /etc/hosts. Runs in a private mount namespace whose
# /etc/hosts is a bind mount (the host's file is not touched).
set -u
if [ "${GWTOP_IN_NS:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 77; }
	command -v unshare >/dev/null || { echo "1..0 # SKIP no unshare"; exit 77; }
	exec env GWTOP_IN_NS=1 unshare -m --propagation private bash "$0" "$@"
fi
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
HOSTS=$OUT/hosts
{ cat /etc/hosts; printf '::1\tgwtop-dual.test\n127.0.0.1\tgwtop-dual.test\n'; } >"$HOSTS"
mount --bind "$HOSTS" /etc/hosts || it_skip "cannot bind-mount a hosts file in a mount namespace"
it_lab_up hosts_family
it_check_json
it_expect 1 warn ip_family_mismatch upstream
t_mentions ip_family_mismatch "\\[::1\\]:$APP_PORT" "the IPv6 address nginx tries ([::1]:$APP_PORT)"
t_mentions '*' "/etc/hosts" "where the address came from"
t_json targets.0.target "[::1]:$APP_PORT (gwtop-dual.test:$APP_PORT in /etc/hosts)"
t_json targets.1.target "127.0.0.1:$APP_PORT (gwtop-dual.test:$APP_PORT in /etc/hosts)"
t_json targets.1.http_status 200
