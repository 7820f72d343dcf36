#!/bin/bash
# No outside string passes through a shell: a config path holding
# `;rm -rf DIR;` and `$(touch FILE)` is given to --nginx-conf (and an error
# log path likewise). DIR must survive, FILE must not appear, and the real
# `nginx -t` must have run on the literal path (its error names it).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/lib.sh
. "$HERE/../integration/lib.sh"
it_init
it_require_gwtop
BC=("$PY" "$HERE/bytecheck.py")

KEEP=$OUT/keep
PWNED=$OUT/pwned
mkdir -p "$KEEP"
touch "$KEEP/file"
# shellcheck disable=SC2016  # the $( ) is meant literally
EVIL="$OUT/a;rm -rf $KEEP;b/c\$(touch $PWNED)d/e\`touch $PWNED\`f/g'h\"i |touch $PWNED"
mkdir -p "$EVIL"
CONF="$EVIL/nginx.conf"
printf 'events {}\nhttp {\n server {\n  listen 127.0.0.1:1;\n  location / { proxy_pass http://127.0.0.1:9; }\n }\n}\n}\n' >"$CONF"
touch "$EVIL/error.log"

it_gwtop --check --json --nginx-bin /usr/sbin/nginx --nginx-conf "$CONF" --error-log "$EVIL/error.log" --app-log "$EVIL/error.log"
t_rc 2
t_check "JSON output valid and clean" "${BC[@]}" json "$GW_OUT"
t_check "the ';rm -rf' directory still exists" test -f "$KEEP/file"
t_check "the \$(touch) / backtick / pipe file was not created" test ! -e "$PWNED"
t_json verdict.cause nginx_config_invalid
# the suggested command quotes the path: a shell reading it gets the literal
# path as one word and runs nothing (gw_shell_quote)
NTCMD=$("$PY" -c 'import json,sys
d=json.load(open(sys.argv[1]))
print(next(c for f in d["findings"] for c in f["commands"] if c.startswith("nginx -t -c ")))' "$GW_OUT" 2>/dev/null)
# shellcheck disable=SC2016  # $4 is for the inner shell
NTARG=$(bash -c "set -- $NTCMD; printf '%s' \"\$4\"" 2>/dev/null)
[ "$NTARG" = "$CONF" ]
t_result "the nginx -t command names the literal config path as one word (got: $NTCMD)" $?
t_check "reading the suggested command ran nothing" test ! -e "$PWNED"
t_check "nginx -t ran on the literal path (its error names $CONF:8)" "${BC[@]}" grep "$GW_OUT" "in $CONF:8"

# the same through the text report and the dashboard pass (--bench-ticks)
it_gwtop --check --nginx-bin /usr/sbin/nginx --nginx-conf "$CONF"
t_check "text output clean" "${BC[@]}" text "$GW_OUT"
it_gwtop --bench-ticks 3 --nginx-bin /usr/sbin/nginx --nginx-conf "$CONF"
# shellcheck disable=SC2016  # the script's $1/$2 are bash -c's
t_check "after 3 dashboard passes: directory still there, nothing created" \
	bash -c '[ -f "$1" ] && [ ! -e "$2" ]' _ "$KEEP/file" "$PWNED"
