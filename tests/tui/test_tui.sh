#!/bin/bash
# test_tui.sh — drives the real gwtop dashboard in tmux against a real
# nginx + gunicorn lab (tests/lab/lab.sh) and asserts what a person sees:
# the verdict in the header, the failing target in the path pane, help,
# zoom, resize, quit with exit 0, escape sequences from error.log made
# inert, NO_COLOR, a key handled at once while an upstream hangs, and the
# actions without systemd: the y/N dialog (n cancels), R + y reloading the
# lab's nginx by SIGHUP, --read-only refusing and shown in the footer.
# (The actions against real units: tests/systemd/test_tui_actions.sh.)
#
#   tests/tui/test_tui.sh            uses ./gwtop (GWTOP=... to override)
#   SCREENSHOTS=screenshots tests/tui/test_tui.sh   also saves captures
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GWTOP=${GWTOP:-$ROOT/gwtop}
LAB=$ROOT/tests/lab/lab.sh
PY=/usr/bin/python3
SOCK=gwtest-$$
TMP=$(mktemp -d /tmp/gwtop-tui.XXXXXX)
HANG_PID=""
FAILS=0
PASSES=0

cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null
	[ -n "$HANG_PID" ] && kill "$HANG_PID" 2>/dev/null
	for d in "$TMP"/lab-*; do
		[ -d "$d" ] && "$LAB" down "$d" >/dev/null 2>&1
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok()   { PASSES=$((PASSES + 1)); echo "ok   - $*"; }
# a failed check shows the screen it looked at (the CI log is all we get)
bad()  {
	FAILS=$((FAILS + 1)); echo "FAIL - $*"
	[ -n "${LAST:-}" ] && tmux -u -L "$SOCK" capture-pane -p -t "$LAST" 2>/dev/null | sed "s/^/#   $LAST| /"
	return 0
}
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

[ -x "$GWTOP" ] || { echo "no gwtop binary at $GWTOP (run make)"; exit 1; }

# start NAME COLS ROWS [ENV=..] -- ARGS: gwtop in a detached tmux session
start() {
	local name=$1 cols=$2 rows=$3; shift 3
	local envs=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
	shift
	local cmd="env LANG=C.UTF-8 LC_ALL=C.UTF-8 ${envs[*]} $GWTOP $* 2>$TMP/$name.err; echo \$? > $TMP/$name.exit"
	tmux -u -L "$SOCK" new-session -d -s "$name" -x "$cols" -y "$rows" "$cmd"
}
cap()    { tmux -u -L "$SOCK" capture-pane -p -t "$1" 2>/dev/null; }
cap_e()  { tmux -u -L "$SOCK" capture-pane -p -e -t "$1" 2>/dev/null; }
keys()   { tmux -L "$SOCK" send-keys -t "$1" "${@:2}"; }
# wait_for NAME REGEX [SECONDS]: poll the screen until grep -E matches
# (on the clock, not a count of polls: a fast machine polls faster)
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
wait_gone() {
	local end=$(( $(now_ms) + ${3:-5} * 1000 ))
	LAST=$1
	while :; do
		cap "$1" | grep -Eq -- "$2" || return 0
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
# nothing on stderr (ASan / UBSan reports, warnings) once NAME has exited;
# "gwtop: audit: ..." lines are expected there: without journald and
# /dev/log (this host) the action audit goes to a stderr that is no tty
clean() {
	! grep -qv '^gwtop: audit: ' "$TMP/$1.err" 2>/dev/null ||
		{ sed 's/^/    /' "$TMP/$1.err" | head -20; return 1; }
}
row() { cap "$1" | sed -n "$(( $2 + 1 ))p"; }
shot() { [ -n "${SCREENSHOTS:-}" ] && mkdir -p "$SCREENSHOTS" && cap "$1" > "$SCREENSHOTS/$2.txt"; return 0; }

lab_up() {   # lab_up NAME FAULT -> sources its lab.env into L_* vars
	"$LAB" up "$TMP/lab-$1" "$2" > "$TMP/lab-$1.log" 2>&1 || { cat "$TMP/lab-$1.log"; return 1; }
}

# ------------------------------------------------------------------ failing lab
echo "# lab app_down"
lab_up down app_down || { bad "lab up app_down"; exit 1; }
# shellcheck disable=SC1090
. "$TMP/lab-down/lab.env"
DOWN_CONF=$CONF DOWN_PORT=$APP_PORT DOWN_ERRLOG=$ERROR_LOG
CAUSE=$("$GWTOP" --check --json --nginx-conf "$DOWN_CONF" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["verdict"]["cause"])')
echo "# --check says: $CAUSE"
check "--check --json gives a failing cause" test -n "$CAUSE" -a "$CAUSE" != healthy

start main 100 30 -- --nginx-conf "$DOWN_CONF" --interval 1
check "header shows the verdict cause ($CAUSE)" wait_for main "^ ✗ CRIT +$CAUSE \(" 15
check "header row 0 carries it" bash -c "[[ \"\$(tmux -u -L $SOCK capture-pane -p -t main | head -1)\" == *$CAUSE* ]]"
check "path pane: target 127.0.0.1:$DOWN_PORT failing" wait_for main "✗ 127\.0\.0\.1:$DOWN_PORT proxy_pass site\.conf:" 5
check "path pane: first broken hop marked" wait_for main "▶ ✗ upstream" 5
check "path pane: connect refused reason" wait_for main "connect failed: Connection refused" 5
check "listeners pane: missing row for the target" wait_for main "✗ 127\.0\.0\.1:$DOWN_PORT +missing" 5
check "footer shows key hints" bash -c "tmux -u -L $SOCK capture-pane -p -t main | tail -1 | grep -q 'F1Help.*qQuit'"
shot main app_down-100x30

keys main '?'
check "? opens help listing the keys" wait_for main "zoom the logs pane" 2
# help_has REGEX: the help list holds it on one of its pages (the list is
# longer than 30 rows since the timeline's and the report's keys): look at
# the top page, then page on, up to 4 pages; back to the top afterwards
help_has() {
	local found=1
	for _p in 1 2 3 4; do
		if wait_for main "$1" 1; then found=0; break; fi
		keys main NPage
	done
	keys main PPage PPage PPage PPage
	return $found
}
check "help lists the tour" help_has 'tour: walk the request path'
check "help lists quit" help_has ' q      quit'
keys main Escape
check "Esc closes help" wait_gone main "zoom the logs pane" 2

keys main 1
check "1 zooms the path pane" wait_gone main "2 Findings" 2
check "zoomed: path pane still shown" wait_for main "1 Request path" 1
keys main 1
check "1 again restores the layout" wait_for main "2 Findings" 2

keys main T
check "T starts the tour" wait_for main "Step 1/6" 2
keys main Right Right
check "tour step 3 is the upstream hop" wait_for main "Step 3/6 +nginx -> upstream target" 2
keys main Escape
wait_gone main "Step 3/6" 2

keys main t
check "t shows the nginx -t output" wait_for main "nginx -t -c $DOWN_CONF" 5
check "nginx -t pager: test is successful" wait_for main "test is successful" 5
keys main Escape
wait_gone main "test is successful" 2

keys main / c o n n e c t Enter
check "/ filters the logs pane" wait_for main "Logs \([^)]*\) filter \"connect\"" 2
keys main / Enter
# "filter cleared" holds the footer for 4 s; resize once the key hints are
# back, so the check below can tell a redrawn footer from a stale one
wait_for main "^F1Help" 8

# resize: redraw at the new size without leftovers
tmux -L "$SOCK" resize-window -t main -x 80 -y 24
check "resize to 80x24: footer on the last row" wait_for main "^F1Help" 3
sleep 0.5
S=$(cap main)
check "80x24: 24 rows" test "$(printf '%s\n' "$S" | wc -l)" -eq 24
check "80x24: no line wider than 80 columns" test "$(printf '%s\n' "$S" | "$PY" -c 'import sys,unicodedata
print(sum(1 for l in sys.stdin.read().split("\n") if sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in l) > 80))')" -eq 0
check "80x24: header still on row 0" bash -c "[[ \"\$(printf '%s\n' \"\$0\" | head -1)\" == ' ✗ CRIT'* ]]" "$S"
for t in "1 Request path" "2 Findings" "3 Processes" "4 Listeners" "5 Logs"; do
	check "80x24: pane title '$t' exactly once" test "$(printf '%s\n' "$S" | grep -c -- "$t")" -eq 1
done
shot main app_down-80x24
tmux -L "$SOCK" resize-window -t main -x 30 -y 8
check "30x8: terminal too small" wait_for main "terminal too small" 3
tmux -L "$SOCK" resize-window -t main -x 100 -y 30
check "back to 100x30: panes again" wait_for main "3 Processes" 3
check "back to 100x30: no 'too small' leftover" wait_gone main "terminal too small" 2

# idle: paused, nothing changes; only the header's age text may tick
keys main ' '
check "space pauses updates" wait_for main "PAUSED" 2
sleep 1.5
tmux -L "$SOCK" pipe-pane -o -t main "cat > $TMP/idle.out"
sleep 3
tmux -L "$SOCK" pipe-pane -t main
IDLE=$(stat -c %s "$TMP/idle.out" 2>/dev/null || echo 99999)
check "paused screen: only the age ticks ($IDLE bytes in 3 s)" test "$IDLE" -lt 600
keys main ' '
check "space resumes" wait_gone main "PAUSED" 3
keys main q
check "q quits" wait_exit main
check "exit status 0" test "$(cat "$TMP/main.exit" 2>/dev/null)" = 0
check "main: nothing on stderr (sanitizers)" clean main

# ------------------------------------------------------------------ escape sequences in error.log
echo "# escape sequences from error.log"
NOW=$(date '+%Y/%m/%d %H:%M:%S')
printf '%s [error] 4242#4242: *99 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: lab.test, request: "GET /\033[31mEVIL\033]2;PWNED\007 HTTP/1.1", upstream: "http://127.0.0.1:%s/", host: "lab.test"\n' \
	"$NOW" "$DOWN_PORT" >> "$DOWN_ERRLOG"
start esc 250 40 -- --nginx-conf "$DOWN_CONF" --interval 1
wait_for esc "CRIT" 15
keys esc 5
check "the hostile line is shown (zoomed logs)" wait_for esc "EVIL" 5
check "ESC shown as U+FFFD, not interpreted" wait_for esc "GET /�\[31mEVIL�\]2;PWNED� HTTP" 2
TITLE=$(tmux -L "$SOCK" display-message -p -t esc '#{pane_title}')
check "OSC title sequence did not reach the terminal (title '$TITLE')" test "$TITLE" != PWNED
check "capture -e: the [31m is text, not a colour change" bash -c "tmux -u -L $SOCK capture-pane -p -e -t esc | grep -a 'EVIL' | grep -aq $'\xef\xbf\xbd\\[31mEVIL'"
keys esc q
wait_exit esc
check "esc: nothing on stderr" clean esc

# ------------------------------------------------------------------ NO_COLOR
echo "# NO_COLOR"
start nocolor 100 30 NO_COLOR=1 -- --nginx-conf "$DOWN_CONF" --interval 1
wait_for nocolor "CRIT" 15
sleep 0.3
check "NO_COLOR: no colour escapes on screen" bash -c "! tmux -u -L $SOCK capture-pane -p -e -t nocolor | grep -aEq $'\033\\[([0-9;]*;)?(3[0-8]|4[0-8]|9[0-7]|10[0-7])(;[0-9;]*)?m'"
check "NO_COLOR: markers still there" wait_for nocolor "▶ ✗ upstream" 2
keys nocolor q
wait_exit nocolor

# ------------------------------------------------------------------ mouse
# The terminal's mouse reports (X10 encoding: ESC [ M, button+32, x+33, y+33)
# are typed into the pane with send-keys -H, as a terminal would send them
# once ncurses has turned mouse reporting on.
echo "# mouse: click to focus, wheel to scroll"
mouse() {   # mouse SESSION BUTTON X Y (0-based cells)
	tmux -L "$SOCK" send-keys -t "$1" -H 1b 5b 4d "$(printf '%x' $(( $2 + 32 )))" \
		"$(printf '%x' $(( $3 + 33 )))" "$(printf '%x' $(( $4 + 33 )))"
}
# where TEXT starts on SESSION's screen: "x y", first match
at() { cap "$1" | "$PY" -c 'import sys
for y, l in enumerate(sys.stdin.read().split("\n")):
    i = l.find(sys.argv[1])
    if i >= 0: print(i, y); break' "$2"; }
for i in $(seq 1 80); do
	printf '%s [warn] 4242#4242: mouse-line-%d\n' "$(date '+%Y/%m/%d %H:%M:%S')" "$i" >> "$DOWN_ERRLOG"
done
start mouse 100 30 -- --nginx-conf "$DOWN_CONF" --interval 1
wait_for mouse "CRIT" 15
check "logs pane follows: the newest line shown" wait_for mouse "mouse-line-80" 5
read -r LX LY <<< "$(at mouse "4 Listeners")"
check "listeners pane title found (x=$LX y=$LY)" test -n "$LX" -a -n "$LY"
mouse mouse 0 $(( LX + 2 )) $(( LY + 1 ))    # press
mouse mouse 3 $(( LX + 2 )) $(( LY + 1 ))    # release
check "click in the listeners pane focuses it" wait_for mouse ">4 Listeners" 3
read -r GX GY <<< "$(at mouse "mouse-line-80")"
for _ in 1 2 3 4; do mouse mouse 64 $(( GX + 2 )) "$GY"; done    # wheel up
check "wheel up over the logs pane scrolls back" wait_gone mouse "mouse-line-80" 3
check "wheel up: older lines now shown" wait_for mouse "mouse-line-6[0-9]" 2
check "wheel scrolls without moving the focus" wait_for mouse ">4 Listeners" 1
for _ in $(seq 1 10); do mouse mouse 65 $(( GX + 2 )) "$GY"; done  # wheel down
check "wheel down returns to the newest line" wait_for mouse "mouse-line-80" 3
keys mouse q
wait_exit mouse
check "mouse: exit 0, nothing on stderr" bash -c "[ \"\$(cat $TMP/mouse.exit)\" = 0 ] && [ ! -s $TMP/mouse.err ]"

# ------------------------------------------------------------------ other terminals, no UTF-8
# gwtop draws through terminfo: under TERM=screen, linux and xterm the same
# dashboard comes up; without a UTF-8 locale it falls back to ASCII glyphs.
for term in screen linux xterm; do
	echo "# TERM=$term"
	start "term-$term" 100 30 "TERM=$term" -- --nginx-conf "$DOWN_CONF" --interval 1
	check "TERM=$term: verdict in the header" wait_for "term-$term" "CRIT +$CAUSE" 15
	check "TERM=$term: the failing target in the path pane" wait_for "term-$term" "127\.0\.0\.1:$DOWN_PORT proxy_pass" 5
	check "TERM=$term: footer key hints" bash -c "tmux -u -L $SOCK capture-pane -p -t term-$term | tail -1 | grep -q 'F1Help.*qQuit'"
	keys "term-$term" '?'
	check "TERM=$term: help opens" wait_for "term-$term" "zoom the logs pane" 3
	keys "term-$term" Escape q
	wait_exit "term-$term"
	check "TERM=$term: exit 0, nothing on stderr" bash -c "[ \"\$(cat $TMP/term-$term.exit)\" = 0 ] && [ ! -s $TMP/term-$term.err ]"
done
echo "# LANG=C: ASCII fallback"
tmux -u -L "$SOCK" new-session -d -s ascii -x 100 -y 30 \
	"env LANG=C LC_ALL=C $GWTOP --nginx-conf $DOWN_CONF --interval 1 2>$TMP/ascii.err; echo \$? > $TMP/ascii.exit"
check "LANG=C: ASCII verdict marker" wait_for ascii "^ x CRIT +$CAUSE" 15
check "LANG=C: ASCII path markers" wait_for ascii "> x upstream" 5
check "LANG=C: no UTF-8 bytes on the screen" bash -c "! tmux -L $SOCK capture-pane -p -t ascii | LC_ALL=C grep -aq '[^ -~]'"
keys ascii q
wait_exit ascii
check "LANG=C: exit 0, nothing on stderr" bash -c "[ \"\$(cat $TMP/ascii.exit)\" = 0 ] && [ ! -s $TMP/ascii.err ]"

# ------------------------------------------------------------------ a hanging upstream
echo "# key while an upstream hangs"
"$PY" -c 'import socket,sys,time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
print(s.getsockname()[1], flush=True)
time.sleep(600)' > "$TMP/hang.port" &
HANG_PID=$!
end=$(( $(now_ms) + 10000 ))
until [ -s "$TMP/hang.port" ] || [ "$(now_ms)" -ge "$end" ]; do sleep 0.05; done
HPORT=$(cat "$TMP/hang.port")
check "hanging upstream listens on $HPORT" test -n "$HPORT"
start hang 100 30 -- --nginx-conf "$DOWN_CONF" --upstream "http://127.0.0.1:$HPORT/" --timeout 8 --interval 1
check "first pass pending (accepts, never answers)" wait_for hang "probing the stack" 5
# best of 3 (the poll itself spawns tmux clients: noisy on a loaded box)
BEST=99999
for _ in 1 2 3; do
	T0=$(date +%s%N)
	keys hang '?'
	for ((i = 0; i < 300; i++)); do
		cap hang | grep -q "zoom the logs pane" && break
		sleep 0.01
	done
	T1=$(date +%s%N)
	MS=$(( (T1 - T0) / 1000000 ))
	[ "$MS" -lt "$BEST" ] && BEST=$MS
	PENDING=$(cap hang | head -1)
	keys hang Escape
	wait_gone hang "zoom the logs pane" 2
done
check "help shown within ${KEY_MS:-500} ms while the probe is pending (best ${BEST} ms)" test "$BEST" -lt "${KEY_MS:-500}"
check "the probe was still pending then" bash -c "[[ '$PENDING' == *'probing the stack'* ]]"
keys hang q
check "q quits at once even with the probe pending" wait_exit hang
check "exit status 0 (hang)" test "$(cat "$TMP/hang.exit" 2>/dev/null)" = 0
check "hang: nothing on stderr" clean hang
kill "$HANG_PID" 2>/dev/null; wait "$HANG_PID" 2>/dev/null; HANG_PID=""

# ------------------------------------------------------------------ healthy lab
echo "# lab healthy"
if lab_up ok healthy; then
	. "$TMP/lab-ok/lab.env"
	start healthy 100 30 -- --nginx-conf "$CONF" --interval 1
	check "healthy: header says OK" wait_for healthy "^ ✓ OK +healthy" 15
	check "healthy: target answered" wait_for healthy "✓ 127\.0\.0\.1:$APP_PORT proxy_pass" 5
	check "healthy: HTTP 200 shown" wait_for healthy "HTTP 200 in" 5
	sleep 1.2
	shot healthy healthy-100x30

	# actions (no systemd here: nginx is reloaded by SIGHUP to its master)
	W0=$(pgrep -P "$NGINX_PID" | sort -n | tr '\n' ' ')
	keys healthy R
	check "R: the y/N dialog names the action and the command" wait_for healthy "Reload nginx\? \(nginx -t && kill -HUP $NGINX_PID\) \[y/N\]" 3
	check "the dialog says it changes the system" wait_for healthy "Confirm: this changes the system" 1
	shot healthy confirm-100x30
	keys healthy n
	check "n cancels" wait_for healthy "cancelled: nothing was changed" 3
	check "the dialog is gone" wait_gone healthy "y/N" 2
	sleep 1
	check "R + n: nginx not reloaded (workers $W0)" test "$(pgrep -P "$NGINX_PID" | sort -n | tr '\n' ' ')" = "$W0"
	keys healthy R
	wait_for healthy "Reload nginx\?" 3
	keys healthy x
	check "any other key cancels too" wait_for healthy "cancelled: nothing was changed" 3
	keys healthy R
	wait_for healthy "Reload nginx\?" 3
	keys healthy y
	check "R + y: nginx -t passes, reloaded by SIGHUP, workers named" wait_for healthy "reloaded nginx by SIGHUP \(master $NGINX_PID\): workers ${W0% } -> [0-9]" 10
	W1=$(pgrep -P "$NGINX_PID" | sort -n | tr '\n' ' ')
	check "R + y: worker PIDs changed ($W0-> $W1)" test -n "$W1" -a "$W1" != "$W0"
	check "R + y: nginx still answers 200" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$NGINX_PORT/")" = 200
	keys healthy 5
	check "the outcome is a gwtop line in the logs pane" wait_for healthy "gwtop +notice reloaded nginx by SIGHUP" 3
	keys healthy 5
	keys healthy r
	check "r without systemd: no unit to restart, said clearly" wait_for healthy "no unit to restart" 3
	keys healthy t
	check "t runs nginx -t now and shows its output" wait_for healthy "nginx -t, run now .*passed" 5
	keys healthy Escape
	keys healthy q
	wait_exit healthy
	check "healthy: exit 0, nothing on stderr but the audit" bash -c "[ \"\$(cat $TMP/healthy.exit)\" = 0 ] && ! grep -qv '^gwtop: audit: ' $TMP/healthy.err"

	start ro 100 30 -- --nginx-conf "$CONF" --interval 1 --read-only
	check "--read-only: the footer says read-only" wait_for ro "^read-only F1Help" 10
	check "--read-only: no r/R hints" bash -c "! tmux -u -L $SOCK capture-pane -p -t ro | tail -1 | grep -q RReload"
	wait_for ro "OK" 15
	keys ro R
	check "--read-only: R refused with a clear message" wait_for ro '`R` refused: gwtop runs with --read-only' 3
	check "--read-only: no dialog" wait_gone ro "y/N" 1
	keys ro '?' End
	check "--read-only: help says the keys are disabled" wait_for ro "read-only: gwtop runs with --read-only, those keys are disabled" 3
	keys ro Escape q
	wait_exit ro
	check "ro: exit 0, nothing on stderr" bash -c "[ \"\$(cat $TMP/ro.exit)\" = 0 ] && [ ! -s $TMP/ro.err ]"
else
	bad "lab up healthy"
fi

echo "# $PASSES passed, $FAILS failed"
[ "$FAILS" -eq 0 ]
