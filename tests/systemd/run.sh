#!/bin/bash
# tests/systemd/run.sh — gwtop against a real systemd: every scenario boots
# the overlay box (tests/sdbox/sdbox.sh: systemd + dbus + nginx + gunicorn on
# a throw-away overlay of /), injects one fault, runs the host-built
# `gwtop --check --json` (or the actions driver) inside, asserts, and tears
# the box down. Prints TAP. Skips (exit 0) only when the box cannot boot.
# Needs root. GWTOP=path overrides ./gwtop (build it first: make gwtop).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SDBOX=$ROOT/tests/sdbox/sdbox.sh
GWTOP=${GWTOP:-$ROOT/gwtop}
PY=/usr/bin/python3

if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP systemd box tests need root"; exit 0; fi
[ -x "$GWTOP" ] || { echo "Bail out! no gwtop binary at $GWTOP (make gwtop)"; exit 1; }

# binaries under /var/tmp: the box sees the host's / as its lower layer
T=$(mktemp -d /var/tmp/gwtop-systemd.XXXXXX)
W=""
box_down() { if [ -n "$W" ]; then bash "$SDBOX" down "$W" >/dev/null 2>&1; W=""; fi; }
cleanup() { box_down; rm -f "$T"/*; rmdir "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

cp "$GWTOP" "$T/gwtop"
# the drivers, linked with the project's objects (plain build: they run
# inside the box, where a sanitizer's leak report would only be noise)
# (not the caller's make flags: under `make test SANITIZE=1` they say build/san)
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$ROOT" SANITIZE=0 build/rel/tests/actdrv build/rel/tests/unitsdrv >/dev/null ||
	{ echo "Bail out! cannot build actdrv / unitsdrv"; exit 1; }
cp "$ROOT/build/rel/tests/actdrv" "$ROOT/build/rel/tests/unitsdrv" "$T/"

n=0; failed=0
ok()    { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | head -40 | sed 's/^/# /'; }
IN()    { bash "$SDBOX" in "$W" "$@"; }

# boot [SDBOX_WAIT]; first failure to boot = skip the whole suite
booted_once=0
# shellcheck disable=SC2120  # the optional argument is for new cases
boot() {
	W=$(mktemp -u /var/tmp/sdbox.XXXXXX)
	if ! SDBOX_WAIT=${1:-http} bash "$SDBOX" up "$W" >/dev/null 2>"$T/boot.err"; then
		local err; err=$(cat "$T/boot.err")
		box_down
		if [ $booted_once = 0 ]; then echo "1..0 # SKIP the systemd box cannot boot here: $(echo "$err" | tail -1)"; exit 0; fi
		return 1
	fi
	booted_once=1
	IN sh -c ': > /var/log/nginx/error.log'      # boot-time race line (see TESTING-SYSTEMD.md)
}

# gwtop --check --json inside the box -> $T/out.json
# shellcheck disable=SC2120  # optional gwtop arguments, for new cases
check() { IN "$T/gwtop" --check --json "$@" > "$T/out.json" 2>"$T/out.err"; echo $? > "$T/rc"; }
# until SECONDS CMD... — run CMD until it succeeds or the clock deadline
# passes (never a count of polls: on a busy machine each poll is slower)
until_ok() {
	local end=$(($(date +%s%N) / 1000000 + $1 * 1000))
	shift
	while :; do
		"$@" && return 0
		[ $(($(date +%s%N) / 1000000)) -lt "$end" ] || return 1
		sleep 0.2
	done
}
http_code() { IN curl -s -o /dev/null -m 5 -w '%{http_code}' http://127.0.0.1:8080/; }
http_200() { [ "$(http_code)" = 200 ]; }
# jholds PYTHON-EXPR: does $T/out.json satisfy it (the reason in $T/why)
jholds() {
	$PY - "$T/out.json" "$1" <<'PY' >"$T/why" 2>&1
import json, sys
j = open(sys.argv[1]).read()
d = json.loads(j)
v = d.get("verdict") or {}
allf = " ".join(json.dumps(f) for f in d.get("findings", []))
if not eval(sys.argv[2]):
    print("assertion failed:", sys.argv[2]); print("verdict:", json.dumps(v)); sys.exit(1)
PY
}
# jassert NAME PYTHON-EXPR: d = the JSON, j = its text, v = the verdict
jassert() {
	if jholds "$2"; then ok "$1"; else notok "$1" "$(cat "$T/why"; head -c 3000 "$T/out.json")"; fi
}
# jassert_within SECONDS NAME PYTHON-EXPR: gwtop --check until its answer
# satisfies the expression, on a clock deadline (a restarted unit takes
# its time to fail or to bind; the last answer is what a failure shows)
jassert_within() {
	# shellcheck disable=SC2034  # jexpr is read by the eval in until_ok
	local secs=$1 jexpr=$3
	until_ok "$secs" eval 'check; jholds "$jexpr"'
	jassert "$2" "$3"
}
dropin() {   # dropin TEXT: /etc/systemd/system/gunicorn.service.d/test.conf, daemon-reload
	IN sh -c 'mkdir -p /etc/systemd/system/gunicorn.service.d && cat > /etc/systemd/system/gunicorn.service.d/test.conf && systemctl daemon-reload' <<<"$1"
}

# ---------------------------------------------------------------- timeline events (issue 19)
# after the stop above: new code in WorkingDirectory (a file replaced), the
# unit started again, a Restart= unit killed (NRestarts 1), a unit failing
# with status 3; `gwtop --check --json`'s timeline.events must date each of
# them between the moments measured here, in that order
now() { date +%s.%N; }
timeline_units() {
	local t_stop t_deploy t_start t_kill t_fail t_end pid
	t_stop=$(now)   # the stop (above) was before this
	IN sh -c 'cat > /etc/systemd/system/gwcrash.service && printf "[Service]\nExecStart=/bin/sh -c \"exit 3\"\n" > /etc/systemd/system/gwfail.service && systemctl daemon-reload' <<'UNIT'
[Service]
ExecStart=/usr/bin/sleep 1000
Restart=on-failure
RestartSec=100ms
UNIT
	# a file's mtime is whole seconds: the deploy must fall in a later second than the stop
	sleep "$(date +%N | awk '{ printf "%.3f", 1.05 - $1 / 1e9 }')"
	t_deploy=$(now)
	IN sh -c 'cp /srv/app/app.py /srv/app/.app.py.new && mv /srv/app/.app.py.new /srv/app/app.py'
	t_start=$(now)
	IN systemctl start gunicorn.service
	IN systemctl start gwcrash.service
	pid=$(IN systemctl show -p MainPID --value gwcrash.service)
	t_kill=$(now)
	IN kill -KILL "$pid"
	until_ok 15 eval '[ "$(IN systemctl show -p NRestarts --value gwcrash.service)" = 1 ] && [ "$(IN systemctl show -p ActiveState --value gwcrash.service)" = active ]'
	t_fail=$(now)
	IN systemctl start gwfail.service || true
	until_ok 15 eval '[ "$(IN systemctl show -p ActiveState --value gwfail.service)" = failed ]'
	t_end=$(now)
	check --unit gwcrash.service --unit gwfail.service
	$PY - "$T/out.json" "$t_stop" "$t_deploy" "$t_start" "$t_kill" "$t_fail" "$t_end" >"$T/tl.txt" 2>&1 <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))["timeline"]["events"]
t_stop, t_deploy, t_start, t_kill, t_fail, t_end = map(float, sys.argv[2:8])
res = []
def check(name, cond):
    res.append((name, bool(cond)))
def last(kind, subject):
    got = [(k, e) for k, e in enumerate(ev) if e["kind"] == kind and e["subject"] == subject]
    return got[-1] if got else (None, None)
kinds = ["%s:%s" % (e["kind"], e["subject"]) for e in ev]
si, s = last("unit_stop", "gunicorn.service")
di, d = last("deploy", "gunicorn.service")
ai, a = last("unit_start", "gunicorn.service")
ri, r = last("unit_restart", "gwcrash.service")
fi, f = last("unit_fail", "gwfail.service")
check("timeline: unit_stop gunicorn.service dated before %.2f (%s)" % (t_stop, s), s and s["t"] <= t_stop and not s["approx"])
check("timeline: deploy gunicorn.service names /srv/app, in [%.0f, %.2f] (%s)" % (t_deploy, t_start, d),
      d and "WorkingDirectory /srv/app" in d["text"] and int(t_deploy) <= d["t"] <= t_start)
check("timeline: unit_start gunicorn.service in [%.2f, %.2f] (%s)" % (t_start, t_kill, a), a and t_start <= a["t"] <= t_kill)
check("timeline: order unit_stop < deploy < unit_start (%s)" % kinds, None not in (si, di, ai) and si < di < ai)
check("timeline: unit_restart gwcrash.service NRestarts 1 in [%.2f, %.2f] (%s)" % (t_kill, t_fail, r),
      r and "NRestarts 1" in r["text"] and t_kill <= r["t"] <= t_fail)
check("timeline: unit_fail gwfail.service, result exit-code, exit status 3, in [%.2f, %.2f] (%s)" % (t_fail, t_end, f),
      f and "result exit-code, exit status 3" in f["text"] and t_fail <= f["t"] <= t_end and not f["approx"])
check("timeline: order unit_start gunicorn < unit_restart gwcrash < unit_fail gwfail", None not in (ai, ri, fi) and ai < ri < fi)
check("timeline: events in time order", all(ev[k]["t"] <= ev[k + 1]["t"] for k in range(len(ev) - 1)))
for name, good in res:
    print("%d\t%s" % (0 if good else 1, name))
PY
	if ! grep -q $'^[01]\t' "$T/tl.txt"; then notok "timeline: the JSON checks ran" "$(cat "$T/tl.txt"; head -c 2000 "$T/out.json")"; return; fi
	while IFS=$'\t' read -r rc name; do
		if [ "$rc" = 0 ]; then ok "$name"; else notok "$name" "$(head -c 3000 "$T/out.json")"; fi
	done < <(grep $'^[01]\t' "$T/tl.txt")
}

# ---------------------------------------------------------------- 1, 2: healthy, app stopped
if boot; then
	check
	jassert "healthy lab: status ok, verdict healthy" 'd["status"] == "ok" and v["cause"] == "healthy"'
	IN systemctl stop gunicorn.service
	IN curl -s -o /dev/null http://127.0.0.1:8080/ || true
	check
	jassert "systemctl stop gunicorn: upstream down naming gunicorn.service" \
		'v["cause"] in ("upstream_down", "socket_missing") and "gunicorn.service" in v["summary"] and "systemctl start gunicorn.service" in allf'
	timeline_units
	box_down
else notok "boot for healthy/stop"; fi

# ---------------------------------------------------------------- 3: import failure
if boot; then
	IN sh -c 'printf "import gwtop_no_such_module\n" > /srv/app/app.py'
	IN systemctl restart gunicorn.service || true
	# until systemd restarted it twice: the loop an operator sees
	until_ok 30 eval '[ "$(IN systemctl show -p NRestarts --value gunicorn.service)" -ge 2 ] 2>/dev/null'
	jassert_within 20 "app fails to import: app_boot_failure with the journal line" \
		'v["cause"] == "app_boot_failure" and "gwtop_no_such_module" in v["summary"] and "journal:gunicorn.service" in allf'
	box_down
else notok "boot for import failure"; fi

# ---------------------------------------------------------------- 4: crash loop
if boot; then
	IN sh -c 'printf "import sys\nsys.exit(1)\n" > /srv/app/run.py'
	dropin '[Unit]
StartLimitIntervalSec=0
[Service]
ExecStart=
ExecStart=/usr/bin/python3 /srv/app/run.py --bind unix:/run/gunicorn/gunicorn.sock
Restart=always
RestartSec=700ms'
	IN systemctl restart gunicorn.service || true
	until_ok 30 eval '[ "$(IN systemctl show -p NRestarts --value gunicorn.service)" -ge 3 ] 2>/dev/null'
	jassert_within 20 "Restart=always + failing start: app_crash_loop is the verdict" \
		'v["cause"] == "app_crash_loop" and v["hop"] == "app" and "gunicorn.service" in v["summary"] and "restarts/min" in v["summary"]'
	box_down
else notok "boot for crash loop"; fi

# ---------------------------------------------------------------- 5: EnvironmentFile missing
if boot; then
	dropin '[Service]
EnvironmentFile=/etc/gwlab/app.env'
	IN systemctl restart gunicorn.service || true
	jassert_within 20 "EnvironmentFile missing: finding with the env file and the unit file path" \
		'v["cause"] == "app_boot_failure" and "/etc/gwlab/app.env" in v["summary"] and "/etc/systemd/system/gunicorn.service" in v["summary"]'
	box_down
else notok "boot for EnvironmentFile"; fi

# ---------------------------------------------------------------- 5b: module not importable
if boot; then
	dropin '[Service]
ExecStart=
ExecStart=/usr/bin/python3 /usr/bin/gunicorn --workers 2 --bind unix:/run/gunicorn/gunicorn.sock --umask 007 --group www-data app_typo:app'
	IN systemctl restart gunicorn.service || true
	jassert_within 20 "ExecStart app_typo:app: app_boot_failure names the module, /srv/app and the unit file" \
		'v["cause"] == "app_boot_failure" and "module app_typo" in allf and "/srv/app" in allf and "/etc/systemd/system/gunicorn.service" in allf'
	box_down
else notok "boot for module not importable"; fi

# ---------------------------------------------------------------- 6: bind != nginx target
if boot; then
	dropin '[Service]
ExecStart=
ExecStart=/usr/bin/python3 /usr/bin/gunicorn --workers 2 --bind 127.0.0.1:8001 app:app'
	IN systemctl restart gunicorn.service
	jassert_within 20 "ExecStart bind != nginx target: port_mismatch naming both and the unit" \
		'v["cause"] == "port_mismatch" and "unix:/run/gunicorn/gunicorn.sock" in v["summary"] and "8001" in v["summary"] and "gunicorn.service" in v["summary"]'
	box_down
else notok "boot for port mismatch"; fi

# ---------------------------------------------------------------- 7: database unreachable
if boot; then
	dropin '[Service]
Environment=DATABASE_URL=postgresql://app:S3cretPw0rd@127.0.0.1:5499/appdb'
	IN systemctl restart gunicorn.service
	jassert_within 20 "DATABASE_URL to a closed port: db_unreachable, password masked" \
		'any(f["cause"] == "db_unreachable" and f["hop"] == "db" and "127.0.0.1:5499" in f["summary"] for f in d["findings"]) and "S3cretPw0rd" not in j and "app:***@127.0.0.1:5499" in j'
	box_down
else notok "boot for database"; fi

# ---------------------------------------------------------------- 8-11: actions
if boot; then
	before=$(IN systemctl show -p MainPID --value gunicorn.service)
	out=$(IN "$T/actdrv" restart gunicorn.service); rc=$?
	after=$(IN systemctl show -p MainPID --value gunicorn.service)
	if [ $rc = 0 ] && [ "$before" != "$after" ] && [ "$after" != 0 ] && grep -q "MainPID $before -> $after" <<<"$out"; then
		ok "restart gunicorn.service through actions: MainPID $before -> $after"
	else notok "restart gunicorn.service through actions" "rc=$rc before=$before after=$after out=$out"; fi
	IN journalctl -t gwtop -o cat > "$T/audit" 2>&1
	if grep -q "restart gunicorn.service: restarted" "$T/audit"; then ok "the restart is in the journal (SYSLOG_IDENTIFIER=gwtop)"
	else notok "the restart is in the journal" "$(cat "$T/audit")"; fi

	# check 9 restarted gunicorn: the new one answers before the reload
	# checks assert that nginx keeps serving (issue 20: 502 while it booted)
	until_ok 30 http_200 || notok "gunicorn answers again after its restart" "http=$(http_code)"
	master=$(IN systemctl show -p MainPID --value nginx.service)
	w0=$(IN pgrep -P "$master" | sort | tr '\n' ' ')
	IN sh -c 'echo "gwtop_broken_directive on;" >> /etc/nginx/sites-enabled/app'
	out=$(IN "$T/actdrv" reload-nginx /etc/nginx/nginx.conf "$master" nginx.service); rc=$?
	w1=$(IN pgrep -P "$master" | sort | tr '\n' ' ')
	code=$(IN curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/)
	if [ $rc != 0 ] && grep -q "refused to reload: nginx -t failed" <<<"$out" && grep -q gwtop_broken_directive <<<"$out" &&
	   [ "$w0" = "$w1" ] && [ "$code" = 200 ]; then
		ok "reload with a broken config refuses with nginx's message; old workers keep serving"
	else notok "reload with a broken config refuses" "rc=$rc out=$out workers $w0 -> $w1 http=$code"; fi

	IN sed -i '/gwtop_broken_directive/d' /etc/nginx/sites-enabled/app
	out=$(IN "$T/actdrv" reload-nginx /etc/nginx/nginx.conf "$master" nginx.service); rc=$?
	# the new workers replace the old ones: until they do, on a deadline
	w2=""
	until_ok 15 eval 'w2=$(IN pgrep -P "$master" | sort | tr "\n" " "); [ "$w0" != "$w2" ]'
	until_ok 15 http_200
	code=$(http_code)
	if [ $rc = 0 ] && grep -q "reloaded nginx via nginx.service" <<<"$out" && [ "$w0" != "$w2" ] && [ "$code" = 200 ]; then
		ok "reload with a good config: worker PIDs change ($w0-> $w2)"
	else notok "reload with a good config" "rc=$rc out=$out workers $w0 -> $w2 http=$code"; fi

	before=$(IN systemctl show -p MainPID --value gunicorn.service)
	out=$(IN "$T/actdrv" --read-only restart gunicorn.service); rc=$?
	out2=$(IN "$T/actdrv" --read-only reload-nginx /etc/nginx/nginx.conf "$master" nginx.service); rc2=$?
	after=$(IN systemctl show -p MainPID --value gunicorn.service)
	if [ $rc != 0 ] && [ $rc2 != 0 ] && grep -q "read-only" <<<"$out" && grep -q "read-only" <<<"$out2" && [ "$before" = "$after" ]; then
		ok "--read-only refuses restart and reload"
	else notok "--read-only refuses" "rc=$rc/$rc2 out=$out / $out2 pid $before -> $after"; fi

	IN systemctl stop gunicorn.service
	out=$(IN "$T/actdrv" start gunicorn.service); rc=$?
	if [ $rc = 0 ] && grep -q "started gunicorn.service: MainPID [1-9]" <<<"$out"; then ok "start a stopped unit through actions"
	else notok "start a stopped unit" "rc=$rc out=$out"; fi

	out=$(IN "$T/actdrv" restart gwtop-nosuch.service); rc=$?
	if [ $rc != 0 ] && grep -q "no such unit" <<<"$out"; then ok "restart of an unknown unit fails clearly"
	else notok "restart of an unknown unit" "rc=$rc out=$out"; fi

	out=$(IN setpriv --reuid=65534 --regid=65534 --clear-groups "$T/actdrv" restart gunicorn.service); rc=$?
	if [ $rc != 0 ] && grep -q "needs root: run sudo gwtop, or: sudo systemctl restart gunicorn.service" <<<"$out"; then
		ok "unprivileged restart: polkit/bus denial says how to do it as root"
	else notok "unprivileged restart message" "rc=$rc out=$out"; fi
	box_down
else notok "boot for actions"; fi

echo "1..$n"
[ $failed = 0 ]
