#!/bin/bash
# demo.sh — `make demo FAULT=x`: bring up a real nginx + gunicorn stack with
# one fault (default app_down), show what was set up, run gwtop on it (the
# dashboard when this build has one, else `gwtop --check`), and tear the
# stack down on exit, Ctrl-C included.  Needs root.  `demo.sh list` lists
# the faults.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=$ROOT/tests/lab/lab.sh
FAULT=${1:-app_down}
cd "$ROOT"

if [ "$FAULT" = list ]; then
	"$LAB" faults
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "demo: needs root (nginx runs its workers as nobody): sudo make demo FAULT=$FAULT" >&2
	exit 1
fi
case " $("$LAB" faults) " in
*" $FAULT "*) ;;
*)
	echo "demo: unknown fault '$FAULT'; one of: $("$LAB" faults)" >&2
	exit 2
	;;
esac

if [ ! -x /usr/sbin/nginx ] || [ ! -x /usr/bin/gunicorn ] || ! /usr/bin/python3 -c 'import flask' 2>/dev/null; then
	echo "demo: installing dependencies (scripts/deps.sh)"
	scripts/deps.sh
fi
[ -x ./gwtop ] || make gwtop

DIR=$(mktemp -d /tmp/gwtop-demo.XXXXXX)
cleanup() {
	trap - EXIT INT TERM
	echo
	echo "demo: tearing down the lab in $DIR"
	if [ -d "$DIR" ]; then
		"$LAB" down "$DIR" >/dev/null 2>&1 || rmdir "$DIR" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "demo: bringing up a real nginx + gunicorn with fault '$FAULT'"
"$LAB" up "$DIR" "$FAULT"
# shellcheck disable=SC1091
. "$DIR/lab.env"

cat <<INFO

  nginx     127.0.0.1:$NGINX_PORT   master pid ${NGINX_PID:-(not running)}
            config $CONF
            target $TARGET  (${PROXY_PASS_AT})
  app       gunicorn ${APP_BIND:-(not running)}  pid ${GUNICORN_PID:-(none)}
  logs      $ERROR_LOG
            $APP_LOG

  try:      curl -i http://127.0.0.1:$NGINX_PORT/

INFO

args=(--nginx-conf "$CONF")
[ ! -f "$APP_LOG" ] || args+=(--app-log "$APP_LOG")

if [ -t 0 ] && [ -t 1 ] && ./gwtop --help 2>&1 | grep -qiE 'dashboard|tui|full-screen|interactive'; then
	./gwtop "${args[@]}" || true
else
	echo "demo: ./gwtop --check ${args[*]}"
	rc=0
	./gwtop --check "${args[@]}" || rc=$?
	echo "demo: gwtop exit code $rc (0 ok, 1 warn, 2 crit, 3 unknown)"
	if [ -t 0 ]; then
		read -r -p "demo: press Enter to tear the lab down... " _
	fi
fi
