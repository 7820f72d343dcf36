# shellcheck shell=bash
# trust_lib.sh — helpers for tests/security/test_trust_*.sh (issue 17 part A:
# what gwtop, run as root, trusts). Sourced after tests/integration/lib.sh.
#
# The attacker is `nobody`: it owns a scratch dir under the test's $OUT and
# plants processes with a forged title (exec -a) from there. gwtop runs as
# root inside a private PID namespace (unshare --pid --mount-proc) so that
# only the planted processes are there to see, under strace.

TR_USER=nobody
TR_GROUP=nogroup

# tr_need — skip unless root with setpriv, unshare, strace, cc.
tr_need() {
	[ "$(id -u)" = 0 ] || { echo "SKIP needs root"; exit 77; }
	local c
	for c in setpriv unshare strace cc; do
		command -v "$c" >/dev/null || { echo "SKIP $c missing"; exit 77; }
	done
	id "$TR_USER" >/dev/null 2>&1 || { echo "SKIP no user $TR_USER"; exit 77; }
}

# tr_attacker_dir — $ATT: a directory nobody owns (0755), under $OUT (0755).
tr_attacker_dir() {
	chmod 0755 "$OUT"
	ATT=$OUT/attacker
	mkdir -p "$ATT"
	chown "$TR_USER:$TR_GROUP" "$ATT"
	chmod 0755 "$ATT"
}

# tr_as_attacker CMD... — run CMD as nobody (no groups, no PAM).
tr_as_attacker() {
	setpriv --reuid="$TR_USER" --regid="$TR_GROUP" --clear-groups "$@"
}

# tr_evil_so PATH MARKDIR — build a shared object whose constructor creates
# MARKDIR/pwned.<uid> (the proof that a process loaded it, and as whom).
tr_evil_so() {
	local so=$1 dir=$2
	cat >"$OUT/evil.c" <<EOC
#include <stdio.h>
#include <unistd.h>
__attribute__((constructor)) static void pwn(void)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/pwned.%u", "$dir", (unsigned)getuid());
	FILE *f = fopen(p, "w");
	if (f) fclose(f);
}
EOC
	cc -shared -fPIC -o "$so" "$OUT/evil.c"
}

# tr_run_ns SCRIPT — run the bash SCRIPT (a file) as root in a private PID
# namespace with its own /proc; the script plants, runs gwtop, cleans up.
tr_run_ns() {
	timeout -k 5 120 unshare --pid --fork --mount-proc bash "$1"
}

# tr_trace_has TRACE REGEX — the strace output has a line matching REGEX.
tr_trace_has() {
	grep -Eq -- "$2" "$1"
}
