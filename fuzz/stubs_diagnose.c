/* stubs_diagnose.c — for the report fuzzer, which links diagnose.c
 * without the rule sets about systemd units and containers (they need
 * probes/units.c and probes/docker.c, and the fuzzer's snapshots have no
 * units and no containers). Their rows of diagnose.c's rule table run
 * these instead and find nothing. Listed in fuzz/run.sh; never linked
 * into gwtop (the real ones are src/diagnose_units.c, diagnose_docker.c). */
#include "diagnose_int.h"

void diagnose_units(struct diag_ctx *c)
{
	(void)c;
}

void diagnose_docker(struct diag_ctx *c)
{
	(void)c;
}
