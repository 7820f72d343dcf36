#!/bin/bash
# Hostile log lines (ESC/CSI/OSC/DCS, BEL, BS, CR, C1, DEL, invalid UTF-8,
# RLO/LRI, NUL, 1 MiB lines) appended to a real lab's nginx error.log and
# app log: `gwtop --check` text has no control byte, `--check --json` is
# valid UTF-8 JSON with the content escaped, and the content still shows.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/lib.sh
. "$HERE/../integration/lib.sh"
it_init
it_require_root
it_require_gwtop
BC=("$PY" "$HERE/bytecheck.py")
MARK=HOSTILEmark$$

it_lab_up app_down
"$PY" "$HERE/inject.py" nginx "$ERROR_LOG" "$TARGET" "$MARK"
t_check "error.log holds raw ESC, C1 and NUL bytes" "$PY" -c '
import sys; d = open(sys.argv[1], "rb").read()
sys.exit(not (b"\x1b[31m" in d and b"\x9b" in d and b"\x00" in d))' "$ERROR_LOG"

# 1. hostile nginx error.log lines: the evidence quotes them
start=$(date +%s%N)
it_gwtop --check --nginx-conf "$CONF"
ms=$((($(date +%s%N) - start) / 1000000))
t_result "text run finished in ${ms} ms (< 10 s) with exit 2 (got $GW_RC)" "$([ "$ms" -lt 10000 ] && [ "$GW_RC" = 2 ]; echo $?)"
t_check "text output: valid UTF-8, no C0 but LF, no DEL/C1/bidi" "${BC[@]}" text "$GW_OUT"
t_check "text output quotes the hostile error.log line (sanitized)" grep -q "server: $MARK" "$GW_OUT"
t_check "text output shows the escape sequence as inert text" grep -qF '[31mRED' "$GW_OUT"

it_gwtop --check --json --nginx-conf "$CONF"
t_rc 2
t_check "JSON output: valid, UTF-8, no raw control byte, no C1/bidi/NUL in strings" "${BC[@]}" json "$GW_OUT"
t_check "JSON carries the hostile line's text" "${BC[@]}" grep "$GW_OUT" "server: $MARK"
t_check "JSON escapes ESC as \\u001b" grep -qiF '\u001b[31mRED' "$GW_OUT"

it_gwtop --check --prometheus --nginx-conf "$CONF"
t_check "prometheus output: no control bytes" "${BC[@]}" text "$GW_OUT"

# 2. hostile app log: a boot failure whose module name is the hostile bytes
"$PY" "$HERE/inject.py" app "$APP_LOG" "$MARK"
it_gwtop --check --nginx-conf "$CONF" --app-log "$APP_LOG"
t_rc 2
t_check "text output (app log): no control bytes" "${BC[@]}" text "$GW_OUT"
t_check "text output names the hostile module (sanitized)" grep -q "No module named '$MARK" "$GW_OUT"
it_gwtop --check --json --nginx-conf "$CONF" --app-log "$APP_LOG"
t_check "JSON output (app log): valid and clean" "${BC[@]}" json "$GW_OUT"
t_json verdict.cause app_boot_failure
