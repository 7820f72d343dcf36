# shellcheck shell=bash
# lib.sh — helpers sourced by every tests/integration/test_*.sh scenario.
#
# A scenario brings up a real lab (tests/lab/lab.sh) with one fault, runs
# ./gwtop --check --json against it and asserts the verdict.  Results are
# printed TAP-ish ("ok N - name" / "not ok N - name", "# ..." diagnostics);
# the script exits 0 when every check passed, 1 otherwise, 77 when skipped.
# The lab and every temp dir are removed on any exit (trap).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=$ROOT/tests/lab/lab.sh
GWTOP=${GWTOP:-$ROOT/gwtop}
PY=/usr/bin/python3
JCHECK=$ROOT/tests/integration/jcheck.py
GW_TIMEOUT=${GW_TIMEOUT:-60}

T_N=0
T_FAILED=0
T_DUMPED=0
OUT=""          # scratch dir: gwtop output, lab log
LAB_DIR=""      # lab dir while a lab is up
GW_RC=""        # exit code of the last gwtop run
GW_OUT=""       # its stdout file
GW_ERR=""       # its stderr file

t_finish() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ]; then
		"$LAB" down "$LAB_DIR" >/dev/null 2>&1 || echo "# lab down failed for $LAB_DIR"
	fi
	[ -z "$OUT" ] || rm -rf -- "$OUT"
	if [ "$rc" = 77 ]; then
		exit 77
	fi
	echo "1..$T_N"
	if [ "$T_FAILED" -gt 0 ] || [ "$rc" != 0 ]; then
		exit 1
	fi
	exit 0
}

# it_init — call first: scratch dir and cleanup trap.
it_init() {
	OUT=$(mktemp -d /tmp/gwtop-it.XXXXXX)
	trap t_finish EXIT
	trap 'exit 130' INT TERM
	cd "$ROOT" || exit 1
}

# it_skip REASON — skip the whole scenario.
it_skip() {
	echo "1..0 # SKIP $*"
	exit 77
}

# it_require_gwtop / it_require_root
it_require_gwtop() {
	[ -x "$GWTOP" ] || it_skip "no gwtop binary at $GWTOP (run make gwtop)"
}
it_require_root() {
	[ "$(id -u)" = 0 ] || it_skip "needs root (nginx workers run as nobody)"
}

# it_until SECONDS CMD... — CMD until it succeeds, on a clock deadline (not
# a count of polls: each poll forks, slower on a busy machine; never a fixed
# sleep before an assertion); one last try at the deadline.
it_until() {
	local end=$(( ${EPOCHREALTIME/./} / 1000 + ${1%.*} * 1000 ))
	shift
	while [ $(( ${EPOCHREALTIME/./} / 1000 )) -lt "$end" ]; do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# it_bin_for_user USER FILE — print a path of FILE that USER can execute:
# FILE itself when USER reaches it, else a copy in $OUT/as-USER ($OUT is made
# searchable, not listable, for it; removed with $OUT). A clone under a 0700
# directory (/root on Debian) is out of other users' reach: running ./gwtop
# as them would exit 126 and look like gwtop's failure. Exit 1 (nothing
# printed) when no reachable copy can be made: the caller skips, saying so.
it_bin_for_user() {
	local user=$1 f=$2 d
	command -v setpriv >/dev/null || return 1
	local as=(setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups)
	if "${as[@]}" test -x "$f" 2>/dev/null; then
		echo "$f"
		return 0
	fi
	d=$OUT/as-$user
	mkdir -p "$d" && cp "$f" "$d/" && chmod o+x "$OUT" && chmod 755 "$d" "$d/$(basename "$f")" || return 1
	"${as[@]}" test -x "$d/$(basename "$f")" 2>/dev/null || return 1
	echo "$d/$(basename "$f")"
}

# t_result NAME STATUS — record one check.
t_result() {
	T_N=$((T_N + 1))
	if [ "$2" = 0 ]; then
		echo "ok $T_N - $1"
	else
		T_FAILED=$((T_FAILED + 1))
		echo "not ok $T_N - $1"
		t_dump
	fi
}

# t_check NAME CMD... — run CMD, record its success.
t_check() {
	local name=$1
	shift
	"$@" >/dev/null 2>&1
	t_result "$name" $?
}

# t_dump — after the first failure, show what gwtop printed (as comments).
t_dump() {
	[ "$T_DUMPED" = 0 ] || return 0
	T_DUMPED=1
	if [ -n "$GW_OUT" ] && [ -f "$GW_OUT" ]; then
		echo "# gwtop exit code: $GW_RC"
		echo "# gwtop stdout:"
		head -c 6000 "$GW_OUT" | sed 's/^/#   /'
		echo
		echo "# gwtop stderr:"
		head -c 3000 "$GW_ERR" | sed 's/^/#   /'
	fi
}

# it_lab_up FAULT — bring the lab up and load its facts (lab.env) into the
# shell; a lab that fails to come up fails the scenario.
it_lab_up() {
	LAB_DIR=$(mktemp -d /tmp/gwtop-lab.XXXXXX)
	if ! "$LAB" up "$LAB_DIR" "$1" >"$OUT/lab.log" 2>&1; then
		sed 's/^/# /' "$OUT/lab.log"
		t_result "lab up $1" 1
		LAB_DIR=""
		exit 1
	fi
	# shellcheck disable=SC1091
	. "$LAB_DIR/lab.env"
	t_result "lab up $1 (nginx 127.0.0.1:$NGINX_PORT)" 0
}

# it_gwtop ARGS... — run gwtop with a time limit; sets GW_RC, GW_OUT, GW_ERR.
it_gwtop() {
	GW_OUT=$OUT/stdout.$T_N
	GW_ERR=$OUT/stderr.$T_N
	T_DUMPED=0
	timeout -k 5 "$GW_TIMEOUT" "$GWTOP" "$@" >"$GW_OUT" 2>"$GW_ERR" </dev/null
	GW_RC=$?
}

# it_check_json — gwtop --check --json against the lab (plus GW_EXTRA_ARGS),
# and the checks every run must pass: valid JSON, no raw ESC byte.
GW_EXTRA_ARGS=()
it_check_json() {
	local args=(--check --json --nginx-conf "$CONF")
	[ ! -f "$APP_LOG" ] || args+=(--app-log "$APP_LOG")
	it_gwtop "${args[@]}" ${GW_EXTRA_ARGS[@]+"${GW_EXTRA_ARGS[@]}"}
	t_check "gwtop output is valid JSON" "$PY" "$JCHECK" valid "$GW_OUT"
	t_check "gwtop output has no raw ESC byte" t_no_esc "$GW_OUT"
}

t_no_esc() { ! grep -q $'\e' "$1"; }

# jget PATH — a value from the last JSON output ("" when absent).
jget() { "$PY" "$JCHECK" get "$GW_OUT" "$1" 2>/dev/null || true; }

# t_rc WANT
t_rc() {
	[ "$GW_RC" = "$1" ]
	t_result "exit code $1 (got $GW_RC)" $?
}

# t_json PATH WANT
t_json() {
	local got
	got=$(jget "$1")
	[ "$got" = "$2" ]
	t_result "$1 = $2 (got '${got}')" $?
}

# t_mentions CAUSE REGEX WHAT — a finding with CAUSE (or the verdict) names WHAT.
t_mentions() {
	"$PY" "$JCHECK" mentions "$GW_OUT" "$1" "$2" >/dev/null 2>&1
	t_result "$1 evidence names $3" $?
}

# it_expect RC STATUS CAUSE HOP — the usual verdict checks.
it_expect() {
	t_rc "$1"
	t_json status "$2"
	t_json verdict.cause "$3"
	[ -z "${4:-}" ] || t_json verdict.hop "$4"
}

# re TEXT — TEXT as a Python regex matching it literally.
re() { "$PY" -c 'import re, sys; print(re.escape(sys.argv[1]))' "$1"; }
