#!/bin/bash
# test_tui_incident.sh — the incident report in one key, in the real
# dashboard (tmux) on a real lab (app_down): `e` writes
# /var/tmp/gwtop-incident-YYYYmmdd-HHMMSS.md and its path shows on the
# status line and in the logs pane; the file is root's, mode 0600, and
# parses (cmark-gfm) with the verdict the header shows. After `t` (nginx -t
# through the actions module) a second `e` lists that action with its
# outcome. `v` is now the logs severity filter.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GWTOP=${GWTOP:-$ROOT/gwtop}
LAB=$ROOT/tests/lab/lab.sh
MD=$ROOT/tests/integration/mdcheck.py
PY=/usr/bin/python3
SOCK=gwinc-$$
TMP=$(mktemp -d /tmp/gwtop-tui-inc.XXXXXX)
FAILS=0
PASSES=0
REPORTS=()

cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null
	[ -d "$TMP/lab" ] && "$LAB" down "$TMP/lab" >/dev/null 2>&1
	for r in "${REPORTS[@]}"; do rm -f -- "$r"; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (nginx workers run as nobody)"; exit 77; }
[ -x "$GWTOP" ] || { echo "no gwtop binary at $GWTOP (run make)"; exit 1; }
command -v cmark-gfm >/dev/null || { echo "1..0 # SKIP no cmark-gfm (scripts/deps.sh installs it)"; exit 77; }

ok()   { PASSES=$((PASSES + 1)); echo "ok   - $*"; }
bad()  {
	FAILS=$((FAILS + 1)); echo "FAIL - $*"
	tmux -u -L "$SOCK" capture-pane -p -t main 2>/dev/null | sed "s/^/#   | /"
	return 0
}
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
cap()   { tmux -u -L "$SOCK" capture-pane -p -t main 2>/dev/null; }
keys()  { tmux -L "$SOCK" send-keys -t main "$@"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
wait_for() {
	local end=$(( $(now_ms) + ${2:-10} * 1000 ))
	while :; do
		cap | grep -Eq -- "$1" && return 0
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.05
	done
}
# the report path on the status line (the newest one shown)
shown_path() { cap | grep -oE 'incident report written: /var/tmp/gwtop-incident-[0-9]{8}-[0-9]{6}(-[0-9]+)?\.md' | tail -1 | sed 's/^incident report written: //'; }

"$LAB" up "$TMP/lab" app_down >"$TMP/lab.log" 2>&1 || { cat "$TMP/lab.log"; echo "FAIL - lab up app_down"; exit 1; }
# shellcheck disable=SC1091
. "$TMP/lab/lab.env"

tmux -u -L "$SOCK" new-session -d -s main -x 140 -y 40 \
	"env LANG=C.UTF-8 LC_ALL=C.UTF-8 $GWTOP --nginx-conf $CONF --interval 1 2>$TMP/main.err; echo \$? > $TMP/main.exit"
check "the header shows the verdict" wait_for '^ ✗ CRIT +upstream_down \(' 15

keys e
check "e: the status line shows the report's path" wait_for 'incident report written: /var/tmp/gwtop-incident-[0-9]{8}-[0-9]{6}\.md' 5
P1=$(shown_path)
[ -n "$P1" ] && REPORTS+=("$P1")
echo "# report: $P1"
check "the file is on disk" test -f "$P1" -a ! -L "$P1"
check "root's, mode 0600" test "$(stat -c '%a %U' "$P1" 2>/dev/null)" = "600 root"
check "the logs pane notes it too" wait_for "gwtop .*incident report written: $P1" 5
"$MD" "$P1" >"$TMP/doc1.json" 2>/dev/null
check "the report parses" test -s "$TMP/doc1.json"
check "its title and verdict: CRIT upstream_down" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
v = d["sections"]["Verdict"]["paras"][0]
sys.exit(0 if "upstream_down" in d["h1"][0] and v.startswith("CRIT upstream_down (upstream hop") else 1)' "$TMP/doc1.json"
check "no action yet" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d["sections"]["Actions taken from gwtop"]["paras"] == ["None."] else 1)' "$TMP/doc1.json"

# an action, then a second report: the action and its outcome are in it
keys t
check "t: nginx -t runs" wait_for 'test is successful' 10
keys Escape
sleep 1.1                  # a new second: a new default name
keys e
check "e again: a second report" wait_for "incident report written: /var/tmp/gwtop-incident-[0-9]{8}-[0-9]{6}\.md" 5
P2=$(shown_path)
[ -n "$P2" ] && REPORTS+=("$P2")
check "... under another name" test -n "$P2" -a "$P2" != "$P1" -a -f "$P2"
"$MD" "$P2" >"$TMP/doc2.json" 2>/dev/null
check "the second report lists nginx -t, done, with nginx's output" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
t = d["sections"]["Actions taken from gwtop"]["tables"][0]
sys.exit(0 if len(t) == 2 and t[1][1] == "nginx -t" and t[1][2] == "done" and "test is successful" in t[1][3] else 1)' "$TMP/doc2.json"

# the severity filter moved from e to v
keys v
check "v: the logs severity filter" wait_for 'logs: warn and worse' 3
keys v v
check "v again (x2): every severity" wait_for 'logs: every severity' 3

# help lists e
keys '?'
check "help lists e: incident report" wait_for ' e +incident report' 3
keys Escape q
end=$(( $(now_ms) + 10000 ))
while [ ! -s "$TMP/main.exit" ] && [ "$(now_ms)" -lt "$end" ]; do sleep 0.05; done
check "exit status 0" test "$(cat "$TMP/main.exit" 2>/dev/null)" = 0
check "nothing on stderr but the audit" bash -c "! grep -qv '^gwtop: audit: ' $TMP/main.err"

echo "# $PASSES passed, $FAILS failed"
[ "$FAILS" -eq 0 ]
