#!/bin/bash
# Unix socket paths with a space and non-ASCII letters: a real nginx proxies
# to `unix:/tmp/gw dir ü.XXXXXX/app.sock` (proxy_pass quoted in the conf)
# where a real gunicorn listens. gwtop --check must call it healthy; after
# chmod 0700 on the directory it must report socket_permission naming the
# path exactly (JSON valid, the UTF-8 kept; text output without raw ESC).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/lib.sh
. "$HERE/../integration/lib.sh"
# shellcheck source=tests/hostile/hlib.sh
. "$HERE/hlib.sh"
h_init
it_require_root
it_require_gwtop
NGINX=/usr/sbin/nginx
[ -x "$NGINX" ] || it_skip "no nginx"
[ -x /usr/bin/gunicorn ] || it_skip "no gunicorn"

SDIR=""
NG_STARTED=0
GPID=""
# wait_gone PID... — up to 5 s for the processes to be gone
all_gone() { local p; for p in "$@"; do [ ! -e "/proc/$p" ] || return 1; done; }
wait_gone() { it_until 5 all_gone "$@"; }
names_stop() {
	local pid kids
	if [ "$NG_STARTED" = 1 ]; then
		pid=$(cat "$OUT/nginx.pid" 2>/dev/null)
		if [ -n "$pid" ]; then
			kids=$(pgrep -P "$pid")
			kill "$pid" 2>/dev/null
			# shellcheck disable=SC2086  # kids: a list of PIDs
			wait_gone "$pid" $kids
		fi
	fi
	if [ -n "$GPID" ]; then
		kids=$(pgrep -P "$GPID")
		kill "$GPID" 2>/dev/null
		# shellcheck disable=SC2086  # kids: a list of PIDs
		wait_gone "$GPID" $kids || kill -KILL "$GPID" $kids 2>/dev/null
		wait "$GPID" 2>/dev/null
	fi
	[ -z "$SDIR" ] || rm -rf -- "$SDIR"
	return 0
}
trap 'rc=$?; names_stop; (exit $rc); h_finish' EXIT

export LANG=C.UTF-8
SDIR=$(mktemp -d "/tmp/gw dir ü.XXXXXX") || { t_result "mkdtemp with a space and ü" 1; exit 1; }
chmod 755 "$SDIR"
SOCKP=$SDIR/app.sock
CONF=$OUT/nginx.conf
APP_LOG=$OUT/app.log
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$OUT/logs" "$OUT/tmp"

# gunicorn on the odd path; it and its worker are stopped by PID on exit
"$PY" /usr/bin/gunicorn --workers 1 --chdir "$ROOT/tests/lab/app" \
	--bind "unix:$SOCKP" --error-logfile "$APP_LOG" --capture-output app:app \
	</dev/null >>"$OUT/gunicorn.out" 2>&1 &
GPID=$!
it_until 20 eval '[ -S "$SOCKP" ] && curl -sf --max-time 1 --unix-socket "$SOCKP" http://x/ >/dev/null 2>&1'
t_check "gunicorn answers on '$SOCKP'" curl -sf --max-time 2 --unix-socket "$SOCKP" http://x/

cat >"$CONF" <<EOF
user nobody nogroup;
worker_processes 1;
pid $OUT/nginx.pid;
error_log $OUT/logs/error.log warn;
events { worker_connections 32; }
http {
    access_log $OUT/logs/access.log;
    client_body_temp_path $OUT/tmp/client_body;
    proxy_temp_path $OUT/tmp/proxy;
    fastcgi_temp_path $OUT/tmp/fastcgi;
    uwsgi_temp_path $OUT/tmp/uwsgi;
    scgi_temp_path $OUT/tmp/scgi;
    server {
        listen 127.0.0.1:$PORT;
        location / {
            proxy_pass "http://unix:$SOCKP:";
            proxy_connect_timeout 5s;
        }
    }
}
EOF
"$NGINX" -t -c "$CONF" -p "$OUT/" >"$OUT/nginx-t.out" 2>&1
t_result "nginx -t accepts the quoted proxy_pass with a space and ü" $?
if ! "$NGINX" -c "$CONF" -p "$OUT/" 2>>"$OUT/nginx-t.out"; then
	sed 's/^/# /' "$OUT/nginx-t.out"
	t_result "nginx starts" 1
	exit 1
fi
NG_STARTED=1
code=000
it_until 10 eval 'code=$(curl -s -o /dev/null -w "%{http_code}" --max-time 2 "http://127.0.0.1:$PORT/" 2>/dev/null); [ "$code" = 200 ]'
[ "$code" = 200 ]
t_result "nginx answers 200 through the socket (got $code)" $?

# 1. healthy
it_check_json
it_expect 0 ok healthy
"$PY" - "$GW_OUT" "$SOCKP" <<'PYEOF'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
want = sys.argv[2]
blob = json.dumps(doc, ensure_ascii=False)
sys.exit(0 if want in blob else 1)
PYEOF
t_result "JSON names the socket path exactly (space and ü kept)" $?

# 2. the directory closed to the worker user
chmod 0700 "$SDIR"
curl -s -o /dev/null --max-time 3 "http://127.0.0.1:$PORT/" || true   # an error.log line too
it_check_json
it_expect 2 crit socket_permission upstream
t_mentions socket_permission "$(re "$SDIR")" "the directory '$SDIR'"
t_mentions socket_permission 'nobody' "the worker user nobody"
it_gwtop --check --nginx-conf "$CONF" --app-log "$APP_LOG"
t_rc 2
t_check "text output names the path exactly" grep -qF -- "$SDIR" "$GW_OUT"
t_check "text output has no raw ESC byte" t_no_esc "$GW_OUT"
t_check "text output is clean UTF-8 without control bytes" "$PY" "$JCHECK" clean "$GW_OUT"
# the suggested commands are for pasting into a shell: the path must be quoted
it_check_json
t_check "suggested 'namei -l' command quotes the path" \
	"$PY" "$JCHECK" mentions "$GW_OUT" socket_permission "namei -l ['\"]$(re "$SOCKP")['\"]"
