#!/bin/bash
# Issue 17 findings 10 and 11, in a real systemd (tests/sdbox/sdbox.sh):
#  10. contrib/systemd/gwtop-prometheus.service is hardened:
#      `systemd-analyze security` exposure <= 3.0 (offline on the host and
#      online in the box), and the sandboxed unit still works: it writes
#      the textfile (root, 0644) with the SAME verdict as an unsandboxed
#      run (no fault invented by the sandbox: nginx -t, sockets, /proc),
#      and a real node_exporter serves it (node_textfile_scrape_error 0);
#  11. an action (nginx -t through src/actions.c) is audited to the journal
#      (GWTOP_SUDO_USER, GWTOP_LOGINUID fields) AND to syslog (journald's
#      /dev/log: _TRANSPORT=syslog), with SUDO_USER; with /dev/log gone,
#      the outcome line (the dashboard's status line) says the audit
#      record could not be written.
set -u
# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
it_init
it_require_root
it_require_gwtop
SDBOX=$ROOT/tests/sdbox/sdbox.sh
UNIT=$ROOT/contrib/systemd/gwtop-prometheus.service

score_of() { sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$1" | tail -n1; }
le3() { "$PY" -c 'import sys; sys.exit(0 if sys.argv[1] and float(sys.argv[1]) <= 3.0 else 1)' "$1"; }

# ---- offline score (no systemd needed)
systemd-analyze security --offline=yes "$UNIT" >"$OUT/offline" 2>&1
s=$(score_of "$OUT/offline")
echo "# offline: $(grep 'Overall exposure' "$OUT/offline")"
t_result "offline systemd-analyze security: exposure $s <= 3.0" "$(le3 "$s" && echo 0 || echo 1)"

# ---- the box
command -v systemd-nspawn >/dev/null || it_skip "no systemd-nspawn (apt-get install systemd-container)"
T=$(mktemp -d /var/tmp/gwtop-sec.XXXXXX)        # visible inside the box (overlay of /)
W=""
box_finish() {
	if [ -n "$W" ]; then
		IN sh -c 'p=$(cat /run/gwtop-node-exporter.pid 2>/dev/null) && kill "$p"' >/dev/null 2>&1
		bash "$SDBOX" down "$W" >/dev/null 2>&1 || { sleep 1; bash "$SDBOX" down "$W" >/dev/null 2>&1; }
		W=""
	fi
	rm -rf -- "$T"
}
box_on_exit() {
	local rc=$?
	box_finish
	(exit "$rc")
	t_finish
}
trap box_on_exit EXIT
cp "$GWTOP" "$T/gwtop"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$ROOT" SANITIZE=0 build/rel/tests/actdrv >/dev/null ||
	{ t_result "build actdrv" 1; exit 1; }
cp "$ROOT/build/rel/tests/actdrv" "$T/"
chmod 0755 "$T" "$T/gwtop" "$T/actdrv"
mkdir -p "$T/inject/etc/systemd/system"
sed "s|/usr/bin/gwtop|$T/gwtop|" "$UNIT" >"$T/inject/etc/systemd/system/gwtop-prometheus.service"
W=$(mktemp -u /var/tmp/sdbox.XXXXXX)
if ! SDBOX_INJECT=$T/inject bash "$SDBOX" up "$W" >/dev/null 2>"$OUT/boot.err"; then
	W=""
	it_skip "the systemd box cannot boot here: $(tail -n1 "$OUT/boot.err")"
fi
IN() { bash "$SDBOX" in "$W" "$@"; }
IN sh -c ': > /var/log/nginx/error.log'
t_result "box up with the unit installed" 0

IN systemd-analyze security gwtop-prometheus.service >"$OUT/online" 2>&1
s=$(score_of "$OUT/online")
echo "# online: $(grep 'Overall exposure' "$OUT/online")"
t_result "systemd-analyze security in a running systemd: exposure $s <= 3.0" "$(le3 "$s" && echo 0 || echo 1)"

# the unsandboxed verdict first, then the unit's
IN "$T/gwtop" --check --prometheus --read-only >"$OUT/plain.prom" 2>"$OUT/plain.err"
plain_rc=$?
IN systemctl start gwtop-prometheus.service >"$OUT/start" 2>&1
start_rc=$?
IN systemctl show -p Result -p ExecMainStatus gwtop-prometheus.service >"$OUT/show" 2>&1
PROM=/var/lib/prometheus/node-exporter/gwtop.prom
IN cat "$PROM" >"$OUT/unit.prom" 2>/dev/null
IN journalctl -u gwtop-prometheus.service -o cat >"$OUT/unit.log" 2>&1
echo "# plain run: exit $plain_rc; unit: $(tr '\n' ' ' <"$OUT/show")"
t_result "systemctl start gwtop-prometheus.service succeeds (rc $start_rc)" \
	"$([ "$start_rc" = 0 ] && grep -qx 'Result=success' "$OUT/show" && echo 0 || echo 1)"
[ "$start_rc" = 0 ] || sed 's/^/#   /' "$OUT/start" "$OUT/unit.log" | tail -n 30
t_result "the unit's exit status is the plain run's ($plain_rc)" \
	"$(grep -qx "ExecMainStatus=$plain_rc" "$OUT/show" && echo 0 || echo 1)"
t_check "the textfile is root's, mode 0644" test "$(IN stat -c %U:%a "$PROM")" = root:644
t_check "the textfile directory is root's, 0755 (StateDirectory)" \
	test "$(IN stat -c %U:%a /var/lib/prometheus/node-exporter)" = root:755
verdict() { grep -E '^gwtop_(status|verdict|hop_status|finding)' "$1" | sort; }
if [ "$(verdict "$OUT/plain.prom")" = "$(verdict "$OUT/unit.prom")" ] && [ -n "$(verdict "$OUT/unit.prom")" ]; then
	t_result "sandboxed verdict = unsandboxed verdict ($(grep '^gwtop_status' "$OUT/unit.prom"))" 0
else
	t_result "sandboxed verdict = unsandboxed verdict" 1
	diff <(verdict "$OUT/plain.prom") <(verdict "$OUT/unit.prom") | sed 's/^/#   /'
fi
t_result "the sandbox hides no process: same nginx/app hops" \
	"$(grep -q '^gwtop_hop_status{hop="nginx"} 0' "$OUT/unit.prom" && echo 0 || echo 1)"

# a real node_exporter reads the textfile (inside the box: its own network)
# (started inside the box, not as a background job of this script: a job
# here would outlive the test while the box shuts down; ended by its PID)
IN sh -c 'setsid /usr/bin/prometheus-node-exporter --web.listen-address=127.0.0.1:9199 \
	--collector.disable-defaults --collector.textfile \
	--collector.textfile.directory=/var/lib/prometheus/node-exporter </dev/null >/dev/null 2>&1 &
	echo $! > /run/gwtop-node-exporter.pid'
got=""
for _ in $(seq 100); do
	got=$(IN curl -s --max-time 2 http://127.0.0.1:9199/metrics || true)
	grep -q '^gwtop_status' <<<"$got" && break
	sleep 0.1
done
t_result "node_exporter serves gwtop_status from the unit's file" "$(grep -q '^gwtop_status' <<<"$got" && echo 0 || echo 1)"
t_result "node_textfile_scrape_error 0" "$(grep -qx 'node_textfile_scrape_error 0' <<<"$got" && echo 0 || echo 1)"

# ---- 11. audit: journal AND syslog, with SUDO_USER and the login uid
IN env SUDO_USER=alice "$T/actdrv" test /etc/nginx/nginx.conf >"$OUT/act1" 2>&1
echo "# action: $(head -c 300 "$OUT/act1")"
t_result "nginx -t through actions: ok, no audit failure on the outcome line" \
	"$(grep -q '^ok: nginx -t ok' "$OUT/act1" && ! grep -q 'audit not' "$OUT/act1" && echo 0 || echo 1)"
IN journalctl -t gwtop _TRANSPORT=journal GWTOP_SUDO_USER=alice GWTOP_PHASE=done -o export >"$OUT/j" 2>&1
t_result "journal: a structured record (GWTOP_ACTION=nginx-test, GWTOP_SUDO_USER=alice, GWTOP_LOGINUID)" \
	"$(grep -qx 'GWTOP_ACTION=nginx-test' "$OUT/j" && grep -q '^GWTOP_LOGINUID=' "$OUT/j" && echo 0 || echo 1)"
IN journalctl -t gwtop _TRANSPORT=syslog -o cat >"$OUT/sys" 2>&1
t_result "syslog (/dev/log): the record, with the sudo user and the login uid" \
	"$(grep -q 'nginx-test nginx: nginx -t ok.*(done; uid 0, login uid [0-9a-z]*, sudo user alice)' "$OUT/sys" && echo 0 || echo 1)"
[ -s "$OUT/sys" ] || sed 's/^/#   /' "$OUT/j" | head -n 20

# /dev/log gone: the outcome says the record was not fully written
IN systemctl stop systemd-journald-dev-log.socket >/dev/null 2>&1
IN rm -f /dev/log /run/systemd/journal/dev-log
IN env SUDO_USER=alice "$T/actdrv" test /etc/nginx/nginx.conf >"$OUT/act2" 2>&1
echo "# action without /dev/log: $(head -c 400 "$OUT/act2")"
t_result "without syslog the outcome line says so" \
	"$(grep -q '\[audit not fully written: syslog /dev/log: No such file or directory\]' "$OUT/act2" && echo 0 || echo 1)"
IN journalctl -t gwtop _TRANSPORT=journal GWTOP_PHASE=done -o cat >"$OUT/j2" 2>&1
t_result "the journal still has both records" "$([ "$(grep -c 'nginx-test nginx: nginx -t ok' "$OUT/j2")" -ge 2 ] && echo 0 || echo 1)"
