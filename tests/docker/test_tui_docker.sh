#!/bin/bash
# test_tui_docker.sh — the dashboard against a real dockerd (issue 7), as
# root, driven in tmux like a person would: the app bound to 127.0.0.1
# inside its container (app-lo) behind a real nginx. Asserts that the header
# shows container_loopback_bind and the path pane names the container; that
# `r` asks "Restart container app-lo? (docker restart app-lo) [y/N]", `n`
# changes nothing, `y` restarts it through the engine API (State.StartedAt
# and State.Pid change, read with curl on the socket) and the outcome shows
# on the status line; and that --read-only refuses `r`. The logs pane shows
# the container's own log lines tagged with its name: the line it printed at
# start, the new one after the restart (the follow stream went on), and
# live the access line of a request made a moment before (from inside the
# container: app-lo answers only there).
#
# Uses the same engine and image helpers as run.sh (engine.sh, image.sh).
# Everything it creates (tmux server, nginx, containers, dockerd, docker0,
# nft tables, mounts, temp dir) is removed on any exit.
# TAP output; exit 0 passed, 1 failed, 77 skipped.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
GWTOP=${GWTOP:-$ROOT/gwtop}
PY=/usr/bin/python3
NGINX=${NGINX:-/usr/sbin/nginx}
# shellcheck source=tests/docker/engine.sh
. "$HERE/engine.sh"

N=0
FAILED=0
L=""
NGINX_PID=""
TSOCK=gwtop-tuidocker-$$

[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (dockerd)"; exit 77; }
command -v tmux >/dev/null || { echo "1..0 # SKIP no tmux"; exit 77; }
[ -x "$GWTOP" ] || { echo "1..0 # SKIP no $GWTOP (make gwtop)"; exit 77; }
if ! command -v dockerd >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker.io >/dev/null 2>&1 ||
		{ echo "1..0 # SKIP cannot install docker.io"; exit 77; }
fi
command -v docker >/dev/null || { echo "1..0 # SKIP no docker CLI"; exit 77; }

finish() {
	local rc=$?
	trap - EXIT INT TERM
	portlock_release
	tmux -L "$TSOCK" kill-server 2>/dev/null
	if [ -n "$NGINX_PID" ]; then
		kill -QUIT "$NGINX_PID" 2>/dev/null
		engine_until 5 engine_gone "$NGINX_PID" || kill -KILL "$NGINX_PID" 2>/dev/null
	fi
	if [ -n "$L" ] && [ -d "$L" ]; then
		engine_down "$L"
		rm -rf -- "$L"
	fi
	echo "1..$N"
	[ "$FAILED" = 0 ] && [ "$rc" = 0 ] && exit 0
	exit 1
}
ok() { N=$((N + 1)); echo "ok $N - $1"; }
notok() {
	N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"
	[ ! -s "$L/exit" ] || sed 's/^/# /' "$L/exit"
	[ ! -s "$L/gwtop.err" ] || tail -n 20 "$L/gwtop.err" | sed 's/^/# gwtop stderr: /'
}
check() { local name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }

screen() { tmux -L "$TSOCK" capture-pane -p -J -t gw 2>/dev/null; }
# tmux_down: end the tmux server and wait until it is gone — a new-session
# on the socket of a server still exiting fails ("server exited unexpectedly")
tmux_down() {
	local p
	p=$(tmux -L "$TSOCK" display-message -p '#{pid}' 2>/dev/null)
	tmux -L "$TSOCK" kill-server 2>/dev/null
	[ -n "$p" ] || return 0
	engine_until 5 engine_gone "$p"
	return 0
}
# dash GWTOP-ARGS... — the dashboard in a fresh tmux server; its exit status
# goes to L/exit, its stderr to L/gwtop.err
dash() {
	tmux_down
	: >"$L/exit"
	tmux -L "$TSOCK" new-session -d -s gw -x 220 -y 50 \
		"$GWTOP $* 2>$L/gwtop.err; echo \"gwtop exited: status \$?\" >$L/exit"
}
# see REGEX [SECONDS]: until the screen matches
on_screen() { screen | grep -Eq -- "$1"; }
see() {
	engine_until "${2:-15}" on_screen "$1" && return 0
	echo "# screen did not show /$1/:"
	screen | sed 's/^/#   /'
	return 1
}
# the header: the screen's first three lines
header_has() { screen | head -n 3 | grep -Eq -- "$1"; }
keys() { tmux -L "$TSOCK" send-keys -t gw "$@"; }

# inspect NAME KEY.PATH — a field of GET /containers/NAME/json
inspect() {
	curl -s --max-time 10 --unix-socket "$ENGINE_SOCK" "http://d/v1.41/containers/$1/json" |
		"$PY" -c 'import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    d = (d or {}).get(k)
print("" if d is None else d)' "$2" 2>/dev/null
}
dk() { DOCKER_HOST=unix://$ENGINE_SOCK timeout 60 docker "$@"; }
wait_for() { engine_until "$@"; }   # SECONDS CMD...: a clock deadline
is_health() { [ "$(inspect "$1" State.Health.Status)" = "$2" ]; }
changed() { local v; v=$(inspect "$1" "$2"); [ -n "$v" ] && [ "$v" != "$3" ]; }

trap finish EXIT
trap 'exit 130' INT TERM
L=$(mktemp -d /var/tmp/gwtop-tuidocker.XXXXXX)
chmod 755 "$L"
engine_up "$L" || { notok "dockerd up"; exit 1; }
ok "dockerd up at $ENGINE_SOCK"
mkdir -p "$L/img"
if "$HERE/image.sh" "$L/img" >"$L/image.log" 2>&1 &&
	DOCKER_BUILDKIT=0 dk build -q -t gwtop-app:latest -f "$L/img/Containerfile" "$L/img" >>"$L/image.log" 2>&1; then
	ok "image gwtop-app built FROM scratch"
else
	notok "image gwtop-app built"; tail -20 "$L/image.log" | sed 's/^/# /'; exit 1
fi
rm -f "$L/img/rootfs.tar"

# a free loopback port pair
P=""
portlock_claim 12 && P=$PL_BASE
[ -n "$P" ] || { notok "a free port"; exit 1; }

dk run -d --name app-lo -p "127.0.0.1:$P:8000" gwtop-app python3 /app/server.py 127.0.0.1 8000 >/dev/null
check "app-lo healthy by its own check" wait_for 40 is_health app-lo healthy

Ng=$L/nginx
proxy_nginx_up "$Ng" $((P + 1)) "127.0.0.1:$P" || { sed 's/^/# /' "$Ng/start.err"; notok "nginx up"; exit 1; }
for _ in 1 2 3; do curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$((P + 1))/"; done
ok "nginx on 127.0.0.1:$((P + 1)) -> 127.0.0.1:$P (app-lo)"

# ---------------------------------------------------------------- read-only first
dash --read-only --nginx-conf "$Ng/nginx.conf" --docker-socket "$ENGINE_SOCK"
check "read-only: header shows container_loopback_bind" see 'container_loopback_bind' 20
started0=$(inspect app-lo State.StartedAt)
keys r
check "read-only: r is refused" see 'read-only' 5
sleep 1
check "read-only: the container was not restarted" [ "$(inspect app-lo State.StartedAt)" = "$started0" ]

# ---------------------------------------------------------------- the dashboard
dash --nginx-conf "$Ng/nginx.conf" --docker-socket "$ENGINE_SOCK"
if see 'container_loopback_bind' 20 && header_has 'container_loopback_bind'; then
	ok "header shows container_loopback_bind"
else
	notok "header shows container_loopback_bind"
fi
check "the path pane names the container app-lo" see 'app-lo' 5

pid0=$(inspect app-lo State.Pid)
rc0=$(inspect app-lo RestartCount)
keys r
check "r asks: Restart container app-lo? (docker restart app-lo) [y/N]" \
	see 'Restart container app-lo\? \(docker restart app-lo\) \[y/N\]' 5
keys n
check "n cancels" see 'cancelled: nothing was changed' 5
sleep 1
check "n: StartedAt unchanged" [ "$(inspect app-lo State.StartedAt)" = "$started0" ]

keys r
see 'Restart container app-lo\?' 5 >/dev/null
keys y
check "y: State.StartedAt changes" wait_for 30 changed app-lo State.StartedAt "$started0"
check "y: State.Pid changes ($pid0 -> $(inspect app-lo State.Pid))" [ "$(inspect app-lo State.Pid)" != "$pid0" ]
echo "# RestartCount $rc0 -> $(inspect app-lo RestartCount) (docker restart does not count as a policy restart)"
check "the status line says the container was restarted" see 'restarted container app-lo: pid [0-9]+ -> [0-9]+, running' 15
check "the container is running again" [ "$(inspect app-lo State.Status)" = running ]
check "the dashboard is still running" [ ! -s "$L/exit" ]

# ---------------------------------------------------------------- its log in the logs pane
# server.py prints "listening on HOST:PORT" to stderr at start, and an access
# line per request; the logs pane, zoomed and filtered, must show them tagged
# app-lo (time, tag, level, text)
# lines_seen REGEX N: at least N screen lines match
lines_seen() { [ "$(screen | grep -Ec -- "$1")" -ge "$2" ]; }
logs_filter() { keys /; keys -l "$1"; keys Enter; }
keys 5
logs_filter 'listening on'
check "logs pane: app-lo's start line, tagged with its name" \
	see '[0-9]{2}:[0-9]{2}:[0-9]{2} app-lo +info +listening on 127\.0\.0\.1:8000' 15
if wait_for 20 lines_seen 'app-lo +info +listening on 127\.0\.0\.1:8000' 2; then
	ok "logs pane: the line again after the restart (the stream followed it), once each"
else
	notok "logs pane: the line again after the restart"; screen | sed 's/^/#   /'
fi
check "logs pane: no line shown twice" [ "$(screen | grep -Ec 'app-lo +info +listening on 127')" = 2 ]
live=gwtop-live-$$-$RANDOM
logs_filter "$live"
dk exec app-lo python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/$live').read()"
check "logs pane: a request made now, live in app-lo's log" \
	see "app-lo +info +.*\"GET /$live HTTP/1\.[01]\" 200" 15
check "the dashboard is still running" [ ! -s "$L/exit" ]

# ---------------------------------------------------------------- L: the selected container's log alone
keys / Enter                        # clear the logs filter
keys 5                              # unzoom
keys 3                              # zoom (and focus) the processes pane
# by its pid: another run's containers on this host have a server.py too
cpid=$(inspect app-lo State.Pid)
keys /; keys -l " $cpid "; keys Enter
keys n
check "the container's process (pid $cpid) selected in the processes pane" see "match 1 of [0-9]+ for \" $cpid \"" 5
keys 3
keys L
check "L: the logs pane shows the selected process's container alone" see 'logs: container:app-lo alone' 5
check "L: the logs header names the source" see 'src app-lo' 5
check "the dashboard is still running" [ ! -s "$L/exit" ]
