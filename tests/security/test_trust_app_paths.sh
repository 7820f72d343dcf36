#!/bin/bash
# test_trust_app_paths.sh — issue 17 finding 2: a process of `nobody` titled
# as a gunicorn master with --error-logfile=/dev/zero --log-file=/etc/shadow
# (and a DATABASE_URL in its environment) must not make root open those
# paths or connect to that database.
#
# In a private PID namespace, under strace (openat, open, execve, connect):
#   - the forged master (nobody): /dev/zero, /etc/shadow, its FIFO never
#     opened, its database address never connected to;
#   - a trusted one (root) naming a regular log, /dev/zero and a FIFO: the
#     log is read (so the check above can see an open), /dev/zero and the
#     FIFO only ever through O_PATH (a device or FIFO is never opened for
#     reading), its database address is connected to (so the environment is
#     read where it should be).
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=tests/security/trust_lib.sh
. "$(dirname "$0")/trust_lib.sh"
tr_need
it_init
tr_attacker_dir

mkfifo "$ATT/fifo"
chown "$TR_USER:$TR_GROUP" "$ATT/fifo"
mkfifo "$OUT/root.fifo"
echo "[2026-12-07 10:00:00 +0000] [1] [INFO] Booting worker" >"$OUT/app.log"
EVIL_DB=59961
ROOT_DB=59962

cat >"$OUT/ns.sh" <<EOS
set -u
setpriv --reuid=$TR_USER --regid=$TR_GROUP --clear-groups \
	env EVIL_DATABASE_URL=postgres://u:secret@127.0.0.1:$EVIL_DB/db bash -c \
	'exec -a "gunicorn: master [evil] --error-logfile=/dev/zero --log-file=/etc/shadow --bind 127.0.0.1:1" sleep 600' &
p1=\$!
setpriv --reuid=$TR_USER --regid=$TR_GROUP --clear-groups bash -c \
	'exec -a "gunicorn: master [evil2] --error-logfile /etc/shadow --log-file $ATT/fifo" sleep 600' &
p2=\$!
env DATABASE_URL=postgres://u:secret@127.0.0.1:$ROOT_DB/db bash -c \
	'exec -a "gunicorn: master [ok] --error-logfile=$OUT/app.log --log-file=/dev/zero --access-logfile - --log-file=$OUT/root.fifo" sleep 600' &
p3=\$!
end=\$((SECONDS + 10))
for p in \$p1 \$p2 \$p3; do
	until grep -q "gunicorn: master" /proc/\$p/cmdline 2>/dev/null; do
		[ \$SECONDS -lt \$end ] || break
		sleep 0.05
	done
done
strace -f -qq -s 1024 -e trace=openat,open,execve,connect -o "$OUT/trace" \
	"$GWTOP" --check --json --nginx-conf /nonexistent-gwtop.conf >"$OUT/out.json" 2>"$OUT/err"
echo "rc \$?" >"$OUT/rc"
kill \$p1 \$p2 \$p3
wait \$p1 \$p2 \$p3 2>/dev/null
exit 0
EOS
tr_run_ns "$OUT/ns.sh"

opens() { grep -E 'open(at)?\(' "$OUT/trace"; }
t_result "gwtop ran under strace" "$([ -s "$OUT/trace" ] && [ -s "$OUT/out.json" ]; echo $?)"
t_result "/etc/shadow never opened (named by nobody's process)" "$(! opens | grep -qF '"/etc/shadow"'; echo $?)"
t_result "nobody's FIFO never opened" "$(! opens | grep -qF "\"$ATT/fifo\""; echo $?)"
t_result "/dev/zero never opened for reading (only O_PATH, from the trusted one)" \
	"$(! opens | grep -F '"/dev/zero"' | grep -qv 'O_PATH'; echo $?)"
t_result "the root FIFO only through O_PATH" \
	"$(! opens | grep -F "\"$OUT/root.fifo\"" | grep -qv 'O_PATH'; echo $?)"
t_result "control: the trusted process's regular log was read" \
	"$(opens | grep -F "$OUT/app.log" | grep -q 'O_PATH'; echo $?)"
t_result "control: the trusted process's /dev/zero was looked at (O_PATH) and refused" \
	"$(opens | grep -F '"/dev/zero"' | grep -q 'O_PATH'; echo $?)"
t_result "nobody's database address never connected to" \
	"$(! grep -E 'connect\(' "$OUT/trace" | grep -q "htons($EVIL_DB)"; echo $?)"
t_result "control: the trusted process's database address was connected to" \
	"$(grep -E 'connect\(' "$OUT/trace" | grep -q "htons($ROOT_DB)"; echo $?)"
t_result "the refusal of /dev/zero is said" "$(grep -q 'dev/zero.*not a regular file\|dev/zero.*is a device' "$OUT/out.json"; echo $?)"
if [ "$T_FAILED" -gt 0 ]; then
	opens | grep -vE '"/(usr|lib|etc/ld|proc|sys)' | head -n 40 | sed 's/^/# /'
	grep -E 'connect\(' "$OUT/trace" | head | sed 's/^/# /'
fi
