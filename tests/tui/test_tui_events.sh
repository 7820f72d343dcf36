#!/bin/bash
# test_tui_events.sh — the dashboard reacts to events, not only its tick
# (TAP). The lab comes up healthy; ./gwtop runs with --interval 30 in a
# 120x40 tmux pane, so within the checks below no tick comes. Then:
#   1. one request for a location that answers 502 (a 5xx in access.log,
#      no process exits, no error line): the header turns WARN
#      (unexplained_5xx) within 2 s;
#   2. the lab's gunicorn is killed by its PID (a watched process exits):
#      the header turns CRIT within 2 s, before any request fails.
# Exit 77 (skip) without tmux or root.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GWTOP=${GWTOP:-$ROOT/gwtop}
LAB=$ROOT/tests/lab/lab.sh
SOCK=gwev-$$
S=ev
N=0
FAILS=0

command -v tmux >/dev/null || { echo "1..0 # SKIP tmux not installed"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (the lab runs nginx workers as nobody)"; exit 77; }
[ -x "$GWTOP" ] || { echo "Bail out! no gwtop binary at $GWTOP (run make)"; exit 1; }

TMP=$(mktemp -d /tmp/gwtop-ev.XXXXXX)
chmod 0755 "$TMP"
cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"
	[ -d "$TMP/lab" ] && "$LAB" down "$TMP/lab" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() {
	local what=$1; shift
	N=$((N + 1))
	if "$@"; then echo "ok $N - $what"; else echo "not ok $N - $what"; FAILS=$((FAILS + 1)); cap | sed 's/^/# /'; fi
}
cap()  { tmux -u -L "$SOCK" capture-pane -p -t "$S" 2>/dev/null; }
keys() { tmux -L "$SOCK" send-keys -t "$S" "$@"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
wait_for() {   # wait_for REGEX [SECONDS] — on the clock
	local end=$(( $(now_ms) + ${2:-10} * 1000 ))
	while :; do
		cap | grep -Eq -- "$1" && return 0
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.02
	done
}

echo "1..7"
if ! "$LAB" up "$TMP/lab" healthy_broken_path >"$TMP/lab.log" 2>&1; then
	sed 's/^/# /' "$TMP/lab.log"
	echo "Bail out! lab healthy_broken_path did not come up"
	exit 1
fi
# shellcheck disable=SC1091
. "$TMP/lab/lab.env"

tmux -u -L "$SOCK" new-session -d -s "$S" -x 120 -y 40 \
	"env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=tmux-256color $GWTOP --nginx-conf $CONF --interval 30 2>$TMP/gwtop.err"
ok "healthy: header says OK healthy" wait_for "^ ✓ OK +healthy" 15
# the first pass is in; the next tick is 30 s away
sleep 0.5

T0=$(now_ms)
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$NGINX_PORT/broken/x")
ok "the request for /broken/x got 502 from nginx (got $code)" test "$code" = 502
ok "one 5xx in access.log: header turns WARN unexplained_5xx within 2 s" wait_for "^ ! WARN +unexplained_5xx" 2
T1=$(now_ms)
echo "# 5xx -> WARN on screen: $((T1 - T0)) ms (--interval 30)"

GPID=$GUNICORN_PID
ok "GUNICORN_PID $GPID is this lab's gunicorn" \
	bash -c "tr '\0' '\n' </proc/$GPID/environ | grep -qxF GWTOP_LAB=$TMP/lab"
T0=$(now_ms)
kill -TERM "$GPID"
ok "gunicorn exits: header turns CRIT within 2 s, no request needed" wait_for "^ ✗ CRIT " 2
T1=$(now_ms)
echo "# exit -> CRIT on screen: $((T1 - T0)) ms (--interval 30)"
keys q
for ((i = 0; i < 100; i++)); do tmux -L "$SOCK" has-session -t "$S" 2>/dev/null || break; sleep 0.05; done
ok "q ends the dashboard" bash -c "! tmux -L $SOCK has-session -t $S 2>/dev/null"
ok "nothing on stderr" test ! -s "$TMP/gwtop.err"
[ "$FAILS" = 0 ]
