#!/bin/bash
# run.sh — gwtop against a real Docker engine (issue 7), as root.
#
# Starts Debian's dockerd under a temp dir (engine.sh; installs docker.io with
# apt-get when missing), builds the test image FROM scratch out of host files
# (image.sh), then for each scenario runs the container(s), a real nginx
# (nginx -c CONF -p DIR, loopback high port, workers as nobody) proxying to
# the published port, and asserts `gwtop --check --json --nginx-conf ...
# --docker-socket ...`. Prints TAP ("ok N - ..."); exit 0 when all passed,
# 1 on any failure, 77 when it cannot run here. Everything it created
# (containers, nginx, dockerd, docker0, nft tables, mounts, temp dirs) is
# removed on any exit.
#
#   tests/docker/run.sh [--podman] [SCENARIO...]     default: all
#
# --podman runs the same scenarios against podman's Docker-compatible service
# (`podman system service`, second engine; installs podman with apt-get when
# missing). Its documented differences apply: no restarting state (the loop
# flips running/exited), health checks only when `podman healthcheck run`
# drives them, netavark DNAT instead of docker-proxy.
#   scenarios: healthy loopback host_port container_port crash_loop unhealthy
#              exited timeline dead_engine slow_engine (healthy also runs "no engine at all")
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
GWTOP=${GWTOP:-$ROOT/gwtop}
PY=/usr/bin/python3
JCHECK=$ROOT/tests/integration/jcheck.py
NGINX=${NGINX:-/usr/sbin/nginx}
# shellcheck source=engine.sh
. "$HERE/engine.sh"

T_N=0
T_FAILED=0
L=""
NGINX_PID=""
SLOW_PID=""
GW_OUT=""

ENGINE=docker
IMG=gwtop-app
if [ "${1:-}" = --podman ]; then
	ENGINE=podman
	IMG=localhost/gwtop-app
	shift
fi

finish() {
	local rc=$?
	trap - EXIT INT TERM
	nginx_stop
	portlock_release
	[ -z "$SLOW_PID" ] || { kill "$SLOW_PID" 2>/dev/null; wait "$SLOW_PID" 2>/dev/null; }
	if [ -n "$L" ] && [ -d "$L" ]; then
		if [ "$ENGINE" = podman ]; then podman_down "$L"; else engine_down "$L"; fi
		rm -rf -- "$L"
	fi
	[ "$rc" = 77 ] && exit 77
	echo "1..$T_N"
	[ "$T_FAILED" = 0 ] && [ "$rc" = 0 ] && exit 0
	exit 1
}

skip() { echo "1..0 # SKIP $*"; exit 77; }

t_result() {
	T_N=$((T_N + 1))
	if [ "$2" = 0 ]; then
		echo "ok $T_N - $1"
	else
		T_FAILED=$((T_FAILED + 1))
		echo "not ok $T_N - $1"
		if [ -n "$GW_OUT" ] && [ -f "$GW_OUT" ] && [ ! -f "$GW_OUT.dumped" ]; then
			touch "$GW_OUT.dumped"
			echo "# gwtop exit $GW_RC, output:"
			head -c 5000 "$GW_OUT" | sed 's/^/#   /'
			echo
		fi
	fi
}

jget() { "$PY" "$JCHECK" get "$GW_OUT" "$1" 2>/dev/null || true; }
t_json() { local got; got=$(jget "$1"); [ "$got" = "$2" ]; t_result "$SC: $1 = $2 (got '$got')" $?; }
t_rc() { [ "$GW_RC" = "$1" ]; t_result "$SC: exit code $1 (got $GW_RC)" $?; }
t_mentions() { "$PY" "$JCHECK" mentions "$GW_OUT" "$1" "$2" >/dev/null 2>&1; t_result "$SC: $1 names $3" $?; }
t_no_cause() {
	"$PY" - "$GW_OUT" "$1" <<'EOF'
import json, re, sys
d = json.load(open(sys.argv[1]))
sys.exit(1 if any(re.match(sys.argv[2], f.get("cause", "")) for f in d.get("findings") or []) else 0)
EOF
	t_result "$SC: no finding matches $1" $?
}
t_note() {
	"$PY" - "$GW_OUT" "$1" <<'EOF'
import json, re, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if any(re.search(sys.argv[2], json.dumps(n)) for n in d.get("notes") or []) else 1)
EOF
	t_result "$SC: a note says /$1/" $?
}

# ---------------------------------------------------------------- nginx


# nginx_start TARGET_HOST:PORT
nginx_start() {
	local N=$L/nginx
	rm -rf "$N"
	chmod 755 "$L"
	proxy_nginx_up "$N" "$NGINX_PORT" "$1" || { sed 's/^/# /' "$N/start.err"; return 1; }
	# a few requests, so that error.log holds what nginx saw
	for _ in 1 2 3; do curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$NGINX_PORT/" ; done
	return 0
}

nginx_stop() {
	[ -n "$NGINX_PID" ] || return 0
	kill -QUIT "$NGINX_PID" 2>/dev/null
	engine_until 5 engine_gone "$NGINX_PID" || kill -KILL "$NGINX_PID" 2>/dev/null
	engine_until 5 engine_gone "$NGINX_PID"
	NGINX_PID=""
}

# ---------------------------------------------------------------- engine helpers

dk() {
	if [ "$ENGINE" = podman ]; then timeout 60 podman "$@" 2>>"$L/podman-cli.log"   # "unable to get systemd connection..."
	else DOCKER_HOST=unix://$ENGINE_SOCK timeout 60 docker "$@"; fi
}
dk_rm() { dk rm -f "$@" >/dev/null 2>&1; }
# inspect NAME KEY.PATH — a field of GET /containers/NAME/json (both engines)
inspect() {
	curl -s --max-time 10 --unix-socket "$ENGINE_SOCK" "http://d/v1.41/containers/$1/json" |
		"$PY" -c 'import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    d = (d or {}).get(k)
print("" if d is None else d)' "$2" 2>/dev/null
}
# podman schedules no health checks here (no systemd): run one per look
health_tick() { [ "$ENGINE" != podman ] || podman healthcheck run "$1" >/dev/null 2>&1; }

# wait_for SECONDS CMD... — until CMD succeeds, on a clock deadline
wait_for() { engine_until "$@"; }
# t_left_nothing PORT... — the scenario's end: nothing listens on its ports
# any more (its containers' docker-proxy gone, its nginx gone), so nothing
# of it is alive in the next scenario
nothing_on() { local p; for p in "$@"; do ss -Htln "sport = :$p" | grep -q . && return 1; done; return 0; }
t_left_nothing() {
	wait_for 20 nothing_on "$@"
	t_result "$SC: nothing of it left (no listener on ${*})" $?
}
http_ok() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$1/")" = 200 ]; }
is_health() { health_tick "$1"; [ "$(inspect "$1" State.Health.Status)" = "$2" ]; }
restarts_at_least() { [ "$(inspect "$1" RestartCount)" -ge "$2" ] 2>/dev/null; }
is_state() { [ "$(inspect "$1" State.Status)" = "$2" ]; }

# gw ARGS... — run gwtop; sets GW_RC and GW_OUT
gw() {
	GW_OUT=$L/out.$T_N.json
	local t0 t1
	t0=$(date +%s.%N)
	timeout -k 5 60 "$GWTOP" --check --json --nginx-conf "$CONF" "$@" >"$GW_OUT" 2>"$L/err.$T_N"
	GW_RC=$?
	t1=$(date +%s.%N)
	GW_SECS=$(echo "$t1 - $t0" | bc)
	"$PY" "$JCHECK" valid "$GW_OUT" >/dev/null 2>&1
	t_result "$SC: gwtop printed valid JSON (${GW_SECS}s)" $?
}

# t_event KIND SUBJECT PYTHON-EXPR WHAT — the last timeline event of KIND
# about SUBJECT in the JSON satisfies the expression (e = the event)
t_event() {
	"$PY" - "$GW_OUT" "$1" "$2" "$3" <<'EOF' >"$L/why" 2>&1
import json, sys
ev = [e for e in json.load(open(sys.argv[1]))["timeline"]["events"] if e["kind"] == sys.argv[2] and e["subject"] == sys.argv[3]]
if not ev:
    sys.exit("no %s event about %s" % (sys.argv[2], sys.argv[3]))
e = ev[-1]
if not eval(sys.argv[4]):
    sys.exit("not: %s in %s" % (sys.argv[4], e))
EOF
	local rc=$?
	t_result "$SC: timeline event $1 $2: $4" $rc
	[ $rc = 0 ] || sed 's/^/# /' "$L/why"
}

# ---------------------------------------------------------------- scenarios

sc_healthy() {
	dk run -d --name app-ok -p "127.0.0.1:$B:8000" "$IMG" >/dev/null
	wait_for 30 http_ok "$B"; t_result "$SC: app answers on $B" $?
	wait_for 40 is_health app-ok healthy; t_result "$SC: container reports healthy" $?
	nginx_start "127.0.0.1:$B" || return
	gw --docker-socket "$ENGINE_SOCK"
	t_no_cause 'container_|app_crash_loop|upstream_down'
	t_json status ok
	t_rc 0
	nginx_stop
	# no engine at all: default sockets absent, DOCKER_HOST unset
	SC=no_engine
	nginx_start "127.0.0.1:$B" || return
	GW_OUT=$L/out.$T_N.json
	env -u DOCKER_HOST timeout -k 5 60 "$GWTOP" --check --json --nginx-conf "$CONF" >"$GW_OUT" 2>/dev/null
	GW_RC=$?
	t_note 'no container engine socket'
	t_no_cause 'container_'
	t_json status ok
	t_rc 0
	nginx_stop
	dk_rm app-ok
	t_left_nothing "$B" "$NGINX_PORT"
}

sc_loopback() {
	dk run -d --name app-lo -p "127.0.0.1:$((B + 10)):8000" "$IMG" python3 /app/server.py 127.0.0.1 8000 >/dev/null
	wait_for 40 is_health app-lo healthy; t_result "$SC: container healthy by its own check" $?
	nginx_start "127.0.0.1:$((B + 10))" || return
	gw --docker-socket "$ENGINE_SOCK"
	t_json verdict.cause container_loopback_bind
	t_json verdict.hop upstream
	t_rc 2
	t_mentions container_loopback_bind 'app-lo' "the container"
	t_mentions container_loopback_bind '127\.0\.0\.1:8000' "the listen address"
	t_mentions container_loopback_bind '--bind 0\.0\.0\.0:8000' "the fix"
	if [ "$ENGINE" = docker ]; then
		t_mentions container_loopback_bind 'held by docker-proxy' "docker-proxy holding the host port"
	elif ss -Htlnp "sport = :$((B + 10))" | grep -q conmon; then
		t_mentions container_loopback_bind 'held by conmon' "conmon holding the host port"
	fi
	t_mentions container_loopback_bind 'healthy by its own check' "the healthy-inside trap"
	nginx_stop
	dk_rm app-lo
	t_left_nothing "$((B + 10))" "$NGINX_PORT"
}

sc_host_port() {
	dk run -d --name app-b1 -p "127.0.0.1:$((B + 21)):8000" "$IMG" >/dev/null
	wait_for 30 http_ok "$((B + 21))"; t_result "$SC: app answers on $((B + 21))" $?
	nginx_start "127.0.0.1:$((B + 20))" || return
	gw --docker-socket "$ENGINE_SOCK"
	t_json verdict.cause container_port_mismatch
	t_json verdict.hop upstream
	t_rc 2
	t_mentions container_port_mismatch "host port $((B + 20))\\b" "the nginx target port"
	t_mentions container_port_mismatch "host port $((B + 21))\\b" "the published host port"
	t_mentions container_port_mismatch 'container port 8000' "the container port"
	t_mentions container_port_mismatch 'app-b1' "the container"
	nginx_stop
	dk_rm app-b1
	t_left_nothing "$((B + 21))" "$NGINX_PORT"
}

sc_container_port() {
	dk run -d --name app-b2 -p "127.0.0.1:$((B + 30)):9000" "$IMG" >/dev/null
	wait_for 40 is_health app-b2 healthy; t_result "$SC: container healthy by its own check" $?
	nginx_start "127.0.0.1:$((B + 30))" || return
	gw --docker-socket "$ENGINE_SOCK"
	t_json verdict.cause container_port_mismatch
	t_rc 2
	t_mentions container_port_mismatch "host port $((B + 30))\\b" "the host port"
	t_mentions container_port_mismatch 'container port 9000' "the published container port"
	t_mentions container_port_mismatch 'listens on 8000' "the port the app listens on"
	t_mentions container_port_mismatch "-p 127\\.0\\.0\\.1:$((B + 30)):8000" "the fix"
	nginx_stop
	dk_rm app-b2
	t_left_nothing "$((B + 30))" "$NGINX_PORT"
}

sc_crash_loop() {
	# podman restarts without backoff: sleep a second first (TESTING-DOCKER.md 6.4)
	local nap=0
	[ "$ENGINE" = docker ] || nap=1
	dk run -d --name app-crash -p "127.0.0.1:$((B + 40)):8000" --restart=always "$IMG" \
		python3 -c 'import sys, time; print("booting", flush=True); time.sleep(float(sys.argv[1])); sys.exit("ImportError: no module named app")' "$nap" >/dev/null
	wait_for 40 restarts_at_least app-crash 3; t_result "$SC: RestartCount >= 3" $?
	nginx_start "127.0.0.1:$((B + 40))" || return
	gw --docker-socket "$ENGINE_SOCK"
	t_json verdict.cause app_crash_loop
	t_json status crit
	t_rc 2
	t_mentions app_crash_loop 'app-crash' "the container"
	t_mentions app_crash_loop 'ImportError: no module named app' "the last log line"
	# podman, caught running between two crashes, reports ExitCode 0
	[ "$ENGINE" != docker ] || t_mentions app_crash_loop 'exit code 1' "the exit code"
	t_mentions app_crash_loop 'docker:app-crash' "the container log as source"
	nginx_stop
	dk_rm app-crash
	t_left_nothing "$((B + 40))" "$NGINX_PORT"
}

sc_unhealthy() {
	dk run -d --name app-sick -p "127.0.0.1:$((B + 50)):8000" --health-cmd 'python3 /app/health.py 8001' \
		--health-interval 2s --health-timeout 10s --health-retries 2 "$IMG" >/dev/null
	wait_for 60 is_health app-sick unhealthy; t_result "$SC: container unhealthy" $?
	wait_for 20 http_ok "$((B + 50))"; t_result "$SC: app still answers" $?
	nginx_start "127.0.0.1:$((B + 50))" || return
	gw --docker-socket "$ENGINE_SOCK"
	t_json verdict.cause container_unhealthy
	t_json status warn
	t_rc 1
	t_mentions container_unhealthy 'app-sick' "the container"
	t_mentions container_unhealthy 'failed [0-9]+ times in a row' "the failing streak"
	t_mentions container_unhealthy 'health check failed: .*Connection refused' "the health check output"
	t_mentions container_unhealthy 'still answers' "that nginx's target answers"
	t_event container_health app-sick 'e["text"] == "container app-sick: unhealthy"' "unhealthy"
	nginx_stop
	dk_rm app-sick
	t_left_nothing "$((B + 50))" "$NGINX_PORT"
}

sc_exited() {
	dk run -d --name app-exit -p "127.0.0.1:$((B + 60)):8000" "$IMG" \
		python3 -c 'import sys; print("KeyError: DATABASE_URL", file=sys.stderr, flush=True); sys.exit(3)' >/dev/null
	wait_for 30 is_state app-exit exited; t_result "$SC: container exited" $?
	nginx_start "127.0.0.1:$((B + 60))" || return
	gw --docker-socket "$ENGINE_SOCK"
	t_json verdict.cause upstream_down
	t_json verdict.hop upstream
	t_rc 2
	t_mentions upstream_down 'app-exit' "the container"
	t_mentions upstream_down 'exit code 3' "the exit code"
	t_mentions upstream_down 'KeyError: DATABASE_URL' "the last log line"
	t_mentions upstream_down 'docker start app-exit' "the fix"
	t_event container_stop app-exit '"exited (exit code 3)" in e["text"] and not e["approx"] and e["t"] <= '"$(date +%s.%N)" "exited, exit code 3, dated before the check"
	nginx_stop
	dk_rm app-exit
	t_left_nothing "$((B + 60))" "$NGINX_PORT"
}

sc_timeline() {
	# issue 19: the timeline's container events on the real engine, dated
	# between the moments measured here: a restart by the policy (the main
	# process killed), the same name recreated from another image id (a
	# deploy), a stop, and with GWTOP_TEST_OOM=1 an OOM kill in a
	# memory-limited container. Opt-in: the kernel log is the host's, so
	# the kill makes every gwtop on this host say oom_killed (warn) for its
	# --window (300 s): healthy labs of other tests, also parallel runs
	local P=$((B + 70)) t_kill t_recreate t_stop t_oom t_end pid id2 oom=${GWTOP_TEST_OOM:-0}
	mkdir -p "$L/rev2"
	printf 'FROM %s\nLABEL gwtop.rev=2\n' "$IMG" >"$L/rev2/Containerfile"
	if [ "$ENGINE" = podman ]; then dk build --format docker -q -t "$IMG:rev2" -f "$L/rev2/Containerfile" "$L/rev2" >/dev/null 2>&1
	else DOCKER_BUILDKIT=0 dk build -q -t "$IMG:rev2" -f "$L/rev2/Containerfile" "$L/rev2" >/dev/null 2>&1; fi
	id2=$(dk image inspect -f '{{.Id}}' "$IMG:rev2")
	[ -n "$id2" ] && [ "$id2" != "$(dk image inspect -f '{{.Id}}' "$IMG:latest")" ]
	t_result "$SC: a second image id $id2" $?
	dk run -d --name app-tl -p "127.0.0.1:$P:8000" --restart=on-failure "$IMG" >/dev/null
	dk run -d --name app-dep "$IMG" >/dev/null
	wait_for 30 http_ok "$P"; t_result "$SC: app-tl answers on $P" $?
	pid=$(inspect app-tl State.Pid)
	t_kill=$(date +%s.%N)
	kill -KILL "$pid"
	wait_for 30 eval 'restarts_at_least app-tl 1 && is_state app-tl running'
	t_result "$SC: app-tl restarted by its policy (RestartCount 1)" $?
	t_recreate=$(date +%s.%N)
	dk_rm app-dep
	dk run -d --name app-dep "$IMG:rev2" >/dev/null
	t_stop=$(date +%s.%N)
	dk stop -t 1 app-dep >/dev/null
	t_oom=$(date +%s.%N)
	if [ "$oom" = 1 ]; then
		dk run -d --name app-oom --memory 24m --memory-swap 24m "$IMG" \
			python3 -c 'x = []
while True: x.append(bytearray(1 << 20))' >/dev/null
		wait_for 30 is_state app-oom exited
		[ "$(inspect app-oom State.OOMKilled)" = True ]
		t_result "$SC: app-oom exited, OOMKilled (exit code $(inspect app-oom State.ExitCode))" $?
	else
		t_result "$SC: OOM kill in a memory-limited container # SKIP GWTOP_TEST_OOM=1 runs it (it turns every gwtop on this host oom_killed for 300 s)" 0
	fi
	t_end=$(date +%s.%N)
	nginx_start "127.0.0.1:$P" || return
	gw --docker-socket "$ENGINE_SOCK"
	"$PY" - "$GW_OUT" "$t_kill" "$t_recreate" "$t_stop" "$t_oom" "$t_end" "$id2" \
		"$(inspect app-tl State.StartedAt)" "$(inspect app-dep State.ExitCode)" "$oom" >"$L/tl.txt" 2>&1 <<'EOF'
import json, sys
ev = json.load(open(sys.argv[1]))["timeline"]["events"]
t_kill, t_recreate, t_stop, t_oom, t_end = map(float, sys.argv[2:7])
id2, started, dep_exit, oom = sys.argv[7:11]
res = []
def check(name, cond):
    res.append((name, bool(cond)))
def last(kind, subject=None, pred=lambda e: True):
    got = [(n, e) for n, e in enumerate(ev) if e["kind"] == kind and subject in (None, e["subject"]) and pred(e)]
    return got[-1] if got else (None, None)
kinds = ["%s:%s" % (e["kind"], e["subject"]) for e in ev]
ri, r = last("container_restart", "app-tl")
si, s = last("container_start", "app-tl")
di, d = last("deploy", "app-dep")
pi, p = last("container_stop", "app-dep")
oi, o = last("container_stop", "app-oom")
ki, k = last("oom_kill", None, lambda e: e["t"] >= t_oom - 1)
check("container_restart app-tl: RestartCount 1, dated in [%.2f, %.2f] (%s)" % (t_kill, t_recreate, r),
      r and "RestartCount 1" in r["text"] and t_kill <= r["t"] <= t_recreate and not r["approx"])
check("container_start app-tl at the new StartedAt %s, after the kill (%s)" % (started, s),
      s and t_kill <= s["t"] <= t_recreate and s["at"][:19] == started[:19])
check("deploy app-dep: created from the other image id %s, in [%.2f, %.2f] (%s)" % (id2[:19], t_recreate, t_stop, d),
      d and id2[:19] in d["text"] and t_recreate <= d["t"] <= t_stop)
check("container_stop app-dep with exit code %s, in [%.2f, %.2f] (%s)" % (dep_exit, t_stop, t_oom, p),
      p and ("(exit code %s)" % dep_exit) in p["text"] and t_stop <= p["t"] <= t_oom and not p["approx"])
check("order: restart app-tl < deploy app-dep < stop app-dep (%s)" % kinds, None not in (ri, di, pi) and ri < di < pi)
if oom == "1":
  check("order: stop app-dep < stop app-oom", None not in (pi, oi) and pi < oi)
  check("container_stop app-oom, exit code 137, in [%.2f, %.2f] (%s)" % (t_oom, t_end, o),
      o and "(exit code 137)" in o["text"] and t_oom <= o["t"] <= t_end)
  check("oom_kill of python3 in [%.2f, %.2f], before app-oom's stop (%s)" % (t_oom, t_end, k),
      k and "OOM kill: python3" in k["text"] and t_oom - 1 <= k["t"] <= t_end and oi is not None and ki < oi)
check("events in time order", all(ev[n]["t"] <= ev[n + 1]["t"] for n in range(len(ev) - 1)))
for name, good in res:
    print("%d\t%s" % (0 if good else 1, name))
EOF
	grep -q $'^[01]\t' "$L/tl.txt" || { sed 's/^/# /' "$L/tl.txt"; t_result "$SC: the timeline checks ran" 1; }
	while IFS=$'\t' read -r rc name; do t_result "$SC: $name" "$rc"; done < <(grep $'^[01]\t' "$L/tl.txt")
	nginx_stop
	dk_rm app-tl app-dep app-oom
	t_left_nothing "$P" "$NGINX_PORT"
}

sc_dead_engine() {
	# a socket file nobody listens on
	"$PY" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$L/dead.sock"
	nginx_start "127.0.0.1:$B" || return
	gw --docker-socket "$L/dead.sock"
	t_note 'dead\.sock.*(refused|connect)'
	t_no_cause 'container_'
	# dockerd's own API socket is no app listener (issue 20)
	t_no_cause 'port_mismatch|ip_family_mismatch'
	awk -v s="$GW_SECS" 'BEGIN { exit !(s < 20) }'; t_result "$SC: gwtop did not hang (${GW_SECS}s)" $?
	nginx_stop
	rm -f "$L/dead.sock"
	t_left_nothing "$NGINX_PORT"
}

sc_slow_engine() {
	# accepts, never answers: the probe gives up at its deadline
	"$PY" -c 'import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(16)
c=[]
while True: c.append(s.accept()[0])' "$L/slow.sock" &
	SLOW_PID=$!
	wait_for 10 test -S "$L/slow.sock"
	nginx_start "127.0.0.1:$B" || return
	gw --docker-socket "$L/slow.sock" --timeout 2
	t_note 'did not answer within'
	t_no_cause 'port_mismatch|ip_family_mismatch'
	awk -v s="$GW_SECS" 'BEGIN { exit !(s < 20) }'; t_result "$SC: gwtop returned (${GW_SECS}s)" $?
	nginx_stop
	kill "$SLOW_PID" 2>/dev/null; wait "$SLOW_PID" 2>/dev/null
	! kill -0 "$SLOW_PID" 2>/dev/null; t_result "$SC: the slow engine (pid $SLOW_PID) is gone" $?
	SLOW_PID=""
	t_left_nothing "$NGINX_PORT"
}

# ---------------------------------------------------------------- main

[ "$(id -u)" = 0 ] || skip "needs root (dockerd, /proc/PID/net of containers)"
[ -x "$GWTOP" ] || skip "no gwtop binary at $GWTOP (make gwtop)"
if [ "$ENGINE" = podman ]; then
	command -v podman >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y podman >/dev/null 2>&1 ||
		skip "cannot install podman"
else
	if ! command -v dockerd >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker.io >/dev/null 2>&1 ||
			skip "cannot install docker.io"
	fi
	command -v docker >/dev/null || skip "no docker CLI"
fi

trap finish EXIT
trap 'exit 130' INT TERM
L=$(mktemp -d /var/tmp/gwtop-docker.XXXXXX)
if [ "$ENGINE" = podman ]; then
	podman_up "$L"; t_result "podman system service up at $ENGINE_SOCK" $?
else
	engine_up "$L"; t_result "dockerd up at $ENGINE_SOCK" $?
fi
[ "$T_FAILED" = 0 ] || exit 1
mkdir -p "$L/img"
"$HERE/image.sh" "$L/img" >"$L/image.log" 2>&1
if [ "$ENGINE" = podman ]; then
	dk build --format docker -q -t "$IMG:latest" -f "$L/img/Containerfile" "$L/img" >>"$L/image.log" 2>&1
else
	DOCKER_BUILDKIT=0 dk build -q -t "$IMG:latest" -f "$L/img/Containerfile" "$L/img" >>"$L/image.log" 2>&1
fi
t_result "image $IMG built FROM scratch" $? || sed 's/^/# /' "$L/image.log" | tail -20
rm -f "$L/img/rootfs.tar"
# a block of 100 free loopback ports, locked as the lab locks its own
portlock_claim 100 || { t_result "a free block of 100 loopback ports" 1; exit 1; }
B=$PL_BASE
NGINX_PORT=$((B + 80))
echo "# engine $ENGINE; ports $B..$((B + 99)), nginx on 127.0.0.1:$NGINX_PORT"

SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(healthy loopback host_port container_port crash_loop unhealthy exited timeline dead_engine slow_engine)
for SC in "${SCENARIOS[@]}"; do
	"sc_$SC"
done
