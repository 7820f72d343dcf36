#!/bin/bash
# screenshots.sh — `make screenshots`: PNGs of the real dashboard on the real
# lab (tests/lab/lab.sh: nginx + gunicorn on loopback).  For each shot the lab
# is brought up in the needed state, ./gwtop runs in a detached tmux pane of
# the given size, the pane is captured with colours (capture-pane -e), turned
# into HTML by aha, wrapped in a dark page with a monospace font and rendered
# to PNG by headless chromium.  All Debian packages (aha chromium tmux
# fonts-dejavu-core).
#
#   scripts/screenshots.sh [OUTDIR]     default OUTDIR: screenshots/
#
# Writes OUTDIR/NAME.png, NAME.txt (plain capture) and NAME.ansi (with SGR):
#   healthy-120x40                 the healthy lab, every hop green
#   socket_permission_dir-120x40   nginx (nobody) cannot traverse the socket dir
#   tour-120x40                    `T` tour, step 3: the upstream hop of that fault
#   app_down-80x24                 gunicorn not running, at 80x24
#   timeline-80x24, timeline-200x50  the timeline pane (6) after traffic, a
#                                  kill of gunicorn (502s) and its restart
# Labs, the tmux server and the temp dir (chromium profile included) are
# removed on exit, also on failure.  Must run as root (the lab needs it).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GWTOP=${GWTOP:-$ROOT/gwtop}
LAB=$ROOT/tests/lab/lab.sh
OUT=${1:-$ROOT/screenshots}
PY=/usr/bin/python3
SOCK=gwshots-$$
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)

die() { echo "screenshots: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (the lab starts nginx with workers as nobody)"
[ -x "$GWTOP" ] || die "no gwtop binary at $GWTOP (run make)"
for t in tmux aha; do command -v "$t" >/dev/null || die "$t missing: apt-get install $t"; done
[ -n "$CHROMIUM" ] || die "chromium missing: apt-get install chromium"

W=$(mktemp -d /tmp/gwtop-shots.XXXXXX)
chmod 0755 "$W"     # the labs live below: nginx workers (nobody) must traverse it
cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null || true
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"    # the server leaves its socket file
	local d
	for d in "$W"/lab-*; do
		if [ -d "$d" ]; then "$LAB" down "$d" >/dev/null 2>&1 || true; fi
	done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$OUT"

cap()  { tmux -u -L "$SOCK" capture-pane -p -t "$1" 2>/dev/null; }
keys() { tmux -L "$SOCK" send-keys -t "$1" "${@:2}"; }
# wait_for SESSION REGEX [SECONDS]
wait_for() {
	local i n=$(( ${3:-15} * 10 ))
	for ((i = 0; i < n; i++)); do
		cap "$1" | grep -Eq -- "$2" && return 0
		sleep 0.1
	done
	echo "screenshots: timed out waiting for /$2/ in $1; screen was:" >&2
	cap "$1" >&2
	return 1
}

# lab_up NAME FAULT — the lab in $W/lab-NAME; sets CONF from its lab.env
lab_up() {
	"$LAB" up "$W/lab-$1" "$2" >"$W/lab-$1.log" 2>&1 || { cat "$W/lab-$1.log" >&2; die "lab $2 did not come up"; }
	# shellcheck disable=SC1090,SC1091
	CONF=$(. "$W/lab-$1/lab.env" && echo "$CONF")
}
lab_down() { "$LAB" down "$W/lab-$1" >/dev/null 2>&1 || true; }

# cause CONF — the verdict cause `gwtop --check --json` gives now (its exit
# status is the severity: not an error here)
cause() {
	{ "$GWTOP" --check --json --nginx-conf "$1" 2>/dev/null || true; } |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["verdict"]["cause"])'
}

# start SESSION COLS ROWS ARGS... — gwtop in a detached tmux session
start() {
	local s=$1 cols=$2 rows=$3; shift 3
	tmux -u -L "$SOCK" new-session -d -s "$s" -x "$cols" -y "$rows" \
		"env LANG=C.UTF-8 LC_ALL=C.UTF-8 $GWTOP $* 2>$W/$s.err"
}
stop() { keys "$1" q; sleep 0.3; tmux -L "$SOCK" kill-session -t "$1" 2>/dev/null || true; }

# html NAME — OUT/NAME.ansi -> W/NAME.html (dark page, monospace, xterm-like
# palette in place of aha's named HTML colours)
FONT_PX=14
LINE_PX=17
html() {
	{
		cat <<EOF
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>gwtop $1</title><style>
html, body { margin: 0; background: #1c1c1c; }
pre { margin: 0; padding: 12px; color: #d0d0d0; background: #1c1c1c;
      font-family: "DejaVu Sans Mono", "Liberation Mono", monospace;
      font-size: ${FONT_PX}px; line-height: ${LINE_PX}px;
      font-variant-ligatures: none; white-space: pre; }
</style></head><body><pre>
EOF
		aha --no-header <"$OUT/$1.ansi" | sed -E \
			-e 's/color:white;background-color:black;/color:#1c1c1c;background-color:#d0d0d0;/g' \
			-e 's/background-color:black;/background-color:#1c1c1c;/g' \
			-e 's/background-color:red;/background-color:#b83a36;/g' \
			-e 's/background-color:green;/background-color:#3a8f3a;/g' \
			-e 's/background-color:olive;/background-color:#c8a33a;/g' \
			-e 's/background-color:blue;/background-color:#2f5faf;/g' \
			-e 's/background-color:purple;/background-color:#8a4fb0;/g' \
			-e 's/background-color:teal;/background-color:#2a8f9a;/g' \
			-e 's/background-color:gray;/background-color:#bcbcbc;/g' \
			-e 's/(^|[^-])color:dimgray;/\1color:#1c1c1c;/g' \
			-e 's/(^|[^-])color:red;/\1color:#ef5350;/g' \
			-e 's/(^|[^-])color:green;/\1color:#5fd35f;/g' \
			-e 's/(^|[^-])color:olive;/\1color:#e5c040;/g' \
			-e 's/(^|[^-])color:blue;/\1color:#6a9fff;/g' \
			-e 's/(^|[^-])color:purple;/\1color:#c07fe0;/g' \
			-e 's/(^|[^-])color:teal;/\1color:#40c8d0;/g' \
			-e 's/(^|[^-])color:gray;/\1color:#e4e4e4;/g' \
			-e 's/(^|[^-])color:white;/\1color:#ffffff;/g'
		echo '</pre></body></html>'
	} >"$W/$1.html"
}

# png NAME COLS ROWS — W/NAME.html -> OUT/NAME.png with headless chromium
png() {
	local w h prof
	w=$(( ($2 * FONT_PX * 1233 + 2047) / 2048 + 24 + 2 ))   # DejaVu Sans Mono advance 1233/2048 em
	h=$(( $3 * LINE_PX + 24 ))
	prof=$(mktemp -d "$W/chromium.XXXXXX")
	rm -f "$OUT/$1.png"
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --hide-scrollbars --user-data-dir="$prof" \
		--screenshot="$OUT/$1.png" --window-size="$w,$h" "file://$W/$1.html" \
		>"$W/chromium-$1.log" 2>&1 || true
	[ -s "$OUT/$1.png" ] || { cat "$W/chromium-$1.log" >&2; die "chromium wrote no $1.png"; }
	echo "screenshots: $OUT/$1.png (${w}x${h})"
}

# shot SESSION NAME COLS ROWS — capture the pane now, write .txt .ansi .png
shot() {
	cap "$1" >"$OUT/$2.txt"
	tmux -u -L "$SOCK" capture-pane -p -e -t "$1" >"$OUT/$2.ansi"
	html "$2"
	png "$2" "$3" "$4"
}

# ------------------------------------------------------------------ healthy
lab_up ok healthy
start ok 120 40 --nginx-conf "$CONF" --interval 1
wait_for ok "^ ✓ OK +healthy"
wait_for ok "HTTP 200 in"
sleep 2.2          # two more ticks: CPU% columns filled, age "0 s"
shot ok healthy-120x40 120 40
stop ok
lab_down ok

# ------------------------------------------------------------------ socket permission + tour
lab_up perm socket_permission_dir
C=$(cause "$CONF")
echo "screenshots: socket_permission_dir: --check says $C"
start perm 120 40 --nginx-conf "$CONF" --interval 1
wait_for perm "^ ✗ CRIT +$C"
sleep 2.2
shot perm socket_permission_dir-120x40 120 40
keys perm T
wait_for perm "Step 1/" 5
keys perm Right Right
wait_for perm "Step 3/" 5
sleep 0.5
shot perm tour-120x40 120 40
stop perm
lab_down perm

# ------------------------------------------------------------------ app down at 80x24
lab_up down app_down
C=$(cause "$CONF")
echo "screenshots: app_down: --check says $C"
start down 80 24 --nginx-conf "$CONF" --interval 1
wait_for down "^ ✗ CRIT +$C"
sleep 2.2
shot down app_down-80x24 80 24
stop down
lab_down down

# ------------------------------------------------------------------ timeline after a real incident
# the healthy lab reloaded with the upstream fields in its log_format (the
# pane's per-upstream times), both dashboards watching from the start: 200
# answers, gunicorn killed (502s), gunicorn started again (200s): the bars,
# the incident's ! and + and the events (reload, app exit / start) show
lab_up tl healthy
# shellcheck disable=SC1091
. "$W/lab-tl/lab.env"
cat >"$LAB_DIR/conf.d/00-timeline.conf" <<'EOF'
log_format timeline '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" rt=$request_time ua="$upstream_addr" us="$upstream_status" urt="$upstream_response_time"';
EOF
sed -i "s|^    server_name lab.test;|    server_name lab.test;\n    access_log $LAB_DIR/logs/access_tl.log timeline;|" "$SITE_CONF"
kill -HUP "$NGINX_PID"
get() { curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$NGINX_PORT$1" || true; }
for ((i = 0; i < 50; i++)); do [ ! -s "$LAB_DIR/logs/access_tl.log" ] || break; get /health; sleep 0.1; done
start tls 80 24 --nginx-conf "$CONF" --interval 1
start tlb 200 50 --nginx-conf "$CONF" --interval 1
wait_for tls "probed"
wait_for tlb "probed"
for _ in $(seq 1 60); do get /; done
# the outage in the next minute: two bars, the second with its 5xx
sleep "$(date +%S.%N | awk '{ printf "%.2f", 60.3 - $1 }')"
for _ in $(seq 1 20); do get /; done
kill -TERM "$GUNICORN_PID"
for ((i = 0; i < 100; i++)); do kill -0 "$GUNICORN_PID" 2>/dev/null || break; sleep 0.1; done
sleep 1.5          # a tick of both: the app's exit is an event
for i in $(seq 101 112); do get "/items/$i"; done
sleep 1.1          # the restart in a later second than the last 502
# shellcheck disable=SC2094  # gunicorn appends to app.log itself, as lab.sh's gunicorn_start
(
	cd "$ROOT/tests/lab/app" || exit 1
	exec env GWTOP_LAB="$LAB_DIR" PYTHONDONTWRITEBYTECODE=1 setsid /usr/bin/python3 /usr/bin/gunicorn \
		--workers 1 --error-logfile "$LAB_DIR/app.log" --capture-output --bind "$APP_BIND" \
		--chdir "$ROOT/tests/lab/app" app:app
) </dev/null >>"$LAB_DIR/app.log" 2>&1 &
sed -i "s/^GUNICORN_PID=.*/GUNICORN_PID=$!/" "$LAB_DIR/lab.env"    # lab down stops it
for ((i = 0; i < 100; i++)); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$NGINX_PORT/")" = 200 ] && break
	sleep 0.1
done
for _ in $(seq 1 40); do get /; done
for s in tls tlb; do
	keys "$s" 6
	keys "$s" z z  # 30 min -> 3 h -> 5 min: a minute is a wide bar
	wait_for "$s" "Timeline \\(5 min" 5
done
wait_for tlb "recovered [0-9]" 10
sleep 1.2          # one more tick
shot tls timeline-80x24 80 24
shot tlb timeline-200x50 200 50
stop tls
stop tlb
lab_down tl

for s in ok perm down tls tlb; do
	[ ! -s "$W/$s.err" ] || { echo "screenshots: gwtop ($s) wrote to stderr:" >&2; cat "$W/$s.err" >&2; }
done
echo "screenshots: done"
