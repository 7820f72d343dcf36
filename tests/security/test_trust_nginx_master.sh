#!/bin/bash
# test_trust_nginx_master.sh — issue 17 finding 1 (local root) and 6: a
# process of `nobody` titled "nginx: master process ... -c EVIL -p EVIL/"
# must not make root run `nginx -t` with that config or prefix.
#
# The attacker (nobody) owns a directory with a config that loads a shared
# object (load_module) whose constructor drops pwned.<uid>, once by an
# absolute path and once relative to a forged -p (Debian's own
# `load_module modules/...` lines resolve that way). Two forged masters run
# in a private PID namespace with gwtop --check under strace:
#   - no execve of nginx with the attacker's config or prefix, no pwned.0;
#   - a note says the title is not trusted;
#   - with --nginx-conf pointing at the attacker's config, nginx -t is
#     refused (the file is nobody's) and the note says why.
# Control: the same nginx -t run as nobody does load the object (pwned.65534),
# so the absence of pwned.0 means something.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=tests/security/trust_lib.sh
. "$(dirname "$0")/trust_lib.sh"
tr_need
it_init
tr_attacker_dir

mkdir -p "$ATT/prefix/modules" "$ATT/prefix/logs"
tr_evil_so "$ATT/evil.so" "$ATT"
cp "$ATT/evil.so" "$ATT/prefix/modules/evil.so"
cat >"$ATT/evil.conf" <<EOC
load_module $ATT/evil.so;
load_module modules/evil.so;
pid $ATT/prefix/nginx.pid;
error_log $ATT/prefix/logs/error.log;
events {}
http { server { listen 127.0.0.1:1; location / { proxy_pass http://127.0.0.1:9; } } }
EOC
chown -R "$TR_USER:$TR_GROUP" "$ATT"

# control: the payload works (as nobody, so nothing runs as root here)
tr_as_attacker /usr/sbin/nginx -t -c "$ATT/evil.conf" -p "$ATT/prefix/" >"$OUT/control.log" 2>&1
nobody_uid=$(id -u "$TR_USER")
t_result "control: nginx -t as nobody loads the attacker's object (pwned.$nobody_uid)" \
	"$([ -e "$ATT/pwned.$nobody_uid" ]; echo $?)"
rm -f "$ATT"/pwned.*

cat >"$OUT/ns.sh" <<EOS
set -u
setpriv --reuid=$TR_USER --regid=$TR_GROUP --clear-groups bash -c \
	'exec -a "nginx: master process /usr/sbin/nginx -c $ATT/evil.conf -p $ATT/prefix/" sleep 600' &
p1=\$!
setpriv --reuid=$TR_USER --regid=$TR_GROUP --clear-groups bash -c \
	'exec -a "nginx: master process /usr/sbin/nginx -p $ATT/prefix/" sleep 600' &
p2=\$!
end=\$((SECONDS + 10))
until grep -q "nginx: master" /proc/\$p1/cmdline 2>/dev/null && grep -q "nginx: master" /proc/\$p2/cmdline 2>/dev/null; do
	[ \$SECONDS -lt \$end ] || break
	sleep 0.05
done
echo "planted \$p1 \$p2" >"$OUT/planted"
strace -f -qq -s 1024 -e trace=openat,open,execve -o "$OUT/trace.plain" \
	"$GWTOP" --check --json >"$OUT/plain.json" 2>"$OUT/plain.err"
echo "rc \$?" >>"$OUT/planted"
strace -f -qq -s 1024 -e trace=openat,open,execve -o "$OUT/trace.conf" \
	"$GWTOP" --check --json --nginx-conf "$ATT/evil.conf" >"$OUT/conf.json" 2>"$OUT/conf.err"
kill \$p1 \$p2
wait \$p1 \$p2 2>/dev/null
exit 0
EOS
tr_run_ns "$OUT/ns.sh"
sed 's/^/# /' "$OUT/planted"

t_result "gwtop ran under strace (plain run)" "$([ -s "$OUT/trace.plain" ] && grep -q '"findings"' "$OUT/plain.json"; echo $?)"
t_result "plain: no execve with the attacker's config or prefix" \
	"$(! grep -E 'execve\(' "$OUT/trace.plain" | grep -qF "$ATT"; echo $?)"
t_result "plain: the attacker's config was never opened" \
	"$(! grep -E 'open(at)?\(' "$OUT/trace.plain" | grep -qF "$ATT/evil.conf"; echo $?)"
t_result "plain: a note says the forged master is not trusted" \
	"$(grep -q 'nginx master.s title but is not trusted: runs as uid' "$OUT/plain.json"; echo $?)"
t_result "--nginx-conf EVIL: no nginx -t ran with it" \
	"$(! grep -E 'execve\(' "$OUT/trace.conf" | grep -F -- '"-t"' | grep -qF "$ATT"; echo $?)"
t_result "--nginx-conf EVIL: the refusal is explained" \
	"$(grep -q 'refused to run nginx -t as root: the config [^ ]*evil.conf could be changed by another user' "$OUT/conf.json"; echo $?)"
t_result "no code ran as root (no pwned.0)" "$([ ! -e "$ATT/pwned.0" ]; echo $?)"
t_result "nothing ran the attacker's object at all" "$(! ls "$ATT"/pwned.* >/dev/null 2>&1; echo $?)"
if [ "$T_FAILED" -gt 0 ]; then
	grep -E 'execve\(' "$OUT/trace.plain" "$OUT/trace.conf" | head -n 20 | sed 's/^/# /'
	head -c 3000 "$OUT/plain.json" | sed 's/^/# /'
fi
