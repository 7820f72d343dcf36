#!/bin/bash
# The incident report on a real lab (app_down: gunicorn stopped, nginx
# answers 502): `gwtop --report-md FILE` writes root's 0600 file whose
# Markdown, parsed by a real CommonMark + GFM parser (cmark-gfm, through
# mdcheck.py), has the verdict, the finding's cause id with its evidence
# (the port, the proxy_pass file:line), the commands, the hops, the 5xx of
# the requests sent here, nginx's error line in a fenced log excerpt; the
# same as `--check --json` says. A symbolic link planted at the target by
# another user (in a sticky directory) is refused and its target left
# untouched; a directory gets the default name; `--check --markdown`
# prints the same report on stdout.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
command -v cmark-gfm >/dev/null || it_skip "no cmark-gfm (scripts/deps.sh installs it)"
MD=$ROOT/tests/integration/mdcheck.py
it_lab_up app_down

# failing requests for the access log (5xx per minute, paths)
for i in 1 2 3 4 5; do
	curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/api/items/$i" || true
done

ARGS=(--nginx-conf "$CONF")
[ ! -f "$APP_LOG" ] || ARGS+=(--app-log "$APP_LOG")

it_check_json
it_expect 2 crit upstream_down upstream
JSON_CAUSE=$(jget verdict.cause)

REPORT=$OUT/incident.md
it_gwtop --report-md "$REPORT" "${ARGS[@]}"
t_rc 2
t_check "stderr names the file written" grep -qF "gwtop: incident report written to $REPORT" "$GW_ERR"
t_check "the report is a regular file" test -f "$REPORT" -a ! -L "$REPORT"
t_check "mode 0600, owner root" test "$(stat -c '%a %U' "$REPORT")" = "600 root"
t_check "no temp file left" bash -c "! ls -a '$OUT' | grep -q '\.tmp\.'"

"$MD" "$REPORT" >"$OUT/doc.json" 2>"$OUT/doc.err"
t_result "the report parses as CommonMark + GFM" $?

# q PYTHON-EXPR: true when the expression over doc (the parsed report) holds
q() {
	"$PY" - "$OUT/doc.json" "$1" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
S = doc["sections"]
ok = eval(sys.argv[2])
if not ok:
    print("# failed: " + sys.argv[2])
sys.exit(0 if ok else 1)
EOF
}
qc() { local name=$1; shift; q "$1" >"$OUT/q.log" 2>&1; local rc=$?; [ $rc = 0 ] || sed 's/^/# /' "$OUT/q.log"; t_result "$name" $rc; }

export APP_PORT JSON_CAUSE PROXY_PASS_LINE PROXY_PASS_BASE
PROXY_PASS_BASE=$(basename "$PROXY_PASS_FILE")
qc "no HTML, link or image node" 'doc["html"] == 0 and doc["links"] == 0 and doc["images"] == 0'
qc "one title naming CRIT and the cause" 'len(doc["h1"]) == 1 and "CRIT" in doc["h1"][0] and "upstream_down" in doc["h1"][0]'
qc "the sections in order" 'doc["h2"][:8] == ["Verdict", "Findings", "Request path", "Timeline", "5xx per minute", "Top failing paths", "Log lines", "Actions taken from gwtop"]'
qc "the verdict line: CRIT upstream_down, upstream hop, clients get 502" \
	'S["Verdict"]["paras"][0].startswith("CRIT upstream_down (upstream hop, clients get 502): ")'
qc "the verdict is the cause --check --json gives" \
	'("CRIT " + __import__("os").environ["JSON_CAUSE"] + " ") in S["Verdict"]["paras"][0]'
qc "finding 1 is the verdict, by cause id" 'doc["h3"][0] == "1. CRIT upstream_down (upstream hop): the verdict"'
qc "the evidence names the target port" \
	'any(__import__("os").environ["APP_PORT"] in i for i in S["Findings"]["items"])'
qc "the evidence names the proxy_pass file:line" \
	'any((__import__("os").environ["PROXY_PASS_BASE"] + ":" + __import__("os").environ["PROXY_PASS_LINE"]) in i for i in S["Findings"]["items"])'
qc "the commands in an sh block" 'any(c[0] == "sh" and c[1].strip() for c in S["Findings"]["code"])'
qc "the hops table: 5 hops, upstream fail" \
	'len(S["Request path"]["tables"][0]) == 6 and ["upstream", "fail"] == S["Request path"]["tables"][0][3][:2]'
qc "the target row: 127.0.0.1:PORT failing" \
	'any(r[0] == "127.0.0.1:" + __import__("os").environ["APP_PORT"] and r[2] == "fail" for r in S["Request path"]["tables"][1])'
qc "nginx's error line in a fenced log excerpt" \
	'any(c[0] == "text" and "connect() failed (111: Connection refused) while connecting to upstream" in c[1] for c in S["Log lines"]["code"])'
qc "the log excerpt: one line per event, each with a date" \
	'all(l[:2] == "20" for l in S["Log lines"]["code"][0][1].splitlines())'
# the 5xx: per minute with the timeline, else the access log's window counts
qc "the 5xx table counts the failing requests (>= 5)" \
	'(lambda t: sum(int(r[t[0].index("5xx")]) for r in t[1:]) >= 5)(S["5xx per minute"]["tables"][0])'
qc "no action taken" 'S["Actions taken from gwtop"]["paras"] == ["None."]'
qc "host and version in the head table" \
	'dict((r[0], r[1]) for r in S["(top)"]["tables"][0]).get("gwtop", "") != "" and dict((r[0], r[1]) for r in S["(top)"]["tables"][0]).get("host", "") != ""'

# --check --markdown: the same report on stdout (exit code of --check)
it_gwtop --check --markdown "${ARGS[@]}"
t_rc 2
cp "$GW_OUT" "$OUT/stdout.md"
"$MD" "$OUT/stdout.md" >"$OUT/doc.json" 2>"$OUT/doc.err"
t_result "--check --markdown parses" $?
qc "--check --markdown: the same verdict" 'S["Verdict"]["paras"][0].startswith("CRIT upstream_down (upstream hop")'

# a symlink planted by another user at the target: refused, never followed
PUB=$OUT/pub
mkdir -m 1777 "$PUB"
chmod 711 "$OUT"
VICTIM=$OUT/victim
printf 'precious\n' >"$VICTIM"
chmod 600 "$VICTIM"
if command -v setpriv >/dev/null && setpriv --reuid=nobody --regid=nogroup --clear-groups ln -s "$VICTIM" "$PUB/incident.md" 2>/dev/null; then
	PLANTER=nobody
else
	ln -s "$VICTIM" "$PUB/incident.md"
	PLANTER=root
fi
echo "# symlink planted by $PLANTER"
it_gwtop --report-md "$PUB/incident.md" "${ARGS[@]}"
t_rc 3
t_check "refused with a sentence naming the link" grep -q "refusing to write .*incident.md: a symbolic link" "$GW_ERR"
t_check "the link's target is untouched" test "$(cat "$VICTIM")" = precious
t_check "the link's target keeps mode 0600" test "$(stat -c %a "$VICTIM")" = 600
t_check "the link is still a link" test -L "$PUB/incident.md"

# a directory: the default name in it
it_gwtop --report-md "$PUB/" "${ARGS[@]}"
t_rc 2
NEW=""
for f in "$PUB"/gwtop-incident-*.md; do
	[[ $(basename "$f") =~ ^gwtop-incident-[0-9]{8}-[0-9]{6}\.md$ ]] && NEW=$(basename "$f")
done
t_check "a directory gets gwtop-incident-YYYYmmdd-HHMMSS.md" test -n "$NEW"
t_check "... root's, mode 0600" test "$(stat -c '%a %U' "$PUB/$NEW" 2>/dev/null)" = "600 root"
