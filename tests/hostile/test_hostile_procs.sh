#!/bin/bash
# Process cmdlines and names with control characters: an app-server-looking
# process whose argv and comm carry ESC/CSI/OSC/BEL/C1 and a 100 KiB
# argument, listening on the lab's spare port. `gwtop --check` must see it
# (its pid is named) yet print no ESC or other control byte.
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
LONG=$(head -c 102400 /dev/zero | tr '\0' 'L')
# argv[0] is a gunicorn-like proc title (so the role is app server) with
# escape sequences in it; comm is rewritten to hold ESC and BEL too
# shellcheck disable=SC2016
(exec -a "gunicorn: master [$(printf '\e]0;pwned\a\e[31mRED\e[0m\x08\x7f\xc2\x9b')app]" "$PY" -c '
import socket, sys, time
with open("/proc/self/comm", "wb") as f:
    f.write(b"\x1b[31mgunicorn\x07")
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
time.sleep(60)
' "$APP_PORT" "$LONG" $'\e[2J\e[H') &
FAKE_PID=$!
H_PIDS+=("$FAKE_PID")
# until the fake has renamed itself and listens (a clock deadline, no fixed sleep)
h_within 10 eval 'grep -q $'"'"'\e'"'"' "/proc/$FAKE_PID/comm" 2>/dev/null && ss -Htln "sport = :$APP_PORT" | grep -q .'
t_check "the fake process's comm holds ESC" grep -q $'\e' "/proc/$FAKE_PID/comm"

it_gwtop --check --timeout 1 --nginx-conf "$CONF"
t_check "text output: no ESC / control bytes" "${BC[@]}" text "$GW_OUT"
t_check "text output names the fake app server (pid $FAKE_PID)" grep -q "pid $FAKE_PID" "$GW_OUT"
t_check "text output shows its comm's escape as inert text" grep -q "pid $FAKE_PID (.\[31mgunicorn" "$GW_OUT"
it_gwtop --check --json --timeout 1 --nginx-conf "$CONF"
t_check "JSON output valid and clean" "${BC[@]}" json "$GW_OUT"
t_check "JSON names the fake app server's listener" "${BC[@]}" grep "$GW_OUT" "pid $FAKE_PID"
