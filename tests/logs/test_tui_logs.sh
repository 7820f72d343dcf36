#!/bin/bash
# test_tui_logs.sh — the dashboard's logs pane on a real nginx + gunicorn
# lab, driven in tmux like a person would: requests made while it runs show
# up live, nginx's error.log and access.log lines and gunicorn's app.log
# merged in time order; after a rotation by rename + reopen (USR1) new
# requests still show up, each exactly once; keys 'a' (access lines off)
# and 'e' (severity) filter what is shown.
#
# GWTOP names the binary (default ./gwtop). Needs root and tmux.
# TAP-ish output; exit 0 passed, 1 failed, 77 skipped.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=$ROOT/tests/lab/lab.sh
GWTOP=${GWTOP:-$ROOT/gwtop}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (the lab starts nginx)"; exit 77; }
command -v tmux >/dev/null || { echo "SKIP: no tmux"; exit 77; }
[ -x "$GWTOP" ] || { echo "SKIP: no $GWTOP (make first)"; exit 77; }

OUT=$(mktemp -d /tmp/gwtop-tuilogs.XXXXXX)
chmod 755 "$OUT"                # nginx workers (nobody) reopen the logs below it
SOCK=gwtop-tuilogs-$$
LABDIR=$OUT/lab
N=0
FAILED=0
cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null
	[ -d "$LABDIR" ] && { "$LAB" down "$LABDIR" >/dev/null 2>&1 || echo "# lab down failed"; }
	rm -rf -- "$OUT"
}
# shellcheck disable=SC2154  # rc is assigned at the start of the trap string
trap 'rc=$?; cleanup; echo "1..$N"; [ $FAILED = 0 ] && [ $rc = 0 ] || exit 1; exit 0' EXIT
trap 'exit 130' INT TERM
ok() { N=$((N + 1)); echo "ok $N - $1"; }
notok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }

screen() { tmux -L "$SOCK" capture-pane -p -J; }
# wait_for REGEX [SECONDS]: until the screen matches
wait_for() {
	local i
	for ((i = 0; i < ${2:-10} * 10; i++)); do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
# count REGEX: matching screen lines
count() { screen | grep -Ec -- "$1"; }
# the pane's HH:MM:SS column never goes back
in_time_order() {
	screen | awk '/^[0-9][0-9]:[0-9][0-9]:[0-9][0-9] / { if ($1 < last) bad = 1; last = $1 } END { exit bad }'
}

"$LAB" up "$LABDIR" app_down >"$OUT/lab.log" 2>&1 || { sed 's/^/# /' "$OUT/lab.log"; notok "lab up"; exit 1; }
# shellcheck disable=SC1091
. "$LABDIR/lab.env"
ok "lab app_down up"

tmux -L "$SOCK" new-session -d -x 260 -y 60 "$GWTOP --nginx-conf $CONF --app-log $APP_LOG 2>$OUT/gwtop.err"
wait_for 'Logs' 10 || notok "the dashboard came up"
tmux -L "$SOCK" send-keys 5                               # zoom the logs pane
base=http://127.0.0.1:$NGINX_PORT
for i in 1 2 3; do curl -s -o /dev/null "$base/tui/A$i"; done
check "requests made while it runs show up live (error.log)" wait_for 'nginx-err .*GET /tui/A3 ' 10
check "... and in the access.log lines" wait_for 'nginx-acc .*GET /tui/A3 HTTP/1.1" 502' 10
check "gunicorn's app.log is in the same stream" [ "$(count '^[0-9:]{8} app\.log ')" -ge 1 ]
check "merged in time order" in_time_order
check "the 5xx counter counts them" wait_for '5xx this min [1-9]' 5

mv "$ERROR_LOG" "$ERROR_LOG.1"
mv "$ACCESS_LOG" "$ACCESS_LOG.1"
curl -s -o /dev/null "$base/tui/B1"                       # still written to the renamed files
kill -USR1 "$NGINX_PID"
sleep 0.5
for i in 2 3; do curl -s -o /dev/null "$base/tui/B$i"; done
check "after rotation by rename + reopen, new requests show up" wait_for 'nginx-acc .*GET /tui/B3 ' 10
for id in A1 A2 A3 B1 B2 B3; do
	e=$(count "nginx-err .*GET /tui/$id ")
	a=$(count "nginx-acc .*GET /tui/$id ")
	check "/tui/$id: once from error.log ($e), once from access.log ($a)" [ "$e" = 1 ] && [ "$a" = 1 ]
done
check "still in time order" in_time_order

tmux -L "$SOCK" send-keys a
check "'a' hides access-log lines" wait_for 'acc hidden' 5
check "... none shown" [ "$(count '^[0-9:]{8} nginx-acc ')" = 0 ]
tmux -L "$SOCK" send-keys e e
check "'e' twice: error and worse only" wait_for 'sev error' 5
check "... no info lines shown" [ "$(count '^[0-9:]{8} \S+ +info ')" = 0 ]
tmux -L "$SOCK" send-keys q
sleep 0.5
check "gwtop wrote nothing to stderr" [ ! -s "$OUT/gwtop.err" ]
