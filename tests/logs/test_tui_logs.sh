#!/bin/bash
# test_tui_logs.sh — the dashboard's logs pane on a real nginx + gunicorn
# lab, driven in tmux like a person would: requests made while it runs show
# up live, nginx's error.log and access.log lines and gunicorn's app.log
# merged in time order; after a rotation by rename + reopen (USR1) new
# requests still show up, each exactly once; keys 'a' (access lines off)
# and 'e' (severity) filter what is shown. '/' highlights every occurrence
# of its text (asserted on the SGR codes of `capture-pane -e`, in colour and
# with NO_COLOR), n/N select matches and keep them in view; the refused
# connect() lines carry "» CAUSE" of the verdict, and Enter on one focuses
# the findings pane with that finding selected, its evidence the same line.
#
# GWTOP names the binary (default ./gwtop). Needs root and tmux.
# TAP-ish output; exit 0 passed, 1 failed, 77 skipped.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=$ROOT/tests/lab/lab.sh
GWTOP=${GWTOP:-$ROOT/gwtop}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (the lab starts nginx)"; exit 77; }
command -v tmux >/dev/null || { echo "SKIP: no tmux"; exit 77; }
[ -x "$GWTOP" ] || { echo "SKIP: no $GWTOP (make first)"; exit 77; }

OUT=$(mktemp -d /tmp/gwtop-tuilogs.XXXXXX)
chmod 755 "$OUT"                # nginx workers (nobody) reopen the logs below it
SOCK=gwtop-tuilogs-$$
LABDIR=$OUT/lab
N=0
FAILED=0
cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null
	[ -d "$LABDIR" ] && { "$LAB" down "$LABDIR" >/dev/null 2>&1 || echo "# lab down failed"; }
	rm -rf -- "$OUT"
}
# shellcheck disable=SC2154  # rc is assigned at the start of the trap string
trap 'rc=$?; cleanup; echo "1..$N"; [ $FAILED = 0 ] && [ $rc = 0 ] || exit 1; exit 0' EXIT
trap 'exit 130' INT TERM
ok() { N=$((N + 1)); echo "ok $N - $1"; }
notok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }

screen() { tmux -L "$SOCK" capture-pane -p -J; }
screen_e() { tmux -L "$SOCK" capture-pane -p -e; }
# within SECONDS CMD...: CMD until it succeeds, on a clock deadline (not a
# count of polls, nor a fixed sleep before looking); one last try at the end
within() {
	local end=$(( ${EPOCHREALTIME/./} / 1000 + $1 * 1000 ))
	shift
	while [ $(( ${EPOCHREALTIME/./} / 1000 )) -lt "$end" ]; do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}
on_screen() { screen | grep -Eq -- "$1"; }
off_screen() { ! screen | grep -Eq -- "$1"; }
# wait_for REGEX [SECONDS]: until the screen matches
wait_for() { within "${2:-10}" on_screen "$1"; }
# wait_gone REGEX [SECONDS]: until the screen does not match
wait_gone() { within "${2:-10}" off_screen "$1"; }
# gwtop_gone: its tmux session (gwtop is the session's command) has ended
gwtop_gone() { ! tmux -L "$SOCK" has-session 2>/dev/null; }
# count REGEX: matching screen lines
count() { screen | grep -Ec -- "$1"; }
# the pane's HH:MM:SS column never goes back
in_time_order() {
	screen | awk '/^[0-9][0-9]:[0-9][0-9]:[0-9][0-9] / { if ($1 < last) bad = 1; last = $1 } END { exit bad }'
}

"$LAB" up "$LABDIR" app_down >"$OUT/lab.log" 2>&1 || { sed 's/^/# /' "$OUT/lab.log"; notok "lab up"; exit 1; }
# shellcheck disable=SC1091
. "$LABDIR/lab.env"
ok "lab app_down up"

tmux -L "$SOCK" new-session -d -x 260 -y 60 "$GWTOP --nginx-conf $CONF --app-log $APP_LOG 2>$OUT/gwtop.err"
wait_for 'Logs' 10 || notok "the dashboard came up"
tmux -L "$SOCK" send-keys 5                               # zoom the logs pane
base=http://127.0.0.1:$NGINX_PORT
for i in 1 2 3; do curl -s -o /dev/null "$base/tui/A$i"; done
check "requests made while it runs show up live (error.log)" wait_for 'nginx-err .*GET /tui/A3 ' 10
check "... and in the access.log lines" wait_for 'nginx-acc .*GET /tui/A3 HTTP/1.1" 502' 10
check "gunicorn's app.log is in the same stream" [ "$(count '^[0-9:]{8} app\.log ')" -ge 1 ]
check "merged in time order" in_time_order
check "the 5xx counter counts them" wait_for '5xx this min [1-9]' 5

mv "$ERROR_LOG" "$ERROR_LOG.1"
mv "$ACCESS_LOG" "$ACCESS_LOG.1"
curl -s -o /dev/null "$base/tui/B1"                       # still written to the renamed files
kill -USR1 "$NGINX_PID"
within 10 test -e "$ERROR_LOG" -a -e "$ACCESS_LOG"                # nginx reopened: new files
for i in 2 3; do curl -s -o /dev/null "$base/tui/B$i"; done
check "after rotation by rename + reopen, new requests show up" wait_for 'nginx-acc .*GET /tui/B3 ' 10
for id in A1 A2 A3 B1 B2 B3; do
	e=$(count "nginx-err .*GET /tui/$id ")
	a=$(count "nginx-acc .*GET /tui/$id ")
	check "/tui/$id: once from error.log ($e), once from access.log ($a)" [ "$e$a" = 11 ]
done
check "still in time order" in_time_order

tmux -L "$SOCK" send-keys a
check "'a' hides access-log lines" wait_for 'acc hidden' 5
check "... none shown" [ "$(count '^[0-9:]{8} nginx-acc ')" = 0 ]
tmux -L "$SOCK" send-keys v v
check "'v' twice: error and worse only" wait_for 'sev error' 5
check "... no info lines shown" [ "$(count '^[0-9:]{8} \S+ +info ')" = 0 ]

# ------------------------------------------------------------------ search highlight, links
# sgr_rows MODE < capture-pane -e: for the log rows (HH:MM:SS first), MODE
# "hl" prints each run of text drawn highlighted (background 46, the search
# colour; with NOCOLOR=1: reverse video), "sel" prints the rows drawn
# selected (reverse from their first cell; colour mode).
NOCOLOR=0
sgr_rows() {
	/usr/bin/python3 -c '
import re, sys
mode, nocolor = sys.argv[1], sys.argv[2] == "1"
sgr = re.compile(r"\x1b\[([0-9;]*)m")
for raw in sys.stdin:
    raw = raw.rstrip("\n")
    if not re.match(r"\d\d:\d\d:\d\d ", sgr.sub("", raw)):
        continue
    bg, rev, runs, cur, pos, first = None, False, [], "", 0, None
    for m in list(sgr.finditer(raw)) + [None]:
        text = raw[pos:m.start() if m else len(raw)]
        if text:
            if first is None:
                first = rev
            if (rev if nocolor else bg == "46"):
                cur += text
            elif cur:
                runs.append(cur)
                cur = ""
        if not m:
            break
        ps = (m.group(1) or "0").split(";")
        i = 0
        while i < len(ps):
            p = ps[i]
            if p in ("38", "48"):            # 256 / rgb colours: skip their arguments
                i += 3 if i + 1 < len(ps) and ps[i + 1] == "5" else 5
                continue
            if p in ("0", ""):
                bg, rev = None, False
            elif p == "7":
                rev = True
            elif p == "27":
                rev = False
            elif p == "49":
                bg = None
            elif len(p) == 2 and p[0] == "4":
                bg = p
            i += 1
        pos = m.end()
    if cur:
        runs.append(cur)
    if mode == "hl":
        for r in runs:
            print(r)
    elif first:
        print(sgr.sub("", raw))
' "$1" "$NOCOLOR"
}
# hl_exactly WORD N: every highlighted run on the log rows is WORD (any
# case), and there are at least N of them
hl_exactly() {
	local runs
	runs=$(screen_e | sgr_rows hl)
	if [ "$(printf '%s\n' "$runs" | grep -c .)" -ge "$2" ] && ! printf '%s\n' "$runs" | grep -qvix -- "$1"; then
		return 0
	fi
	echo "# highlighted runs: $(printf '%s\n' "$runs" | sort | uniq -c | tr '\n' ' ')"
	return 1
}
selected() { screen_e | sgr_rows sel; }
# evidence_has TEXT: an evidence line of the findings pane contains TEXT
evidence_has() { screen | grep -F 'evidence: ' | grep -qF -- "$1"; }
# sel_is TEXT: exactly one selected log row, and it contains TEXT
sel_is() {
	local s
	s=$(selected)
	[ "$(printf '%s\n' "$s" | grep -c .)" = 1 ] && printf '%s\n' "$s" | grep -qF -- "$1" && return 0
	echo "# selected: $s"
	return 1
}
# row_reversed REGEX: the screen row matching REGEX is drawn reverse (SGR 7)
row_reversed() { screen_e | grep -E -- "$1" | grep -qP '\e\[(\d+;)*7m'; }

tmux -L "$SOCK" send-keys v a                              # every severity, access lines shown again
wait_gone 'acc hidden|sev error' 5
for i in $(seq 1 40); do curl -s -o /dev/null "$base/tui/C$i"; done
wait_for 'nginx-acc .*GET /tui/C40 ' 10 || notok "the C requests showed up"
tmux -L "$SOCK" send-keys / t u i / c Enter
check "/ filters: the title shows it" wait_for 'Logs \([^)]*\) filter "tui/c"' 5
check "/ highlights exactly the text, any case (background 46 on \"tui/C\", nothing else)" within 5 hl_exactly 'tui/c' 20
tmux -L "$SOCK" send-keys n
wait_for 'match 1 of [0-9]+ for "tui/c"' 5
M=$(screen | sed -n 's/.*match 1 of \([0-9]*\) for "tui\/c".*/\1/p' | head -1)
check "n: match 1 of ${M:-?} (40 requests: error.log + access.log lines)" [ "${M:-0}" -ge 80 ]
check "... selected and scrolled into view: the /tui/C1 line" within 5 sel_is '/tui/C1 '
tmux -L "$SOCK" send-keys n
check "n again: match 2 of $M" wait_for "match 2 of $M for \"tui/c\"" 5
tmux -L "$SOCK" send-keys N N
check "N twice: wraps to match $M of $M" wait_for "match $M of $M for \"tui/c\"" 5
check "... the /tui/C40 line, scrolled into view" within 5 sel_is '/tui/C40 '
check "the selected line keeps its match apart: highlight still exactly \"tui/C\"" hl_exactly 'tui/c' 20

# the verdict names the cause; every refused line in the pane carries it
CAUSE=$(screen | sed -n 's/^ *[^ ]* *CRIT  *\([a-z_]*\) (.*/\1/p' | head -1)
check "the verdict is a cause a refused connect() supports (${CAUSE:-none})" \
	grep -qxE 'upstream_down|port_mismatch|ip_family_mismatch' <<<"$CAUSE"
tmux -L "$SOCK" send-keys / c o n n e c t '(' ')' Space f a i l e d Enter
wait_for 'filter "connect\(\) failed"' 5
# until a probe pass has seen /tui/C40 too: every refused line marked
all_marked() {
	refused=$(count '^[0-9:]{8} nginx-err .*connect\(\) failed \(111')
	marked=$(count "^[0-9:]{8} nginx-err +error +» $CAUSE .*connect\(\) failed \(111")
	[ "$refused" -ge 40 ] && [ "$marked" = "$refused" ]
}
within 10 all_marked
check "refused lines marked \"» $CAUSE\" ($marked of $refused)" test "$refused" -ge 40 -a "$marked" = "$refused"
tmux -L "$SOCK" send-keys N
wait_for 'match [0-9]+ of [0-9]+ for "connect\(\) failed"' 5
within 5 sel_is '/tui/C40 ' >/dev/null     # the selection has moved (checked below)
conn=$(selected | grep -o '\*[0-9]* connect() failed' | head -1)
check "N selects the newest refused line (${conn:-none})" sel_is '/tui/C40 '
tmux -L "$SOCK" send-keys Enter
check "Enter: the findings pane is focused" wait_for '^>2 Findings' 5
check "... the status says its evidence quotes this log line" wait_for "finding $CAUSE: its evidence quotes this log line" 5
check "... the verdict $CAUSE is the selected line" within 5 row_reversed "VERDICT $CAUSE"
check "... its evidence is the same line ($conn)" evidence_has "$conn"
tmux -L "$SOCK" send-keys 5
wait_for '^>5 Logs' 5
tmux -L "$SOCK" send-keys / Enter
check "/ + Enter clears the filter" wait_gone 'filter "connect' 5
check "... the selected line stays selected, now among all lines ($conn)" within 5 sel_is "$conn"
check "... and its neighbours are back (access lines)" wait_for 'nginx-acc .*GET /tui/C40 ' 5
tmux -L "$SOCK" send-keys '?'
check "help lists Enter: go to the finding" wait_for 'Enter +logs: go to the finding' 5
tmux -L "$SOCK" send-keys Escape
tmux -L "$SOCK" send-keys q
within 10 gwtop_gone
check "gwtop wrote nothing to stderr" [ ! -s "$OUT/gwtop.err" ]

# NO_COLOR: the highlight is reverse video
tmux -L "$SOCK" kill-server 2>/dev/null
tmux -L "$SOCK" new-session -d -x 260 -y 60 "NO_COLOR=1 $GWTOP --nginx-conf $CONF --app-log $APP_LOG 2>$OUT/gwtop.err"
wait_for 'Logs' 10 || notok "the NO_COLOR dashboard came up"
NOCOLOR=1
tmux -L "$SOCK" send-keys 5 / T U I / c 3 Enter
check "NO_COLOR: / filters" wait_for 'filter "TUI/c3"' 5
check "NO_COLOR: the matches are reverse video, exactly \"tui/C3\"" within 5 hl_exactly 'tui/c3' 2
tmux -L "$SOCK" send-keys q
within 10 gwtop_gone
check "gwtop (NO_COLOR) wrote nothing to stderr" [ ! -s "$OUT/gwtop.err" ]
