#!/bin/bash
# The app failed to boot (ModuleNotFoundError, 502s through nginx), then was
# started again and answers: the failure is history. Verdict healthy, with
# a "recovered at" note that cites the boot failure.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up boot_recovered
it_check_json
it_expect 0 ok healthy
t_json findings.0.severity info
t_json findings.0.cause app_boot_failure
t_mentions app_boot_failure "^recovered at [0-9]{2}:[0-9]{2}:[0-9]{2}: 2 requests answered 5xx" "the recovery time and the 5xx count"
t_mentions app_boot_failure "(ModuleNotFoundError|Worker failed to boot)" "the boot failure it recovered from"
t_json hops.0.status ok
