#!/bin/bash
# Healthy stack: gwtop says healthy, exit 0.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
it_init
it_require_root
it_require_gwtop
it_lab_up healthy
it_check_json
it_expect 0 ok healthy
