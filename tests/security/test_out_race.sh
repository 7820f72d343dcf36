#!/bin/bash
# Issue 17 finding 3: `gwtop --check --prometheus --output FILE` as root
# while the owner of FILE's directory (a throw-away user) races it with
# symlinks. The old code chmod'ed the temp file by path after closing it:
# the directory's owner renamed the temp file away, put a symlink to a
# root-owned 0600 file in its place, and root made that file 0644.
#
#  A. the directory belongs to the attacker: gwtop refuses (exit 3, a
#     message naming the owner), creates nothing there; the racer renames
#     temp files and swaps the target name for a symlink all along;
#  B. a root-owned sticky directory (1777, like /tmp): gwtop writes; the
#     attacker plants a symlink at the file's name before every run; the
#     result is always root's regular 0644 file, never the link's target.
# Both: >= 1,000 gwtop runs in all; the root-owned 0600 target never
# changes mode, owner or content.
set -u
# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source-path=SCRIPTDIR source=seclib.sh
. "$(dirname "$0")/seclib.sh"
it_init
it_require_root
it_require_gwtop
sec_init
RUNS_A=${RUNS_A:-700}
RUNS_B=${RUNS_B:-300}

TARGET=$SEC_DIR/root-secret
printf 'root only\n' >"$TARGET"
chmod 0600 "$TARGET"
target_ok() { [ "$(stat -c %a:%U:%F "$TARGET")" = "600:root:regular file" ] && [ "$(cat "$TARGET")" = "root only" ]; }

# the racer, run as the attacker: rename every temp file gwtop makes and
# put a symlink to TARGET in its place; keep NAME a symlink to TARGET
cat >"$SEC_DIR/racer.py" <<'PY'
import os, signal, sys, time
d, name, target = sys.argv[1:4]
swaps = 0
def done(*_):
    print(swaps, flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, done)
final = os.path.join(d, name)
while True:
    time.sleep(0.0001)   # tight, but leaves the 2 CPUs to gwtop too
    try:
        names = os.listdir(d)
    except OSError:
        names = []
    for n in names:
        if ".tmp." in n and not n.endswith(".moved"):
            p = os.path.join(d, n)
            try:
                if not os.path.islink(p):
                    os.rename(p, p + ".moved")
                    os.symlink(target, p)
                    swaps += 1
            except OSError:
                pass
    try:
        if not os.path.islink(final):
            try:
                os.unlink(final + ".new")
            except OSError:
                pass
            os.symlink(target, final + ".new")
            os.rename(final + ".new", final)
            swaps += 1
    except OSError:
        pass
PY
chmod 0644 "$SEC_DIR/racer.py"

run_gwtop() {   # DIR: one --output run into DIR/gwtop.prom; sets GW_RC, GW_ERR
	GW_OUT=$OUT/out
	GW_ERR=$OUT/err
	timeout -k 5 30 "$GWTOP" --check --prometheus --read-only --output "$1/gwtop.prom" \
		>"$GW_OUT" 2>"$GW_ERR" </dev/null
	GW_RC=$?
}

# ---- A. a directory the attacker owns
EVIL=$SEC_DIR/evil
mkdir "$EVIL"
chown "$SEC_USER:" "$EVIL"
chmod 0755 "$EVIL"
as_attacker_bg "$OUT/racerA" /usr/bin/python3 "$SEC_DIR/racer.py" "$EVIL" gwtop.prom "$TARGET"
RACER=$SEC_PID
refused=0 other=0 first_err=""
for i in $(seq "$RUNS_A"); do
	run_gwtop "$EVIL"
	if [ "$GW_RC" = 3 ] && grep -q "refusing to write $EVIL/gwtop.prom as root: its directory $EVIL is owned by $SEC_USER, not root" "$GW_ERR"; then
		refused=$((refused + 1))
	else
		other=$((other + 1))
		[ -n "$first_err" ] || first_err="rc $GW_RC: $(head -c 300 "$GW_ERR")"
	fi
	[ $((i % 25)) != 0 ] || target_ok || break
done
sec_stop "$RACER"
swaps=$(tail -n1 "$OUT/racerA")
echo "# A: $refused refusals, $other other outcomes, racer swaps: $swaps"
echo "# A: message: $(head -c 400 "$GW_ERR")"
t_result "A: every one of $RUNS_A runs refused with exit 3 and names the owner${first_err:+ (first other: $first_err)}" \
	"$([ "$refused" = "$RUNS_A" ] && echo 0 || echo 1)"
t_result "A: the racer was busy (swaps: $swaps)" "$([ "${swaps:-0}" -gt 0 ] && echo 0 || echo 1)"
t_check "A: the 0600 root file is untouched" target_ok
t_result "A: root created nothing in the attacker's directory" \
	"$([ -z "$(find "$EVIL" -user root -print -quit)" ] && echo 0 || echo 1)"

# ---- B. a root-owned sticky directory, writable by all
STICKY=$SEC_DIR/sticky
mkdir "$STICKY"
chmod 1777 "$STICKY"
as_attacker_bg "$OUT/racerB" /usr/bin/python3 "$SEC_DIR/racer.py" "$STICKY" gwtop.prom "$TARGET"
RACER=$SEC_PID
good=0 bad=0 linked=0 first_bad=""
for i in $(seq "$RUNS_B"); do
	rm -f -- "$STICKY/gwtop.prom"             # root may; the racer plants its link again
	for _w in 1 2 3 4 5 6 7 8 9 10; do [ -L "$STICKY/gwtop.prom" ] && break; sleep 0.01; done
	[ -L "$STICKY/gwtop.prom" ] && linked=$((linked + 1))
	run_gwtop "$STICKY"
	st=$(stat -c %a:%U:%F "$STICKY/gwtop.prom" 2>/dev/null)
	if [ "$GW_RC" != 3 ] && [ "$st" = "644:root:regular file" ] && grep -q '^gwtop_' "$STICKY/gwtop.prom"; then
		good=$((good + 1))
	else
		bad=$((bad + 1))
		[ -n "$first_bad" ] || first_bad="rc $GW_RC, $st: $(head -c 300 "$GW_ERR")"
	fi
	[ $((i % 25)) != 0 ] || target_ok || break
done
sec_stop "$RACER"
echo "# B: $good written, $bad not, a planted link at the name before $linked runs, racer swaps: $(tail -n1 "$OUT/racerB")"
t_result "B: every one of $RUNS_B runs wrote root's regular 0644 file${first_bad:+ (first bad: $first_bad)}" \
	"$([ "$good" = "$RUNS_B" ] && echo 0 || echo 1)"
t_result "B: a symlink was planted at the name before most runs ($linked)" \
	"$([ "$linked" -ge $((RUNS_B / 2)) ] && echo 0 || echo 1)"
t_check "B: the 0600 root file is untouched" target_ok
t_result "A+B: >= 1000 attempts ($((RUNS_A + RUNS_B)))" "$([ $((RUNS_A + RUNS_B)) -ge 1000 ] && echo 0 || echo 1)"

# ---- C. group-writable, not sticky: refused too
chmod 0775 "$STICKY"
run_gwtop "$STICKY"
t_result "C: a group-writable directory is refused (exit $GW_RC)" \
	"$([ "$GW_RC" = 3 ] && grep -q "is writable by its group (mode 0775) and not sticky" "$GW_ERR" && echo 0 || echo 1)"
