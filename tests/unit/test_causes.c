/* test_causes.c — the cause registry (src/causes.h) and what must agree
 * with it: the README's cause table (every registry row present with its
 * hop, client status and doc line, no row the registry lacks), unique ids,
 * look-ups both ways, the kinds of log line each cause cites, and the
 * phases of diagnose's rule table. Runs from the source tree (tests/run.sh
 * does cd there). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diagnose.h"

#define README "README.md"

/* The README row the registry expects for cause c. */
static void expected_row(enum gw_cause c, char *buf, size_t n)
{
	const struct gw_cause_info *ci = gw_cause_info(c);
	char status[16];
	if (ci->client_status) snprintf(status, sizeof status, "%d", ci->client_status);
	else snprintf(status, sizeof status, "–");
	snprintf(buf, n, "| `%s` | %s | %s | %s |", ci->id, ci->hop == GW_HOP_NONE ? "–" : gw_hop_id(ci->hop),
		 status, ci->doc);
}

/* The rows of the README section "### Causes (stable ids)" (up to the next
 * heading) that name a cause: lines starting "| `". */
static char **readme_rows(size_t *n)
{
	FILE *fp = fopen(README, "r");
	char line[2048];
	char **rows = NULL;
	int in = 0;
	*n = 0;
	if (!fp) fail_msg("cannot open %s (run from the source tree)", README);
	while (fgets(line, sizeof line, fp)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "### Causes (stable ids)", 23)) { in = 1; continue; }
		if (in && line[0] == '#') break;
		if (!in || strncmp(line, "| `", 3)) continue;
		rows = realloc(rows, (*n + 1) * sizeof *rows);
		assert_non_null(rows);
		rows[(*n)++] = strdup(line);
	}
	fclose(fp);
	if (!in) fail_msg("%s has no section \"### Causes (stable ids)\"", README);
	return rows;
}

static void test_readme_table(void **st)
{
	(void)st;
	size_t n;
	char **rows = readme_rows(&n);
	int bad = 0;
	for (int c = 0; c < GW_CAUSE_MAX; c++) {
		char want[1024];
		int found = 0;
		expected_row((enum gw_cause)c, want, sizeof want);
		for (size_t i = 0; i < n; i++) found |= !strcmp(rows[i], want);
		if (!found) {
			print_error("README.md cause table: missing or different row for %s; expected:\n%s\n",
				    gw_cause_id((enum gw_cause)c), want);
			bad++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		char id[128];
		const char *a = rows[i] + 3, *b = strchr(a, '`');
		snprintf(id, sizeof id, "%.*s", b ? (int)(b - a) : 0, a);
		if (gw_cause_by_id(id) < 0) {
			print_error("README.md cause table lists %s, which the registry (src/causes.h) does not have\n", id);
			bad++;
		}
		free(rows[i]);
	}
	free(rows);
	assert_int_equal(n, GW_CAUSE_MAX);
	assert_int_equal(bad, 0);
}

static void test_registry(void **st)
{
	(void)st;
	for (int c = 0; c < GW_CAUSE_MAX; c++) {
		const struct gw_cause_info *ci = gw_cause_info((enum gw_cause)c);
		assert_non_null(ci->id);
		assert_int_equal(gw_cause_by_id(ci->id), c);
		assert_true(ci->doc && ci->doc[0]);
		assert_true(ci->client_status == 0 || ci->client_status == 500 || ci->client_status == 502 ||
			    ci->client_status == 504);
		assert_true(ci->hop > GW_HOP_CLIENT && ci->hop <= GW_HOP_NONE);
		assert_true(ci->hop != GW_HOP_NONE || c == GW_CAUSE_HEALTHY);
		assert_false(ci->kinds & (UINT32_C(1) << GW_LOG_OTHER));
		assert_true(ci->kinds < (UINT32_C(1) << GW_LOG_KIND_MAX));
		for (int k = c + 1; k < GW_CAUSE_MAX; k++) assert_string_not_equal(ci->id, gw_cause_id((enum gw_cause)k));
	}
	assert_string_equal(gw_cause_id(GW_CAUSE_UPSTREAM_DOWN), "upstream_down");
	assert_string_equal(gw_cause_id(GW_CAUSE_MAX), "unknown");
	assert_string_equal(gw_cause_id((enum gw_cause)-1), "unknown");
	assert_int_equal(gw_cause_by_id("no_such_cause"), -1);
	assert_int_equal(gw_cause_by_id(NULL), -1);
	assert_int_equal(gw_cause_by_id(""), -1);
	assert_int_equal(gw_cause_info(GW_CAUSE_UPSTREAM_TIMEOUT)->client_status, 504);
	assert_int_equal(gw_cause_info(GW_CAUSE_NGINX_DOWN)->client_status, 0);
	/* kinds: the links of the logs pane */
	assert_true(gw_cause_supported_by(GW_CAUSE_UPSTREAM_DOWN, GW_LOG_CONNECT_REFUSED));
	assert_true(gw_cause_supported_by(GW_CAUSE_APP_BOOT_FAILURE, GW_LOG_CONNECT_REFUSED));
	assert_false(gw_cause_supported_by(GW_CAUSE_SOCKET_PERMISSION, GW_LOG_CONNECT_REFUSED));
	assert_false(gw_cause_supported_by(GW_CAUSE_UPSTREAM_DOWN, GW_LOG_OTHER));
	assert_false(gw_cause_supported_by(GW_CAUSE_UPSTREAM_DOWN, GW_LOG_KIND_MAX));
	assert_false(gw_cause_supported_by(GW_CAUSE_MAX, GW_LOG_CONNECT_REFUSED));
}

static void test_rule_phases(void **st)
{
	(void)st;
	assert_true(diagnose_rules_ordered());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_readme_table),
		cmocka_unit_test(test_rule_phases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
