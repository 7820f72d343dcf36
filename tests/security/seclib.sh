# shellcheck shell=bash
# seclib.sh — helpers of tests/security/test_{out,mask,limits,unit}_*.sh:
# a throw-away local user (the attacker), a scratch dir it may enter, the
# binary copied where that user can run it. Sourced after
# tests/integration/lib.sh (it_init, t_result, t_check ...).

SEC_USER=""     # the throw-away user, removed at exit
SEC_DIR=""      # scratch dir (0711: the attacker may enter, not list)
SEC_PIDS=()     # processes started for the attacker, killed at exit

sec_finish() {
	local p
	for p in ${SEC_PIDS[@]+"${SEC_PIDS[@]}"}; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	[ -z "$SEC_DIR" ] || rm -rf -- "$SEC_DIR"
	if [ -n "$SEC_USER" ] && id "$SEC_USER" >/dev/null 2>&1; then
		userdel "$SEC_USER" >/dev/null 2>&1 || echo "# userdel $SEC_USER failed"
	fi
}

# the EXIT trap: our cleanup, then lib.sh's (with the script's exit code)
sec_on_exit() {
	local rc=$?
	sec_finish
	(exit "$rc")
	t_finish
}

# sec_init — scratch dir + user; chains the cleanup before lib.sh's t_finish.
sec_init() {
	SEC_DIR=$(mktemp -d /tmp/gwtop-sec.XXXXXX)
	chmod 0711 "$SEC_DIR"
	SEC_USER=gwsec$$
	useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$SEC_USER" >/dev/null 2>&1 ||
		it_skip "cannot create a throw-away user (useradd)"
	trap sec_on_exit EXIT
}

# as_attacker CMD... — run CMD as the throw-away user, no groups, no PAM.
as_attacker() {
	setpriv --reuid="$SEC_USER" --regid="$SEC_USER" --clear-groups -- "$@"
}

# as_attacker_bg OUTFILE CMD... — the same in the background (stdout and
# stderr to OUTFILE); its PID (setpriv execs CMD: the same process) is
# appended to SEC_PIDS and is in SEC_PID.
as_attacker_bg() {
	local out=$1
	shift
	setpriv --reuid="$SEC_USER" --regid="$SEC_USER" --clear-groups -- "$@" >"$out" 2>&1 &
	SEC_PID=$!
	SEC_PIDS+=("$SEC_PID")
}

# sec_stop PID — TERM one of our background processes and reap it.
sec_stop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
