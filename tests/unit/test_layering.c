/* test_layering.c — the layering of the code, checked on every `make test`
 * (not only by `make lint`): probes/ includes no ui/ header and no
 * diagnose header; the rules (src/diagnose*) include no probes/ header
 * (but the pure matching helpers listed below, until issue 18's address
 * module takes them over: an entry no longer used fails too, so the list
 * only shrinks); nothing in src/ but main.c includes a ui/ header.
 * Reads the `#include "..."` lines of the real sources (run from the
 * source tree, as tests/run.sh does). */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

/* Known edges from the rules into probes/, to be removed (issue 18 item 3). */
static const struct { const char *file, *header; } layering_allowed[] = {
	{ "src/diagnose.c", "appbind.h" },          /* appbind_parse */
	{ "src/diagnose_units.c", "units.h" },      /* units_bind_matches, the UP_* kinds */
	{ "src/diagnose_docker.c", "docker.h" },    /* docker_match_target */
};
#define NALLOWED (sizeof layering_allowed / sizeof *layering_allowed)

static int allowed_used[NALLOWED];

/* The folder (src, probes, ui) that holds header h, or NULL. */
static const char *header_dir(const char *h)
{
	static const char *const dirs[] = { "src", "probes", "ui" };
	char p[512];
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s/%s", dirs[i], h);
		if (!access(p, F_OK)) return dirs[i];
	}
	return NULL;
}

static int starts(const char *s, const char *p) { return !strncmp(s, p, strlen(p)); }

/* Does `file` (a path like "probes/x.c") including `h` (found in folder
 * dir) break the layering? Writes why. */
static int layering_broken(const char *file, const char *h, const char *dir, char *why, size_t n)
{
	int rules = starts(file, "src/diagnose");
	if (starts(file, "probes/") && dir && !strcmp(dir, "ui")) {
		snprintf(why, n, "%s includes the ui/ header %s (probes draw nothing)", file, h);
		return 1;
	}
	if (starts(file, "probes/") && starts(h, "diagnose")) {
		snprintf(why, n, "%s includes %s (probes do not judge)", file, h);
		return 1;
	}
	if (rules && dir && !strcmp(dir, "probes")) {
		for (size_t i = 0; i < NALLOWED; i++)
			if (!strcmp(layering_allowed[i].file, file) && !strcmp(layering_allowed[i].header, h)) {
				allowed_used[i] = 1;
				return 0;
			}
		snprintf(why, n, "%s includes the probe header %s (the rules read the snapshot only)", file, h);
		return 1;
	}
	if (starts(file, "src/") && strcmp(file, "src/main.c") && dir && !strcmp(dir, "ui")) {
		snprintf(why, n, "%s includes the ui/ header %s (only main.c starts the dashboard)", file, h);
		return 1;
	}
	return 0;
}

/* Every layering break in file's text: count (and print them). */
static int layering_check_text(const char *file, const char *text)
{
	int bad = 0;
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char h[256], why[1024];
		const char *p = l;
		while (*p == ' ' || *p == '\t') p++;
		if (strncmp(p, "#include \"", 10)) continue;
		p += 10;
		size_t k = strcspn(p, "\"\n");
		if (p[k] != '"' || k >= sizeof h) continue;
		memcpy(h, p, k);
		h[k] = '\0';
		if (layering_broken(file, h, header_dir(h), why, sizeof why)) {
			print_error("%s\n", why);
			bad++;
		}
	}
	return bad;
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	if (!fp) return NULL;
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	rewind(fp);
	char *b = calloc(1, (size_t)n + 1);
	if (b && fread(b, 1, (size_t)n, fp) != (size_t)n) b[0] = '\0';
	fclose(fp);
	return b;
}

static void test_sources(void **st)
{
	(void)st;
	static const char *const pats[] = { "probes/*.[ch]", "src/*.[ch]", "ui/*.[ch]" };
	int bad = 0;
	size_t files = 0;
	memset(allowed_used, 0, sizeof allowed_used);
	for (size_t i = 0; i < 3; i++) {
		glob_t g;
		if (glob(pats[i], 0, NULL, &g)) fail_msg("no %s: run from the source tree", pats[i]);
		for (size_t k = 0; k < g.gl_pathc; k++) {
			char *text = slurp(g.gl_pathv[k]);
			assert_non_null(text);
			bad += layering_check_text(g.gl_pathv[k], text);
			free(text);
			files++;
		}
		globfree(&g);
	}
	for (size_t i = 0; i < NALLOWED; i++)
		if (!allowed_used[i]) {
			print_error("%s no longer includes %s: drop it from layering_allowed[]\n",
				    layering_allowed[i].file, layering_allowed[i].header);
			bad++;
		}
	assert_true(files > 40);
	assert_int_equal(bad, 0);
}

/* The checker itself catches each kind of break. */
static void test_checker(void **st)
{
	(void)st;
	assert_int_equal(layering_check_text("probes/x.c", "#include \"model.h\"\n#include \"util.h\"\n"), 0);
	assert_int_equal(layering_check_text("probes/x.c", "#include <stdio.h>\n#include \"tui.h\"\n"), 1);
	assert_int_equal(layering_check_text("probes/x.c", "  #include \"diagnose.h\"\n"), 1);
	assert_int_equal(layering_check_text("src/diagnose.c", "#include \"listeners.h\"\n"), 1);
	assert_int_equal(layering_check_text("src/diagnose_docker.c", "#include \"docker.h\"\n"), 0);   /* listed */
	assert_int_equal(layering_check_text("src/report.c", "#include \"ui.h\"\n"), 1);
	assert_int_equal(layering_check_text("src/main.c", "#include \"tui.h\"\n"), 0);
	assert_int_equal(layering_check_text("src/gather.c", "#include \"listeners.h\"\n"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checker),
		cmocka_unit_test(test_sources),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
