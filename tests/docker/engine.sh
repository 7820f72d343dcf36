# shellcheck shell=bash
# engine.sh — a real container engine for the scenarios (sourced by run.sh):
# Debian's docker.io dockerd with its data root, exec root, pid file and
# socket under a temp dir L (see /work/shared/TESTING-DOCKER.md, 3a and 7).
#
#   engine_up L     start dockerd on a bridge of its own (gwdN, not docker0),
#                   without iptables rules or ip_forward (those are the
#                   host's, shared with any parallel run), wait for /_ping;
#                   sets ENGINE_SOCK
#   engine_down L   remove every container, stop dockerd by PID, delete its
#                   bridge, then undo what dockerd did outside L:
#                   /run/docker, /run/containerd, /etc/docker, leftover
#                   mounts under L. Only what was not there before
#                   engine_up (recorded in L/prestate).
#
# Processes are ended by PID only: dockerd's (its pid file), and any left
# over whose command line names L (containerd, shims of this engine).
#
#   podman_up L / podman_down L   the same with `podman system service` as the
#                   second engine (section 3b of the doc; conmon, netavark).
#
#   proxy_nginx_up N LISTEN_PORT TARGET   a real nginx under N (created)
#                   proxying 127.0.0.1:LISTEN_PORT to TARGET (host:port);
#                   sets NGINX_PID and CONF; 1 (N/start.err says why) if
#                   it did not start.  Stop it by NGINX_PID.

ENGINE_SOCK=""

engine_prestate() {
	local t
	{
		ip link show docker0 >/dev/null 2>&1 && echo "PRE_DOCKER0=1" || echo "PRE_DOCKER0=0"
		echo "PRE_FORWARD=$(cat /proc/sys/net/ipv4/ip_forward)"
		echo "PRE_FORWARD_POLICY=$(iptables -S FORWARD 2>/dev/null | awk '$1 == "-P" {print $3}')"
		echo "PRE_FORWARD6_POLICY=$(ip6tables -S FORWARD 2>/dev/null | awk '$1 == "-P" {print $3}')"
		ip link show podman0 >/dev/null 2>&1 && echo "PRE_PODMAN0=1" || echo "PRE_PODMAN0=0"
		for t in /run/docker /run/containerd /etc/docker /run/containers /run/runc /run/crun /run/netns \
			/var/lib/containers; do
			local v=${t#/}
			if [ -e "$t" ]; then echo "PRE_D_${v//\//_}=1"; else echo "PRE_D_${v//\//_}=0"; fi
		done
	} >"$1/prestate"
}

# engine_until SECONDS CMD... — run CMD until it succeeds or a clock
# deadline passes (a count of polls stretches with a busy machine: each
# poll runs curl or kill and takes longer). Return 1 at the deadline.
engine_until() {
	local end=$(($(date +%s%N) / 1000000 + ${1%.*} * 1000))
	shift
	while :; do
		"$@" && return 0
		[ $(($(date +%s%N) / 1000000)) -lt "$end" ] || return 1
		sleep 0.1
	done
}
engine_gone() { ! kill -0 "$1" 2>/dev/null; }
engine_pinged() {   # engine_pinged SOCK PID: 0 when up, 2 when its process died
	if [ -S "$1" ] && curl -sf --max-time 2 --unix-socket "$1" http://d/_ping >/dev/null 2>&1; then return 0; fi
	kill -0 "$2" 2>/dev/null || return 2
	return 1
}
# engine_pids_gone L: nothing whose command line names L is left
engine_pids_gone() { [ -z "$(engine_pids_naming "$1")" ]; }

# shellcheck source=tests/portlock.sh
. "$(dirname "${BASH_SOURCE[0]}")/../portlock.sh"

# engine_bridge_up L — a bridge of this engine's own, gwdN with 10.213.N.1/24
# (N locked like the lab's ports): docker0 is one per host, and a parallel
# run's engine_down deleted it under this run's containers ("could not find
# bridge docker0"). Sets ENGINE_BRIDGE; 1 when none could be made.
engine_bridge_up() {
	local n try
	mkdir -p "$PL_DIR"
	for ((try = 0; try < 50; try++)); do
		n=$((RANDOM % 250 + 1))
		mkdir "$PL_DIR/bridge-$n" 2>/dev/null || continue
		if ! ip link show "gwd$n" >/dev/null 2>&1 && ! ip -4 addr show | grep -q "inet 10\.213\.$n\." &&
			ip link add name "gwd$n" type bridge 2>/dev/null; then
			ip addr add "10.213.$n.1/24" dev "gwd$n" && ip link set "gwd$n" up &&
				{ ENGINE_BRIDGE=gwd$n; echo "ENGINE_BRIDGE=gwd$n" >>"$1/prestate"; return 0; }
			ip link del "gwd$n" 2>/dev/null
		fi
		rmdir "$PL_DIR/bridge-$n"
	done
	return 1
}

engine_up() {
	local L=$1
	mkdir -p "$L/dockerd"
	engine_prestate "$L"
	ENGINE_SOCK=$L/dockerd/docker.sock
	engine_bridge_up "$L" || { echo "# no bridge of our own could be made (ip link add ... type bridge)"; return 1; }
	# no iptables rules, no ip_forward: the host's DOCKER chains and sysctl
	# are shared by every dockerd (a parallel run's teardown removed them);
	# docker-proxy carries the loopback published ports without them
	setsid dockerd --data-root "$L/dockerd/data" --exec-root "$L/dockerd/exec" --bridge="$ENGINE_BRIDGE" \
		--iptables=false --ip-forward=false \
		--pidfile "$L/dockerd/dockerd.pid" -H "unix://$ENGINE_SOCK" >"$L/dockerd.log" 2>&1 </dev/null &
	echo $! >"$L/dockerd.spid"
	engine_until 30 eval 'engine_pinged "$ENGINE_SOCK" "$(cat "$L/dockerd.spid")"; [ $? != 1 ]' &&
		engine_pinged "$ENGINE_SOCK" "$(cat "$L/dockerd.spid")" && return 0
	echo "# dockerd did not come up:"
	tail -n 20 "$L/dockerd.log" | sed 's/^/#   /'
	return 1
}

# pids of processes whose command line mentions L (one grep over /proc; the
# pattern comes on stdin so that grep does not find itself)
engine_pids_naming() {
	# shellcheck disable=SC2062  # the glob is the file list (-f - reads the pattern)
	printf '%s\n' "$1" | grep -lasF -f - /proc/[0-9]*/cmdline 2>/dev/null |
		awk -F/ -v me="$$" '$3 != me {print $3}'
}

# engine_iptables_clean iptables|ip6tables FORWARD_POLICY [RULE_RE CHAIN_RE] —
# remove the rules that mention DOCKER / docker0 (or RULE_RE) and the DOCKER*
# chains (or CHAIN_RE) the engine added, and nothing else; put the FORWARD
# policy back (dockerd sets DROP).
engine_iptables_clean() {
	local cmd=$1 pol=$2 rre=${3:-DOCKER|docker0} cre=${4:-^DOCKER} t rule c
	command -v "$cmd" >/dev/null || return 0
	for t in nat filter; do
		"$cmd" -t "$t" -S 2>/dev/null | grep -E '^-A ' | grep -E "$rre" | while read -r rule; do
			# shellcheck disable=SC2086
			eval "$cmd -t $t -D ${rule#-A }" 2>/dev/null
		done
		for c in $("$cmd" -t "$t" -S 2>/dev/null | awk -v re="$cre" '$1 == "-N" && $2 ~ re {print $2}'); do
			"$cmd" -t "$t" -F "$c" 2>/dev/null
		done
		for c in $("$cmd" -t "$t" -S 2>/dev/null | awk -v re="$cre" '$1 == "-N" && $2 ~ re {print $2}'); do
			"$cmd" -t "$t" -X "$c" 2>/dev/null
		done
	done
	[ -z "$pol" ] || "$cmd" -P FORWARD "$pol" 2>/dev/null
	return 0
}

engine_down() {
	local L=$1 pid ids m
	[ -f "$L/prestate" ] || return 0
	# shellcheck disable=SC1091
	. "$L/prestate"
	if [ -S "$L/dockerd/docker.sock" ]; then
		ids=$(DOCKER_HOST=unix://$L/dockerd/docker.sock timeout 20 docker ps -aq 2>/dev/null)
		# shellcheck disable=SC2086
		[ -z "$ids" ] || DOCKER_HOST=unix://$L/dockerd/docker.sock timeout 30 docker rm -f $ids >/dev/null 2>&1
	fi
	pid=$(cat "$L/dockerd/dockerd.pid" 2>/dev/null || cat "$L/dockerd.spid" 2>/dev/null)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		engine_until 15 engine_gone "$pid" || kill -KILL "$pid"
	fi
	for pid in $(engine_pids_naming "$L"); do kill -TERM "$pid" 2>/dev/null; done
	engine_until 5 engine_pids_gone "$L" ||
		for pid in $(engine_pids_naming "$L"); do kill -KILL "$pid" 2>/dev/null; done
	# mounts under L (deepest first)
	awk -v l="$L" 'index($2, l) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null
	done
	# our own bridge only: docker0, the DOCKER chains and ip_forward are
	# not ours (dockerd ran with --bridge, --iptables=false, --ip-forward=false)
	if [ -n "${ENGINE_BRIDGE:-}" ]; then
		ip link del "$ENGINE_BRIDGE" 2>/dev/null
		rmdir "$PL_DIR/bridge-${ENGINE_BRIDGE#gwd}" 2>/dev/null
	fi
	[ "${PRE_D_run_docker:-1}" = 1 ] || rm -rf /run/docker
	[ "${PRE_D_run_containerd:-1}" = 1 ] || rm -rf /run/containerd
	[ "${PRE_D_etc_docker:-1}" = 1 ] || rm -rf /etc/docker
	return 0
}

# ---------------------------------------------------------------- podman

# podman_up L — `podman system service` (Docker API v1.41) on L/podman.sock
# with storage, runtime dirs and networks under L (TESTING-DOCKER.md 3b):
# runc (crun fails on cgroup v1 hybrid), ulimits the sandbox allows. Exports
# CONTAINERS_CONF / CONTAINERS_STORAGE_CONF for the podman CLI.
podman_up() {
	local L=$1 hn
	[ -n "$L" ] && [ -d "$L" ] || return 1
	mkdir -p "$L/conf" "$L/storage" "$L/run" "$L/networks"
	engine_prestate "$L"
	hn=$(ulimit -Hn)
	printf '[storage]\ndriver = "overlay"\ngraphroot = "%s/storage"\nrunroot = "%s/run/storage"\n' \
		"$L" "$L" >"$L/conf/storage.conf"
	{
		printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=32768:32768"]\n' "$hn" "$hn"
		printf '[engine]\ncgroup_manager = "cgroupfs"\nruntime = "runc"\nevents_logger = "file"\n'
		printf 'events_logfile_path = "%s/run/events.log"\ntmp_dir = "%s/run/libpod"\n' "$L" "$L"
		printf 'static_dir = "%s/storage/libpod"\nvolume_path = "%s/storage/volumes"\n' "$L" "$L"
		printf '[network]\nnetwork_backend = "netavark"\nnetwork_config_dir = "%s/networks"\n' "$L"
	} >"$L/conf/containers.conf"
	export CONTAINERS_CONF=$L/conf/containers.conf CONTAINERS_STORAGE_CONF=$L/conf/storage.conf
	ENGINE_SOCK=$L/podman.sock
	setsid podman system service --time=0 "unix://$ENGINE_SOCK" >"$L/service.log" 2>&1 </dev/null &
	echo $! >"$L/service.pid"
	engine_until 30 eval 'engine_pinged "$ENGINE_SOCK" "$(cat "$L/service.pid")"; [ $? != 1 ]' &&
		engine_pinged "$ENGINE_SOCK" "$(cat "$L/service.pid")" && return 0
	echo "# podman system service did not come up:"
	tail -n 20 "$L/service.log" | sed 's/^/#   /'
	return 1
}

podman_down() {
	local L=$1 pid m
	[ -n "$L" ] && [ -f "$L/prestate" ] || return 0
	# shellcheck disable=SC1091
	. "$L/prestate"
	export CONTAINERS_CONF=$L/conf/containers.conf CONTAINERS_STORAGE_CONF=$L/conf/storage.conf
	timeout 60 podman rm -af -t 0 >/dev/null 2>&1
	pid=$(cat "$L/service.pid" 2>/dev/null)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		engine_until 10 engine_gone "$pid" || kill -KILL "$pid"
	fi
	for pid in $(engine_pids_naming "$L"); do kill -TERM "$pid" 2>/dev/null; done
	engine_until 5 engine_pids_gone "$L" ||
		for pid in $(engine_pids_naming "$L"); do kill -KILL "$pid" 2>/dev/null; done
	awk -v l="$L" 'index($2, l) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null
	done
	if [ "${PRE_D_run_netns:-1}" = 0 ]; then
		awk '$2 ~ "^/run/netns" {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
		rm -rf /run/netns
	fi
	[ "${PRE_PODMAN0:-1}" = 1 ] || ip link del podman0 2>/dev/null
	engine_iptables_clean iptables "${PRE_FORWARD_POLICY:-}" 'NETAVARK|podman0|10\.88\.' '^NETAVARK'
	engine_iptables_clean ip6tables "${PRE_FORWARD6_POLICY:-}" 'NETAVARK|podman0' '^NETAVARK'
	[ -z "${PRE_FORWARD:-}" ] || sysctl -qw net.ipv4.ip_forward="$PRE_FORWARD" >/dev/null
	[ "${PRE_D_run_containers:-1}" = 1 ] || rm -rf /run/containers
	[ "${PRE_D_run_runc:-1}" = 1 ] || rm -rf /run/runc
	[ "${PRE_D_run_crun:-1}" = 1 ] || rm -rf /run/crun
	[ "${PRE_D_var_lib_containers:-1}" = 1 ] || rm -rf /var/lib/containers
	unset CONTAINERS_CONF CONTAINERS_STORAGE_CONF
	return 0
}

proxy_nginx_up() {
	local N=$1 listen=$2 target=$3
	mkdir -p "$N/tmp"
	chmod 755 "$N"
	cat >"$N/nginx.conf" <<EOF
user nobody nogroup;
worker_processes 1;
pid $N/nginx.pid;
error_log $N/error.log;
events { worker_connections 64; }
http {
    access_log $N/access.log;
    client_body_temp_path $N/tmp/body;
    proxy_temp_path $N/tmp/proxy;
    fastcgi_temp_path $N/tmp/fastcgi;
    uwsgi_temp_path $N/tmp/uwsgi;
    scgi_temp_path $N/tmp/scgi;
    server {
        listen 127.0.0.1:$listen;
        server_name _;
        location / {
            proxy_pass http://$target;
        }
    }
}
EOF
	CONF=$N/nginx.conf
	NGINX_PID=""
	"${NGINX:-/usr/sbin/nginx}" -c "$CONF" -p "$N/" 2>"$N/start.err" || return 1
	engine_until 10 test -s "$N/nginx.pid"
	NGINX_PID=$(cat "$N/nginx.pid" 2>/dev/null)
	[ -n "$NGINX_PID" ]
}
