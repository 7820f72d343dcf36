#!/bin/bash
# tests/systemd/test_dbus_slow.sh — the dashboard and the system bus, in the
# real systemd box (tests/sdbox/sdbox.sh), gwtop in tmux INSIDE the box with
# --interval 30 (no tick during the test):
#   PropertiesChanged: `systemctl stop gunicorn` -> the app hop is red within
#   1 s (a probe pass triggered by systemd's signal, not by the tick), and
#   `systemctl start` -> green again within a few seconds (the follow-up pass);
#   a slow bus: the box's dbus-daemon SIGSTOPped for 3 s while a probe pass
#   waits on it -> `?` still opens the help within 0.5 s; SIGCONT -> the
#   dashboard carries on and q quits cleanly.
# Prints TAP. Exit 0 passed, 1 failed, 77 skipped (not root / no box here).
# GWTOP=path overrides ./gwtop (build it first: make gwtop).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SDBOX=$ROOT/tests/sdbox/sdbox.sh
GWTOP=${GWTOP:-$ROOT/gwtop}

if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP the systemd box needs root"; exit 77; fi
[ -x "$GWTOP" ] || { echo "Bail out! no gwtop binary at $GWTOP (make gwtop)"; exit 1; }
command -v tmux >/dev/null || { echo "1..0 # SKIP no tmux"; exit 77; }

T=$(mktemp -d /var/tmp/gwtop-dbusslow.XXXXXX)
W=""
DBUS=""            # the box's dbus-daemon (box PID), while stopped
IN() { bash "$SDBOX" in "$W" "$@"; }
box_down() {
	[ -n "$W" ] || return 0
	if [ -n "$DBUS" ]; then IN kill -CONT "$DBUS" >/dev/null 2>&1; fi
	IN systemctl kill --signal=SIGKILL gunicorn.service >/dev/null 2>&1
	bash "$SDBOX" down "$W" >/dev/null 2>&1 || { sleep 1; bash "$SDBOX" down "$W" >/dev/null 2>&1; }
	W=""
}
cleanup() { box_down; rm -f "$T"/*; rmdir "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
cp "$GWTOP" "$T/gwtop"
chmod 755 "$T"

n=0; failed=0
ok()    { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | head -40 | sed 's/^/# /'; }
TM()     { IN env LANG=C.UTF-8 LC_ALL=C.UTF-8 tmux -u -L t "$@"; }
screen() { TM capture-pane -p -J -t a 2>/dev/null; }
ms()     { echo $(($(date +%s%N) / 1000000)); }
# wait_ms REGEX LIMIT_MS: poll the screen; prints the elapsed ms, 0 = seen
wait_ms() {
	local t0 now; t0=$(ms)
	while :; do
		now=$(ms)
		if screen | grep -Eq -- "$1"; then echo $((now - t0)); return 0; fi
		[ $((now - t0)) -le "$2" ] || { echo $((now - t0)); return 1; }
		sleep 0.05
	done
}

W=$(mktemp -u /var/tmp/sdbox.XXXXXX)
if ! bash "$SDBOX" up "$W" >/dev/null 2>"$T/boot.err"; then
	echo "1..0 # SKIP the systemd box cannot boot here: $(tail -1 "$T/boot.err")"
	W=""
	exit 77
fi
IN sh -c ': > /var/log/nginx/error.log'

TM new-session -d -s a -x 120 -y 40 "$T/gwtop --interval 30 2>/tmp/a.err; echo \$? > /tmp/a.exit"
if wait_ms '^ ✓ OK +healthy' 20000 >/dev/null; then ok "the dashboard comes up healthy (--interval 30)"
else notok "the dashboard comes up healthy" "$(screen)"; fi
sleep 1                                      # the first pass has watched gunicorn.service
probed0=$(screen | grep -o 'probed [0-9-]* [0-9:]*')

# ---------------------------------------------------------------- PropertiesChanged
IN systemctl stop gunicorn.service           # returns when the unit is inactive
if el=$(wait_ms '✗ app +gunicorn\.service inactive' 1000); then
	ok "systemctl stop: the app hop is red ${el} ms after the unit went inactive (< 1 s, interval 30 s)"
else notok "systemctl stop: the app hop is red within 1 s" "after ${el} ms: $(screen | head -12)"; fi
probed1=$(screen | grep -o 'probed [0-9-]* [0-9:]*')
if [ -n "$probed1" ] && [ "$probed1" != "$probed0" ]; then ok "a new pass ran at once ($probed0 -> $probed1), not at the tick"
else notok "a new pass ran at once" "$probed0 -> $probed1"; fi
screen | grep -q 'CRIT' && ok "the verdict is red too" || notok "the verdict is red too" "$(screen | head -3)"

IN systemctl start gunicorn.service
if el=$(wait_ms '^ ✓ OK +healthy' 10000); then
	ok "systemctl start: healthy again ${el} ms later (the follow-up pass after the socket is bound)"
else notok "systemctl start: healthy again within 10 s" "$(screen | head -12)"; fi

# ---------------------------------------------------------------- slow D-Bus
DBUS=$(IN pgrep -x dbus-daemon | head -n1)
if [ -z "$DBUS" ]; then
	notok "the box's dbus-daemon found" "pgrep -x dbus-daemon: nothing"
else
	IN kill -STOP "$DBUS"
	TM send-keys -t a c                      # a pass now: its D-Bus calls hang
	sleep 0.3
	t0=$(ms)
	TM send-keys -t a '?'
	if el=$(wait_ms '─ Help ─' 500); then
		ok "dbus-daemon stopped, a pass waiting on it: ? shows the help in $(( $(ms) - t0 )) ms (< 0.5 s)"
	else notok "dbus-daemon stopped: ? shows the help within 0.5 s" "after ${el} ms: $(screen | head -20)"; fi
	TM send-keys -t a Escape
	if wait_ms 'Request path' 500 >/dev/null && ! screen | grep -q '─ Help ─'; then ok "Esc closes it, still while the bus hangs"
	else notok "Esc closes the help while the bus hangs" "$(screen | head -5)"; fi
	sleep "$(awk -v t="$(( $(ms) - t0 ))" 'BEGIN { r = 3 - t / 1000; print (r > 0 ? r : 0) }')"
	IN kill -CONT "$DBUS"
	DBUS=""
	IN systemctl stop gunicorn.service   # the bus works again: signals flow
	if el=$(wait_ms '✗ app +gunicorn\.service inactive' 8000); then ok "after SIGCONT the dashboard carries on (stop seen ${el} ms later)"
	else notok "after SIGCONT the dashboard carries on" "$(screen | head -12)"; fi
fi

TM send-keys -t a q
end=$(( ${EPOCHREALTIME/./} / 1000 + 10000 ))   # a clock deadline, not a count of polls
until IN test -s /tmp/a.exit || [ $(( ${EPOCHREALTIME/./} / 1000 )) -ge "$end" ]; do sleep 0.1; done
rc=$(IN cat /tmp/a.exit 2>/dev/null); err=$(IN cat /tmp/a.err 2>/dev/null)
if [ "$rc" = 0 ] && [ -z "$err" ]; then ok "q quits with 0, nothing on stderr"
else notok "q quits with 0, nothing on stderr" "rc=$rc $err"; fi

echo "1..$n"
[ "$failed" = 0 ]
