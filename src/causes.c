/* causes.c — the cause registry's table and look-ups (see causes.h). */
#include "causes.h"

#include <string.h>

_Static_assert(GW_LOG_KIND_MAX <= 32, "kinds is a 32-bit mask");

static const struct gw_cause_info causes_table[GW_CAUSE_MAX] = {
#define CAUSES_ROW(E, name, h, r, sev, status, k, d) \
	[GW_CAUSE_##E] = { .id = #name, .hop = GW_HOP_##h, .rank = (r), .severity = GW_SEV_##sev, \
			   .client_status = (status), .kinds = (k), .doc = (d) },
	GW_CAUSES(CAUSES_ROW)
#undef CAUSES_ROW
};

static const struct gw_cause_info causes_unknown = {
	.id = "unknown", .hop = GW_HOP_NONE, .severity = GW_SEV_OK, .doc = "",
};

const struct gw_cause_info *gw_cause_info(enum gw_cause c)
{
	return (unsigned)c < GW_CAUSE_MAX ? &causes_table[c] : &causes_unknown;
}

const char *gw_cause_id(enum gw_cause c)
{
	return gw_cause_info(c)->id;
}

int gw_cause_by_id(const char *id)
{
	for (int i = 0; id && i < GW_CAUSE_MAX; i++)
		if (!strcmp(causes_table[i].id, id))
			return i;
	return -1;
}

int gw_cause_supported_by(enum gw_cause c, enum gw_log_kind k)
{
	if ((unsigned)k >= GW_LOG_KIND_MAX || k == GW_LOG_OTHER)
		return 0;
	return (gw_cause_info(c)->kinds >> k) & 1;
}
