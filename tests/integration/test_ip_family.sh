#!/bin/bash
# proxy_pass to [::1], gunicorn bound to 127.0.0.1 only: ip_family_mismatch.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up ip_family
it_check_json
it_expect 2 crit ip_family_mismatch upstream
t_mentions ip_family_mismatch '::1' "the IPv6 target [::1]"
t_mentions ip_family_mismatch '127\.0\.0\.1' "the IPv4 bind 127.0.0.1"
t_mentions ip_family_mismatch "$APP_PORT" "the port $APP_PORT"
