#!/bin/bash
# test_record_replay.sh — record and replay (issue 19 item 4) on a real lab:
# the dashboard runs in tmux with --record while the lab's app is killed
# (requests get 502) and started again; then
#  - the recording is a new 0600 file of gzip JSON lines with a head;
#    `--check --record` appends a frame to it; a planted link is refused;
#  - `gwtop --replay FILE --check` diagnoses every frame again and gets the
#    verdict each frame recorded (same verdicts at the same moments), and
#    the story is healthy -> upstream_down -> healthy, the first failing
#    frame within seconds of the kill;
#  - the dashboard replays it (--replay): REPLAY in the header, `>` stops
#    at the first upstream_down frame showing that frame's probe time, the
#    timeline shows the 502s, `r` changes nothing, `+` doubles the speed,
#    `.` steps; q exits 0 with nothing on stderr;
#  - with the lab gone, as user nobody, from a copy: the same verdicts
#    (nothing is probed; a recording is not tied to its host).
#
#   tests/tui/test_record_replay.sh       uses ./gwtop (GWTOP=... to override)
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GWTOP=${GWTOP:-$ROOT/gwtop}
LAB=$ROOT/tests/lab/lab.sh
SOCK=gwrr-$$
TMP=$(mktemp -d /tmp/gwtop-rr.XXXXXX)
FAILS=0
PASSES=0
MYAPP=""

cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null
	if [ -n "$MYAPP" ] && kill -0 "$MYAPP" 2>/dev/null; then
		kill -INT "$MYAPP" 2>/dev/null
		for _ in $(seq 1 100); do kill -0 "$MYAPP" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$MYAPP" 2>/dev/null
	fi
	[ -d "$TMP/lab" ] && "$LAB" down "$TMP/lab" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok()   { PASSES=$((PASSES + 1)); echo "ok   - $*"; }
bad()  {
	FAILS=$((FAILS + 1)); echo "FAIL - $*"
	[ -n "${LAST:-}" ] && tmux -u -L "$SOCK" capture-pane -p -t "$LAST" 2>/dev/null | sed "s/^/#   $LAST| /"
	return 0
}
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

[ -x "$GWTOP" ] || { echo "no gwtop binary at $GWTOP (run make)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (the lab's nginx)"; exit 77; }
command -v tmux >/dev/null || { echo "1..0 # SKIP no tmux"; exit 77; }
command -v curl >/dev/null || { echo "1..0 # SKIP no curl"; exit 77; }

# start NAME COLS ROWS -- ARGS
start() {
	local name=$1 cols=$2 rows=$3; shift 4
	tmux -u -L "$SOCK" new-session -d -s "$name" -x "$cols" -y "$rows" \
		"env LANG=C.UTF-8 LC_ALL=C.UTF-8 $GWTOP $* 2>$TMP/$name.err; echo \$? > $TMP/$name.exit"
}
cap()  { tmux -u -L "$SOCK" capture-pane -p -t "$1" 2>/dev/null; }
keys() { tmux -L "$SOCK" send-keys -t "$1" "${@:2}"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
wait_for() {
	local end=$(( $(now_ms) + ${3:-10} * 1000 ))
	LAST=$1
	while :; do
		cap "$1" | grep -Eq -- "$2" && return 0
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.05
	done
}
wait_exit() {
	local end=$(( $(now_ms) + 10000 ))
	LAST=$1
	while :; do
		[ -s "$TMP/$1.exit" ] && return 0
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.05
	done
}
clean() { ! grep -qv '^gwtop: audit: ' "$TMP/$1.err" 2>/dev/null || { sed 's/^/    /' "$TMP/$1.err" | head; return 1; }; }
get() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$NGINX_PORT$1"; }
until_ok() {   # until_ok SECONDS CMD...: run CMD until it succeeds, on a clock deadline
	local end=$(( $(now_ms) + $1 * 1000 )); shift
	until "$@"; do [ "$(now_ms)" -lt "$end" ] || return 1; sleep 0.1; done
}

echo "# lab healthy"
"$LAB" up "$TMP/lab" healthy >"$TMP/lab.log" 2>&1 || { cat "$TMP/lab.log"; bad "lab up healthy"; exit 1; }
# shellcheck disable=SC1091
. "$TMP/lab/lab.env"
REC=$TMP/rec/incident.gwrec
mkdir -m 700 "$TMP/rec"

# ------------------------------------------------------------------ record
start live 120 40 -- --nginx-conf "$CONF" --interval 1 --read-only --record "$REC"
check "live: healthy, REC in the header" wait_for live "healthy.*" 15
check "live: REC shown" wait_for live "REC" 5
for _ in $(seq 1 5); do get / >/dev/null; done
T_KILL=$(date +%s.%N)
kill -TERM "$GUNICORN_PID"
until_ok 20 bash -c "! kill -0 $GUNICORN_PID 2>/dev/null"
bad502=0
for i in $(seq 1 5); do [ "$(get "/items/$i")" = 502 ] && bad502=$((bad502 + 1)); done
check "5 requests answered 502 while the app is down (got $bad502)" [ "$bad502" = 5 ]
check "live: upstream_down" wait_for live "upstream_down" 15
sleep 2   # a few frames of the outage
(
	cd "$ROOT/tests/lab/app" || exit 1
	exec env GWTOP_LAB="$LAB_DIR" PYTHONDONTWRITEBYTECODE=1 setsid /usr/bin/python3 /usr/bin/gunicorn \
		--workers 1 --graceful-timeout 3 --error-logfile "$LAB_DIR/app.log" --capture-output \
		--bind "$APP_BIND" --chdir "$ROOT/tests/lab/app" app:app
) </dev/null >>"$LAB_DIR/app.log" 2>&1 &
MYAPP=$!
sed -i "s/^GUNICORN_PID=.*/GUNICORN_PID=$MYAPP/" "$LAB_DIR/lab.env"
check "the app answers again" until_ok 20 bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://$APP_BIND/health)\" = 200 ]"
for _ in $(seq 1 5); do get / >/dev/null; done
check "live: healthy again" wait_for live "healthy" 20
sleep 2
keys live q
check "live: q exits" wait_exit live
check "live: exit 0" [ "$(cat "$TMP/live.exit" 2>/dev/null)" = 0 ]
check "live: nothing on stderr" clean live

# ------------------------------------------------------------------ the file
check "the recording exists, mode 0600, root's" [ "$(stat -c '%a %u' "$REC" 2>/dev/null)" = "600 0" ]
check "gzip JSON lines starting with a head" bash -c "zcat '$REC' | head -1 | grep -q '\"r\":\"head\"'"

# ------------------------------------------------------------------ replay --check
"$GWTOP" --replay "$REC" --check >"$TMP/verify.txt" 2>"$TMP/verify.err"
vrc=$?
check "replay --check: exit 0 (every frame agrees; got $vrc)" [ "$vrc" = 0 ]
check "replay --check: differ 0" grep -q "differ 0 skipped 0" "$TMP/verify.txt"
check "replay --check: nothing on stderr" bash -c "! grep -q . '$TMP/verify.err'"
python3 - "$TMP/verify.txt" "$T_KILL" >"$TMP/story.txt" 2>&1 <<'EOF'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.split() and l.split()[1] == "recorded"]
t_kill = float(sys.argv[2])
res = []
def check(name, cond): res.append((name, bool(cond)))
check("frames >= 8 (got %d)" % len(rows), len(rows) >= 8)
check("every row: recorded = replayed", all(r[2] == r[4] for r in rows))
v = [r[2] for r in rows]
story = [x for i, x in enumerate(v) if i == 0 or v[i - 1] != x]
check("story starts healthy (%s)" % story, story[:1] == ["healthy"])
check("story ends healthy (%s)" % story, story[-1:] == ["healthy"])
check("upstream_down in between (%s)" % story, "upstream_down" in story[1:-1])
first = next((float(r[0]) for r in rows if r[2] == "upstream_down"), 0)
check("first upstream_down frame %.1f within 10 s after the kill %.1f" % (first, t_kill), t_kill - 1 <= first <= t_kill + 10)
open(sys.argv[1] + ".first", "w").write("%.3f\n" % first)
for n, c in res: print(("ok   - " if c else "FAIL - ") + n)
EOF
while read -r line; do
	case $line in
	"ok   - "*) ok "replay --check: ${line#ok   - }" ;;
	*) bad "replay --check: ${line#FAIL - }" ;;
	esac
done <"$TMP/story.txt"
FIRST_DOWN=$(cat "$TMP/verify.txt.first" 2>/dev/null)
FIRST_HMS=$(date -d "@${FIRST_DOWN%.*}" +%H:%M:%S 2>/dev/null)

# ------------------------------------------------------------------ replay in the dashboard
start play 120 40 -- --replay "$REC"
check "replay: REPLAY in the header" wait_for play "REPLAY 1x" 10
check "replay: starts healthy" wait_for play "healthy" 10
keys play '>'
check "replay: > stops at upstream_down, paused" wait_for play "upstream_down.*" 10
check "replay: paused" wait_for play "PAUSED" 5
check "replay: the frame's probe time $FIRST_HMS" wait_for play "probed [0-9-]+ $FIRST_HMS" 5
keys play r
check "replay: r changes nothing" wait_for play "a replay runs nothing" 5
keys play +
check "replay: + doubles the speed" wait_for play "REPLAY 2x" 5
keys play .
check "replay: . steps one frame" wait_for play "frame [0-9]+ \(paused" 5
# on to healthy: a frame or two of another verdict may come between (the
# 5xx of the outage still in the window while the app answers again)
back=1
for _ in 1 2 3 4; do
	keys play '>'
	wait_for play "OK +healthy" 3 && { back=0; break; }
done
check "replay: > on to healthy" [ "$back" = 0 ]
keys play 6
check "replay: the timeline counts the 502s" wait_for play "5xx [1-9]" 5
keys play 6
keys play q
check "replay: q exits" wait_exit play
check "replay: exit 0" [ "$(cat "$TMP/play.exit" 2>/dev/null)" = 0 ]
check "replay: nothing on stderr" clean play

# ------------------------------------------------------------------ appending, refusing
frames() { "$GWTOP" --replay "$1" --check 2>/dev/null | sed -n 's/^frames \([0-9]*\) .*/\1/p'; }
n0=$(frames "$REC")
"$GWTOP" --check --nginx-conf "$CONF" --record "$REC" >/dev/null 2>"$TMP/again.err"
arc=$?
n1=$(frames "$REC")
check "--check --record appends to the recording (exit $arc, frames $n0 -> $n1)" \
	bash -c "[ $arc = 0 ] && [ '$n1' = $((n0 + 1)) ] && ! grep -q . '$TMP/again.err'"
"$GWTOP" --replay "$REC" --check >"$TMP/verify2.txt" 2>&1
sum0=$(sha256sum /etc/passwd)
ln -s /etc/passwd "$TMP/rec/link.gwrec"
"$GWTOP" --check --nginx-conf "$CONF" --record "$TMP/rec/link.gwrec" >/dev/null 2>"$TMP/link.err"
lrc=$?
check "--record through a planted link is refused (exit $lrc), the target untouched" \
	bash -c "[ $lrc = 3 ] && grep -q 'symbolic link' '$TMP/link.err' && [ \"\$(sha256sum /etc/passwd)\" = '$sum0' ]"

# ------------------------------------------------------------------ elsewhere
"$LAB" down "$TMP/lab" >/dev/null 2>&1
MYAPP=""
check "the lab is gone" bash -c "! curl -s -o /dev/null --max-time 2 http://127.0.0.1:$NGINX_PORT/"
if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	AS=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
	mkdir -m 755 "$TMP/pub"
	cp "$GWTOP" "$TMP/pub/gwtop" && cp "$REC" "$TMP/pub/copy.gwrec"
	chmod 755 "$TMP/pub/gwtop" && chmod 644 "$TMP/pub/copy.gwrec" && chmod 711 "$TMP"
	"${AS[@]}" env HOME="$TMP/pub" "$TMP/pub/gwtop" --replay "$TMP/pub/copy.gwrec" --check >"$TMP/nobody.txt" 2>&1
	nrc=$?
	check "as nobody, lab gone: exit 0 (got $nrc)" [ "$nrc" = 0 ]
	check "as nobody, lab gone: the same verdicts" diff <(cut -d' ' -f1-5 "$TMP/verify2.txt") <(cut -d' ' -f1-5 "$TMP/nobody.txt")
else
	echo "# no setpriv / nobody: the replay as another user is not checked"
fi

echo "# $PASSES passed, $FAILS failed"
[ "$FAILS" = 0 ]
