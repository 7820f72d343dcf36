#!/bin/bash
# lab.sh — a real nginx + gunicorn stack under one directory, with one fault
# injected, for gwtop's integration tests and demo.
#
#   lab.sh up DIR FAULT    build DIR (created if missing), start the stack with
#                          FAULT, reproduce it through nginx with curl and check
#                          the expected HTTP code; writes DIR/lab.env
#   lab.sh down DIR        stop exactly the processes `up` started, remove DIR
#   lab.sh faults          list the faults
#
# Everything lives under DIR: nginx.conf, conf.d/site.conf, nginx.pid,
# logs/{error,access}.log, tmp/ (temp paths), run/ (unix sockets), app.log.
# nginx runs as root with workers as nobody, listens on a free high loopback
# port; gunicorn runs the Flask app in tests/lab/app/ as root.  Ports are a
# block of four chosen at random in 20000-40000, reserved with a lock dir
# under /tmp/gwtop-lab-ports/ so several labs can run side by side.
#
# DIR/lab.env (bash-sourceable) holds the facts tests need: LAB_DIR FAULT
# NGINX_PORT APP_PORT (port nginx targets) APP_BIND (gunicorn's bind, empty
# when not running) OTHER_PORT SOCKET CONF SITE_CONF ERROR_LOG ACCESS_LOG
# APP_LOG TARGET PROXY_PASS_FILE PROXY_PASS_LINE PROXY_PASS_AT (file:line)
# NGINX_PID GUNICORN_PID and per fault: DENY_PATH DEAD_SERVER STALE_FILE
# STALE_NEW_PORT INVALID_AT NGINX_T_ERROR MISSING_MODULE BUFFER_AT
# (header_too_big) BACK_AT SERVER_AT (marked_down) WORKER_CONNECTIONS_AT
# (worker_connections) RLIMIT_AT WORKER_NOFILE (fd_exhausted) KEEPALIVE_AT
# (keepalive_race); *_AT are file:line of the directive. local_ports and
# keepalive_race run only in a private network namespace (their tests
# re-execute themselves in one with unshare -n).
set -euo pipefail

NGINX=/usr/sbin/nginx
PYTHON=/usr/bin/python3
GUNICORN=/usr/bin/gunicorn
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
APPDIR=$HERE/app
PORTLOCKS=/tmp/gwtop-lab-ports
MARKER=.gwtop-lab
FAULTS=(healthy app_down port_mismatch ip_family socket_missing
	socket_permission_mode socket_permission_dir worker_timeout read_timeout
	boot_failure config_stale config_invalid fastcgi_down upstream_partial
	nginx_down healthy_tls unexplained_502 unexplained_partial stale_failing
	boot_recovered variable_target variable_noresolver healthy_broken_path
	hosts_family header_too_big tls_plain tls_wrong_version marked_down worker_connections
	fd_exhausted local_ports keepalive_race)

# State of the lab being built or torn down (also saved in lab.env).
DIR=""
FAULT=""
NGINX_PORT=""
APP_PORT=""
OTHER_PORT=""
APP_BIND=""
SOCKET=""
TARGET=""
NGINX_PID=""
GUNICORN_PID=""
PORT_LOCK=""
READ_TIMEOUT=30s
WORKER_CONNECTIONS=64
MAIN_EXTRA=""   # directives added to nginx.conf's main context
LOC_EXTRA=""    # directives added to the site's location /
EXTRA_ENV=()    # NAME=VALUE added to lab.env by the fault
APP_ENV=()      # NAME=VALUE added to gunicorn's environment

log() { echo "lab: $*"; }
die() { echo "lab: FAILED${FAULT:+ ($FAULT)}: $*" >&2; exit 1; }

env_add() { EXTRA_ENV+=("$1=$2"); }

# --- ports ---------------------------------------------------------------

# ports_free PORT... — true when every port can be bound on 127.0.0.1 and ::1.
ports_free() {
	"$PYTHON" - "$@" <<'EOF'
import errno, socket, sys
for port in map(int, sys.argv[1:]):
    for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        try:
            s = socket.socket(fam, socket.SOCK_STREAM)
        except OSError:
            continue  # no IPv6 here: nothing can hold the port there
        try:
            s.bind((addr, port))
        except OSError as e:
            if e.errno not in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                sys.exit(1)
        finally:
            s.close()
EOF
}

# Reserve a block of 4 free ports (base is a multiple of 4 so blocks never
# overlap) and set NGINX_PORT, APP_PORT, OTHER_PORT, PORT_LOCK.
ports_pick() {
	local base i
	mkdir -p "$PORTLOCKS"
	for ((i = 0; i < 200; i++)); do
		base=$((20000 + (RANDOM % 5000) * 4))
		mkdir "$PORTLOCKS/$base" 2>/dev/null || continue
		if ports_free "$base" $((base + 1)) $((base + 2)) $((base + 3)); then
			PORT_LOCK=$PORTLOCKS/$base
			NGINX_PORT=$base
			APP_PORT=$((base + 1))
			OTHER_PORT=$((base + 2))
			return 0
		fi
		rmdir "$PORTLOCKS/$base"
	done
	die "no free block of ports in 20000-40000"
}

# --- processes -----------------------------------------------------------

# alive PID — the process exists and is not a zombie (PID 1 here may be slow
# to reap the daemons we orphan).
alive() {
	local state
	[ -n "$1" ] || return 1
	state=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true)
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# True when PID is the nginx master of this lab (its cmdline names our conf).
nginx_is_ours() {
	alive "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null |
		grep -qF -- "-c $DIR/nginx.conf"
}

# True when PID is this lab's gunicorn (we start it with GWTOP_LAB=DIR).
gunicorn_is_ours() {
	alive "$1" && tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null |
		grep -qxF -- "GWTOP_LAB=$DIR"
}

# until_ok SECONDS CMD... — CMD until it succeeds, on a clock deadline (not
# a count of polls, which stretch with a busy machine: each poll runs curl
# or awk); one last try at the deadline
until_ok() {
	local end=$(( ${EPOCHREALTIME/./} / 1000 + $1 * 1000 ))
	shift
	while [ $(( ${EPOCHREALTIME/./} / 1000 )) -lt "$end" ]; do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}
not_alive() { ! alive "$1"; }

# wait_gone PID SECONDS
wait_gone() { until_ok "$2" not_alive "$1"; }

# stop_pid PID SIGNAL CHILD_PREFIX — signal one process we started, wait for
# it; if it hangs, SIGKILL it and those of its children whose cmdline starts
# with CHILD_PREFIX (children are collected before the first signal).
stop_pid() {
	local pid=$1 sig=$2 prefix=$3 kids k
	kids=$(pgrep -P "$pid" || true)
	kill "-$sig" "$pid" 2>/dev/null || true
	if ! wait_gone "$pid" 15; then
		log "pid $pid ignored SIG$sig, killing it"
		kill -KILL "$pid" 2>/dev/null || true
		wait_gone "$pid" 5 || true
	fi
	for k in $kids; do
		if alive "$k" && tr '\0' ' ' <"/proc/$k/cmdline" 2>/dev/null | grep -q "^$prefix"; then
			kill -KILL "$k" 2>/dev/null || true
		fi
	done
	# the daemon was orphaned to PID 1: give it a moment to reap the zombie,
	# so a gwtop run right after does not see a ghost process
	until_ok 5 test ! -e "/proc/$pid" || true
}

nginx_start() {
	local i
	"$NGINX" -c "$DIR/nginx.conf" -p "$DIR/" || die "nginx did not start (see $DIR/logs/error.log)"
	nginx_up() {
		NGINX_PID=$(cat "$DIR/nginx.pid" 2>/dev/null || true)
		nginx_is_ours "$NGINX_PID" && (exec 3<>"/dev/tcp/127.0.0.1/$NGINX_PORT") 2>/dev/null
	}
	until_ok 10 nginx_up && return 0
	die "nginx started but is not listening on 127.0.0.1:$NGINX_PORT"
}

nginx_stop() {
	local pid
	pid=$(cat "$DIR/nginx.pid" 2>/dev/null || true)
	nginx_is_ours "$pid" || pid=$NGINX_PID
	if nginx_is_ours "$pid"; then
		stop_pid "$pid" TERM "nginx: worker"
	fi
	NGINX_PID=""
}

# gunicorn_start MODULE ARGS... — start gunicorn in the background in its own
# session (a Ctrl-C in the demo terminal must not reach it); GUNICORN_PID is
# its master.  stdout/stderr go to app.log via --capture-output.
# shellcheck disable=SC2094  # gunicorn appends to app.log itself, nothing reads it here
gunicorn_start() {
	local module=$1
	shift
	(
		cd "$APPDIR"
		exec env GWTOP_LAB="$DIR" PYTHONDONTWRITEBYTECODE=1 ${APP_ENV[@]+"${APP_ENV[@]}"} setsid \
			"$PYTHON" "$GUNICORN" --workers 1 --graceful-timeout 3 \
			--error-logfile "$DIR/app.log" --capture-output --log-level info \
			--chdir "$APPDIR" "$@" "$module"
	) </dev/null >>"$DIR/app.log" 2>&1 &
	GUNICORN_PID=$!
	sleep 0.2
}

# gunicorn_wait_ready URL_OR_SOCKET — wait until the app answers 200 directly.
gunicorn_wait_ready() {
	ready() {
		gunicorn_is_ours "$GUNICORN_PID" || die "gunicorn exited at start: $(tail -n 5 "$DIR/app.log" 2>/dev/null)"
		[ "$(app_direct /health)" = 200 ]
	}
	until_ok 20 ready && return 0
	die "gunicorn is running but does not answer on $APP_BIND"
}

# app_direct PATH — HTTP code of a request straight to gunicorn (no nginx).
app_direct() {
	case $APP_BIND in
	unix:*) curl -s -o /dev/null -w '%{http_code}' --max-time 2 --unix-socket "${APP_BIND#unix:}" "http://localhost$1" 2>/dev/null || true ;;
	*) curl -s -o /dev/null -w '%{http_code}' --max-time 2 -k "${TARGET%%://*}://$APP_BIND$1" 2>/dev/null || true ;;
	esac
}

gunicorn_stop() {
	if gunicorn_is_ours "$GUNICORN_PID"; then
		stop_pid "$GUNICORN_PID" INT "$PYTHON $GUNICORN"
	fi
	GUNICORN_PID=""
}

# --- configuration -------------------------------------------------------

conf_main() {
	mkdir -p "$DIR/conf.d" "$DIR/logs" "$DIR/tmp" "$DIR/run"
	cat >"$DIR/nginx.conf" <<EOF
# gwtop lab, fault "$FAULT": generated by tests/lab/lab.sh
user nobody nogroup;
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/logs/error.log warn;
$MAIN_EXTRA
events {
    worker_connections $WORKER_CONNECTIONS;
}

http {
    access_log $DIR/logs/access.log;
    client_body_temp_path $DIR/tmp/client_body;
    proxy_temp_path $DIR/tmp/proxy;
    fastcgi_temp_path $DIR/tmp/fastcgi;
    uwsgi_temp_path $DIR/tmp/uwsgi;
    scgi_temp_path $DIR/tmp/scgi;

    include $DIR/conf.d/*.conf;
}
EOF
}

# conf_site [UPSTREAM_BLOCK] — the server; its location proxies to $TARGET
# (or fastcgi_pass when TARGET starts with fastcgi:).
conf_site() {
	local pass
	case $TARGET in
	fastcgi:*) pass="fastcgi_pass ${TARGET#fastcgi:};
        fastcgi_param SCRIPT_FILENAME $DIR/www/index.php;" ;;
	*) pass="proxy_pass $TARGET;
        proxy_set_header Host \$host;" ;;
	esac
	{
		[ -z "${1:-}" ] || printf '%s\n\n' "$1"
		cat <<EOF
server {
    listen 127.0.0.1:$NGINX_PORT;
    server_name lab.test;

    location / {
        $pass
        proxy_connect_timeout 5s;
        proxy_read_timeout $READ_TIMEOUT;${LOC_EXTRA:+
        $LOC_EXTRA}
    }
}
EOF
	} >"$DIR/conf.d/site.conf"
}

# conf_at FILE DIRECTIVE — file:line of the first line of FILE starting with
# DIRECTIVE (indentation aside), for lab.env.
conf_at() {
	local n
	n=$(grep -nE "^[[:space:]]*$2[[:space:]]" "$1" | head -n1 | cut -d: -f1)
	[ -n "$n" ] || die "no $2 in $1"
	echo "$1:$n"
}

# --- checks --------------------------------------------------------------

# expect_http CODE PATH [COUNT] — every request through nginx answers CODE
# (000: no connection).
expect_http() {
	local want=$1 path=$2 n=${3:-3} got i
	for ((i = 1; i <= n; i++)); do
		got=$(curl -s -o /dev/null -w '%{http_code}' --max-time 40 ${CLIENT_ARGS[@]+"${CLIENT_ARGS[@]}"} \
			"http://127.0.0.1:$NGINX_PORT$path" 2>/dev/null || true)
		[ "$got" = "$want" ] || die "expected HTTP $want from nginx for $path, got $got (request $i of $n)"
	done
	log "nginx answered $want to $n request(s) for $path"
}

# expect_http_in CODES PATH [COUNT] — every request through nginx answers one
# of CODES ("502|504").
expect_http_in() {
	local want=$1 path=$2 n=${3:-3} got i
	for ((i = 1; i <= n; i++)); do
		got=$(curl -s -o /dev/null -w '%{http_code}' --max-time 40 "http://127.0.0.1:$NGINX_PORT$path" 2>/dev/null || true)
		[[ "|$want|" == *"|$got|"* ]] || die "expected HTTP $want from nginx for $path, got $got (request $i of $n)"
	done
	log "nginx answered $want to $n request(s) for $path"
}

# expect_concurrent N PATH CODE — N requests through nginx at once; at
# least one answers CODE (the others may be anything: the fault is about
# running out of something while they are in flight). Their codes go to
# CONCURRENT_CODES.
CONCURRENT_CODES=""
CLIENT_ARGS=()   # extra curl arguments for expect_concurrent's clients
expect_concurrent() {
	local n=$1 path=$2 want=$3 i pids=() f
	f=$(mktemp "$DIR/tmp/codes.XXXXXX")
	for ((i = 0; i < n; i++)); do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 40 ${CLIENT_ARGS[@]+"${CLIENT_ARGS[@]}"} \
			"http://127.0.0.1:$NGINX_PORT$path" >>"$f" 2>/dev/null &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || true; done
	CONCURRENT_CODES=$(sort "$f" | tr '\n' ' ')
	rm -f "$f"
	grep -qw "$want" <<<"$CONCURRENT_CODES" || die "expected one HTTP $want among $n concurrent requests for $path, got: $CONCURRENT_CODES"
	log "nginx answered $n concurrent requests for $path: $CONCURRENT_CODES"
}

# expect_log FILE FIXED_STRING — the line must show up (within 5 s).
expect_log() {
	until_ok 5 grep -qF -- "$2" "$1" 2>/dev/null && return 0
	die "expected '$2' in $1; last lines: $(tail -n 5 "$1" 2>/dev/null)"
}

# wait_app_idle — after slow requests, wait until gunicorn answers directly
# again, so the lab is left in a steady state.
wait_app_idle() {
	idle() { [ "$(app_direct /health)" = 200 ]; }
	until_ok 20 idle && return 0
	die "gunicorn did not become idle again"
}

# --- faults --------------------------------------------------------------

# Common shape: TCP app on APP_PORT, nginx proxies to it.
tcp_app() { # [gunicorn args...]
	APP_BIND=127.0.0.1:$APP_PORT
	gunicorn_start app:app --bind "$APP_BIND" "$@"
	gunicorn_wait_ready
}

fault_setup() {
	TARGET=http://127.0.0.1:$APP_PORT
	case $FAULT in
	healthy)
		conf_site
		tcp_app
		nginx_start
		expect_http 200 / 3
		;;
	healthy_tls)
		# gunicorn serves TLS (a throw-away self-signed certificate);
		# nginx proxies with proxy_pass https:// and does not verify it,
		# which is nginx's default (proxy_ssl_verify off).
		TARGET=https://127.0.0.1:$APP_PORT
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$DIR/tls.key" -out "$DIR/tls.crt" -subj /CN=127.0.0.1 -days 2 \
			>"$DIR/openssl.log" 2>&1 || die "openssl could not make a certificate: $(tail -n 3 "$DIR/openssl.log")"
		conf_site
		tcp_app --certfile "$DIR/tls.crt" --keyfile "$DIR/tls.key"
		nginx_start
		expect_http 200 / 3
		;;
	app_down)
		conf_site
		tcp_app
		nginx_start
		expect_http 200 / 1
		log "stopping gunicorn (pid $GUNICORN_PID)"
		gunicorn_stop
		APP_BIND=""
		expect_http 502 / 3
		expect_log "$DIR/logs/error.log" "connect() failed (111: Connection refused) while connecting to upstream"
		;;
	port_mismatch)
		conf_site
		APP_BIND=127.0.0.1:$OTHER_PORT
		gunicorn_start app:app --bind "$APP_BIND"
		gunicorn_wait_ready
		nginx_start
		expect_http 502 / 3
		expect_log "$DIR/logs/error.log" "connect() failed (111: Connection refused) while connecting to upstream"
		env_add APP_BIND_PORT "$OTHER_PORT"
		;;
	ip_family)
		TARGET="http://[::1]:$APP_PORT"
		conf_site
		tcp_app
		nginx_start
		expect_http 502 / 3
		expect_log "$DIR/logs/error.log" "connect() failed (111: Connection refused) while connecting to upstream"
		expect_log "$DIR/logs/error.log" "upstream: \"http://[::1]:$APP_PORT/"
		;;
	socket_missing)
		SOCKET=$DIR/run/app.sock
		TARGET=http://unix:$SOCKET
		conf_site
		APP_BIND=unix:$SOCKET
		gunicorn_start app:app --bind "$APP_BIND"
		gunicorn_wait_ready
		nginx_start
		expect_http 200 / 1
		log "stopping gunicorn (pid $GUNICORN_PID); it removes its socket"
		gunicorn_stop
		APP_BIND=""
		[ ! -e "$SOCKET" ] || die "$SOCKET still exists after gunicorn stopped"
		expect_http 502 / 3
		expect_log "$DIR/logs/error.log" "(2: No such file or directory) while connecting to upstream"
		;;
	socket_permission_mode)
		SOCKET=$DIR/run/app.sock
		TARGET=http://unix:$SOCKET
		conf_site
		APP_BIND=unix:$SOCKET
		# umask 0177: the socket is created srw------- root root
		gunicorn_start app:app --bind "$APP_BIND" --umask 0177
		gunicorn_wait_ready
		[ "$(stat -c '%a %U' "$SOCKET")" = "600 root" ] ||
			die "socket mode is $(stat -c '%a %U' "$SOCKET"), wanted 600 root"
		nginx_start
		expect_http 502 / 3
		expect_log "$DIR/logs/error.log" "(13: Permission denied) while connecting to upstream"
		env_add DENY_PATH "$SOCKET"
		;;
	socket_permission_dir)
		mkdir -m 0700 "$DIR/private"
		SOCKET=$DIR/private/app.sock
		TARGET=http://unix:$SOCKET
		conf_site
		APP_BIND=unix:$SOCKET
		gunicorn_start app:app --bind "$APP_BIND"
		gunicorn_wait_ready
		nginx_start
		expect_http 502 / 3
		expect_log "$DIR/logs/error.log" "(13: Permission denied) while connecting to upstream"
		env_add DENY_PATH "$DIR/private"
		;;
	worker_timeout)
		conf_site
		APP_ENV=(LAB_SLEEP=10)
		tcp_app --timeout 2
		nginx_start
		expect_http 200 / 1
		expect_http 502 /slow 2
		expect_log "$DIR/logs/error.log" "upstream prematurely closed connection while reading response header from upstream"
		expect_log "$DIR/app.log" "WORKER TIMEOUT"
		wait_app_idle
		;;
	read_timeout)
		READ_TIMEOUT=1s
		conf_site
		APP_ENV=(LAB_SLEEP=5)
		tcp_app
		nginx_start
		expect_http 200 / 1
		expect_http 504 /slow 2
		expect_log "$DIR/logs/error.log" "upstream timed out (110: Connection timed out) while reading response header from upstream"
		wait_app_idle
		;;
	boot_failure)
		conf_site
		APP_BIND=127.0.0.1:$APP_PORT
		gunicorn_start broken:app --bind "$APP_BIND"
		wait_gone "$GUNICORN_PID" 20 || die "gunicorn with a broken app did not exit"
		GUNICORN_PID=""
		APP_BIND=""
		expect_log "$DIR/app.log" "ModuleNotFoundError"
		expect_log "$DIR/app.log" "Worker failed to boot"
		nginx_start
		expect_http 502 / 3
		expect_log "$DIR/logs/error.log" "connect() failed (111: Connection refused) while connecting to upstream"
		env_add MISSING_MODULE "${LAB_MISSING_MODULE:-psycopg2_missing_xyz}"
		;;
	config_stale)
		conf_site
		tcp_app
		nginx_start
		expect_http 200 / 1
		# the edit must be visibly younger than the workers' start time
		sleep 2
		sed -i "s|proxy_pass http://127.0.0.1:$APP_PORT;|proxy_pass http://127.0.0.1:$OTHER_PORT;|" "$DIR/conf.d/site.conf"
		grep -qF "proxy_pass http://127.0.0.1:$OTHER_PORT;" "$DIR/conf.d/site.conf" || die "edit of site.conf failed"
		touch "$DIR/conf.d/site.conf"
		log "edited $DIR/conf.d/site.conf: proxy_pass now port $OTHER_PORT, nginx not reloaded"
		expect_http 200 / 3
		env_add STALE_FILE "$DIR/conf.d/site.conf"
		env_add STALE_NEW_PORT "$OTHER_PORT"
		;;
	config_invalid)
		conf_site
		tcp_app
		nginx_start
		expect_http 200 / 1
		sleep 1
		# drop the ';' of the last directive in the location: nginx -t then
		# fails with: unexpected "}" in .../conf.d/site.conf:N
		sed -i "s|proxy_read_timeout $READ_TIMEOUT;|proxy_read_timeout $READ_TIMEOUT|" "$DIR/conf.d/site.conf"
		local terr
		if terr=$("$NGINX" -t -c "$DIR/nginx.conf" -p "$DIR/" 2>&1); then
			die "nginx -t still passes after breaking site.conf"
		fi
		terr=$(grep -m1 emerg <<<"$terr" || true)
		[[ $terr =~ \ in\ ([^ ]+:[0-9]+) ]] || die "no file:line in nginx -t output: $terr"
		log "nginx -t now fails: $terr"
		env_add INVALID_AT "${BASH_REMATCH[1]}"
		env_add NGINX_T_ERROR "$terr"
		expect_http 200 / 3
		;;
	fastcgi_down)
		TARGET=fastcgi:127.0.0.1:$APP_PORT
		conf_site
		nginx_start
		expect_http 502 / 3
		expect_log "$DIR/logs/error.log" "upstream: \"fastcgi://127.0.0.1:$APP_PORT\""
		expect_log "$DIR/logs/error.log" "connect() failed (111: Connection refused) while connecting to upstream"
		;;
	upstream_partial)
		TARGET=http://app_pool
		conf_site "upstream app_pool {
    server 127.0.0.1:$APP_PORT;
    server 127.0.0.1:$OTHER_PORT;
}"
		tcp_app
		nginx_start
		expect_http 200 / 6
		expect_log "$DIR/logs/error.log" "upstream: \"http://127.0.0.1:$OTHER_PORT/"
		env_add DEAD_SERVER "127.0.0.1:$OTHER_PORT"
		;;
	nginx_down)
		conf_site
		tcp_app
		nginx_start
		expect_http 200 / 1
		log "stopping nginx (pid $NGINX_PID)"
		nginx_stop
		expect_http 000 / 1
		[ "$(app_direct /health)" = 200 ] || die "gunicorn not answering directly"
		;;
	unexplained_502)
		# nginx itself answers 502 for every request (a `return 502;` a
		# deploy left in): no upstream error line, only the access log
		# and a request through nginx tell.
		conf_site
		sed -i 's|^    location / {$|    location / {\n        return 502;|' "$DIR/conf.d/site.conf"
		grep -q 'return 502;' "$DIR/conf.d/site.conf" || die "could not add return 502"
		tcp_app
		nginx_start
		expect_http 502 / 3
		expect_log "$DIR/logs/access.log" '"GET / HTTP/1.1" 502'
		[ "$(app_direct /health)" = 200 ] || die "gunicorn not answering directly"
		;;
	hosts_family)
		# proxy_pass names a host that /etc/hosts lists as ::1 AND
		# 127.0.0.1 (run it in a mount namespace with such a hosts file:
		# tests/integration/test_truth_hosts_family.sh); nginx resolves
		# both at load time, the app listens on 127.0.0.1 only: every
		# request first tries [::1] (refused, logged), then 127.0.0.1.
		grep -Eq '^::1[[:space:]].*gwtop-dual\.test' /etc/hosts ||
			die "/etc/hosts does not list gwtop-dual.test as ::1 (run in the test's namespace)"
		TARGET=http://gwtop-dual.test:$APP_PORT
		conf_site
		tcp_app
		nginx_start
		expect_http 200 / 4
		expect_log "$DIR/logs/error.log" "upstream: \"http://[::1]:$APP_PORT/"
		;;
	healthy_broken_path)
		# healthy, with one location that answers 502 when asked
		# (nobody asks during set-up): a test breaks it on demand
		conf_site
		sed -i 's|^    location / {$|    location /broken/ {\n        return 502;\n    }\n\n    location / {|' "$DIR/conf.d/site.conf"
		tcp_app
		nginx_start
		expect_http 200 / 3
		;;
	unexplained_partial)
		# one location answers 502 (return 502), the rest works
		conf_site
		sed -i 's|^    location / {$|    location /api/ {\n        return 502;\n    }\n\n    location / {|' "$DIR/conf.d/site.conf"
		tcp_app
		nginx_start
		expect_http 200 / 1
		expect_http 502 /api/x 3
		expect_log "$DIR/logs/access.log" '"GET /api/x HTTP/1.1" 502'
		;;
	stale_failing)
		# nginx was started with a target nobody listens on; the file on
		# disk was then fixed (the app's port) but nginx not reloaded:
		# every request still fails, against the old address.
		TARGET=http://127.0.0.1:$OTHER_PORT
		conf_site
		tcp_app
		nginx_start
		expect_http 502 / 3
		expect_log "$DIR/logs/error.log" "upstream: \"http://127.0.0.1:$OTHER_PORT/"
		sleep 2   # the edit must be visibly younger than the workers' start time
		sed -i "s|proxy_pass http://127.0.0.1:$OTHER_PORT;|proxy_pass http://127.0.0.1:$APP_PORT;|" "$DIR/conf.d/site.conf"
		grep -qF "proxy_pass http://127.0.0.1:$APP_PORT;" "$DIR/conf.d/site.conf" || die "edit of site.conf failed"
		TARGET=http://127.0.0.1:$APP_PORT
		log "edited site.conf: proxy_pass now port $APP_PORT (the app), nginx not reloaded"
		expect_http 502 / 3
		env_add STALE_FILE "$DIR/conf.d/site.conf"
		env_add OLD_TARGET "127.0.0.1:$OTHER_PORT"
		;;
	boot_recovered)
		# the app failed to boot (import error), then was fixed and
		# started again: it answers now, the failure is history
		conf_site
		APP_BIND=127.0.0.1:$APP_PORT
		gunicorn_start broken:app --bind "$APP_BIND"
		wait_gone "$GUNICORN_PID" 20 || die "gunicorn with a broken app did not exit"
		expect_log "$DIR/app.log" "ModuleNotFoundError"
		nginx_start
		expect_http 502 / 2
		sleep 1   # the new start must be visibly younger than the failure
		gunicorn_start app:app --bind "$APP_BIND"
		gunicorn_wait_ready
		expect_http 200 / 3
		env_add RECOVERED_AFTER "$(date +%s)"
		;;
	variable_target)
		# proxy_pass through a variable set to a constant: nginx needs no
		# resolver for an address literal, and the target is known
		TARGET='http://$backend'
		conf_site
		sed -i "s|^    location / {\$|    set \\\$backend 127.0.0.1:$APP_PORT;\n\n    location / {|" "$DIR/conf.d/site.conf"
		grep -qF "set \$backend 127.0.0.1:$APP_PORT;" "$DIR/conf.d/site.conf" || die "could not add set \$backend"
		tcp_app
		nginx_start
		expect_http 200 / 3
		;;
	variable_noresolver)
		# the same with a name: nginx must resolve it per request and has
		# no resolver: "no resolver defined to resolve localhost", 502
		TARGET='http://$backend'
		conf_site
		sed -i "s|^    location / {\$|    set \\\$backend localhost:$APP_PORT;\n\n    location / {|" "$DIR/conf.d/site.conf"
		grep -qF "set \$backend localhost:$APP_PORT;" "$DIR/conf.d/site.conf" || die "could not add set \$backend"
		tcp_app
		nginx_start
		expect_http 502 / 3
		expect_log "$DIR/logs/error.log" "no resolver defined to resolve localhost"
		;;
	header_too_big)
		# the app sends an 8 KiB Set-Cookie; the location's
		# proxy_buffer_size is 1k: "upstream sent too big header", 502
		LOC_EXTRA="proxy_buffer_size 1k;"
		conf_site
		tcp_app
		nginx_start
		expect_http 200 / 1
		expect_http 502 /bighdr 3
		expect_log "$DIR/logs/error.log" "upstream sent too big header while reading response header from upstream"
		env_add BUFFER_AT "$(conf_at "$DIR/conf.d/site.conf" proxy_buffer_size)"
		;;
	tls_plain)
		# proxy_pass https:// to a gunicorn that speaks plain HTTP:
		# gunicorn reads nginx's ClientHello as the start of a request
		# line and waits for its end, the handshake hangs until
		# proxy_connect_timeout (2s here): 504, "upstream timed out (110:
		# ...) while SSL handshaking to upstream". (Should the hello's
		# random bytes hold a CRLF, gunicorn answers 400 at once and nginx
		# logs "wrong version number", 502: both are this fault.)
		TARGET=https://127.0.0.1:$APP_PORT
		conf_site
		sed -i 's|proxy_connect_timeout 5s;|proxy_connect_timeout 2s;|' "$DIR/conf.d/site.conf"
		TARGET=http://127.0.0.1:$APP_PORT
		tcp_app
		TARGET=https://127.0.0.1:$APP_PORT
		nginx_start
		expect_http_in "504|502" / 2
		expect_log "$DIR/logs/error.log" "while SSL handshaking to upstream"
		;;
	tls_wrong_version)
		# proxy_pass https:// to a plain-HTTP server that answers at once
		# (a second server{} of this nginx on OTHER_PORT, in front of the
		# app): the handshake reads "HTTP/1.1 400", "wrong version number",
		# 502
		TARGET=https://127.0.0.1:$OTHER_PORT
		conf_site "server {
    listen 127.0.0.1:$OTHER_PORT;
    server_name plain.test;
    location / {
        proxy_pass http://127.0.0.1:$APP_PORT;
    }
}"
		TARGET=http://127.0.0.1:$APP_PORT
		tcp_app
		TARGET=https://127.0.0.1:$OTHER_PORT
		nginx_start
		expect_http 502 / 3
		expect_log "$DIR/logs/error.log" "SSL_do_handshake() failed (SSL: error:"
		expect_log "$DIR/logs/error.log" "wrong version number) while SSL handshaking to upstream"
		;;
	marked_down)
		# two servers (the app bound on both ports), max_fails=1
		# fail_timeout=60s: the app stops, a request fails on both and
		# marks both failed; the app starts again, nginx still answers
		# "no live upstreams" until fail_timeout has passed
		TARGET=http://app_pool
		conf_site "upstream app_pool {
    server 127.0.0.1:$APP_PORT max_fails=1 fail_timeout=60s;
    server 127.0.0.1:$OTHER_PORT max_fails=1 fail_timeout=60s;
}"
		tcp_app --bind "127.0.0.1:$OTHER_PORT"
		nginx_start
		expect_http 200 / 2
		log "stopping gunicorn (pid $GUNICORN_PID)"
		gunicorn_stop
		expect_http 502 / 1
		expect_log "$DIR/logs/error.log" "connect() failed (111: Connection refused) while connecting to upstream"
		tcp_app --bind "127.0.0.1:$OTHER_PORT"
		APP_BIND="127.0.0.1:$OTHER_PORT"
		[ "$(app_direct /health)" = 200 ] || die "gunicorn not answering on $OTHER_PORT"
		APP_BIND="127.0.0.1:$APP_PORT"
		env_add BACK_AT "$(date +%s)"
		expect_http 502 / 3
		expect_log "$DIR/logs/error.log" "no live upstreams while connecting to upstream"
		env_add SERVER_AT "$(conf_at "$DIR/conf.d/site.conf" server)"
		;;
	worker_connections)
		# worker_connections 5: the listen socket and the master's
		# channel take two, a request two more (client, upstream); three
		# slow requests at once: the second's upstream connection finds
		# none left, "5 worker_connections are not enough while
		# connecting to upstream", 500 (and a third client is not even
		# accepted)
		WORKER_CONNECTIONS=5
		conf_main
		conf_site
		APP_ENV=(LAB_SLEEP=3)
		tcp_app --threads 4
		nginx_start
		expect_http 200 / 1
		expect_concurrent 3 /slow 500
		expect_log "$DIR/logs/error.log" "worker_connections are not enough"
		env_add WORKER_CONNECTIONS_AT "$(conf_at "$DIR/nginx.conf" worker_connections)"
		wait_app_idle
		;;
	fd_exhausted)
		# worker_rlimit_nofile at the worker's second free fd number (the
		# limit bounds fd numbers): one fd is left below it, a request's
		# client connection takes it, its upstream socket() finds none:
		# "(24: Too many open files) while connecting to upstream", 500
		conf_site
		tcp_app
		nginx_start
		expect_http 200 / 1
		local w fd limit
		nginx_worker() { pgrep -P "$NGINX_PID" | head -n1; }
		w=$(nginx_worker)
		[ -n "$w" ] || die "no nginx worker"
		for ((fd = 0; ; fd++)); do [ -e "/proc/$w/fd/$fd" ] || break; done
		for ((fd++; ; fd++)); do [ -e "/proc/$w/fd/$fd" ] || break; done
		limit=$fd
		# a fresh start (not a reload: the master then holds other fds)
		# lays the worker's fds out the same way
		nginx_stop
		MAIN_EXTRA="worker_rlimit_nofile $limit;"
		conf_main
		nginx_start
		worker_limited() {
			w=$(nginx_worker)
			[ -n "$w" ] && grep -Eq "^Max open files +$limit " "/proc/$w/limits" 2>/dev/null
		}
		until_ok 10 worker_limited || die "no nginx worker with the open files limit $limit"
		expect_http 500 / 2
		expect_log "$DIR/logs/error.log" "(24: Too many open files) while connecting to upstream"
		env_add RLIMIT_AT "$(conf_at "$DIR/nginx.conf" worker_rlimit_nofile)"
		env_add WORKER_NOFILE "$limit"
		;;
	local_ports)
		# run in a network namespace whose ip_local_port_range holds two
		# ports and whose TIME-WAIT ports are not reused
		# (tests/integration/test_cause_local_ports_exhausted.sh): nginx
		# closes its upstream connections first, so each request leaves
		# its local port in TIME-WAIT (60 s); after two requests the
		# third finds no port, "(99: Cannot assign requested address)
		# while connecting to upstream", 502. The clients bind ports of
		# their own (curl --local-port) so they do not use the range.
		local range
		range=$(tr -s '\t ' '  ' </proc/sys/net/ipv4/ip_local_port_range)
		if [ "$range" != "40000 40001" ] || [ "$(cat /proc/sys/net/ipv4/tcp_tw_reuse)" != 0 ]; then
			die "ip_local_port_range is '$range' (want '40000 40001', tcp_tw_reuse 0): run in the test's network namespace"
		fi
		CLIENT_ARGS=(--local-port 31000-31099)
		conf_site
		APP_ENV=(LAB_SLEEP=4)
		tcp_app --threads 4
		nginx_start
		expect_http 200 / 1
		expect_concurrent 3 /slow 502
		expect_log "$DIR/logs/error.log" "(99: Cannot assign requested address) while connecting to upstream"
		;;
	keepalive_race)
		# run in a private network namespace (the test re-executes in
		# one: iptables there touches nothing of the host). nginx keeps
		# idle connections to the app (keepalive 4, HTTP/1.1), gunicorn
		# (gthread) closes idle ones after --keep-alive 1. The app's FIN
		# is held back (dropped) as if it were still in flight: nginx
		# sends the next request, a POST, on the connection the app has
		# closed, the app's kernel resets it: 502, "recv() failed (104:
		# Connection reset by peer) while reading response header from
		# upstream", while fresh connections work.
		[ "$(readlink /proc/self/ns/net)" != "$(readlink /proc/1/ns/net)" ] ||
			die "keepalive_race changes iptables: run it in a network namespace (the test does)"
		TARGET=http://app_pool
		LOC_EXTRA='proxy_http_version 1.1;
        proxy_set_header Connection "";'
		conf_site "upstream app_pool {
    server 127.0.0.1:$APP_PORT;
    keepalive 4;
}"
		tcp_app --threads 2 --keep-alive 1
		nginx_start
		expect_http 200 / 1
		fin_rule=(OUTPUT -p tcp --sport "$APP_PORT" --tcp-flags FIN FIN -j DROP)
		iptables -A "${fin_rule[@]}" || die "iptables failed"
		app_closed_idle() { ss -tn state fin-wait-1 "( sport = :$APP_PORT )" | grep -q "127.0.0.1:$APP_PORT"; }
		if ! until_ok 10 app_closed_idle; then
			iptables -D "${fin_rule[@]}" || true
			die "gunicorn did not close its idle keep-alive connection"
		fi
		local got
		got=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST -d x=1 "http://127.0.0.1:$NGINX_PORT/" || true)
		iptables -D "${fin_rule[@]}" || true
		[ "$got" = 502 ] || die "expected HTTP 502 for a POST on the reused connection, got $got"
		log "nginx answered 502 to a POST sent on the connection the app had closed"
		expect_log "$DIR/logs/error.log" "recv() failed (104: Connection reset by peer) while reading response header from upstream"
		[ "$(app_direct /health)" = 200 ] || die "gunicorn not answering directly"
		env_add KEEPALIVE_AT "$(conf_at "$DIR/conf.d/site.conf" keepalive)"
		;;
	*)
		die "unknown fault '$FAULT' (one of: ${FAULTS[*]})"
		;;
	esac
}

# --- up / down -----------------------------------------------------------

env_write() {
	local file line kv
	file=$DIR/conf.d/site.conf
	line=$(grep -nE '^[[:space:]]*(proxy|fastcgi)_pass ' "$file" | head -n1 | cut -d: -f1)
	{
		printf '# gwtop lab facts, written by tests/lab/lab.sh up\n'
		for kv in "LAB_DIR=$DIR" "FAULT=$FAULT" "NGINX_PORT=$NGINX_PORT" \
			"APP_PORT=$APP_PORT" "OTHER_PORT=$OTHER_PORT" "APP_BIND=$APP_BIND" \
			"SOCKET=$SOCKET" "TARGET=$TARGET" "CONF=$DIR/nginx.conf" \
			"SITE_CONF=$file" "ERROR_LOG=$DIR/logs/error.log" \
			"ACCESS_LOG=$DIR/logs/access.log" "APP_LOG=$DIR/app.log" \
			"PROXY_PASS_FILE=$file" "PROXY_PASS_LINE=$line" \
			"PROXY_PASS_AT=$file:$line" "NGINX_PID=$NGINX_PID" \
			"GUNICORN_PID=$GUNICORN_PID" "PORT_LOCK=$PORT_LOCK" \
			${EXTRA_ENV[@]+"${EXTRA_ENV[@]}"}; do
			printf '%s=%q\n' "${kv%%=*}" "${kv#*=}"
		done
	} >"$DIR/lab.env"
}

# Stop what this lab started and remove DIR (only a directory carrying our
# marker is removed).
teardown() {
	nginx_stop
	gunicorn_stop
	[ -z "$PORT_LOCK" ] || rmdir "$PORT_LOCK" 2>/dev/null || true
	if [ -f "$DIR/$MARKER" ]; then
		rm -rf -- "$DIR"
	fi
}

UP_DONE=0
up_exit() {
	local rc=$?
	[ "$UP_DONE" = 1 ] && return 0
	echo "lab: up failed, tearing down $DIR" >&2
	local f
	for f in "$DIR/logs/error.log" "$DIR/app.log"; do
		[ -s "$f" ] || continue
		echo "---- last lines of $f" >&2
		tail -n 15 "$f" >&2 || true
	done
	teardown
	exit "$rc"
}

cmd_up() {
	[ "$(id -u)" = 0 ] || die "must run as root (nginx workers run as nobody)"
	mkdir -p "$DIR"
	DIR=$(cd "$DIR" && pwd)
	[ -z "$(ls -A "$DIR")" ] || die "$DIR is not empty"
	touch "$DIR/$MARKER"
	trap up_exit EXIT
	trap 'exit 130' INT TERM
	# mktemp -d makes 0700 dirs: let the nginx worker (nobody) reach sockets
	chmod 0755 "$DIR"
	ports_pick
	conf_main
	log "dir $DIR, fault $FAULT, nginx port $NGINX_PORT, app port $APP_PORT, other port $OTHER_PORT"
	fault_setup
	env_write
	UP_DONE=1
	trap - EXIT INT TERM
	log "up: $FAULT reproduced; facts in $DIR/lab.env"
}

cmd_down() {
	[ -f "$DIR/$MARKER" ] || die "$DIR is not a lab directory (no $MARKER)"
	DIR=$(cd "$DIR" && pwd)
	if [ -f "$DIR/lab.env" ]; then
		# shellcheck disable=SC1091
		. "$DIR/lab.env"
	fi
	DIR=$(cd "$DIR" && pwd)
	teardown
	log "down: $DIR removed"
}

case ${1:-} in
up)
	[ $# = 3 ] || die "usage: lab.sh up DIR FAULT"
	DIR=$2
	FAULT=$3
	[[ " ${FAULTS[*]} " == *" $FAULT "* ]] || die "unknown fault '$FAULT' (one of: ${FAULTS[*]})"
	cmd_up
	;;
down)
	[ $# = 2 ] || die "usage: lab.sh down DIR"
	DIR=$2
	cmd_down
	;;
faults)
	echo "${FAULTS[*]}"
	;;
*)
	echo "usage: lab.sh up DIR FAULT | lab.sh down DIR | lab.sh faults" >&2
	exit 2
	;;
esac
