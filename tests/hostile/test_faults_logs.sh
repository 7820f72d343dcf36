#!/bin/bash
# The nginx error.log under gwtop's feet: rotated, truncated, deleted,
# replaced by a directory, by a FIFO (nobody writing), by a symlink to
# /dev/zero. Each `gwtop --check --json` (and 3 dashboard passes,
# --bench-ticks) finishes quickly and, where the log cannot be read, the
# JSON notes name the log and why. Also: --nginx-bin /nonexistent.
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

# run_case NAME [REGEX] — check + bench ticks on the current error.log;
# REGEX (optional) must match a note. CHECK_JSON keeps the --check output.
run_case() {
	local name=$1 rx=${2:-} limit=${LIMIT_MS:-8000}
	h_timed --check --json --timeout 2 --nginx-conf "$CONF" --error-log "$ERROR_LOG"
	CHECK_JSON=$OUT/$name.json
	cp "$GW_OUT" "$CHECK_JSON"
	t_result "$name: --check finished in ${H_MS} ms (< $limit ms), exit $GW_RC" \
		"$([ "$H_MS" -lt "$limit" ] && [ "$GW_RC" -ge 1 ] && [ "$GW_RC" -le 3 ]; echo $?)"
	t_check "$name: valid, clean JSON" "${BC[@]}" json "$GW_OUT"
	if [ -n "$rx" ]; then
		"$PY" -c '
import json, re, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if any(re.search(sys.argv[2], n) for n in d.get("notes", [])) else 1)' "$GW_OUT" "$rx"
		t_result "$name: a note says /$rx/" $?
	fi
	h_timed --bench-ticks 3 --timeout 1 --nginx-conf "$CONF" --error-log "$ERROR_LOG"
	t_result "$name: 3 dashboard passes finished in ${H_MS} ms (< 15 s), exit $GW_RC" \
		"$([ "$H_MS" -lt 15000 ] && [ "$GW_RC" -le 3 ]; echo $?)"
}

curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/" || true
run_case baseline
# the verdict comes from the live probe whatever the log does: nothing
# listens where nginx points (upstream_down; port_mismatch when some other
# gunicorn runs on this box)
verdict_ok() {
	local c
	c=$("$PY" "$JCHECK" get "$CHECK_JSON" verdict.cause)
	[ "$c" = upstream_down ] || [ "$c" = port_mismatch ]
	t_result "$1: verdict upstream_down/port_mismatch (got $c)" $?
}
verdict_ok baseline

mv "$ERROR_LOG" "$ERROR_LOG.1"            # rotated: a new empty file
: >"$ERROR_LOG"
run_case rotated
verdict_ok rotated

cp "$ERROR_LOG.1" "$ERROR_LOG"
: >"$ERROR_LOG"                            # truncated in place
run_case truncated

rm -rf "$ERROR_LOG"        # (nginx -t of an earlier run may recreate it)
run_case deleted "$(re "$ERROR_LOG").*(No such file|not found|missing)"

rm -rf "$ERROR_LOG"
mkdir "$ERROR_LOG"
run_case directory "$(re "$ERROR_LOG").*(directory)"
rm -rf "$ERROR_LOG"
mkfifo "$ERROR_LOG"
# the config names the same FIFO: nginx -t blocks on it (10 s limit)
LIMIT_MS=15000 run_case fifo "$(re "$ERROR_LOG").*(FIFO|not a regular)"
rm -rf "$ERROR_LOG"
ln -s /dev/zero "$ERROR_LOG"
run_case dev-zero "$(re "$ERROR_LOG").*(device|not a regular)"
rm -f "$ERROR_LOG"

# a FIFO named by the config itself (no --error-log): gwtop refuses to
# read it; the real `nginx -t` blocks opening it for writing, and gwtop's
# 10 s limit on nginx -t ends that
rm -rf "$ERROR_LOG"
mkfifo "$ERROR_LOG"
h_timed --check --json --timeout 2 --nginx-conf "$CONF"
t_result "fifo via the config: finished in ${H_MS} ms (< 15 s: nginx -t limit + slack)" "$([ "$H_MS" -lt 15000 ]; echo $?)"
t_check "fifo via the config: valid JSON" "${BC[@]}" json "$GW_OUT"
t_check "fifo via the config: the note names the FIFO" "${BC[@]}" grep "$GW_OUT" "is a FIFO"
t_check "fifo via the config: nginx -t's hang is reported" "${BC[@]}" grep "$GW_OUT" "timed out"
# nginx -t did not pass, so the cause is nginx_config_invalid (the contract:
# "nginx -t fails"), but a warning that says it hangs, not a crit verdict
# about a config error
t_check "fifo via the config: nginx_config_invalid says nginx -t hangs" \
	"$PY" "$JCHECK" mentions "$GW_OUT" nginx_config_invalid "did not finish: it hangs"
t_result "fifo via the config: the hung nginx -t is not a crit finding" \
	"$("$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(any(f["cause"] == "nginx_config_invalid" and f["severity"] == "crit" for f in d["findings"]))' "$GW_OUT"; echo $?)"
rm -f "$ERROR_LOG"
: >"$ERROR_LOG"

# nginx binary missing: a clear note, no crash, still a verdict
h_timed --check --json --timeout 2 --nginx-bin /nonexistent/nginx --nginx-conf "$CONF"
t_result "--nginx-bin /nonexistent: finished in ${H_MS} ms, exit $GW_RC (1..3)" \
	"$([ "$H_MS" -lt 8000 ] && [ "$GW_RC" -ge 1 ] && [ "$GW_RC" -le 3 ]; echo $?)"
t_check "--nginx-bin /nonexistent: valid JSON" "${BC[@]}" json "$GW_OUT"
t_check "--nginx-bin /nonexistent: the output names the missing binary" "${BC[@]}" grep "$GW_OUT" "/nonexistent/nginx"
t_result "--nginx-bin /nonexistent: not blamed on the config (no nginx_config_invalid)" \
	"$(! grep -q '"nginx_config_invalid"' "$GW_OUT"; echo $?)"
