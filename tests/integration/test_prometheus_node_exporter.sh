#!/bin/bash
# gwtop --prometheus into a real node_exporter's textfile collector, on a
# broken lab (app_down): node_exporter serves the gwtop series with the right
# values, promtool accepts the file, and rewrites while node_exporter scrapes
# never expose a half-written file (--output is temp + rename).
set -u
. "$(dirname "$0")/lib.sh"
NODE_EXPORTER=${NODE_EXPORTER:-/usr/bin/prometheus-node-exporter}
PROMTOOL=${PROMTOOL:-/usr/bin/promtool}
NE_PID=""

ne_stop() {
	if [ -n "$NE_PID" ]; then
		kill "$NE_PID" 2>/dev/null
		wait "$NE_PID" 2>/dev/null
		NE_PID=""
	fi
}

it_init
# shellcheck source=tests/portlock.sh
. "$ROOT/tests/portlock.sh"
trap 'rc=$?; ne_stop; portlock_release; (exit $rc); t_finish' EXIT
it_require_root
it_require_gwtop
[ -x "$NODE_EXPORTER" ] || it_skip "no $NODE_EXPORTER (apt-get install prometheus-node-exporter)"
[ -x "$PROMTOOL" ] || it_skip "no $PROMTOOL (apt-get install prometheus)"
command -v curl >/dev/null || it_skip "no curl"

TEXTDIR=$OUT/textfile
mkdir -p "$TEXTDIR"
PROM=$TEXTDIR/gwtop.prom

it_lab_up app_down

# 1. gwtop writes the textfile
gw_prom() {
	local args=(--check --prometheus --nginx-conf "$CONF" --output "$PROM")
	[ ! -f "$APP_LOG" ] || args+=(--app-log "$APP_LOG")
	it_gwtop "${args[@]}"
}
gw_prom
t_rc 2
t_check "textfile written" test -s "$PROM"
t_check "nothing on stdout with --output" test ! -s "$GW_OUT"
t_result "textfile is mode 0644 (node_exporter may run as another user)" \
	"$([ "$(stat -c %a "$PROM")" = 644 ]; echo $?)"
t_result "no temp file left beside it" \
	"$([ "$(find "$TEXTDIR" -type f | wc -l)" = 1 ]; echo $?)"
"$PROMTOOL" check metrics <"$PROM" >"$OUT/promtool.out" 2>&1
rc=$?
[ "$rc" = 0 ] || sed 's/^/# promtool: /' "$OUT/promtool.out"
t_result "promtool check metrics accepts the file" "$rc"

# 2. a real node_exporter serves it (retry on a port collision)
for _ in 1 2 3 4 5; do
	portlock_release
	portlock_claim 4 || continue      # the lab's lock: no lab picks it meanwhile
	PORT=$PL_BASE
	"$NODE_EXPORTER" --web.listen-address="127.0.0.1:$PORT" \
		--collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$TEXTDIR" >"$OUT/ne.log" 2>&1 &
	NE_PID=$!
	up=0
	for _ in $(seq 50); do
		if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/metrics" 2>/dev/null; then up=1; break; fi
		kill -0 "$NE_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ "$up" = 1 ] && break
	ne_stop
done
if [ -z "$NE_PID" ]; then
	sed 's/^/# node_exporter: /' "$OUT/ne.log"
	t_result "node_exporter started" 1
	exit 1
fi
t_result "node_exporter listening on 127.0.0.1:$PORT (pid $NE_PID)" 0

scrape() { curl -fsS --max-time 5 "http://127.0.0.1:$PORT/metrics" >"$1"; }
M=$OUT/metrics
scrape "$M"
t_result "scrape /metrics" $?

# has LINE: an exact sample line in the scrape
has() { grep -qxF -- "$1" "$M"; }
t_check "gwtop_status 2" has "gwtop_status 2"
t_check 'gwtop_verdict{cause="upstream_down",hop="upstream"} 1' \
	has 'gwtop_verdict{cause="upstream_down",hop="upstream"} 1'
t_check 'gwtop_hop_status{hop="upstream"} 2' has 'gwtop_hop_status{hop="upstream"} 2'
t_check 'gwtop_hop_status{hop="nginx"} 0' has 'gwtop_hop_status{hop="nginx"} 0'
t_check 'gwtop_finding{cause="upstream_down",hop="upstream",severity="crit"} 1' \
	has 'gwtop_finding{cause="upstream_down",hop="upstream",severity="crit"} 1'
t_check "gwtop_target_up 0 for the dead target" \
	grep -qE "^gwtop_target_up\\{[^}]*target=\"[^\"]*:${APP_PORT}[^\"]*\"[^}]*\\} 0\$" "$M"
t_check "gwtop_probe_duration_seconds served" grep -q '^gwtop_probe_duration_seconds{probe=' "$M"
t_check "HELP/TYPE lines served" grep -qx '# TYPE gwtop_status gauge' "$M"
t_check "node_textfile_scrape_error 0" has "node_textfile_scrape_error 0"
ts=$(awk '$1 == "gwtop_last_run_timestamp_seconds" { print $2 }' "$M")
now=$(date +%s)
t_result "gwtop_last_run_timestamp_seconds is now (got '$ts', now $now)" \
	"$(awk -v t="$ts" -v n="$now" 'BEGIN { exit !(t != "" && n - t < 120 && t - n < 5) }'; echo $?)"

# 3. rewrite 25 times while node_exporter is scraped in a tight loop: every scrape
# must parse (node_textfile_scrape_error 0) and hold the whole gwtop set.
bad=$OUT/bad_scrapes
: >"$bad"
(
	i=0
	while [ ! -e "$OUT/stop_scraping" ] && [ $i -lt 2000 ]; do
		i=$((i + 1))
		if scrape "$OUT/s.$BASHPID"; then
			grep -qxF "node_textfile_scrape_error 0" "$OUT/s.$BASHPID" &&
				grep -qx 'gwtop_last_run_timestamp_seconds [0-9.e+]*' "$OUT/s.$BASHPID" ||
				echo "scrape $i" >>"$bad"
		fi
	done
	echo "$i" >"$OUT/scrapes"
) &
SCRAPER=$!
for _ in $(seq 25); do gw_prom; done
touch "$OUT/stop_scraping"
wait "$SCRAPER"
t_result "$(cat "$OUT/scrapes" 2>/dev/null) scrapes during 25 rewrites, none broken" \
	"$([ ! -s "$bad" ] && [ -s "$OUT/scrapes" ]; echo $?)"
[ ! -s "$bad" ] || head -5 "$bad" | sed 's/^/# /'
t_result "no temp file left after the rewrites" \
	"$([ "$(find "$TEXTDIR" -type f | wc -l)" = 1 ]; echo $?)"
