#!/bin/bash
# App imports a missing module, gunicorn exits: app_boot_failure naming the module.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up boot_failure
it_check_json
it_expect 2 crit app_boot_failure app
summary=$(jget verdict.summary)
[[ $summary == *psycopg2_missing_xyz* ]]
t_result "verdict summary names psycopg2_missing_xyz ('$summary')" $?
