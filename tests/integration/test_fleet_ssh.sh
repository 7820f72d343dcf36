#!/bin/bash
# Fleet fan-out over a real sshd: parallel-ssh (pssh) runs
# `gwtop --check --json` on two "hosts" (127.0.0.1 and localhost, both this
# box, against a broken lab) plus one host that is down (127.0.0.2: nothing
# listens there), collects one file per host, and `gwtop --summarize` prints
# one line per host with the worst status as its exit code.
# Also: no TTY over ssh means no ESC bytes (JSON and text), and ssh hands back
# gwtop's exit code.
#
# sshd is our own: /usr/sbin/sshd -D -f CONF on 127.0.0.1:high port, host key
# and client key generated here, UsePAM no, keys and logs in a temp dir;
# stopped by PID.
set -u
. "$(dirname "$0")/lib.sh"
SSHD=/usr/sbin/sshd
PSSH=${PSSH:-$(command -v parallel-ssh || command -v pssh || true)}
SSHD_PID=""

sshd_stop() {
	if [ -n "$SSHD_PID" ]; then
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
		SSHD_PID=""
	fi
}

it_init
# shellcheck source=tests/portlock.sh
. "$ROOT/tests/portlock.sh"
trap 'rc=$?; sshd_stop; portlock_release; (exit $rc); t_finish' EXIT
it_require_root
it_require_gwtop
[ -x "$SSHD" ] || it_skip "no $SSHD (apt-get install openssh-server)"
command -v ssh-keygen >/dev/null && command -v ssh >/dev/null || it_skip "no ssh client (openssh-client)"
[ -n "$PSSH" ] || it_skip "no parallel-ssh (apt-get install pssh)"

S=$OUT/ssh
mkdir -m 700 "$S"
ssh-keygen -q -t ed25519 -N '' -C gwtop-test-host -f "$S/host_key" || exit 1
ssh-keygen -q -t ed25519 -N '' -C gwtop-test-client -f "$S/id" || exit 1
cp "$S/id.pub" "$S/authorized_keys"
chmod 600 "$S/authorized_keys"

it_lab_up app_down

# sshd on a free high loopback port (retry on a collision)
for _ in 1 2 3 4 5; do
	portlock_release
	portlock_claim 4 || continue      # the lab's lock: no lab picks it meanwhile
	PORT=$PL_BASE
	cat >"$S/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $S/host_key
PidFile $S/sshd.pid
AuthorizedKeysFile $S/authorized_keys
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
LogLevel VERBOSE
EOF
	# sshd's privilege separation dir (empty, root-owned; left in place: it
	# is what the openssh-server package creates at boot, and another sshd
	# may be using it)
	[ -d /run/sshd ] || mkdir -m 755 /run/sshd
	"$SSHD" -t -f "$S/sshd_config" || { t_result "sshd -t accepts our config" 1; exit 1; }
	"$SSHD" -D -e -f "$S/sshd_config" 2>"$S/sshd.log" &
	SSHD_PID=$!
	up=0
	for _ in $(seq 50); do
		if grep -q "Server listening on 127.0.0.1 port $PORT" "$S/sshd.log"; then up=1; break; fi
		kill -0 "$SSHD_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ "$up" = 1 ] && break
	sshd_stop
done
if [ -z "$SSHD_PID" ]; then
	sed 's/^/# sshd: /' "$S/sshd.log"
	t_result "sshd started" 1
	exit 1
fi
t_result "sshd listening on 127.0.0.1:$PORT (pid $SSHD_PID)" 0

# client config: only our key, only our known_hosts, strict host key check,
# never a prompt. Both names resolve to 127.0.0.1 (the fleet's "hosts").
hostkey=$(cut -d' ' -f1,2 "$S/host_key.pub")
{
	echo "[127.0.0.1]:$PORT $hostkey"
	echo "[localhost]:$PORT $hostkey"
} >"$S/known_hosts"
cat >"$S/ssh_config" <<EOF
Host *
	User root
	Port $PORT
	IdentityFile $S/id
	IdentitiesOnly yes
	UserKnownHostsFile $S/known_hosts
	GlobalKnownHostsFile /dev/null
	StrictHostKeyChecking yes
	BatchMode yes
	ConnectTimeout 5
	LogLevel ERROR
EOF

# The remote command line (ssh hands it to the remote shell: quote each word).
remote=$(printf '%q ' "$GWTOP" --check --json --nginx-conf "$CONF")
[ ! -f "$APP_LOG" ] || remote+=$(printf ' --app-log %q' "$APP_LOG")

# 1. plain ssh: JSON, no ESC, exit code preserved
GW_OUT=$OUT/ssh.json GW_ERR=$OUT/ssh.err
timeout -k 5 60 ssh -F "$S/ssh_config" 127.0.0.1 "$remote" >"$GW_OUT" 2>"$GW_ERR" </dev/null
GW_RC=$?
t_rc 2
t_check "JSON over ssh is valid" "$PY" "$JCHECK" valid "$GW_OUT"
t_check "JSON over ssh has no ESC byte" t_no_esc "$GW_OUT"
# (the cause itself is the lab scenarios' business: another lab running on
# this box at the same time can turn upstream_down into port_mismatch)
t_check "JSON over ssh has a verdict cause" test -n "$(jget verdict.cause)"
t_check "sshd logged our key login" grep -q "Accepted publickey for root from 127.0.0.1" "$S/sshd.log"

# text output over ssh: no TTY, so no colour escapes either
text_remote=$(printf '%q ' "$GWTOP" --check --nginx-conf "$CONF")
timeout -k 5 60 ssh -F "$S/ssh_config" localhost "$text_remote" >"$OUT/ssh.txt" 2>&1 </dev/null
rc=$?
t_result "text over ssh exits 2 (got $rc)" "$([ "$rc" = 2 ]; echo $?)"
t_check "text over ssh gives the verdict" grep -q "^gwtop: CRIT" "$OUT/ssh.txt"
t_check "text over ssh has no ESC byte" t_no_esc "$OUT/ssh.txt"

# 2. the fan-out: parallel-ssh to 3 hosts, one file per host
timeout -k 5 120 "$PSSH" -p 3 -t 60 -x "-F $S/ssh_config" \
	-H 127.0.0.1 -H localhost -H 127.0.0.2 \
	-o "$OUT/fleet" -e "$OUT/fleet.err" -v "$remote" >"$OUT/pssh.log" 2>&1 </dev/null
pssh_rc=$?
sed 's/^/# pssh: /' "$OUT/pssh.log"
# pssh's own codes: 4 = an ssh connection failed (127.0.0.2), 5 = a remote
# command exited non-zero; either way it is not 0 and not a usage error.
t_result "parallel-ssh reports the failures (rc $pssh_rc)" "$([ "$pssh_rc" = 4 ] || [ "$pssh_rc" = 5 ]; echo $?)"
t_check "pssh: 127.0.0.1 exited with gwtop's code 2" grep -q "127.0.0.1 Exited with error code 2" "$OUT/pssh.log"
t_check "pssh: localhost exited with gwtop's code 2" grep -q "localhost Exited with error code 2" "$OUT/pssh.log"
for h in 127.0.0.1 localhost; do
	t_check "$h: collected JSON is valid" "$PY" "$JCHECK" valid "$OUT/fleet/$h"
	t_check "$h: collected JSON has no ESC byte" t_no_esc "$OUT/fleet/$h"
done
t_check "127.0.0.2: down, no output (pssh writes no file then)" test ! -s "$OUT/fleet/127.0.0.2"
t_check "127.0.0.2: ssh's error is in the stderr dir" grep -q "127.0.0.2" "$OUT/fleet.err/127.0.0.2"

# 3. gwtop --summarize: one line per host, exit = worst
hostname=$(hostname)
GW_OUT=$OUT/summary.2
timeout -k 5 30 "$GWTOP" --summarize "$OUT/fleet/127.0.0.1" "$OUT/fleet/localhost" >"$GW_OUT" 2>"$OUT/summary.err"
GW_RC=$?
sed 's/^/# /' "$GW_OUT"
t_rc 2
t_result "summary: header + 2 lines" "$([ "$(wc -l <"$GW_OUT")" = 3 ]; echo $?)"
t_check "summary header" grep -qE '^HOST +STATUS +CAUSE +SUMMARY$' "$GW_OUT"
# each line = that host's JSON: status, verdict cause, start of the summary
for h in 127.0.0.1 localhost; do
	cause=$("$PY" "$JCHECK" get "$OUT/fleet/$h" verdict.cause)
	summ=$("$PY" "$JCHECK" get "$OUT/fleet/$h" verdict.summary | cut -c1-40)
	t_check "summary: $h ($hostname) crit $cause $summ..." \
		grep -qE "^$(re "$h") \\($(re "$hostname")\\) +crit +$(re "$cause") +$(re "$summ")" "$GW_OUT"
done
t_check "summary names the dead target port $APP_PORT" grep -q "127.0.0.1:$APP_PORT" "$GW_OUT"
t_check "summary has no ESC byte" t_no_esc "$GW_OUT"

GW_OUT=$OUT/summary.3
# the recipe names the files from the host list (a dead host has no file)
timeout -k 5 30 "$GWTOP" --summarize "$OUT"/fleet/{127.0.0.1,localhost,127.0.0.2} >"$GW_OUT" 2>"$OUT/summary.err"
# shellcheck disable=SC2034  # read by t_rc (tests/integration/lib.sh)
GW_RC=$?
sed 's/^/# /' "$GW_OUT"
t_rc 3
t_result "summary: header + 3 lines" "$([ "$(wc -l <"$GW_OUT")" = 4 ]; echo $?)"
t_check "summary: 127.0.0.2 unknown, no output" \
	grep -qE '^127\.0\.0\.2 +unknown +unknown +no output' "$GW_OUT"

timeout -k 5 30 "$GWTOP" --summarize >/dev/null 2>"$OUT/summary.err"
rc=$?
t_result "--summarize without files: exit 3 and a message (got $rc)" \
	"$([ "$rc" = 3 ] && [ -s "$OUT/summary.err" ]; echo $?)"
