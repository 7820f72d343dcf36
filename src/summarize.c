/* summarize.c — one line per host from the JSON reports of a fleet
 * fan-out (see summarize.h). Columns are aligned over all hosts. */
#include "summarize.h"

#include <errno.h>
#include <jansson.h>
#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sanitize.h"
#include "util.h"

#define SUMMARIZE_MAX_FILE (16 * 1024 * 1024)

struct summarize_row {
	char host[256];         /* sanitized */
	char cause[64];         /* sanitized */
	char summary[1024];     /* sanitized */
	int code;               /* 0..3 */
};

static const char *const summarize_status[] = { "ok", "warn", "crit", "unknown" };

static int summarize_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);
	return cs && (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "utf8"));
}

static void summarize_clean(char *dst, size_t size, const char *raw)
{
	if (summarize_utf8())
		sanitize_text(dst, size, raw, strlen(raw));
	else
		sanitize_ascii(dst, size, raw, strlen(raw));
}

static int summarize_code(const char *status)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(status, summarize_status[i]))
			return i;
	return 3;
}

static const char *summarize_jstr(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

/* Fill row from the JSON text of one host. */
static void summarize_parse(struct summarize_row *r, const char *text, size_t len)
{
	json_error_t je;
	json_t *root;
	char tmp[1024];

	r->code = 3;
	GW_COPY(r->cause, "unknown");
	if (len == 0 || strspn(text, " \t\r\n") == len) {
		GW_COPY(r->summary, "no output (ssh or gwtop failed: see its stderr)");
		return;
	}
	root = json_loadb(text, len, 0, &je);
	if (!root) {
		gw_fmt(tmp, sizeof tmp, "not gwtop JSON: %s (line %d)", je.text, je.line);
		summarize_clean(r->summary, sizeof r->summary, tmp);
		return;
	}
	json_t *ver = json_object_get(root, "version");
	json_t *verdict = json_object_get(root, "verdict");
	const char *status = summarize_jstr(root, "status");
	if (!json_is_object(root) || json_integer_value(ver) != 1 || !json_is_object(verdict) || !*status) {
		GW_COPY(r->summary, "not gwtop JSON version 1 (no version/status/verdict)");
		json_decref(root);
		return;
	}
	r->code = summarize_code(status);
	summarize_clean(r->cause, sizeof r->cause, summarize_jstr(verdict, "cause"));
	if (!r->cause[0])
		GW_COPY(r->cause, "unknown");
	summarize_clean(r->summary, sizeof r->summary, summarize_jstr(verdict, "summary"));

	const char *jhost = summarize_jstr(root, "host");
	if (*jhost && strcmp(jhost, r->host)) {
		gw_fmt(tmp, sizeof tmp, " (%s)", jhost);
		char clean[512];
		summarize_clean(clean, sizeof clean, tmp);
		gw_append(r->host, sizeof r->host, "%s", clean);
	}
	json_decref(root);
}

static void summarize_file(struct summarize_row *r, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char label[256];
	size_t len;

	GW_COPY(label, base);
	if (gw_ends_with(label, ".json") && strlen(label) > 5)
		label[strlen(label) - 5] = '\0';
	summarize_clean(r->host, sizeof r->host, label);

	char *text = gw_read_file(path, SUMMARIZE_MAX_FILE, &len);
	if (!text && errno == ENOENT) {
		summarize_parse(r, "", 0);           /* pssh -o writes no file for no output */
		return;
	}
	if (!text) {
		char tmp[512];
		r->code = 3;
		GW_COPY(r->cause, "unknown");
		gw_fmt(tmp, sizeof tmp, "cannot read %s: %s", path, strerror(errno));
		summarize_clean(r->summary, sizeof r->summary, tmp);
		return;
	}
	summarize_parse(r, text, len);
	free(text);
}

int summarize_files(FILE *out, int nfiles, char *const files[])
{
	struct summarize_row *rows;
	int hw = 4, cw = 5, worst = 0;

	if (nfiles <= 0) {
		fputs("gwtop: --summarize wants the JSON files of `gwtop --check --json`, one per host\n", stderr);
		return 3;
	}
	rows = gw_xcalloc((size_t)nfiles, sizeof *rows);
	for (int i = 0; i < nfiles; i++) {
		summarize_file(&rows[i], files[i]);
		int w = sanitize_width(rows[i].host);
		if (w > hw)
			hw = w;
		w = sanitize_width(rows[i].cause);
		if (w > cw)
			cw = w;
		if (rows[i].code > worst)
			worst = rows[i].code;
	}
	fprintf(out, "%-*s  %-7s  %-*s  %s\n", hw, "HOST", "STATUS", cw, "CAUSE", "SUMMARY");
	for (int i = 0; i < nfiles; i++) {
		const struct summarize_row *r = &rows[i];
		/* pad by display width: %-*s counts bytes */
		fprintf(out, "%s%*s  %-7s  %s%*s  %s\n", r->host, hw - sanitize_width(r->host), "",
		    summarize_status[r->code], r->cause, cw - sanitize_width(r->cause), "", r->summary);
	}
	fflush(out);
	free(rows);
	return worst;
}
