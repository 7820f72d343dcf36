#!/bin/bash
# A misbehaving upstream on the port nginx targets (the lab's app_down
# fault, then tests/hostile/badserver.py on APP_PORT): accepts and never
# answers, one byte per second, a 1 GiB body, a reset, binary garbage.
# gwtop --check --timeout 2 must finish within the timeout + slack and give
# the right verdict.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/lib.sh
. "$HERE/../integration/lib.sh"
# shellcheck source=tests/hostile/hlib.sh
. "$HERE/hlib.sh"
h_init
it_require_root
it_require_gwtop
it_lab_up app_down

# bad MODE — start badserver MODE on APP_PORT, run gwtop, keep its JSON.
bad() {
	h_bg "$PY" "$HERE/badserver.py" "$1" "$APP_PORT"
	it_until 10 eval 'ss -ltn "sport = :$APP_PORT" | grep -q LISTEN'
	h_timed --check --json --timeout 2 --nginx-conf "$CONF"
	h_kill "$H_PID"
	t_result "$1: finished in ${H_MS} ms (< 2 s timeout + 4 s slack)" "$([ "$H_MS" -lt 6000 ]; echo $?)"
	t_check "$1: valid, clean JSON" "${BC[@]}" json "$GW_OUT"
}

bad silent
t_rc 2
t_json verdict.cause upstream_timeout
bad drip
t_rc 2
t_json verdict.cause upstream_timeout
bad flood
t_json targets.0.http_status 200
t_check "flood: the 1 GiB body was not read whole (probe capped)" test "$H_MS" -lt 5000
# A reset right after the accept: depending on when the RST lands, curl
# sees the connect fail with ECONNRESET, getpeername() fail with ENOTCONN,
# or the recv fail with ECONNRESET; every way it is the app dropping the
# request (what nginx logs as "recv() failed (104: Connection reset by peer)")
bad reset
t_rc 2
t_json verdict.cause app_crash_during_request
t_check "reset: the target error names the reset" "${BC[@]}" grep "$GW_OUT" "reset"
bad garbage
t_rc 2
t_json verdict.cause upstream_invalid_response
t_check "garbage: the target error says no valid HTTP response" "${BC[@]}" grep "$GW_OUT" "no valid HTTP"
