#!/bin/bash
# tests/systemd/test_manual_restarts.sh — restarts done by hand are not a
# crash loop. In the real systemd box (tests/sdbox/sdbox.sh) the dashboard
# runs with --interval 1 (its units probe keeps the main PID's history);
# `systemctl restart gunicorn.service` three times in a few seconds (a
# deploy) changes the main PID three times with NRestarts=0: the dashboard
# must never say app_crash_loop / "crash-looping" and must be healthy
# after. Then systemd's own restarts (the app killed with SIGKILL three
# times: Restart=on-failure, NRestarts rising) are one.
# Prints TAP. Exit 0 passed, 1 failed, 77 skipped (not root / no box here).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SDBOX=$ROOT/tests/sdbox/sdbox.sh
GWTOP=${GWTOP:-$ROOT/gwtop}

if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP the systemd box needs root"; exit 77; fi
[ -x "$GWTOP" ] || { echo "Bail out! no gwtop binary at $GWTOP (make gwtop)"; exit 1; }
command -v tmux >/dev/null || { echo "1..0 # SKIP no tmux"; exit 77; }

T=$(mktemp -d /var/tmp/gwtop-manrestart.XXXXXX)
W=""
IN() { bash "$SDBOX" in "$W" "$@"; }
box_down() {
	[ -n "$W" ] || return 0
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
wait_ms() {   # wait_ms REGEX LIMIT_MS (on the clock)
	local t0 now; t0=$(ms)
	while :; do
		now=$(ms)
		if screen | grep -Eq -- "$1"; then echo $((now - t0)); return 0; fi
		[ $((now - t0)) -le "$2" ] || { echo $((now - t0)); return 1; }
		sleep 0.05
	done
}
# wait_answers: the app answers on its socket again (deadline 15 s)
wait_answers() {
	local end=$(( $(ms) + 15000 ))
	while [ "$(ms)" -lt "$end" ]; do
		[ "$(IN curl -s -o /dev/null -w '%{http_code}' --unix-socket /run/gunicorn/gunicorn.sock http://localhost/ 2>/dev/null)" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}

W=$(mktemp -u /var/tmp/sdbox.XXXXXX)
if ! bash "$SDBOX" up "$W" >/dev/null 2>"$T/boot.err"; then
	echo "1..0 # SKIP the systemd box cannot boot here: $(tail -1 "$T/boot.err")"
	W=""
	exit 77
fi

TM new-session -d -s a -x 120 -y 40 "$T/gwtop --interval 1 2>/tmp/a.err; echo \$? > /tmp/a.exit"
if wait_ms '^ ✓ OK +healthy' 20000 >/dev/null; then ok "the dashboard comes up healthy"
else notok "the dashboard comes up healthy" "$(screen)"; fi

# ---------------------------------------------------------------- by hand
seen_loop=0
pids=""
for i in 1 2 3; do
	IN systemctl restart gunicorn.service
	wait_answers || notok "gunicorn answers after restart $i" "$(IN systemctl status gunicorn.service --no-pager 2>&1 | head -20)"
	pids="$pids $(IN systemctl show -p MainPID --value gunicorn.service)"
	for ((k = 0; k < 20; k++)); do       # two ticks watched between restarts
		screen | grep -Eq 'crash-loop|app_crash_loop' && seen_loop=1
		sleep 0.1
	done
done
nr=$(IN systemctl show -p NRestarts --value gunicorn.service)
echo "# main PIDs:$pids, NRestarts=$nr"
[ "$nr" = 0 ] && ok "restarts by hand: NRestarts stays 0" || notok "restarts by hand: NRestarts stays 0" "NRestarts=$nr"
for ((k = 0; k < 30; k++)); do screen | grep -Eq 'crash-loop|app_crash_loop' && seen_loop=1; sleep 0.1; done
[ "$seen_loop" = 0 ] && ok "three restarts by hand are never called a crash loop" \
	|| notok "three restarts by hand are never called a crash loop" "$(screen | head -20)"
if wait_ms '^ ✓ OK +healthy' 10000 >/dev/null; then ok "healthy after the restarts by hand"
else notok "healthy after the restarts by hand" "$(screen | head -20)"; fi

# ---------------------------------------------------------------- by systemd
for i in 1 2 3; do
	IN systemctl kill --signal=SIGKILL --kill-whom=main gunicorn.service
	wait_answers || true
done
nr=$(IN systemctl show -p NRestarts --value gunicorn.service)
if [ "${nr:-0}" -ge 3 ]; then ok "SIGKILLed three times: systemd restarted it (NRestarts=$nr)"
else notok "SIGKILLed three times: systemd restarted it" "NRestarts=$nr"; fi
if el=$(wait_ms 'crash-loop' 8000); then ok "systemd's own restarts are a crash loop (${el} ms)"
else notok "systemd's own restarts are a crash loop" "$(screen | head -20)"; fi

TM send-keys -t a q
for ((i = 0; i < 50; i++)); do IN test -s /tmp/a.exit && break; sleep 0.1; done
rc=$(IN cat /tmp/a.exit 2>/dev/null); err=$(IN cat /tmp/a.err 2>/dev/null)
if [ "$rc" = 0 ] && [ -z "$err" ]; then ok "q quits with 0, nothing on stderr"
else notok "q quits with 0, nothing on stderr" "rc=$rc $err"; fi

echo "1..$n"
[ "$failed" = 0 ]
