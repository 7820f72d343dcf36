#!/bin/bash
# test_tui_timeline.sh — the timeline pane (issue 19) in the real dashboard
# in tmux against a real lab (app_down: the lab's requests got 200, then
# 502, plus a hostile path): at 80x24 it is hidden until `6` zooms it, then shows the counts,
# the bars in Unicode blocks, the incident's mark on the axis, a cursor
# (Left), the span (z), Enter jumping the logs; in a non-UTF-8 locale the
# bars are ASCII; at 200x50 the strip is there without a key. q exits 0
# with nothing on stderr.
#
#   tests/tui/test_tui_timeline.sh       uses ./gwtop (GWTOP=... to override)
#   SCREENSHOTS=screenshots tests/tui/test_tui_timeline.sh   also saves captures
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GWTOP=${GWTOP:-$ROOT/gwtop}
LAB=$ROOT/tests/lab/lab.sh
SOCK=gwtl-$$
TMP=$(mktemp -d /tmp/gwtop-tuitl.XXXXXX)
FAILS=0
PASSES=0

cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null
	[ -d "$TMP/lab" ] && "$LAB" down "$TMP/lab" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok()   { PASSES=$((PASSES + 1)); echo "ok   - $*"; }
bad()  {
	FAILS=$((FAILS + 1)); echo "FAIL - $*"
	[ -n "${LAST:-}" ] && tmux -u -L "$SOCK" capture-pane -p -t "$LAST" 2>/dev/null | sed "s/^/#   $LAST| /"
	return 0
}
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

[ -x "$GWTOP" ] || { echo "no gwtop binary at $GWTOP (run make)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (the lab's nginx)"; exit 77; }
command -v tmux >/dev/null || { echo "1..0 # SKIP no tmux"; exit 77; }

# start NAME COLS ROWS LOCALE -- ARGS
start() {
	local name=$1 cols=$2 rows=$3 loc=$4; shift 5
	tmux -u -L "$SOCK" new-session -d -s "$name" -x "$cols" -y "$rows" \
		"env LANG=$loc LC_ALL=$loc $GWTOP $* 2>$TMP/$name.err; echo \$? > $TMP/$name.exit"
}
cap()  { tmux -u -L "$SOCK" capture-pane -p -t "$1" 2>/dev/null; }
keys() { tmux -L "$SOCK" send-keys -t "$1" "${@:2}"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
wait_for() {
	local end=$(( $(now_ms) + ${3:-10} * 1000 ))
	LAST=$1
	while :; do
		cap "$1" | grep -Eq -- "$2" && return 0
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.05
	done
}
wait_exit() {
	local end=$(( $(now_ms) + 10000 ))
	LAST=$1
	while :; do
		[ -s "$TMP/$1.exit" ] && return 0
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.05
	done
}
clean() { ! grep -qv '^gwtop: audit: ' "$TMP/$1.err" 2>/dev/null || { sed 's/^/    /' "$TMP/$1.err" | head; return 1; }; }
shot() { [ -n "${SCREENSHOTS:-}" ] && mkdir -p "$SCREENSHOTS" && cap "$1" > "$SCREENSHOTS/$2.txt"; return 0; }

echo "# lab app_down"
"$LAB" up "$TMP/lab" app_down >"$TMP/lab.log" 2>&1 || { cat "$TMP/lab.log"; bad "lab up app_down"; exit 1; }
# shellcheck disable=SC1091
. "$TMP/lab/lab.env"

# ------------------------------------------------------------------ 80x24, UTF-8
start small 80 24 C.UTF-8 -- --nginx-conf "$CONF" --interval 1 --read-only
check "80x24: the dashboard is up" wait_for small "upstream_down|app_down|nginx" 15
check "80x24: no timeline strip before 6" bash -c "! tmux -u -L $SOCK capture-pane -p -t small | grep -q 'Timeline'"
keys small 6
check "80x24: 6 zooms the timeline (30 min span)" wait_for small "6 Timeline \(30 min" 5
check "80x24: the summary counts the 502s" wait_for small "requests, 5xx [1-9][0-9]* " 5
check "80x24: the incident is named as current" wait_for small "INCIDENT since [0-9]{2}:[0-9]{2}:[0-9]{2}" 5
check "80x24: bars in Unicode blocks" wait_for small "█|▓" 5
check "80x24: the incident's start marked on the axis" bash -c "tmux -u -L $SOCK capture-pane -p -t small | grep -E '^ +ev ' | grep -q '!'"
check "80x24: a time axis" wait_for small "^ +[0-9]{2}:[0-9]{2} " 5
shot small timeline-80x24
keys small Left
check "80x24: Left moves the cursor back" wait_for small "^cursor [0-9]{2}:[0-9]{2}" 5
keys small z
check "80x24: z: the 3 h span" wait_for small "6 Timeline \(180 min" 5
keys small z
check "80x24: z again: 5 min" wait_for small "6 Timeline \(5 min" 5
keys small Enter
check "80x24: Enter: the logs at the cursor (or why not)" wait_for small "logs at [0-9]{2}:[0-9]{2}:[0-9]{2}|no log line kept" 5
keys small q
check "80x24: q exits 0" wait_exit small
check "80x24: exit code 0" bash -c "[ \"\$(cat $TMP/small.exit)\" = 0 ]"
check "80x24: nothing on stderr" clean small

# ------------------------------------------------------------------ 80x24, not UTF-8
start ascii 80 24 C -- --nginx-conf "$CONF" --interval 1 --read-only
check "C locale: up" wait_for ascii "upstream_down|app_down|nginx" 15
keys ascii 6
check "C locale: the timeline" wait_for ascii "6 Timeline" 5
check "C locale: ASCII bars (# ok, X 5xx)" wait_for ascii "^ +[0-9]* [ #+.Xx_]*[#X]" 5
check "C locale: no block characters" bash -c "! tmux -u -L $SOCK capture-pane -p -t ascii | grep -q '[█▓▒░]'"
keys ascii q
check "C locale: q exits 0" wait_exit ascii

# ------------------------------------------------------------------ 200x50: the strip
# a hostile request path among the failures: shown inert (U+FFFD), never run
printf '10.9.9.9 - - [%s] "GET /evil/\033]0;PWNED\007\033[2J/4711 HTTP/1.1" 502 0 "-" "x"\n' \
	"$(date '+%d/%b/%Y:%H:%M:%S %z')" >>"$ACCESS_LOG"
start big 200 50 C.UTF-8 -- --nginx-conf "$CONF" --interval 1 --read-only
check "200x50: the strip is shown without a key" wait_for big "6 Timeline \(30 min" 15
check "200x50: the strip has bars" wait_for big "█|▓" 5
LAST=big
check "200x50: the incident mark on the strip's axis" bash -c "tmux -u -L $SOCK capture-pane -p -t big | grep -E '^ +ev ' | grep -q '!'"
shot big timeline-200x50
keys big 6
check "200x50: 6 zooms it: the upstream table" wait_for big "Upstreams \(current window\)" 5
check "200x50: the log_format to add is shown (combined format in the lab)" wait_for big "log_format timeline '" 5
check "200x50: the hostile path listed inert, its id folded" wait_for big "/evil/�\]0;PWNED��\[2J/:id" 5
check "200x50: its OSC did not retitle the pane" bash -c "[ \"\$(tmux -L $SOCK display -p -t big '#{pane_title}')\" != PWNED ]"
check "200x50: its clear-screen did not run (header still there)" wait_for big "gwtop · host" 2
keys big q
check "200x50: q exits 0" wait_exit big
check "200x50: nothing on stderr" clean big

echo "# $PASSES passed, $FAILS failed"
[ "$FAILS" = 0 ]
