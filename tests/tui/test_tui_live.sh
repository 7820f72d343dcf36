#!/bin/bash
# test_tui_live.sh — a fault injected by hand into a live dashboard (TAP).
# The real lab (tests/lab/lab.sh: nginx + gunicorn on loopback) comes up
# healthy, ./gwtop --interval 1 runs in a 120x40 tmux pane under a shell;
# then the lab's gunicorn is killed by its PID (only that PID) and the
# dashboard must turn the upstream hop red and show the verdict `gwtop
# --check --json` gives at that moment within two ticks (<= 3 s).  Then:
# resizes 120x40 -> 80x24 -> 200x60 leave no stray characters (the screen
# equals a full Ctrl-L redraw, no line wider than the pane, each pane title
# once), `5` zooms the logs pane, `/` filters it, `q` exits 0 and the shell
# gets a sane terminal back (no alternate screen, cursor on, echo/icanon).
#
#   tests/tui/test_tui_live.sh       uses ./gwtop (GWTOP=... to override)
# Exit 77 (skip) without tmux or root.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GWTOP=${GWTOP:-$ROOT/gwtop}
LAB=$ROOT/tests/lab/lab.sh
PY=/usr/bin/python3
SOCK=gwlive-$$
S=live
N=0
FAILS=0

command -v tmux >/dev/null || { echo "1..0 # SKIP tmux not installed"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (the lab runs nginx workers as nobody)"; exit 77; }
[ -x "$GWTOP" ] || { echo "Bail out! no gwtop binary at $GWTOP (run make)"; exit 1; }

TMP=$(mktemp -d /tmp/gwtop-live.XXXXXX)
chmod 0755 "$TMP"       # the lab lives below: nginx workers (nobody) traverse it
cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"    # the server leaves its socket file
	[ -d "$TMP/lab" ] && "$LAB" down "$TMP/lab" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() {   # ok DESC CMD... — one TAP line
	local what=$1; shift
	N=$((N + 1))
	if "$@"; then echo "ok $N - $what"; else echo "not ok $N - $what"; FAILS=$((FAILS + 1)); fi
}
diag() { sed 's/^/# /'; }

cap()   { tmux -u -L "$SOCK" capture-pane -p -t "$S" 2>/dev/null; }
cap_e() { tmux -u -L "$SOCK" capture-pane -p -e -t "$S" 2>/dev/null; }
keys()  { tmux -L "$SOCK" send-keys -t "$S" "$@"; }
fmt()   { tmux -L "$SOCK" display-message -p -t "$S" "$1"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# both waits run on the clock (not a count of polls: a fast machine polls
# faster), and look once more after the deadline
wait_for() {   # wait_for REGEX [SECONDS]
	local end=$(( $(now_ms) + ${2:-10} * 1000 ))
	while :; do
		cap | grep -Eq -- "$1" && return 0
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.05
	done
}
wait_gone() {   # wait_gone REGEX [SECONDS]
	local end=$(( $(now_ms) + ${2:-5} * 1000 ))
	while :; do
		cap | grep -Eq -- "$1" || return 0
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.05
	done
}
alive() {   # the process exists and is not a zombie
	local st
	st=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
cause() {   # the verdict cause of one `gwtop --check --json` pass now
	"$GWTOP" --check --json --nginx-conf "$CONF" 2>/dev/null |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["verdict"]["cause"])'
}
# hop_line_e WORD: the path-pane line of hop WORD, with its SGR sequences
# (found in the same capture with the SGRs stripped)
hop_line_e() {
	local e n
	e=$(cap_e)
	n=$(printf '%s\n' "$e" | sed -E $'s/\033\\[[0-9;]*m//g' |
		grep -n -m1 -E "^ *(▶ )?(✓|✗|\?|!) $1 " | cut -d: -f1)
	[ -n "$n" ] && printf '%s\n' "$e" | sed -n "${n}p"
}
has_sgr() {   # has_sgr LINE CODES-REGEX: an SGR on LINE sets one of CODES
	printf '%s' "$1" | grep -aqE $'\033\\[([0-9;]*;)?('"$2"')(;[0-9;]*)?m'
}
# display width of the widest line of stdin
widest() { "$PY" -c 'import sys,unicodedata
print(max([sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in l) for l in sys.stdin.read().split("\n")] or [0]))'; }
# the screen with the probe-age text and trailing blanks normalised
norm() { sed -E -e 's/\([0-9]+ ?[a-z]+ ago\)/(AGE)/g' -e 's/ +$//'; }

echo "1..28"

# ------------------------------------------------------------------ healthy
if ! "$LAB" up "$TMP/lab" healthy >"$TMP/lab.log" 2>&1; then
	diag <"$TMP/lab.log"
	echo "Bail out! lab healthy did not come up"
	exit 1
fi
# shellcheck disable=SC1091
. "$TMP/lab/lab.env"
ok "--check --json on the healthy lab says healthy" test "$(cause)" = healthy

# a shell in the pane, so that what is left after gwtop exits can be seen
tmux -u -L "$SOCK" new-session -d -s "$S" -x 120 -y 40 \
	"env PS1='gwlive\$ ' LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=tmux-256color sh"
sleep 0.3
keys -l "$GWTOP --nginx-conf $CONF --interval 1 2>$TMP/gwtop.err; echo EXITED \$?"
keys Enter

ok "healthy: header says OK healthy" wait_for "^ ✓ OK +healthy" 15
ok "healthy: the target answered HTTP 200" wait_for "✓ 127\.0\.0\.1:$APP_PORT proxy_pass .*|HTTP 200 in" 5
sleep 0.3
L=$(hop_line_e upstream)
ok "healthy: upstream hop drawn green (SGR 32 on its line)" has_sgr "$L" '32|92'
ok "healthy: upstream hop not red" eval '! has_sgr "$L" "31|41|91|101"'

# ------------------------------------------------------------------ fault by hand
GPID=$GUNICORN_PID
ok "GUNICORN_PID $GPID is this lab's gunicorn" \
	bash -c "tr '\0' '\n' </proc/$GPID/environ | grep -qxF GWTOP_LAB=$LAB_DIR"
T0=$(now_ms)
kill -TERM "$GPID"
# the clock runs from the kill: an idle gunicorn stops its workers and exits
# in well under a second
ok "header turns red within two ticks of the kill" wait_for "^ ✗ CRIT " 3
T1=$(now_ms)
end=$(( $(now_ms) + 10000 ))   # a clock deadline, not a count of polls
while alive "$GPID" && [ "$(now_ms)" -lt "$end" ]; do sleep 0.05; done
ok "gunicorn $GPID is gone" eval '! alive "$GPID"'
echo "# red header $((T1 - T0)) ms after kill -TERM $GPID"
ok "the header flipped in <= 3000 ms ($((T1 - T0)) ms)" test $((T1 - T0)) -le 3000
CAUSE=$(cause)
echo "# --check --json says now: $CAUSE"
ok "--check gives a failing cause ($CAUSE)" test -n "$CAUSE" -a "$CAUSE" != healthy
ok "header shows the same verdict ($CAUSE)" wait_for "^ ✗ CRIT +$CAUSE " 2
ok "the path pane marks upstream as the first broken hop" wait_for "▶ ✗ upstream" 2
L=$(hop_line_e upstream)
ok "upstream hop drawn red (SGR 31/41 on its line)" has_sgr "$L" '31|41|91|101'

# ------------------------------------------------------------------ zoom and filter
title_row() { cap | grep -n -m1 -- "$1" | cut -d: -f1; }
R0=$(title_row "5 Logs")
keys 5
ok "5 zooms the logs pane (others gone)" wait_gone "3 Processes|2 Findings" 2
Z=$(cap)
R1=$(title_row "5 Logs")
ok "zoomed logs pane starts higher (title row ${R0:-?} -> ${R1:-?} of 40)" \
	test -n "$R0" -a -n "$R1" -a "${R1:-99}" -lt 6 -a "${R1:-99}" -lt "${R0:-0}"
OTHER=$(printf '%s\n' "$Z" | grep -E '^[0-9]{2}:[0-9]{2}:[0-9]{2} ' | grep -vc 'Shutting down')
keys / S h u t t i n g Space d o w n Enter
ok "/ sets the filter (title shows it)" wait_for 'filter "Shutting down"' 2
sleep 0.3
F=$(cap | grep -E '^[0-9]{2}:[0-9]{2}:[0-9]{2} ')
ok "filtered: some rows, all matching ('Shutting down'; $OTHER did not match before)" \
	bash -c '[ -n "$1" ] && [ "$2" -gt 0 ] && ! printf "%s\n" "$1" | grep -qv "Shutting down"' _ "$F" "$OTHER"
keys / Enter
ok "/ + Enter clears the filter" wait_gone 'filter "Shutting' 2
keys 5
ok "5 again restores the layout" wait_for "3 Processes" 2

# ------------------------------------------------------------------ resize
keys ' '
wait_for "PAUSED" 2
# the footer shows "updates paused ..." for 4 s; the resizes start once the
# key hints are back, so that each can be told from a stale footer
wait_for "^F1Help" 8
resize_ok() {   # resize_ok COLS ROWS — screen settled, equal to a full redraw
	local cols=$1 rows=$2 a b t
	tmux -L "$SOCK" resize-window -t "$S" -x "$cols" -y "$rows"
	wait_for "^F1Help" 3 || { echo "# ${cols}x${rows}: no footer (F1Help) 3 s after the resize:"; cap | diag; return 1; }
	sleep 0.6
	a=$(cap)
	keys C-l
	sleep 0.6
	b=$(cap)
	if [ "$(printf '%s\n' "$a" | norm)" != "$(printf '%s\n' "$b" | norm)" ]; then
		echo "# ${cols}x${rows}: screen differs from a Ctrl-L redraw:"
		diff <(printf '%s\n' "$a" | norm) <(printf '%s\n' "$b" | norm) | head -20 | diag
		return 1
	fi
	[ "$(printf '%s\n' "$a" | wc -l)" -eq "$rows" ] || { echo "# ${cols}x${rows}: not $rows rows"; return 1; }
	[ "$(printf '%s\n' "$a" | widest)" -le "$cols" ] || { echo "# ${cols}x${rows}: a line wider than $cols"; return 1; }
	for t in "1 Request path" "2 Findings" "3 Processes" "4 Listeners" "5 Logs"; do
		[ "$(printf '%s\n' "$a" | grep -c -- "$t")" -eq 1 ] || { echo "# ${cols}x${rows}: title '$t' not exactly once"; return 1; }
	done
	[[ "$(printf '%s\n' "$a" | head -1)" == " ✗ CRIT"* ]] || { echo "# ${cols}x${rows}: verdict not on row 0"; return 1; }
}
ok "resize 120x40 -> 80x24: clean, titles once, verdict kept" resize_ok 80 24
ok "resize 80x24 -> 200x60: clean, titles once, verdict kept" resize_ok 200 60
keys ' '
ok "space resumes" wait_gone "PAUSED" 3

# ------------------------------------------------------------------ quit
keys q
ok "q exits with status 0 (EXITED 0 in the shell)" wait_for "^EXITED 0$" 5
sleep 0.3
E=$(cap)
ok "no curses residue after exit (no pane titles, no footer)" \
	bash -c '! printf "%s\n" "$1" | grep -Eq "Request path|F1Help|CRIT"' _ "$E"
ok "the shell prompt follows" bash -c 'printf "%s\n" "$1" | grep -v "^$" | tail -1 | grep -q "^gwlive\\$"' _ "$E"
ok "alternate screen left, cursor visible" test "$(fmt '#{alternate_on} #{cursor_flag}')" = "0 1"
keys -l "stty -a | tr ' ;' '\n\n' | grep -cxE -- '-(icanon|echo|isig|icrnl|opost)' | sed 's/^/RAWFLAGS=/'"
keys Enter
ok "tty modes sane again (echo, icanon, isig, icrnl, opost)" wait_for "^RAWFLAGS=0$" 3
ok "nothing on gwtop's stderr (sanitizers, warnings)" test ! -s "$TMP/gwtop.err"
[ -s "$TMP/gwtop.err" ] && head -20 "$TMP/gwtop.err" | diag

[ "$N" -eq 28 ] || echo "# planned 28 tests, ran $N"
exit $((FAILS > 0))
