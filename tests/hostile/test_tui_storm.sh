#!/bin/bash
# Terminal faults for the dashboard, in tmux against the lab (app_down):
#  - a SIGWINCH storm: 1,000 resize events in a few seconds (tmux
#    resize-window between two sizes, plus kill -WINCH by PID); gwtop keeps
#    running, its CPU use returns to idle, keys still respond and the screen
#    is redrawn for the final size;
#  - extreme sizes: the smallest window tmux allows (1x1 asked) and 500x200:
#    no crash, still answering keys, `q` quits cleanly.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/lib.sh
. "$HERE/../integration/lib.sh"
# shellcheck source=tests/hostile/hlib.sh
. "$HERE/hlib.sh"
h_init
it_require_root
it_require_gwtop
command -v tmux >/dev/null || it_skip "no tmux"
SOCK=gwstorm-$$
TM=(tmux -L "$SOCK" -f /dev/null)
# tui_stop: end the tmux server and wait until it is gone (a new-session on
# the socket of a server still exiting fails: "server exited unexpectedly")
tui_stop() {
	local p
	p=$("${TM[@]}" display-message -p '#{pid}' 2>/dev/null)
	"${TM[@]}" kill-server 2>/dev/null
	[ -n "$p" ] || return 0
	h_within 5 eval '! kill -0 "$p" 2>/dev/null'
	return 0
}
trap 'rc=$?; tui_stop; (exit $rc); h_finish' EXIT

it_lab_up app_down

# tui_start W H — gwtop in a new tmux session "s" of W x H; its exit code is
# written to $OUT/exit.<session> when it ends. Sets GW_PID.
tui_start() {
	tui_stop
	rm -f "$OUT/exit"
	"${TM[@]}" new-session -d -x "$1" -y "$2" -s s \
		"env TERM=xterm-256color LANG=C.UTF-8 '$GWTOP' --nginx-conf '$CONF' --interval 1 --timeout 1; echo \$? > '$OUT/exit'; sleep 600"
	"${TM[@]}" set-option -g window-size manual >/dev/null 2>&1
	local pane _
	# shellcheck disable=SC2034  # read by h_within's eval
	pane=$("${TM[@]}" display-message -p -t s '#{pane_pid}')
	GW_PID=""
	h_within 10 eval 'GW_PID=$(pgrep -P "$pane" -x gwtop | head -1); [ -n "$GW_PID" ]'
}

screen() { "${TM[@]}" capture-pane -p -t s 2>/dev/null; }

# wait_screen REGEX SECONDS — until the pane shows REGEX
on_screen() { screen | grep -qE -- "$1"; }
wait_screen() { h_within "$2" on_screen "$1"; }

# cpu_ticks PID — utime+stime of PID in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

alive() { [ -n "$1" ] && [ -e "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat")" != Z ]; }

# quit_check NAME — `q` ends gwtop with exit code 0
quit_check() {
	"${TM[@]}" send-keys -t s q
	local _
	h_within 10 test -s "$OUT/exit"
	local rc got
	got=$(cat "$OUT/exit" 2>/dev/null)
	[ "$got" = 0 ]; rc=$?     # ($? after a $(...) in t_result's message would be that command's)
	t_result "$1: q quits with exit code 0 (got '$got')" "$rc"
}

# --- 1. SIGWINCH storm ---------------------------------------------------
tui_start 120 40
t_check "gwtop started in tmux (pid ${GW_PID:-none})" test -n "$GW_PID"
wait_screen 'Request path' 15
t_result "first screen at 120x40" $?
HZ=$(getconf CLK_TCK)
# 500 real resizes (one tmux client, commands chained with ';': each is a
# TIOCSWINSZ on the pty, so a SIGWINCH) while 500 kill -WINCH go by PID
RS=()
for ((i = 0; i < 500; i++)); do
	RS+=(resize-window -t s -x $((80 + i % 7 * 20)) -y $((24 + i % 5 * 8)) \;)
done
unset 'RS[${#RS[@]}-1]'
start=$(date +%s%N)
"${TM[@]}" "${RS[@]}" 2>/dev/null &
RPID=$!
for ((i = 0; i < 500; i++)); do
	kill -WINCH "$GW_PID" 2>/dev/null
	((i % 50)) || sleep 0.01
done
wait "$RPID"
ms=$((($(date +%s%N) - start) / 1000000))
echo "# 500 tmux resizes + 500 kill -WINCH in $ms ms"
alive "$GW_PID"
t_result "gwtop survives 1,000 resize events" $?
"${TM[@]}" resize-window -t s -x 100 -y 30
sleep 3   # let it settle: redraws done, back to the 1 s probe rhythm
c0=$(cpu_ticks "$GW_PID")
sleep 5
c1=$(cpu_ticks "$GW_PID")
cpu_pct=$(((c1 - c0) * 100 / HZ / 5))
echo "# CPU over 5 s after the storm: $((c1 - c0)) ticks (HZ $HZ) = ${cpu_pct}%"
[ "$cpu_pct" -lt 30 ]
t_result "CPU returns to idle after the storm (${cpu_pct}% < 30%)" $?
"${TM[@]}" send-keys -t s '?'
wait_screen 'Help' 10
t_result "keys respond after the storm (? opens Help)" $?
"${TM[@]}" send-keys -t s Escape
redrawn() {   # the help closed, the screen drawn for 100x30
	screen >"$OUT/after-storm.txt"
	width=$("$PY" -c 'import sys; print(max(len(l.rstrip("\n")) for l in open(sys.argv[1], encoding="utf-8")))' "$OUT/after-storm.txt")
	lines=$(wc -l <"$OUT/after-storm.txt")
	[ "$lines" = 30 ] && [ "$width" -le 100 ] && [ "$width" -ge 90 ] &&
		grep -q 'Request path' "$OUT/after-storm.txt" && grep -q 'F1Help' "$OUT/after-storm.txt"
}
h_within 10 redrawn
t_result "screen redrawn for 100x30 after the storm (lines $lines, widest $width)" $?
if [ "$T_FAILED" -gt 0 ]; then sed 's/^/#   /' "$OUT/after-storm.txt"; fi
quit_check "after the storm"

# --- 2. the smallest terminal tmux allows ---------------------------------
tui_start 1 1
sz=$("${TM[@]}" display-message -p -t s '#{window_width}x#{window_height}')
echo "# tmux gave a ${sz} window for 1x1"
sleep 4
alive "$GW_PID"
t_result "gwtop runs in a ${sz} terminal" $?
"${TM[@]}" send-keys -t s '?' ; sleep 0.5
"${TM[@]}" send-keys -t s Escape ; sleep 0.5
"${TM[@]}" send-keys -t s T ; sleep 0.5
"${TM[@]}" send-keys -t s Escape ; sleep 0.5
"${TM[@]}" send-keys -t s 5 ; sleep 1
alive "$GW_PID"
t_result "gwtop survives help, tour and zoom at ${sz}" $?
"${TM[@]}" resize-window -t s -x 80 -y 24
wait_screen 'Request path' 10
t_result "grown from ${sz} to 80x24: the dashboard is drawn" $?
"${TM[@]}" resize-window -t s -x 1 -y 1
sleep 1
quit_check "at ${sz}"

# --- 3. a huge terminal ----------------------------------------------------
tui_start 500 200
wait_screen 'Request path' 15
t_result "first screen at 500x200" $?
"${TM[@]}" send-keys -t s T ; sleep 0.5
"${TM[@]}" send-keys -t s Enter ; sleep 0.5
"${TM[@]}" send-keys -t s Escape ; sleep 0.5
"${TM[@]}" send-keys -t s 5 ; sleep 1
screen >"$OUT/huge.txt"
alive "$GW_PID" && [ "$(wc -l <"$OUT/huge.txt")" = 200 ]
t_result "gwtop survives tour and zoom at 500x200 (200 lines on screen)" $?
quit_check "at 500x200"
