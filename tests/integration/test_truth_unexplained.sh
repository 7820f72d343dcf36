#!/bin/bash
# nginx answers 502 to every request (a `return 502;` left in the config),
# the app answers its direct probe, error.log stays silent: no rule of
# gwtop names the cause. The verdict must still be crit: unexplained_5xx,
# with what nginx says (the request through nginx, the access log).
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up unexplained_502
it_check_json
it_expect 2 crit unexplained_5xx nginx
t_json hops.0.id client
t_json hops.0.status fail
t_mentions unexplained_5xx "through nginx: HTTP 502" "the request gwtop sent through nginx and its 502"
t_mentions unexplained_5xx "$(re "$ACCESS_LOG"): [0-9]+ of [0-9]+ requests answered 5xx" "the access log's 5xx count"
t_mentions unexplained_5xx "curl .*-H 'Host: lab.test' '?http://127\.0\.0\.1:$NGINX_PORT/" "the manual request through nginx"
# the direct probe works: the app is not blamed
t_json targets.0.http_status 200

# --no-probe-through: the access log alone still says crit
GW_EXTRA_ARGS=(--no-probe-through)
it_check_json
it_expect 2 crit unexplained_5xx nginx
t_check "no request through nginx with --no-probe-through (client hop not from a probe)" \
	bash -c "! grep -q 'through nginx: HTTP' '$GW_OUT'"
