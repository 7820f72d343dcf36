#!/bin/bash
# valgrind (memcheck) over a scripted dashboard session against the lab
# (app_down), in tmux 120x40: first screen, ? help, Esc, T tour + steps,
# 5 zoom, resize to 80x24 and 200x60, / filter, q. Asserts memcheck saw no
# error (invalid read/write, uninitialised use, bad free) and no definite
# leak. Exit 77 when valgrind is missing. Takes 1-3 minutes (valgrind is
# slow); GWTOP_VALGRIND_WAIT scales the waits (default 1).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/lib.sh
. "$HERE/../integration/lib.sh"
# shellcheck source=tests/hostile/hlib.sh
. "$HERE/hlib.sh"
h_init
it_require_root
it_require_gwtop
command -v valgrind >/dev/null || it_skip "no valgrind (apt-get install valgrind)"
# an ASan build (make test SANITIZE=1) cannot run under valgrind: ASan checks it there
asan=$(nm -D "$GWTOP" 2>/dev/null | grep -c __asan_init || true)
[ "${asan:-0}" = 0 ] || it_skip "gwtop is an ASan build: valgrind runs only on the plain build"
command -v tmux >/dev/null || it_skip "no tmux"
SLOW=${GWTOP_VALGRIND_WAIT:-1}
SOCK=gwvg-$$
TM=(tmux -L "$SOCK" -f /dev/null)
tui_stop() { "${TM[@]}" kill-server 2>/dev/null; return 0; }
trap 'rc=$?; tui_stop; (exit $rc); h_finish' EXIT

it_lab_up app_down
VGLOG=$OUT/valgrind.log

screen() { "${TM[@]}" capture-pane -p -t vg 2>/dev/null; }
# wait_screen REGEX SECONDS — until the pane shows REGEX
wait_screen() {
	local i
	for ((i = 0; i < $2 * SLOW * 10; i++)); do
		screen | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
key() { "${TM[@]}" send-keys -t vg "$@"; sleep "$((2 * SLOW))"; }

"${TM[@]}" new-session -d -x 120 -y 40 -s vg \
	"env TERM=xterm-256color LANG=C.UTF-8 valgrind --error-exitcode=99 --leak-check=full \
--errors-for-leak-kinds=definite --track-fds=no --num-callers=30 --log-file='$VGLOG' \
'$GWTOP' --interval 1 --timeout 1 --nginx-conf '$CONF'; echo \$? > '$OUT/exit'; sleep 600"

wait_screen 'Request path' 120
t_result "first screen under valgrind" $?
key '?'
wait_screen 'Help' 30
t_result "? opens Help" $?
key Escape
key T
wait_screen 'Tour' 30
t_result "T opens the tour" $?
key Enter
key Right
key Enter
key Escape
key 5
"${TM[@]}" resize-window -t vg -x 80 -y 24; sleep "$((3 * SLOW))"
"${TM[@]}" resize-window -t vg -x 200 -y 60; sleep "$((3 * SLOW))"
wait_screen 'F1Help' 30 && [ "$(screen | wc -l)" = 60 ]
t_result "redrawn (zoomed logs) after resizes to 80x24 and 200x60" $?
key 5          # back from the zoom
wait_screen 'Request path' 30
t_result "5 again: back to the dashboard at 200x60" $?
key /
"${TM[@]}" send-keys -t vg -l 'connect'
key Enter
sleep "$((3 * SLOW))"     # a few probe ticks with the filter on
key Escape
"${TM[@]}" send-keys -t vg q

# valgrind's leak check at exit takes a while
for ((i = 0; i < 120 * SLOW * 10; i++)); do [ -s "$OUT/exit" ] && break; sleep 0.1; done
rc=$(cat "$OUT/exit" 2>/dev/null)
echo "# gwtop under valgrind exited with '$rc'"
t_check "valgrind wrote its log" test -s "$VGLOG"
grep -E 'ERROR SUMMARY|definitely lost:|indirectly lost:|possibly lost:|still reachable:|All heap blocks' "$VGLOG" | sed 's/^==[0-9]*== */# /'
[ "$rc" = 0 ]
t_result "gwtop quit with exit code 0 under valgrind (99: memcheck errors)" $?
grep -q 'ERROR SUMMARY: 0 errors' "$VGLOG"
t_result "memcheck: 0 errors" $?
! grep -qE 'definitely lost: [1-9]' "$VGLOG"
t_result "memcheck: no definite leak" $?
if [ "$T_FAILED" -gt 0 ]; then
	echo "# valgrind log (first errors):"
	grep -vE '^==[0-9]+== *$' "$VGLOG" | head -120 | sed 's/^/#   /'
fi
