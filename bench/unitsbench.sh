#!/bin/bash
# bench/unitsbench.sh — the unit probe's cost per dashboard tick with 200
# watched units, against what an operator types by hand, in one run, as
# ratios. Runs in the real systemd box (tests/sdbox/sdbox.sh): 200 transient
# services (systemd-run --unit gwb-N sleep 600) next to the lab's gunicorn.
#   A  gwtop --bench-ticks 10 (gunicorn + nginx units only)    CPU, wall / tick
#   B  the same + --unit gwb-1 ... --unit gwb-200               CPU, wall / tick
#   C  systemctl list-units + systemctl show gunicorn.service   CPU, wall / run
# Prints figures; never fails on absolute times. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
NUNITS=${BENCH_UNITS:-200}
TICKS=${BENCH_TICKS:-10}
RUNS=${BENCH_RUNS:-5}
[ "$(id -u)" = 0 ] || { echo "unitsbench: needs root (the systemd box)"; exit 0; }
T=$(mktemp -d /var/tmp/gwtop-unitsbench.XXXXXX)
chmod 755 "$T"
W=""
IN() { bash tests/sdbox/sdbox.sh in "$W" "$@"; }
cleanup() {
	if [ -n "$W" ]; then
		IN systemctl kill --signal=SIGKILL gunicorn.service >/dev/null 2>&1 || true
		bash tests/sdbox/sdbox.sh down "$W" >/dev/null 2>&1 || true
	fi
	rm -f "$T"/*; rmdir "$T"
}
trap cleanup EXIT
cp "$ROOT/gwtop" "$T/gwtop"

# median "wall_ms cpu_ms" of RUNS runs of CMD (CPU = user+sys of the children)
measure() {
	local walls=() cpus=() i w c
	for ((i = 0; i < RUNS; i++)); do
		# inside the box: wall ns, then children's user+sys (bash `times`, 2nd line)
		read -r w c < <(IN bash -c 't0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); times > /tmp/gwb.times; echo $(( (t1 - t0) / 1000000 )) $(tail -1 /tmp/gwb.times)' _ "$@" |
			awk '{ split($2, u, /[ms]/); split($3, s, /[ms]/); printf "%d %d\n", $1, (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * 1000 }')
		walls+=("$w")
		cpus+=("$c")
	done
	printf '%s %s\n' "$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$((RUNS / 2 + 1))p")" \
		"$(printf '%s\n' "${cpus[@]}" | sort -n | sed -n "$((RUNS / 2 + 1))p")"
}
per() { awk -v a="$1" -v n="$2" 'BEGIN { printf "%.1f", a / n }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }

W=$(mktemp -u /var/tmp/sdbox.XXXXXX)
bash tests/sdbox/sdbox.sh up "$W" >/dev/null 2>"$T/boot.err" || { echo "unitsbench: the box cannot boot: $(tail -1 "$T/boot.err")"; W=""; exit 0; }
echo "gwtop unitsbench — $(date -u +%FT%TZ) — $(nproc) CPUs — systemd box — median of $RUNS runs, $TICKS ticks each"
IN sh -c 'for i in $(seq 1 '"$NUNITS"'); do systemd-run --quiet --unit gwb-$i sleep 600; done'
echo "units: $(IN systemctl list-units --no-legend 'gwb-*' | wc -l) gwb-* services running, $(IN systemctl list-units --no-legend --type=service | wc -l) services in all"

args=()
for ((i = 1; i <= NUNITS; i++)); do args+=(--unit "gwb-$i"); done

read -r aw ac < <(measure "$T/gwtop" --bench-ticks "$TICKS")
read -r bw bc < <(measure "$T/gwtop" --bench-ticks "$TICKS" "${args[@]}")
read -r cw cc < <(measure sh -c 'systemctl list-units --no-pager >/dev/null; systemctl show gunicorn.service --no-pager >/dev/null')
nw=0; nc=0                                # measured inside the box: no nsenter cost
sub() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; print (d > 0 ? d : 0) }'; }
aw=$(sub "$aw" "$nw"); ac=$(sub "$ac" "$nc"); bw=$(sub "$bw" "$nw"); bc=$(sub "$bc" "$nc"); cw=$(sub "$cw" "$nw"); cc=$(sub "$cc" "$nc")
printf '%-58s %9s %9s\n' "" "wall ms" "CPU ms"
printf '%-58s %9s %9s\n' "A gwtop tick, app + nginx units" "$(per "$aw" "$TICKS")" "$(per "$ac" "$TICKS")"
printf '%-58s %9s %9s\n' "B gwtop tick, + $NUNITS --unit units" "$(per "$bw" "$TICKS")" "$(per "$bc" "$TICKS")"
printf '%-58s %9s %9s\n' "  unit probe for $NUNITS units (B - A)" "$(per "$(sub "$bw" "$aw")" "$TICKS")" "$(per "$(sub "$bc" "$ac")" "$TICKS")"
printf '%-58s %9s %9s\n' "C systemctl list-units + systemctl show gunicorn.service" "$cw" "$cc"
echo "ratios (gwtop tick / C): A wall $(ratio "$(per "$aw" "$TICKS")" "$cw") CPU $(ratio "$(per "$ac" "$TICKS")" "$cc");" \
     "B wall $(ratio "$(per "$bw" "$TICKS")" "$cw") CPU $(ratio "$(per "$bc" "$TICKS")" "$cc")"
