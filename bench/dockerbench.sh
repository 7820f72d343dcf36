#!/bin/bash
# dockerbench.sh — the per-tick cost of gwtop's docker probe with 50
# containers on a real dockerd, next to what an operator types by hand
# (`docker ps` + `docker inspect` of the targeted container), in one run, as
# ratios. As root. Prints figures; never fails on absolute times.
#
#   1. a test dockerd under a temp dir (tests/docker/engine.sh), the test
#      image FROM scratch (tests/docker/image.sh), 50 containers of it (49
#      idle `sleep`-like, one app published on a loopback port) and a real
#      nginx proxying to that app
#   2. gwtop --bench-ticks N --docker-socket S vs the same with the socket
#      pointing at a missing path: the difference is the docker probe's cost
#   3. docker ps + docker inspect <app> (the preinstalled CLI, DOCKER_HOST)
#
# Everything it creates (containers, nginx, dockerd, docker0, nft tables,
# mounts, temp dir) is removed on any exit (TESTING-DOCKER.md section 7, by
# engine_down).
#
#   BENCH_CONTAINERS=50 BENCH_TICKS=10 BENCH_RUNS=5 bench/dockerbench.sh
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
GW=${GWTOP:-$ROOT/gwtop}
NC=${BENCH_CONTAINERS:-50}
TICKS=${BENCH_TICKS:-10}
RUNS=${BENCH_RUNS:-5}
NGINX=/usr/sbin/nginx
# shellcheck source=tests/docker/engine.sh
. "$ROOT/tests/docker/engine.sh"

[ "$(id -u)" = 0 ] || { echo "dockerbench: needs root (dockerd)"; exit 77; }
[ -x "$GW" ] || { echo "dockerbench: no $GW (make gwtop)"; exit 77; }
command -v dockerd >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker.io >/dev/null 2>&1 ||
	{ echo "dockerbench: cannot install docker.io"; exit 77; }
command -v docker >/dev/null || { echo "dockerbench: no docker CLI"; exit 77; }

L=""
NGINX_PID=""
cleanup() {
	trap - EXIT INT TERM
	if [ -n "$NGINX_PID" ]; then
		kill -QUIT "$NGINX_PID" 2>/dev/null
		for _ in $(seq 1 50); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$NGINX_PID" 2>/dev/null && kill -KILL "$NGINX_PID" 2>/dev/null
	fi
	if [ -n "$L" ] && [ -d "$L" ]; then
		engine_down "$L"
		rm -rf -- "$L"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

dk() { DOCKER_HOST=unix://$ENGINE_SOCK timeout 120 docker "$@"; }

# measure CMD... — RUNS times; prints "wall_ms cpu_ms" medians (CPU = user+sys
# of the command, from getrusage(RUSAGE_CHILDREN) around each run)
measure() {
	/usr/bin/python3 - "$RUNS" "$@" <<'PY'
import resource, statistics, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
walls, cpus = [], []
for _ in range(runs):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t1 = time.monotonic()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    walls.append((t1 - t0) * 1000)
    cpus.append((r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000)
print("%.1f %.1f" % (statistics.median(walls), statistics.median(cpus)))
PY
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
# ticks ARGS... — "wall_ms cpu_ms" per tick, median over RUNS runs of --bench-ticks
ticks() {
	local i out ws=() cs=()
	for ((i = 0; i < RUNS; i++)); do
		out=$("$GW" --bench-ticks "$TICKS" --nginx-conf "$L/nginx/nginx.conf" "$@" 2>/dev/null)
		ws+=("$(awk '{print $4}' <<<"$out")")
		cs+=("$(awk '{print $6}' <<<"$out")")
	done
	printf '%s %s\n' "$(printf '%s\n' "${ws[@]}" | sort -g | sed -n "$((RUNS / 2 + 1))p")" \
		"$(printf '%s\n' "${cs[@]}" | sort -g | sed -n "$((RUNS / 2 + 1))p")"
}

L=$(mktemp -d /var/tmp/gwtop-dockerbench.XXXXXX)
chmod 755 "$L"
echo "gwtop docker bench — $(date -u +%FT%TZ) — $(nproc) CPUs — median of $RUNS runs, $TICKS ticks each"
engine_up "$L" || exit 1
mkdir -p "$L/img"
if ! { "$ROOT/tests/docker/image.sh" "$L/img" &&
	DOCKER_BUILDKIT=0 dk build -q -t gwtop-app:latest -f "$L/img/Containerfile" "$L/img"; } >"$L/image.log" 2>&1; then
	echo "image build failed:"; tail -20 "$L/image.log"; exit 1
fi
rm -f "$L/img/rootfs.tar"

P=""
for _ in $(seq 1 50); do
	b=$(((RANDOM % 300) * 100 + 20000))
	ss -Htln "sport >= :$b and sport <= :$((b + 9))" | grep -q . || { P=$b; break; }
done
[ -n "$P" ] || { echo "no free port"; exit 1; }

t0=$(date +%s%N)
dk run -d --name app -p "127.0.0.1:$P:8000" gwtop-app >/dev/null || exit 1
# idle containers: python sleeping (no health check, no port); one at a time
# (parallel `docker run`s stalled dockerd 20.10 here)
for ((i = 1; i < NC; i++)); do
	dk run -d --name "idle-$i" --no-healthcheck gwtop-app python3 -c 'import time; time.sleep(86400)' >/dev/null || exit 1
done
t1=$(date +%s%N)
running=$(dk ps -q | wc -l)
echo "containers: $running running ($(((t1 - t0) / 1000000)) ms to start $NC)"

N=$L/nginx
proxy_nginx_up "$N" $((P + 1)) "127.0.0.1:$P" || { cat "$N/start.err"; exit 1; }
for _ in $(seq 1 50); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$((P + 1))/")" = 200 ] && break
	sleep 0.2
done

# what the probe lists each tick (and inspects one by one)
seen=$(curl -s --max-time 10 --unix-socket "$ENGINE_SOCK" "http://d/v1.41/containers/json?all=1" |
	/usr/bin/python3 -c 'import json, sys; print(len(json.load(sys.stdin)))' 2>/dev/null)
echo "GET /containers/json?all=1 lists ${seen:-?} containers; nginx -> app answers $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$((P + 1))/")"
echo

read -r on_w on_c < <(ticks --docker-socket "$ENGINE_SOCK")
read -r off_w off_c < <(ticks --docker-socket "$L/missing.sock")
pr_w=$(awk -v a="$on_w" -v b="$off_w" 'BEGIN { printf "%.2f", a - b }')
pr_c=$(awk -v a="$on_c" -v b="$off_c" 'BEGIN { printf "%.2f", a - b }')
export DOCKER_HOST=unix://$ENGINE_SOCK
read -r ps_w ps_c < <(measure docker ps)
read -r in_w in_c < <(measure docker inspect app)
unset DOCKER_HOST
cli_w=$(awk -v a="$ps_w" -v b="$in_w" 'BEGIN { printf "%.1f", a + b }')
cli_c=$(awk -v a="$ps_c" -v b="$in_c" 'BEGIN { printf "%.1f", a + b }')

printf '%-52s %10s %10s\n' "" "wall ms" "cpu ms"
printf '%-52s %10s %10s\n' "gwtop tick, docker probe on ($NC containers)" "$on_w" "$on_c"
printf '%-52s %10s %10s\n' "gwtop tick, --docker-socket missing" "$off_w" "$off_c"
printf '%-52s %10s %10s\n' "= the docker probe per tick" "$pr_w" "$pr_c"
printf '%-52s %10s %10s\n' "docker ps" "$ps_w" "$ps_c"
printf '%-52s %10s %10s\n' "docker inspect app" "$in_w" "$in_c"
printf '%-52s %10s %10s\n' "= docker ps + docker inspect" "$cli_w" "$cli_c"
echo
echo "docker probe per tick / (docker ps + inspect):  wall $(ratio "$pr_w" "$cli_w")  cpu $(ratio "$pr_c" "$cli_c")"
echo "whole gwtop tick / (docker ps + inspect):       wall $(ratio "$on_w" "$cli_w")  cpu $(ratio "$on_c" "$cli_c")"
echo "(gwtop's CPU is its own process; the CLI's is the docker client's. dockerd's own CPU serving"
echo " either is not counted: gwtop asks it for /containers/json plus one inspect per container.)"
