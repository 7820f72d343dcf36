#!/bin/bash
# test_trust_unit_restart.sh — issue 17 finding 8: the unit offered for `r`
# is named by systemd's rule and never one a user named. A process of
# `nobody` in a cgroup .../user@65534.service/app.slice/sshd.service (what a
# user's own systemd lets it create) must not be offered as sshd.service;
# a process in a system unit's cgroup still is (control).
#
# Cgroups: this host has no systemd as PID 1, so the test makes the two
# cgroups itself in the name=systemd hierarchy (the one gwtop reads when the
# unified one says "/"); skipped where that hierarchy is not there or not
# writable. The real dashboard runs in tmux as root; keys: 3 (processes),
# / filter, n (select the match), r.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=tests/security/trust_lib.sh
. "$(dirname "$0")/trust_lib.sh"
tr_need
command -v tmux >/dev/null || { echo "SKIP tmux missing"; exit 77; }
CG=/sys/fs/cgroup/systemd
if ! { [ -w "$CG/cgroup.procs" ] && grep -q '^0::/$' /proc/self/cgroup && grep -q ':name=systemd:' /proc/self/cgroup; }; then
	echo "SKIP no writable name=systemd cgroup hierarchy with an empty unified one"
	exit 77
fi
it_init

TAG=gwtrust$$
SL=$CG/$TAG.slice
EVIL_CG=$SL/user@65534.service/app.slice/sshd.service
OK_CG=$SL/$TAG-app.service
TS=gwtrust$$
PIDS=()
cleanup_cg() {
	tmux -L "$TS" kill-server 2>/dev/null
	local p
	for p in ${PIDS[@]+"${PIDS[@]}"}; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rmdir "$EVIL_CG" "$SL/user@65534.service/app.slice" "$SL/user@65534.service" "$OK_CG" "$SL" 2>/dev/null
	t_finish
}
trap cleanup_cg EXIT
mkdir -p "$EVIL_CG" "$OK_CG"

# each joins its cgroup first, then execs (one pid all along: $! is the
# titled process itself)
bash -c "echo \$\$ >'$EVIL_CG/cgroup.procs' && exec setpriv --reuid=$TR_USER --regid=$TR_GROUP --clear-groups \
	bash -c \"exec -a 'gunicorn: master [$TAG-evil]' sleep 600\"" &
PIDS+=($!)
bash -c "echo \$\$ >'$OK_CG/cgroup.procs' && exec -a 'gunicorn: master [$TAG-ok]' sleep 600" &
PIDS+=($!)
end=$((SECONDS + 10))
titled() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q "^gunicorn: master \[$2\]"; }
until titled "${PIDS[0]}" "$TAG-evil" && titled "${PIDS[1]}" "$TAG-ok"; do
	[ $SECONDS -lt $end ] || break
	sleep 0.05
done
t_result "planted: nobody's titled process in ${EVIL_CG#"$CG"}" \
	"$(grep -qF "user@65534.service/app.slice/sshd.service" "/proc/${PIDS[0]}/cgroup" &&
	   [ "$(stat -c %u "/proc/${PIDS[0]}")" = "$(id -u "$TR_USER")" ]; echo $?)"

screen() { tmux -L "$TS" capture-pane -p -t gw; }
wait_for() {   # REGEX SECONDS
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt $end ]; do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.2
	done
	return 1
}
expect() {     # NAME REGEX [SECONDS]
	if wait_for "$2" "${3:-10}"; then t_result "$1" 0
	else t_result "$1" 1; screen | sed 's/^/#   /'; fi
}

keys() { tmux -L "$TS" send-keys -t gw "$@"; }
# filter TEXT: typed as hex key codes, so that no tmux client's command line
# (a process on the screen for a tick) holds TEXT; then select the match
filter() {
	keys /
	# shellcheck disable=SC2046
	keys -H $(printf '%s' "$1" | od -An -tx1)
	keys Enter
	wait_for "filter \"$1\"" 5
	keys n
}

tmux -L "$TS" new-session -d -s gw -x 160 -y 45 "$GWTOP --interval 1 --nginx-conf /nonexistent-gwtop.conf 2>$OUT/err"
expect "the dashboard is up" "$TAG-ok" 15
keys 3
filter "$TAG-ok"
expect "control: a process in a system unit is offered as that unit" \
	"match 1 of 1 for \"$TAG-ok\" \\(selected unit $TAG-app\\.service" 10
filter "$TAG-evil"
expect "nobody's process is selected" "match 1 of 1 for \"$TAG-evil\"" 10
screen >"$OUT/evil.screen"
t_result "... and no unit is named for it (not sshd.service)" \
	"$(! grep -Eq "match 1 of 1 for \"$TAG-evil\" \\(selected unit" "$OUT/evil.screen"; echo $?)"
if [ "${V:-0}" != 0 ] || [ "$T_FAILED" != 0 ]; then
	grep -v '^ *$' "$OUT/evil.screen" | sed 's/^/#   /'
fi
tmux -L "$TS" send-keys -t gw r
expect "r with it selected: nothing to restart" "no unit to restart" 10
t_result "sshd.service was never offered" "$(! screen | grep -q 'sshd\.service'; echo $?)"
tmux -L "$TS" send-keys -t gw q
