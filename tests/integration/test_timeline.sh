#!/bin/bash
# The timeline (issue 19 items 1-2) on a real lab: nginx reloaded with a
# log_format that has the upstream fields, requests answered, the app
# killed (502s on /items/N), started again (200s). `gwtop --check --json` must give
# the per-minute counts (exactly the 5xx we caused), the events in order
# (reload < incident start < the new app's start <= recovery), the
# incident's start and recovery times between the moments we measured,
# and per upstream / per path: the 5xx on 127.0.0.1:APP_PORT, its times,
# the failing path folded to /items/:id. First, before the reload, the
# combined format: no upstream fields, and the log_format line to add.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
command -v curl >/dev/null || it_skip "no curl"
it_lab_up healthy

MYAPP=""        # the gunicorn this test starts again (stopped by us and by lab down)
cleanup_app() {
	if [ -n "$MYAPP" ] && kill -0 "$MYAPP" 2>/dev/null; then
		kill -INT "$MYAPP" 2>/dev/null
		it_until 10 bash -c "! kill -0 $MYAPP 2>/dev/null" || kill -KILL "$MYAPP" 2>/dev/null
	fi
}
trap 'rc=$?; cleanup_app; (exit $rc); t_finish' EXIT

get() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$NGINX_PORT$1"; }
now() { date +%s.%N; }

# --- 1. the lab's combined format: no upstream fields, a hint ---------------
it_check_json
t_json traffic.fields.upstream_addr false
hint=$(jget traffic.hint)
# shellcheck disable=SC2016  # the literal nginx variables
[[ $hint == *'$upstream_addr'* && $hint == *'$upstream_response_time'* && $hint == log_format* ]]
t_result "traffic.hint is a log_format line with the upstream fields" $?

# --- 2. reload nginx with a format that has them ---------------------------
# the new workers must be visibly younger than the master (2 s: the timeline
# tells a reload from the start that way)
it_until 10 bash -c "[ \"\$(ps -o etimes= -p $NGINX_PID | tr -d ' ')\" -ge 3 ]"
cat >"$LAB_DIR/conf.d/00-timeline.conf" <<'EOF'
log_format timeline '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" rt=$request_time ua="$upstream_addr" us="$upstream_status" urt="$upstream_response_time"';
EOF
sed -i "s|^    server_name lab.test;|    server_name lab.test;\n    access_log $LAB_DIR/logs/access_tl.log timeline;|" "$SITE_CONF"
grep -q "access_tl.log timeline" "$SITE_CONF"
t_result "site.conf names the timeline format" $?
T_RELOAD=$(now)
kill -HUP "$NGINX_PID"
# a request answered by the new workers lands in the new log
tl_written() { get /health >/dev/null; test -s "$LAB_DIR/logs/access_tl.log"; }
it_until 15 tl_written
t_check "nginx writes the timeline format after the reload" test -s "$LAB_DIR/logs/access_tl.log"
# access-log times are whole seconds: the failures must fall in a later second
# than the new workers' start (the reload event), or a fast run logs the first
# 502 as X.0 before a reload at X.3 (seen under ASan in CI)
sleep "$(date +%N | awk '{ printf "%.3f", 1.05 - $1 / 1e9 }')"

# --- 3. traffic, the app killed, started again -----------------------------
ok1=0
for _ in $(seq 1 10); do [ "$(get /)" = 200 ] && ok1=$((ok1 + 1)); done
[ "$ok1" = 10 ]
t_result "10 requests answered 200 before the kill (got $ok1)" $?
T_KILL=$(now)
kill -TERM "$GUNICORN_PID"
it_until 20 bash -c "! kill -0 $GUNICORN_PID 2>/dev/null"
t_check "the app's gunicorn is gone" bash -c "! kill -0 $GUNICORN_PID 2>/dev/null"
bad=0
for i in $(seq 101 108); do [ "$(get "/items/$i")" = 502 ] && bad=$((bad + 1)); done
[ "$bad" = 8 ]
t_result "8 requests answered 502 while the app is down (got $bad)" $?
sleep 1   # the new start must be a later second than the last 502
T_START=$(now)
# shellcheck disable=SC2094  # gunicorn appends to app.log itself, as lab.sh's gunicorn_start
(
	cd "$ROOT/tests/lab/app" || exit 1
	exec env GWTOP_LAB="$LAB_DIR" PYTHONDONTWRITEBYTECODE=1 setsid /usr/bin/python3 /usr/bin/gunicorn \
		--workers 1 --graceful-timeout 3 --error-logfile "$LAB_DIR/app.log" --capture-output \
		--bind "$APP_BIND" --chdir "$ROOT/tests/lab/app" app:app
) </dev/null >>"$LAB_DIR/app.log" 2>&1 &
MYAPP=$!
# lab down stops it too (it stops the GUNICORN_PID of lab.env that carries GWTOP_LAB)
sed -i "s/^GUNICORN_PID=.*/GUNICORN_PID=$MYAPP/" "$LAB_DIR/lab.env"
it_until 20 bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://$APP_BIND/health)\" = 200 ]"
t_check "the app answers again" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://$APP_BIND/health)\" = 200 ]"
T_READY=$(now)
ok2=0
for _ in $(seq 1 6); do [ "$(get /)" = 200 ] && ok2=$((ok2 + 1)); done
[ "$ok2" = 6 ]
t_result "6 requests answered 200 after the restart (got $ok2)" $?
T_END=$(now)

# --- 4. what the timeline says ---------------------------------------------
it_check_json
# what nginx logged with the app's address, gwtop's own requests aside (an
# old worker may still have logged one of ours to access.log)
TRIES=$(grep -F "ua=\"$APP_BIND\"" "$LAB_DIR/logs/access_tl.log" | grep -cvF '"gwtop/')
"$PY" - "$GW_OUT" "$T_RELOAD" "$T_KILL" "$T_START" "$T_READY" "$T_END" "$APP_PORT" "$MYAPP" "$TRIES" >"$OUT/tl.txt" 2>&1 <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
t_reload, t_kill, t_start, t_ready, t_end = map(float, sys.argv[2:7])
app_addr = "127.0.0.1:" + sys.argv[7]
mypid = sys.argv[8]
tries = int(sys.argv[9])
res = []
def check(name, cond):
    res.append((name, bool(cond)))
tl = doc.get("timeline") or {}
tr = doc.get("traffic") or {}
mins = tl.get("minutes", [])
check("timeline.minutes present", len(mins) >= 1)
n5 = sum(m["5xx"] for m in mins)
n2 = sum(m["2xx"] for m in mins)
check("5xx over the minutes = 8 (got %d)" % n5, n5 == 8)
check("2xx over the minutes >= 16 (got %d)" % n2, n2 >= 16)
check("each minute's total = its classes", all(m["total"] == m["2xx"] + m["3xx"] + m["4xx"] + m["5xx"] + m["499"] for m in mins))
check("every 5xx is a 502", sum(m["502"] for m in mins) == 8)
check("gwtop's own requests counted apart", sum(m["own"] for m in mins) >= 1)
inc = tl.get("incidents", [])
check("one incident (got %d)" % len(inc), len(inc) == 1)
if inc:
    i = inc[0]
    check("incident start %.0f in [kill %.0f, start %.0f]" % (i["start"], t_kill, t_start),
          t_kill - 1 <= i["start"] <= t_start)
    check("incident failed = 8 (got %s)" % i["failed"], i["failed"] == 8)
    check("recovered %s in [app start %.0f, end %.0f]" % (i["recovered"], t_start, t_end),
          i["recovered"] is not None and t_start - 1 <= i["recovered"] <= t_end + 1)
ev = tl.get("events", [])
kinds = [e["kind"] for e in ev]
def first(kind, pred=lambda e: True):
    for k, e in enumerate(ev):
        if e["kind"] == kind and pred(e):
            return k, e
    return None, None
ri, r = first("nginx_reload", lambda e: e["t"] >= t_reload - 1)
si, s = first("incident_start")
ai, a = first("app_start", lambda e: e["subject"] == "pid " + mypid)
vi, v = first("recovery")
check("events: nginx_reload after the HUP (kinds %s)" % kinds, r is not None)
check("events: incident_start", s is not None)
check("events: app_start of the new gunicorn (pid %s)" % mypid, a is not None)
check("events: recovery", v is not None)
if None not in (ri, si, ai, vi):
    # access-log times are whole seconds: the first answer may share the new app's second
    check("order: reload < incident start < app start <= recovery (%.1f %.1f %.1f %.1f)" % (r["t"], s["t"], a["t"], v["t"]),
          ri < si < ai and si < vi and r["t"] <= s["t"] <= a["t"] < v["t"] + 1)
    check("app_start time %.1f in [%.1f, %.1f]" % (a["t"], t_start - 1, t_ready + 1), t_start - 1 <= a["t"] <= t_ready + 1)
check("events are in time order", all(ev[k]["t"] <= ev[k + 1]["t"] for k in range(len(ev) - 1)))
check("current incident is the recovered one", tl.get("incident") is None or tl["incident"]["recovered"] is not None)
# traffic
check("traffic.fields.upstream_addr true", tr.get("fields", {}).get("upstream_addr") is True)
check("traffic.hint null (the fields are there)", tr.get("hint") is None)
ups = {u["addr"]: u for u in tr.get("upstreams", [])}
u = ups.get(app_addr)
check("upstream %s listed (got %s)" % (app_addr, list(ups)), u is not None)
if u:
    check("upstream 5xx = 8 (got %s)" % u["5xx"], u["5xx"] == 8)
    check("upstream tries = the log's lines with that address (%d; got %s)" % (tries, u["tries"]), u["tries"] == tries and tries >= 20)
    check("share_5xx = 5xx/tries", abs(u["share_5xx"] - (u["5xx"] + u["no_status"]) / u["tries"]) < 0.001)
    check("p50 <= p95 <= p99, not null", u["p50_ms"] is not None and u["p50_ms"] <= u["p95_ms"] <= u["p99_ms"])
fp = tr.get("failing_paths", [])
check("top failing path /items/:id with 8 5xx (got %s)" % fp[:1], fp and fp[0]["path"] == "/items/:id" and fp[0]["5xx"] == 8 and fp[0]["last_status"] == 502)
for name, ok in res:
    print("%d\t%s" % (0 if ok else 1, name))
EOF
while IFS=$'\t' read -r rc name; do
	t_result "$name" "$rc"
done <"$OUT/tl.txt"
grep -q . "$OUT/tl.txt" || { sed 's/^/# /' "$OUT/tl.txt"; t_result "the JSON checks ran" 1; }
grep -v $'^[01]\t' "$OUT/tl.txt" | sed 's/^/# /'
