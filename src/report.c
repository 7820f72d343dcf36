/* report.c — `--check` text, `--json` (contract version 1) and
 * `--prometheus` outputs of one snapshot + diagnosis.
 *
 * Every string that may hold outside bytes goes through sanitize.h:
 * sanitize_text / sanitize_ascii for the text report and Prometheus label
 * values, sanitize_json (UTF-8 fixer) before json_stringn. Strings in the
 * model are fixed arrays: they are read with strnlen(.., sizeof field). */
#include "report.h"

#include <errno.h>
#include <jansson.h>
#include <langinfo.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "diagnose.h"   /* diagnose_probe_outcome: the judge, for a hand-made diagnosis */
#include "sanitize.h"
#include "timeline.h"

#ifndef GW_VERSION
#define GW_VERSION "0.0.0"
#endif

/* Hops reported, in path order (the client hop is not probed). */
static const enum gw_hop report_hops[] = { GW_HOP_CLIENT, GW_HOP_NGINX, GW_HOP_UPSTREAM, GW_HOP_APP, GW_HOP_DB };
#define REPORT_NHOPS (sizeof report_hops / sizeof *report_hops)

/* ---------------------------------------------------------------- common */

int report_exit_code(const struct gw_diagnosis *d)
{
	if (!d || d->unknown)
		return 3;
	switch (d->status) {
	case GW_SEV_CRIT: return 2;
	case GW_SEV_WARN: return 1;
	default: return 0;
	}
}

const char *report_status_name(const struct gw_diagnosis *d)
{
	static const char *const n[] = { "ok", "warn", "crit", "unknown" };
	return n[report_exit_code(d)];
}

/* The finding to headline, NULL when healthy or unknown. Falls back to the
 * first warn/crit finding if diagnose left no verdict on a non-ok status. */
const struct gw_finding *report_verdict(const struct gw_diagnosis *d)
{
	if (d->unknown)
		return NULL;
	if (d->verdict >= 0 && (size_t)d->verdict < d->findings.n)
		return &d->findings.v[d->verdict];
	if (d->status >= GW_SEV_WARN)
		for (size_t i = 0; i < d->findings.n; i++)
			if (d->findings.v[i].severity >= GW_SEV_WARN)
				return &d->findings.v[i];
	return NULL;
}

static const char *report_cause(const struct gw_finding *f)
{
	return gw_cause_id(f->cause);   /* the registry's id ("unknown" out of range) */
}

static int report_clamp(int n, int max)
{
	return n < 0 ? 0 : n > max ? max : n;
}

static void report_healthy_summary(const struct gw_snapshot *s, char *buf, size_t size)
{
	size_t probed = 0, up = 0;
	for (size_t i = 0; i < s->targets.n; i++) {
		const struct gw_target *t = &s->targets.v[i];
		if (!t->probed)
			continue;
		probed++;
		if (t->reachable)
			up++;
	}
	if (probed)
		gw_fmt(buf, size, "every hop answered (%zu/%zu upstream target%s reachable)",
		    up, probed, probed == 1 ? "" : "s");
	else
		gw_fmt(buf, size, "every hop answered");
}

/* Verdict as three strings (cause, hop, summary); summary may be outside text. */
static void report_verdict_fields(const struct gw_snapshot *s, const struct gw_diagnosis *d,
    const char **cause, const char **hop, const char **summary, size_t *summary_max,
    char *healthy, size_t hsize)
{
	const struct gw_finding *v = report_verdict(d);
	if (d->unknown) {
		*cause = "unknown";
		*hop = "none";
		*summary = d->unknown_reason[0] ? d->unknown_reason : "gwtop could not inspect the stack";
		*summary_max = sizeof d->unknown_reason;
	} else if (v) {
		*cause = report_cause(v);
		*hop = gw_hop_id(v->hop);
		*summary = v->summary;
		*summary_max = sizeof v->summary;
	} else {
		report_healthy_summary(s, healthy, hsize);
		*cause = gw_cause_id(GW_CAUSE_HEALTHY);
		*hop = "none";
		*summary = healthy;
		*summary_max = hsize;
	}
}

static double report_snapshot_time(const struct gw_snapshot *s)
{
	return s->finished > 0 ? s->finished : s->taken;
}

/* One line about a target's probe result (our words plus curl's message). */
/* Diagnose's outcome of target i's probe (a diagnosis built without
 * diagnose() has none: ask the same judge). */
static enum gw_probe_outcome report_probe(const struct gw_snapshot *s, const struct gw_diagnosis *d, size_t i)
{
	return i < d->targets.n ? d->targets.v[i].probe : diagnose_probe_outcome(&s->targets.v[i]);
}

static int report_probe_ok(enum gw_probe_outcome o)
{
	return o == GW_PROBE_HTTP || o == GW_PROBE_CONNECT_OK;
}

static void report_target_result(const struct gw_target *t, enum gw_probe_outcome o, char *buf, size_t size)
{
	switch (o) {
	case GW_PROBE_NOT_RUN:
		gw_fmt(buf, size, "not probed");
		break;
	case GW_PROBE_CONNECT_OK:
		gw_fmt(buf, size, "connect ok in %.*f ms", t->connect_ms < 10 ? 1 : 0, t->connect_ms);
		break;
	case GW_PROBE_HTTP:
		gw_fmt(buf, size, "HTTP %ld in %.*f ms", t->http_status, t->total_ms < 10 ? 1 : 0, t->total_ms);
		break;
	case GW_PROBE_ANSWER_TIMEOUT: case GW_PROBE_CONNECT_TIMEOUT:
		gw_fmt(buf, size, "timed out%s%.*s", t->error[0] ? ": " : "",
		    (int)strnlen(t->error, sizeof t->error), t->error);
		break;
	case GW_PROBE_NO_HTTP:
		gw_fmt(buf, size, "connected, no valid HTTP response%s%.*s", t->error[0] ? ": " : "",
		    (int)strnlen(t->error, sizeof t->error), t->error);
		break;
	case GW_PROBE_CONNECT_FAILED:
		if (t->err)
			gw_fmt(buf, size, "connect failed (%d: %s)", t->err, strerror(t->err));
		else
			gw_fmt(buf, size, "connect failed%s%.*s", t->error[0] ? ": " : "",
			    (int)strnlen(t->error, sizeof t->error), t->error);
		break;
	}
}

static void report_target_listener(const struct gw_snapshot *s, const struct gw_target *t,
    char *buf, size_t size)
{
	buf[0] = '\0';
	if (t->listener_idx < 0 || (size_t)t->listener_idx >= s->listeners.n)
		return;
	const struct gw_listener *l = &s->listeners.v[t->listener_idx];
	if (l->path[0])
		gw_fmt(buf, size, "unix:%.*s", (int)strnlen(l->path, sizeof l->path), l->path);
	else if (strchr(l->addr, ':'))
		gw_fmt(buf, size, "[%.*s]:%d", (int)strnlen(l->addr, sizeof l->addr), l->addr, l->port);
	else
		gw_fmt(buf, size, "%.*s:%d", (int)strnlen(l->addr, sizeof l->addr), l->addr, l->port);
	if (l->pid > 0)
		gw_append(buf, size, " pid %d (%.*s)", (int)l->pid,
		    (int)strnlen(l->comm, sizeof l->comm), l->comm);
}

static void report_srcloc(const struct gw_srcloc *loc, char *buf, size_t size)
{
	buf[0] = '\0';
	if (!loc->file[0])
		return;
	if (loc->line > 0)
		gw_fmt(buf, size, "%.*s:%d", (int)strnlen(loc->file, sizeof loc->file), loc->file, loc->line);
	else
		gw_fmt(buf, size, "%.*s", (int)strnlen(loc->file, sizeof loc->file), loc->file);
}

/* ---------------------------------------------------------------- text */

struct report_text_ctx {
	FILE *out;
	int color;
	int utf8;
};

#define RC_RESET "\033[0m"
#define RC_BOLD "\033[1m"

static int report_locale_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);
	return cs && (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "utf8"));
}

/* Write outside bytes sanitized for the terminal (UTF-8 or ASCII). */
static void report_put(struct report_text_ctx *c, const char *raw, size_t len)
{
	char stack[2048];
	size_t need = len * 3 + 1;
	char *buf = need <= sizeof stack ? stack : gw_xmalloc(need);
	if (c->utf8)
		sanitize_text(buf, need, raw, len);
	else
		sanitize_ascii(buf, need, raw, len);
	fputs(buf, c->out);
	if (buf != stack)
		free(buf);
}

static void report_puts(struct report_text_ctx *c, const char *raw, size_t max)
{
	report_put(c, raw, strnlen(raw, max));
}

/* Print possibly multi-line outside text: "<indent><label>line1\n", then
 * further lines aligned under the first. Trailing CR and empty tail dropped. */
static void report_lines(struct report_text_ctx *c, const char *indent, const char *label,
    const char *raw, size_t max)
{
	size_t len = strnlen(raw, max), start = 0;
	int first = 1;
	while (len > 0 && (raw[len - 1] == '\n' || raw[len - 1] == '\r'))
		len--;
	if (len == 0)
		return;                              /* nothing to say */
	do {
		const char *nl = memchr(raw + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - raw) : len;
		size_t l = end - start;
		if (l > 0 && raw[start + l - 1] == '\r')
			l--;
		fputs(indent, c->out);
		if (first)
			fputs(label, c->out);
		else
			fprintf(c->out, "%*s", (int)strlen(label), "");
		report_put(c, raw + start, l);
		fputc('\n', c->out);
		first = 0;
		start = end + 1;
	} while (start < len);
}

static const char *report_color_for_exit(int code)
{
	static const char *const col[] = { "\033[1;32m", "\033[1;33m", "\033[1;31m", "\033[1;35m" };
	return col[code & 3];
}

static const char *report_color_for_sev(enum gw_severity sev)
{
	switch (sev) {
	case GW_SEV_CRIT: return "\033[1;31m";
	case GW_SEV_WARN: return "\033[1;33m";
	case GW_SEV_INFO: return "\033[1;36m";
	default: return "\033[1;32m";
	}
}

static void report_hop_marker(struct report_text_ctx *c, enum gw_hop_status hs)
{
	static const char *const uni[] = { "?", "\xe2\x9c\x93", "!", "\xe2\x9c\x97" };  /* ? ✓ ! ✗ */
	static const char *const asc[] = { "??  ", "ok  ", "WARN", "FAIL" };
	static const char *const col[] = { "\033[1;35m", "\033[1;32m", "\033[1;33m", "\033[1;31m" };
	unsigned i = (unsigned)hs < 4 ? (unsigned)hs : 0;
	if (c->color)
		fputs(col[i], c->out);
	fputs(c->utf8 ? uni[i] : asc[i], c->out);
	if (c->color)
		fputs(RC_RESET, c->out);
}

static void report_upper(const char *s, char *buf, size_t size)
{
	size_t i;
	for (i = 0; s[i] && i + 1 < size; i++)
		buf[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
	buf[i] = '\0';
}

static void report_text_header(struct report_text_ctx *c, const struct gw_snapshot *s,
    const struct gw_diagnosis *d)
{
	const char *cause, *hop, *summary;
	size_t smax;
	char healthy[GW_TEXT], st[16];
	int code = report_exit_code(d);
	const char *dash = c->utf8 ? "\xe2\x80\x94" : "-";

	report_verdict_fields(s, d, &cause, &hop, &summary, &smax, healthy, sizeof healthy);
	report_upper(report_status_name(d), st, sizeof st);
	fputs("gwtop: ", c->out);
	if (c->color)
		fputs(report_color_for_exit(code), c->out);
	fputs(st, c->out);
	if (c->color)
		fputs(RC_RESET, c->out);
	fprintf(c->out, " %s ", dash);
	if (d->unknown) {
		report_puts(c, summary, smax);
	} else if (!strcmp(cause, gw_cause_id(GW_CAUSE_HEALTHY))) {
		fputs("healthy: ", c->out);
		report_puts(c, summary, smax);
	} else {
		if (c->color)
			fputs(RC_BOLD, c->out);
		report_puts(c, cause, 64);
		if (c->color)
			fputs(RC_RESET, c->out);
		fprintf(c->out, " (%s): ", hop);
		report_puts(c, summary, smax);
	}
	fputc('\n', c->out);

	double t = report_snapshot_time(s);
	if (t <= 0)
		return;                              /* nothing was probed */
	char ts[64];
	double age = gw_now() - t;
	gw_time_str(t, ts, sizeof ts);
	fputs("host ", c->out);
	report_puts(c, s->hostname[0] ? s->hostname : "?", sizeof s->hostname);
	fprintf(c->out, ", probed %s (%.1f s ago)", ts, age < 0 ? 0.0 : age);
	if (!s->is_root)
		fputs(", not root: some facts hidden", c->out);
	fputc('\n', c->out);
}

static void report_text_hops(struct report_text_ctx *c, const struct gw_diagnosis *d)
{
	fputs("\nrequest path:\n", c->out);
	for (size_t i = 0; i < REPORT_NHOPS; i++) {
		const struct gw_hop_state *h = &d->hops[report_hops[i]];
		fputs("  ", c->out);
		report_hop_marker(c, h->status);
		fprintf(c->out, " %-9s ", gw_hop_id(report_hops[i]));
		if (h->detail[0])
			report_puts(c, h->detail, sizeof h->detail);
		else
			fputs(gw_hop_status_name(h->status), c->out);
		fputc('\n', c->out);
	}
}

static void report_text_findings(struct report_text_ctx *c, const struct gw_diagnosis *d)
{
	if (!d->findings.n)
		return;
	fputs("\nfindings:\n", c->out);
	for (size_t i = 0; i < d->findings.n; i++) {
		const struct gw_finding *f = &d->findings.v[i];
		char sev[16];
		report_upper(gw_severity_name(f->severity), sev, sizeof sev);
		fputs("  ", c->out);
		if (c->color)
			fputs(report_color_for_sev(f->severity), c->out);
		fputs(sev, c->out);
		if (c->color)
			fputs(RC_RESET, c->out);
		fputc(' ', c->out);
		report_puts(c, report_cause(f), 64);
		fprintf(c->out, " (%s): ", gw_hop_id(f->hop));
		report_puts(c, f->summary, sizeof f->summary);
		fputc('\n', c->out);
		int ne = report_clamp(f->nevidence, GW_MAX_EVIDENCE);
		int nf = report_clamp(f->nfix, GW_MAX_FIX);
		int nc = report_clamp(f->ncommands, GW_MAX_FIX);
		for (int k = 0; k < ne; k++)
			report_lines(c, "    ", "evidence: ", f->evidence[k], sizeof f->evidence[k]);
		for (int k = 0; k < nf; k++)
			report_lines(c, "    ", "fix: ", f->fix[k], sizeof f->fix[k]);
		for (int k = 0; k < nc; k++)
			report_lines(c, "    ", "run: ", f->commands[k], sizeof f->commands[k]);
	}
}

static void report_text_targets(struct report_text_ctx *c, const struct gw_snapshot *s,
    const struct gw_diagnosis *d)
{
	if (!s->targets.n)
		return;
	fputs("\nupstream targets:\n", c->out);
	for (size_t i = 0; i < s->targets.n; i++) {
		const struct gw_target *t = &s->targets.v[i];
		char line[GW_PATH * 3], tmp[GW_PATH + 64];
		gw_fmt(line, sizeof line, "%.*s %.*s", (int)strnlen(t->directive, sizeof t->directive),
		    t->directive, (int)strnlen(t->display, sizeof t->display), t->display);
		if (t->upstream_name[0])
			gw_append(line, sizeof line, " (upstream %.*s)",
			    (int)strnlen(t->upstream_name, sizeof t->upstream_name), t->upstream_name);
		if (t->down)
			gw_append(line, sizeof line, " [down]");
		if (t->backup)
			gw_append(line, sizeof line, " [backup]");
		report_target_result(t, report_probe(s, d, i), tmp, sizeof tmp);
		gw_append(line, sizeof line, ": %s", tmp);
		report_target_listener(s, t, tmp, sizeof tmp);
		if (tmp[0])
			gw_append(line, sizeof line, "; listener %s", tmp);
		if (t->perm_checked && !t->perm_ok && t->perm_detail[0])
			gw_append(line, sizeof line, "; %.*s", (int)strnlen(t->perm_detail, sizeof t->perm_detail),
			    t->perm_detail);
		report_srcloc(&t->pass_loc, tmp, sizeof tmp);
		if (tmp[0])
			gw_append(line, sizeof line, "; %s", tmp);
		fputs("  - ", c->out);
		report_puts(c, line, sizeof line);
		fputc('\n', c->out);
	}
}

static void report_text_notes(struct report_text_ctx *c, const struct gw_snapshot *s)
{
	if (!s->notes.n)
		return;
	fputs("\nnotes (what gwtop could not see):\n", c->out);
	for (size_t i = 0; i < s->notes.n; i++) {
		const struct gw_note *n = &s->notes.v[i];
		fputs("  - ", c->out);
		if (n->probe[0]) {
			report_puts(c, n->probe, sizeof n->probe);
			fputs(": ", c->out);
		}
		report_puts(c, n->text, sizeof n->text);
		fputc('\n', c->out);
	}
}

/* The config parser's own error and warnings (include loop, unreadable or
 * directory include, file caps): "text (file:line)". */
static void report_conf_problem(const char *text, size_t tmax, const struct gw_srcloc *loc,
    char *buf, size_t size)
{
	char at[GW_PATH + 16];
	report_srcloc(loc, at, sizeof at);
	if (at[0] && memmem(text, strnlen(text, tmax), at, strlen(at)))
		at[0] = '\0';                       /* the text names it already */
	gw_fmt(buf, size, "%.*s%s%s%s", (int)strnlen(text, tmax), text,
	    at[0] ? " (" : "", at, at[0] ? ")" : "");
}

static void report_text_conf(struct report_text_ctx *c, const struct gw_snapshot *s)
{
	const struct gw_nginx_conf *cf = &s->conf;
	char line[GW_TEXT + GW_PATH + 32];
	if (!cf->parsed || (cf->ok && !cf->warnings.n))
		return;
	fputs("\nnginx config parser:\n", c->out);
	if (!cf->ok && cf->error[0]) {
		report_conf_problem(cf->error, sizeof cf->error, &cf->error_loc, line, sizeof line);
		fputs("  - error: ", c->out);
		report_puts(c, line, sizeof line);
		fputc('\n', c->out);
	}
	for (size_t i = 0; i < cf->warnings.n && i < 20; i++) {
		const struct gw_conf_warning *w = &cf->warnings.v[i];
		report_conf_problem(w->text, sizeof w->text, &w->loc, line, sizeof line);
		fputs("  - ", c->out);
		report_puts(c, line, sizeof line);
		fputc('\n', c->out);
	}
	if (cf->warnings.n > 20)
		fprintf(c->out, "  - ... %zu more warnings\n", cf->warnings.n - 20);
}

void report_text(FILE *out, const struct gw_snapshot *s, const struct gw_diagnosis *d, int color)
{
	struct report_text_ctx c = { out, color, report_locale_utf8() };
	report_text_header(&c, s, d);
	report_text_hops(&c, d);
	report_text_findings(&c, d);
	report_text_targets(&c, s, d);
	report_text_notes(&c, s);
	report_text_conf(&c, s);
	fflush(out);
}

/* ---------------------------------------------------------------- JSON */

/* A JSON string from outside bytes: fixed to valid UTF-8 first, so
 * json_stringn cannot fail on encoding. Never returns NULL. */
static json_t *report_jstrn(const char *raw, size_t max)
{
	size_t len = raw ? strnlen(raw, max) : 0;
	size_t need = len * 3 + 1;
	char *buf = gw_xmalloc(need);
	size_t n = sanitize_json(buf, need, raw, len);
	json_t *j = json_stringn(buf, n);
	free(buf);
	if (!j)
		j = json_string("\xef\xbf\xbd");
	if (!j) {
		fputs("gwtop: out of memory (json)\n", stderr);
		abort();
	}
	return j;
}

#define REPORT_JSTR(field) report_jstrn((field), sizeof(field))

static json_t *report_jcheck(json_t *j)
{
	if (!j) {
		fputs("gwtop: out of memory (json)\n", stderr);
		abort();
	}
	return j;
}

static void report_jset(json_t *obj, const char *key, json_t *val)
{
	if (json_object_set_new(obj, key, report_jcheck(val)) != 0) {
		fputs("gwtop: json_object_set failed\n", stderr);
		abort();
	}
}

static void report_jpush(json_t *arr, json_t *val)
{
	if (json_array_append_new(arr, report_jcheck(val)) != 0) {
		fputs("gwtop: json_array_append failed\n", stderr);
		abort();
	}
}

static json_t *report_json_finding(const struct gw_finding *f)
{
	json_t *o = report_jcheck(json_object());
	json_t *ev = report_jcheck(json_array()), *fx = report_jcheck(json_array()),
	    *cm = report_jcheck(json_array());
	report_jset(o, "cause", report_jstrn(report_cause(f), 64));
	report_jset(o, "severity", json_string(gw_severity_name(f->severity)));
	report_jset(o, "hop", json_string(gw_hop_id(f->hop)));
	/* what the client gets from nginx for this cause: 500/502/504, null when none */
	int cs = gw_cause_info(f->cause)->client_status;
	report_jset(o, "client_status", cs ? json_integer(cs) : json_null());
	report_jset(o, "summary", REPORT_JSTR(f->summary));
	for (int k = 0; k < report_clamp(f->nevidence, GW_MAX_EVIDENCE); k++)
		report_jpush(ev, REPORT_JSTR(f->evidence[k]));
	for (int k = 0; k < report_clamp(f->nfix, GW_MAX_FIX); k++)
		report_jpush(fx, REPORT_JSTR(f->fix[k]));
	for (int k = 0; k < report_clamp(f->ncommands, GW_MAX_FIX); k++)
		report_jpush(cm, REPORT_JSTR(f->commands[k]));
	report_jset(o, "evidence", ev);
	report_jset(o, "fix", fx);
	report_jset(o, "commands", cm);
	return o;
}

static json_t *report_json_target(const struct gw_snapshot *s, const struct gw_target *t,
    enum gw_probe_outcome probe)
{
	json_t *o = report_jcheck(json_object());
	char buf[GW_PATH + 64];

	report_jset(o, "target", REPORT_JSTR(t->display));
	report_jset(o, "directive", REPORT_JSTR(t->directive));
	report_jset(o, "upstream", t->upstream_name[0] ? REPORT_JSTR(t->upstream_name) : json_null());
	report_srcloc(&t->pass_loc, buf, sizeof buf);
	report_jset(o, "config", buf[0] ? REPORT_JSTR(buf) : json_null());
	report_srcloc(&t->server_loc, buf, sizeof buf);
	if (buf[0])
		report_jset(o, "server_config", REPORT_JSTR(buf));
	report_jset(o, "probed", json_boolean(t->probed));
	report_jset(o, "reachable", t->probed ? json_boolean(t->reachable) : json_null());
	report_jset(o, "http_status", t->probed && t->http_ok ? json_integer(t->http_status) : json_null());
	if (t->probed && t->reachable) {
		double ms = t->http_ok ? t->total_ms : t->connect_ms;
		report_jset(o, "latency_ms", json_real(round(ms * 1000) / 1000));
	}
	if (probe != GW_PROBE_NOT_RUN && !report_probe_ok(probe)) {
		report_target_result(t, probe, buf, sizeof buf);
		report_jset(o, "error", REPORT_JSTR(buf));
	} else {
		report_jset(o, "error", json_null());
	}
	report_jset(o, "errno", t->err ? json_integer(t->err) : json_null());
	report_target_listener(s, t, buf, sizeof buf);
	report_jset(o, "listener", buf[0] ? REPORT_JSTR(buf) : json_null());
	if (t->down)
		report_jset(o, "down", json_true());
	if (t->backup)
		report_jset(o, "backup", json_true());
	if (t->perm_checked) {
		report_jset(o, "permission_ok", json_boolean(t->perm_ok));
		if (!t->perm_ok && t->perm_detail[0])
			report_jset(o, "permission_detail", REPORT_JSTR(t->perm_detail));
	}
	return o;
}

static void report_iso8601(double t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		gw_fmt(buf, size, "1970-01-01T00:00:00Z");
}

/* ---------------------------------------------------------------- JSON: the timeline (issue 19) */

static json_t *report_jtime(double t)
{
	return t > 0 ? json_real(round(t * 1000) / 1000) : json_null();
}

static json_t *report_jevent(double t, const char *kind, const char *subject, size_t subjsz, const char *text,
			     size_t textsz, int approx)
{
	char ts[40];
	json_t *o = report_jcheck(json_object());
	report_jset(o, "t", report_jtime(t));
	report_iso8601(t, ts, sizeof ts);
	report_jset(o, "at", json_string(ts));
	report_jset(o, "kind", json_string(kind));
	report_jset(o, "subject", subject && subject[0] ? report_jstrn(subject, subjsz) : json_null());
	report_jset(o, "text", report_jstrn(text, textsz));
	report_jset(o, "approx", json_boolean(approx));
	return o;
}

static json_t *report_jincident(const struct timeline_incident *in)
{
	json_t *o = report_jcheck(json_object());
	report_jset(o, "start", report_jtime(in->start));
	report_jset(o, "last_fail", report_jtime(in->last_fail));
	report_jset(o, "recovered", report_jtime(in->recovered));
	report_jset(o, "failed", json_integer(in->failed));
	return o;
}

/* "timeline": requests per minute, events (with the incidents' start and
 * recovery merged in), incidents; "traffic": per upstream, per path. */
static void report_json_timeline(json_t *root, const struct gw_snapshot *s, const struct gw_diagnosis *d)
{
	const struct timeline *tl = s->timeline;
	const struct timeline_progress *pg = timeline_get_progress(tl);
	json_t *t = report_jcheck(json_object());
	char ts[40];
	report_jset(t, "since", report_jtime(pg->since));
	json_t *bf = report_jcheck(json_object());
	report_jset(bf, "done", json_boolean(!pg->backfilling));
	report_jset(bf, "bytes_read", json_integer((json_int_t)pg->done));
	report_jset(bf, "bytes_total", json_integer((json_int_t)pg->total));
	report_jset(bf, "lines", json_integer((json_int_t)pg->lines));
	report_jset(bf, "unparsed", json_integer((json_int_t)pg->unparsed));
	report_jset(t, "backfill", bf);

	json_t *ma = report_jcheck(json_array());
	long newest = timeline_newest_minute(tl);
	for (long mn = newest - TIMELINE_MINUTES + 1; newest > 0 && mn <= newest; mn++) {
		const struct timeline_minute *m = timeline_minute(tl, mn);
		if (!m || (double)(mn * 60 + 59) < pg->since) continue;
		json_t *o = report_jcheck(json_object());
		report_jset(o, "t", json_integer((json_int_t)mn * 60));
		report_iso8601((double)mn * 60, ts, sizeof ts);
		report_jset(o, "at", json_string(ts));
		report_jset(o, "total", json_integer(m->total));
		report_jset(o, "2xx", json_integer(m->n2xx));
		report_jset(o, "3xx", json_integer(m->n3xx));
		report_jset(o, "4xx", json_integer(m->n4xx));
		report_jset(o, "5xx", json_integer(m->n5xx));
		report_jset(o, "499", json_integer(m->n499));
		report_jset(o, "502", json_integer(m->n502));
		report_jset(o, "504", json_integer(m->n504));
		report_jset(o, "own", json_integer(m->own));
		report_jpush(ma, o);
	}
	report_jset(t, "minutes", ma);

	/* events, the incidents' marks merged in time order */
	json_t *ea = report_jcheck(json_array());
	size_t ne = timeline_nevents(tl), ni = timeline_nincidents(tl), ie = 0, ii = 0;
	int half = 0;                        /* 0: the incident's start next, 1: its recovery */
	for (;;) {
		const struct timeline_event *e = ie < ne ? timeline_event(tl, ie) : NULL;
		const struct timeline_incident *in = ii < ni ? timeline_incident(tl, ii) : NULL;
		double it = in ? (half ? in->recovered : in->start) : 0;
		if (in && half && !in->recovered) {
			ii++;
			half = 0;
			continue;
		}
		if (!e && !in) break;
		if (in && (!e || it <= e->time)) {
			char text[64];
			gw_fmt(text, sizeof text, half ? "recovered" : "first failing request (%u failed)", in->failed);
			report_jpush(ea, report_jevent(it, timeline_kind_id(half ? TL_EV_RECOVERY : TL_EV_INCIDENT_START),
						       NULL, 0, text, sizeof text, 0));
			if (half) ii++;
			half = !half;
			continue;
		}
		if (e->time >= pg->since - 60)
			report_jpush(ea, report_jevent(e->time, timeline_kind_id(e->kind), e->subject, sizeof e->subject,
						       e->text, sizeof e->text, e->approx));
		ie++;
	}
	report_jset(t, "events", ea);
	json_t *ia = report_jcheck(json_array());
	for (size_t i = 0; i < ni; i++) report_jpush(ia, report_jincident(timeline_incident(tl, i)));
	report_jset(t, "incidents", ia);
	struct timeline_incident cur;
	report_jset(t, "incident", timeline_current_incident(tl, d->since, &cur) ? report_jincident(&cur) : json_null());
	report_jset(root, "timeline", t);

	/* traffic: per upstream, per path, over the current window */
	const struct timeline_fields *fl = timeline_get_fields(tl);
	json_t *tr = report_jcheck(json_object());
	report_jset(tr, "since", report_jtime(d->since));
	report_jset(tr, "log_format", fl->known ? REPORT_JSTR(fl->format_name) : json_null());
	json_t *fo = report_jcheck(json_object());
	report_jset(fo, "upstream_addr", json_boolean(fl->has_upstream_addr));
	report_jset(fo, "upstream_status", json_boolean(fl->has_upstream_status));
	report_jset(fo, "upstream_response_time", json_boolean(fl->has_upstream_time));
	report_jset(fo, "request_time", json_boolean(fl->has_request_time));
	report_jset(tr, "fields", fo);
	report_jset(tr, "hint", fl->hint[0] ? REPORT_JSTR(fl->hint) : json_null());
	struct timeline_upstream_stat us[TIMELINE_MAX_UPSTREAMS];
	size_t nu = timeline_upstreams(tl, d->since, us, TIMELINE_MAX_UPSTREAMS);
	json_t *ua = report_jcheck(json_array());
	for (size_t i = 0; i < nu; i++) {
		json_t *o = report_jcheck(json_object());
		report_jset(o, "addr", REPORT_JSTR(us[i].addr));
		report_jset(o, "tries", json_integer(us[i].tries));
		report_jset(o, "5xx", json_integer(us[i].n5xx));
		report_jset(o, "no_status", json_integer(us[i].no_status));
		report_jset(o, "share_5xx", json_real(round(us[i].share_5xx * 10000) / 10000));
		report_jset(o, "p50_ms", us[i].p50 >= 0 ? json_real(round(us[i].p50 * 1e6) / 1e3) : json_null());
		report_jset(o, "p95_ms", us[i].p95 >= 0 ? json_real(round(us[i].p95 * 1e6) / 1e3) : json_null());
		report_jset(o, "p99_ms", us[i].p99 >= 0 ? json_real(round(us[i].p99 * 1e6) / 1e3) : json_null());
		report_jpush(ua, o);
	}
	report_jset(tr, "upstreams", ua);
	struct timeline_path_stat ps[10];
	size_t np = timeline_paths(tl, d->since, ps, 10);
	json_t *pa = report_jcheck(json_array());
	for (size_t i = 0; i < np; i++) {
		json_t *o = report_jcheck(json_object());
		report_jset(o, "path", REPORT_JSTR(ps[i].path));
		report_jset(o, "requests", json_integer(ps[i].requests));
		report_jset(o, "5xx", json_integer(ps[i].n5xx));
		report_jset(o, "last_status", ps[i].last_status ? json_integer(ps[i].last_status) : json_null());
		report_jpush(pa, o);
	}
	report_jset(tr, "failing_paths", pa);
	report_jset(root, "traffic", tr);
}

char *report_json(const struct gw_snapshot *s, const struct gw_diagnosis *d)
{
	json_t *root = report_jcheck(json_object());
	const char *cause, *hop, *summary;
	size_t smax;
	char healthy[GW_TEXT], ts[64];
	double now = gw_now(), taken = report_snapshot_time(s);

	report_verdict_fields(s, d, &cause, &hop, &summary, &smax, healthy, sizeof healthy);

	report_jset(root, "version", json_integer(1));
	report_jset(root, "status", json_string(report_status_name(d)));
	json_t *v = report_jcheck(json_object());
	report_jset(v, "cause", report_jstrn(cause, 64));
	report_jset(v, "hop", json_string(hop));
	report_jset(v, "summary", report_jstrn(summary, smax));
	report_jset(root, "verdict", v);

	json_t *hops = report_jcheck(json_array());
	for (size_t i = 0; i < REPORT_NHOPS; i++) {
		const struct gw_hop_state *h = &d->hops[report_hops[i]];
		json_t *o = report_jcheck(json_object());
		report_jset(o, "id", json_string(gw_hop_id(report_hops[i])));
		report_jset(o, "status", json_string(gw_hop_status_name(h->status)));
		report_jset(o, "detail", REPORT_JSTR(h->detail));
		report_jpush(hops, o);
	}
	report_jset(root, "hops", hops);

	json_t *fa = report_jcheck(json_array());
	for (size_t i = 0; i < d->findings.n; i++)
		report_jpush(fa, report_json_finding(&d->findings.v[i]));
	report_jset(root, "findings", fa);

	/* extras, outside the version-1 core */
	report_jset(root, "exit_code", json_integer(report_exit_code(d)));
	report_jset(root, "host", REPORT_JSTR(s->hostname));
	report_iso8601(now, ts, sizeof ts);
	report_jset(root, "generated", json_string(ts));
	if (taken > 0) {
		report_iso8601(taken, ts, sizeof ts);
		report_jset(root, "probed", json_string(ts));
		double age = now - taken;
		report_jset(root, "probe_age_s", json_real(round((age < 0 ? 0 : age) * 1000) / 1000));
	} else {
		report_jset(root, "probe_age_s", json_null());
	}
	report_jset(root, "is_root", json_boolean(s->is_root));
	report_jset(root, "gwtop_version", json_string(GW_VERSION));

	json_t *ta = report_jcheck(json_array());
	for (size_t i = 0; i < s->targets.n; i++)
		report_jpush(ta, report_json_target(s, &s->targets.v[i], report_probe(s, d, i)));
	report_jset(root, "targets", ta);

	json_t *na = report_jcheck(json_array());
	for (size_t i = 0; i < s->notes.n; i++) {
		const struct gw_note *n = &s->notes.v[i];
		char line[sizeof n->probe + sizeof n->text + 4];
		gw_fmt(line, sizeof line, "%.*s%s%.*s", (int)strnlen(n->probe, sizeof n->probe), n->probe,
		    n->probe[0] ? ": " : "", (int)strnlen(n->text, sizeof n->text), n->text);
		report_jpush(na, REPORT_JSTR(line));
	}
	report_jset(root, "notes", na);

	/* the config parser's own verdict (extras: where nginx -t is silent or
	 * crashes, e.g. on an include loop, this still names file:line) */
	if (s->conf.parsed) {
		const struct gw_nginx_conf *cf = &s->conf;
		char line[GW_TEXT + GW_PATH + 32];
		json_t *co = report_jcheck(json_object());
		report_jset(co, "ok", json_boolean(cf->ok));
		if (!cf->ok && cf->error[0]) {
			report_jset(co, "error", REPORT_JSTR(cf->error));
			report_srcloc(&cf->error_loc, line, sizeof line);
			report_jset(co, "error_at", line[0] ? REPORT_JSTR(line) : json_null());
		} else {
			report_jset(co, "error", json_null());
		}
		json_t *wa = report_jcheck(json_array());
		for (size_t i = 0; i < cf->warnings.n && i < 100; i++) {
			report_conf_problem(cf->warnings.v[i].text, sizeof cf->warnings.v[i].text,
			    &cf->warnings.v[i].loc, line, sizeof line);
			report_jpush(wa, REPORT_JSTR(line));
		}
		report_jset(co, "warnings", wa);
		report_jset(root, "config_parser", co);
	}

	if (s->timeline) report_json_timeline(root, s, d);

	char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
	json_decref(root);
	if (!text) {
		fputs("gwtop: json_dumps failed\n", stderr);
		abort();
	}
	/* newline-terminated, and owned by our allocator (jansson may differ) */
	size_t n = strlen(text);
	char *res = gw_xmalloc(n + 2);
	memcpy(res, text, n);
	res[n] = '\n';
	res[n + 1] = '\0';
	free(text);
	return res;
}

/* ---------------------------------------------------------------- Prometheus */

/* Label sets already written for the current metric: duplicates are invalid. */
struct report_prom_seen {
	GW_VEC(char *) v;
};

static int report_prom_seen_add(struct report_prom_seen *p, const char *labels)
{
	for (size_t i = 0; i < p->v.n; i++)
		if (!strcmp(p->v.v[i], labels))
			return 0;
	*gw_vec_push(&p->v) = gw_xstrdup(labels);
	return 1;
}

static void report_prom_seen_reset(struct report_prom_seen *p)
{
	for (size_t i = 0; i < p->v.n; i++)
		free(p->v.v[i]);
	gw_vec_free(&p->v);
}

static void report_prom_head(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Append name="value" to labels, the value sanitized and escaped. */
static void report_prom_label(char *labels, size_t size, const char *name, const char *raw, size_t max)
{
	size_t len = strnlen(raw, max);
	char *clean = gw_xmalloc(len * 3 + 1);
	char *esc = gw_xmalloc(len * 6 + 1);
	size_t n = sanitize_text(clean, len * 3 + 1, raw, len), o = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = clean[i];
		if (ch == '\\' || ch == '"') {
			esc[o++] = '\\';
			esc[o++] = ch;
		} else if (ch == '\n') {
			esc[o++] = '\\';
			esc[o++] = 'n';
		} else {
			esc[o++] = ch;
		}
	}
	esc[o] = '\0';
	/* never cut a label in half: skip it when the buffer is full */
	size_t cur = strlen(labels);
	if (cur + strlen(name) + o + 5 < size)
		gw_append(labels, size, "%s%s=\"%s\"", cur ? "," : "", name, esc);
	free(clean);
	free(esc);
}

static void report_prom_sample(FILE *out, struct report_prom_seen *seen, const char *name,
    const char *labels, const char *value)
{
	if (!report_prom_seen_add(seen, labels))
		return;
	if (labels[0])
		fprintf(out, "%s{%s} %s\n", name, labels, value);
	else
		fprintf(out, "%s %s\n", name, value);
}

static int report_prom_hop_value(enum gw_hop_status hs)
{
	switch (hs) {
	case GW_HS_OK: return 0;
	case GW_HS_WARN: return 1;
	case GW_HS_FAIL: return 2;
	default: return -1;
	}
}

void report_prometheus(FILE *out, const struct gw_snapshot *s, const struct gw_diagnosis *d)
{
	struct report_prom_seen seen = { { 0 } };
	char labels[2048], val[64];
	const char *cause, *hop, *summary;
	size_t smax;
	char healthy[GW_TEXT];

	report_verdict_fields(s, d, &cause, &hop, &summary, &smax, healthy, sizeof healthy);

	report_prom_head(out, "gwtop_status", "gauge",
	    "Overall gwtop verdict: 0 ok, 1 warn, 2 crit, 3 unknown (same as the exit code).");
	gw_fmt(val, sizeof val, "%d", report_exit_code(d));
	report_prom_sample(out, &seen, "gwtop_status", "", val);
	report_prom_seen_reset(&seen);

	report_prom_head(out, "gwtop_verdict", "gauge",
	    "The verdict (root cause of the first broken hop): always 1, see the labels.");
	labels[0] = '\0';
	report_prom_label(labels, sizeof labels, "cause", cause, 64);
	report_prom_label(labels, sizeof labels, "hop", hop, 32);
	report_prom_sample(out, &seen, "gwtop_verdict", labels, "1");
	report_prom_seen_reset(&seen);

	report_prom_head(out, "gwtop_hop_status", "gauge",
	    "Status of each hop on the request path: 0 ok, 1 warn, 2 fail, -1 unknown.");
	for (size_t i = 0; i < REPORT_NHOPS; i++) {
		labels[0] = '\0';
		report_prom_label(labels, sizeof labels, "hop", gw_hop_id(report_hops[i]), 32);
		gw_fmt(val, sizeof val, "%d", report_prom_hop_value(d->hops[report_hops[i]].status));
		report_prom_sample(out, &seen, "gwtop_hop_status", labels, val);
	}
	report_prom_seen_reset(&seen);

	report_prom_head(out, "gwtop_finding", "gauge",
	    "One series per current finding (always 1), labelled by cause, hop and severity.");
	for (size_t i = 0; i < d->findings.n; i++) {
		const struct gw_finding *f = &d->findings.v[i];
		labels[0] = '\0';
		report_prom_label(labels, sizeof labels, "cause", report_cause(f), 64);
		report_prom_label(labels, sizeof labels, "hop", gw_hop_id(f->hop), 32);
		report_prom_label(labels, sizeof labels, "severity", gw_severity_name(f->severity), 16);
		report_prom_sample(out, &seen, "gwtop_finding", labels, "1");
	}
	report_prom_seen_reset(&seen);

	report_prom_head(out, "gwtop_target_up", "gauge",
	    "1 if the upstream target nginx proxies to answered the direct probe (HTTP response or connect for non-HTTP), else 0.");
	for (size_t i = 0; i < s->targets.n; i++) {
		const struct gw_target *t = &s->targets.v[i];
		enum gw_probe_outcome probe = report_probe(s, d, i);
		if (probe == GW_PROBE_NOT_RUN)
			continue;
		labels[0] = '\0';
		report_prom_label(labels, sizeof labels, "target", t->display, sizeof t->display);
		report_prom_label(labels, sizeof labels, "directive", t->directive, sizeof t->directive);
		report_prom_label(labels, sizeof labels, "upstream", t->upstream_name, sizeof t->upstream_name);
		report_prom_sample(out, &seen, "gwtop_target_up", labels, report_probe_ok(probe) ? "1" : "0");
	}
	report_prom_seen_reset(&seen);

	report_prom_head(out, "gwtop_target_latency_seconds", "gauge",
	    "Latency of the direct probe of the upstream target (HTTP total time, or connect time for non-HTTP).");
	for (size_t i = 0; i < s->targets.n; i++) {
		const struct gw_target *t = &s->targets.v[i];
		if (!t->probed || !t->reachable)
			continue;
		labels[0] = '\0';
		report_prom_label(labels, sizeof labels, "target", t->display, sizeof t->display);
		report_prom_label(labels, sizeof labels, "directive", t->directive, sizeof t->directive);
		report_prom_label(labels, sizeof labels, "upstream", t->upstream_name, sizeof t->upstream_name);
		double sec = (t->http_ok ? t->total_ms : t->connect_ms) / 1000.0;
		gw_fmt(val, sizeof val, "%.6f", isfinite(sec) && sec >= 0 ? sec : 0.0);
		report_prom_sample(out, &seen, "gwtop_target_latency_seconds", labels, val);
	}
	report_prom_seen_reset(&seen);

	report_prom_head(out, "gwtop_probe_duration_seconds", "gauge",
	    "Duration of the last run of each gwtop probe.");
	for (size_t i = 0; i < s->probes.n; i++) {
		const struct gw_probe_status *p = &s->probes.v[i];
		labels[0] = '\0';
		report_prom_label(labels, sizeof labels, "probe", p->name, sizeof p->name);
		gw_fmt(val, sizeof val, "%.6f", isfinite(p->duration) && p->duration >= 0 ? p->duration : 0.0);
		report_prom_sample(out, &seen, "gwtop_probe_duration_seconds", labels, val);
	}
	report_prom_seen_reset(&seen);

	report_prom_head(out, "gwtop_probe_ok", "gauge",
	    "1 if the gwtop probe's last run reported no error, else 0.");
	for (size_t i = 0; i < s->probes.n; i++) {
		const struct gw_probe_status *p = &s->probes.v[i];
		labels[0] = '\0';
		report_prom_label(labels, sizeof labels, "probe", p->name, sizeof p->name);
		report_prom_sample(out, &seen, "gwtop_probe_ok", labels, p->error[0] ? "0" : "1");
	}
	report_prom_seen_reset(&seen);

	report_prom_head(out, "gwtop_notes", "gauge",
	    "Number of things gwtop could not inspect (e.g. not running as root).");
	gw_fmt(val, sizeof val, "%zu", s->notes.n);
	report_prom_sample(out, &seen, "gwtop_notes", "", val);
	report_prom_seen_reset(&seen);

	report_prom_head(out, "gwtop_last_run_timestamp_seconds", "gauge",
	    "Unix time when gwtop produced this snapshot.");
	double t = report_snapshot_time(s);
	gw_fmt(val, sizeof val, "%.3f", t > 0 ? t : gw_now());
	report_prom_sample(out, &seen, "gwtop_last_run_timestamp_seconds", "", val);
	report_prom_seen_reset(&seen);
	fflush(out);
}
