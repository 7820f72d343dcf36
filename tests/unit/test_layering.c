/* test_layering.c — the layering of the code, checked on every `make test`
 * (not only by `make lint`): probes/ includes no ui/ header and no
 * diagnose header; the rules (src/diagnose*) include no probes/ header
 * (what they need of a probe, the probe stores in the snapshot; address
 * helpers are src/addr.h); the snapshot (src/model.h) and the address
 * module (src/addr.[ch]), which probes and rules share, include no probes/
 * header either; nothing in src/ but main.c includes a ui/ header.
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
	int shared = !strcmp(file, "src/model.h") || !strcmp(file, "src/addr.h") || !strcmp(file, "src/addr.c");
	if (starts(file, "probes/") && dir && !strcmp(dir, "ui")) {
		snprintf(why, n, "%s includes the ui/ header %s (probes draw nothing)", file, h);
		return 1;
	}
	if (starts(file, "probes/") && starts(h, "diagnose")) {
		snprintf(why, n, "%s includes %s (probes do not judge)", file, h);
		return 1;
	}
	if (rules && dir && !strcmp(dir, "probes")) {
		snprintf(why, n, "%s includes the probe header %s (the rules read the snapshot only)", file, h);
		return 1;
	}
	if (shared && dir && strcmp(dir, "src")) {
		snprintf(why, n, "%s includes %s/%s (the snapshot and the address module sit below the probes)",
			 file, dir, h);
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
	assert_int_equal(layering_check_text("src/diagnose_docker.c", "#include \"docker.h\"\n"), 1);
	assert_int_equal(layering_check_text("src/diagnose_units.c", "#include \"units.h\"\n"), 1);
	assert_int_equal(layering_check_text("src/diagnose.c", "#include \"appbind.h\"\n#include \"addr.h\"\n"), 1);
	assert_int_equal(layering_check_text("src/diagnose.c", "#include \"addr.h\"\n#include \"model.h\"\n"), 0);
	assert_int_equal(layering_check_text("src/model.h", "#include \"units.h\"\n"), 1);
	assert_int_equal(layering_check_text("src/addr.c", "#include \"listeners.h\"\n"), 1);
	assert_int_equal(layering_check_text("src/addr.c", "#include \"addr.h\"\n#include \"util.h\"\n"), 0);
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
