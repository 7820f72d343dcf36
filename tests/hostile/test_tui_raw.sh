#!/bin/bash
# The raw bytes the dashboard writes to its terminal, captured with tmux
# pipe-pane while it shows hostile error.log / app log lines (OSC title and
# clipboard sequences, DCS, BEL, raw C1 CSI, invalid UTF-8): none of the
# injected control sequences reaches the terminal. ncurses emits its own
# CSI sequences, so the check is on what curses never sends: OSC (ESC ]),
# DCS (ESC P), BEL, raw C1 bytes; plus the pane title is left alone.
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
SOCK=gwhostile-$$
tui_stop() { tmux -L "$SOCK" kill-server 2>/dev/null; return 0; }
trap 'tui_stop; h_finish' EXIT

MARK=HOSTILEtui$$
it_lab_up app_down
"$PY" "$HERE/inject.py" nginx "$ERROR_LOG" "$TARGET" "$MARK"
"$PY" "$HERE/inject.py" app "$APP_LOG" "$MARK"
RAW=$OUT/raw.bytes
: >"$RAW"
tmux -L "$SOCK" -f /dev/null new-session -d -x 200 -y 50 -s h \
	"env TERM=xterm-256color LANG=C.UTF-8 $GWTOP --nginx-conf $CONF --app-log $APP_LOG --timeout 1 --interval 1; echo \$? > $OUT/exit; sleep 2"
tmux -L "$SOCK" pipe-pane -o -t h "cat >> $RAW"
tmux -L "$SOCK" set-option -t h -g set-titles off >/dev/null 2>&1
# the dashboard drew its panes; then the zoomed logs pane shows the
# hostile lines (clock deadlines, not fixed sleeps: a busy machine is slower)
h_within 20 eval 'tmux -L "$SOCK" capture-pane -p -t h | grep -q "5 Logs"'
tmux -L "$SOCK" send-keys -t h 5        # zoom the logs pane
h_within 15 eval 'tmux -L "$SOCK" capture-pane -p -t h >"$OUT/screen.txt"; grep -q "$MARK" "$OUT/screen.txt"'
title=$(tmux -L "$SOCK" display-message -p -t h '#{pane_title}')
tmux -L "$SOCK" send-keys -t h q
# gwtop has exited (the pane then sleeps 2 s): its last bytes are in $RAW
h_within 10 test -s "$OUT/exit"

t_check "the terminal stream was captured ($(wc -c <"$RAW") bytes)" test -s "$RAW"
t_check "the logs pane shows the hostile line (sanitized)" grep -q "$MARK" "$OUT/screen.txt"
"$PY" - "$RAW" <<'PYEOF'
import sys
d = open(sys.argv[1], "rb").read()
bad = {b"\x1b]": "OSC (ESC ])", b"\x1bP": "DCS (ESC P)", b"\x07": "BEL", b"\x9b": "raw C1 CSI",
       b"\x1b]52;": "OSC 52 clipboard", b"pwned\x07": "OSC payload"}
found = [name for seq, name in bad.items() if seq in d]
if found:
    i = min(d.find(s) for s in bad if s in d)
    print("# raw stream holds", ", ".join(found), "near", repr(d[max(0, i - 40):i + 40]))
sys.exit(1 if found else 0)
PYEOF
t_result "no OSC, DCS, BEL or raw C1 in the bytes written to the terminal" $?
[ "$title" != pwned ]
t_result "pane title not set by the log (title '$title')" $?
