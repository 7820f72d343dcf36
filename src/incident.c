/* incident.c — the incident report as Markdown (see incident.h).
 *
 * Three ways an outside string enters the text, and only these:
 *  - md_text: inline text (paragraphs, list items, table cells, headings):
 *    sanitized, cut at newlines into hard-broken lines, every Markdown
 *    punctuation character backslash-escaped, a block marker at the start
 *    of a line (-, +, =, "1.") neutralised, blanks at the start dropped;
 *  - md_code: a code span with a backtick fence longer than any run
 *    inside (and, in a table cell, its pipes escaped, as GFM wants);
 *  - md_block: a fenced code block whose fence is longer than any
 *    backtick run in its lines (the log lines, the commands).
 * Everything else written is our own literal text. */
#include "incident.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "outfile.h"
#include "report.h"
#include "sanitize.h"

#ifndef GW_VERSION
#define GW_VERSION "0.0.0"
#endif

static int incident_have_timeline(const struct gw_snapshot *s)
{
	return s && s->timeline;
}

/* ---------------------------------------------------------------- the buffer */

struct md {
	char *b;
	size_t n, cap;
};

static void md_put(struct md *m, const char *p, size_t len)
{
	if (m->n + len + 1 > m->cap) {
		size_t cap = m->cap ? m->cap : 8192;
		while (m->n + len + 1 > cap)
			cap *= 2;
		m->b = gw_xrealloc(m->b, cap);
		m->cap = cap;
	}
	memcpy(m->b + m->n, p, len);
	m->n += len;
	m->b[m->n] = '\0';
}

static void md_raw(struct md *m, const char *lit)
{
	md_put(m, lit, strlen(lit));
}

static void md_rawf(struct md *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void md_rawf(struct md *m, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	md_raw(m, buf);
}

/* raw[0..len) sanitized for a terminal-free sink: one line, controls and
 * bad UTF-8 replaced, secrets masked. Returns a malloc'd string. */
static char *md_clean(const char *raw, size_t len, size_t *outlen)
{
	size_t need = len * 3 + 8;
	char *c = gw_xmalloc(need);
	*outlen = sanitize_text(c, need, raw, len);
	return c;
}

/* Characters Markdown (CommonMark + GFM) gives a meaning to inline, or
 * that renderers do ($ math, ~ strike, # issue links, @ mentions, & entities). */
static int md_special(char ch)
{
	return ch && strchr("\\`*_[]<>|~&#!$@", ch) != NULL;
}

/* One line of inline text (no newline in it), sanitized and trimmed of
 * blanks at both ends. line_start: it may begin a line of the file, where
 * "-", "+", "=", "1." would start a block (escaped then). Returns the
 * bytes written (0: the line was blank). */
static size_t md_text_line(struct md *m, const char *raw, size_t len, int line_start)
{
	size_t n, i = 0, before = m->n;
	char *c = md_clean(raw, len, &n);
	while (n > 0 && c[n - 1] == ' ')
		n--;
	while (i < n && c[i] == ' ')
		i++;
	if (line_start && i < n) {
		if (c[i] == '-' || c[i] == '+' || c[i] == '=') {
			md_raw(m, "\\");
		} else {
			size_t k = i;
			while (k < n && c[k] >= '0' && c[k] <= '9')
				k++;
			if (k > i && k < n && (c[k] == '.' || c[k] == ')')) {
				md_put(m, c + i, k - i);
				md_raw(m, "\\");
				i = k;
			}
		}
	}
	for (; i < n; i++) {
		if (md_special(c[i]))
			md_put(m, "\\", 1);
		md_put(m, c + i, 1);
	}
	free(c);
	return m->n - before;
}

/* Inline text that may hold newlines. Each line is sanitized and trimmed;
 * blank lines are dropped. block (indent >= 0): the text starts a line of
 * the file (a paragraph, a list item's content), and each further line
 * comes after a hard break (a backslash at the end of the line), indented
 * by indent spaces (the list item's content column). indent < 0: a table
 * cell or the rest of a line: further lines are joined by " / ". */
static void md_text(struct md *m, const char *raw, size_t max, int indent)
{
	size_t len = strnlen(raw, max), start = 0;
	int any = 0;
	while (start <= len) {
		const char *nl = memchr(raw + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - raw) : len, l = end - start;
		struct md line = { 0 };
		if (l > 0 && raw[start + l - 1] == '\r')
			l--;                         /* CRLF */
		if (md_text_line(&line, raw + start, l, indent >= 0)) {
			if (any && indent < 0) {
				md_raw(m, " / ");
			} else if (any) {
				md_raw(m, "\\\n");
				for (int k = 0; k < indent; k++)
					md_raw(m, " ");
			}
			md_put(m, line.b, line.n);
			any = 1;
		}
		free(line.b);
		start = end + 1;
	}
}

static size_t md_longest_run(const char *s, size_t n, char ch)
{
	size_t best = 0, run = 0;
	for (size_t i = 0; i < n; i++) {
		run = s[i] == ch ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

/* A code span; in_table: pipes escaped (GFM splits cells before inlines). */
static void md_code(struct md *m, const char *raw, size_t max, int in_table)
{
	size_t n;
	char *c = md_clean(raw, strnlen(raw, max), &n);
	if (!n) {
		free(c);
		md_raw(m, "\"\"");
		return;
	}
	size_t ticks = md_longest_run(c, n, '`') + 1;
	/* CommonMark strips one blank at each end when both ends have one
	 * (and the span is not all blanks): pad so that it strips ours */
	int blank = strspn(c, " ") == n;
	int pad = !blank && (c[0] == '`' || c[n - 1] == '`' || c[0] == ' ' || c[n - 1] == ' ');
	for (size_t k = 0; k < ticks; k++)
		md_raw(m, "`");
	if (pad)
		md_raw(m, " ");
	for (size_t i = 0; i < n; i++) {
		if (in_table && c[i] == '|')
			md_raw(m, "\\");
		md_put(m, c + i, 1);
	}
	if (pad)
		md_raw(m, " ");
	for (size_t k = 0; k < ticks; k++)
		md_raw(m, "`");
	free(c);
}

/* A fenced code block of lines (already sanitized, one line each). */
struct md_lines {
	GW_VEC(char *) v;
};

static void md_lines_add(struct md_lines *L, const char *raw, size_t len)
{
	size_t n;
	*gw_vec_push(&L->v) = md_clean(raw, len, &n);
}

static void md_lines_addf(struct md_lines *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void md_lines_addf(struct md_lines *L, const char *fmt, ...)
{
	char buf[GW_LINE + GW_PATH + 256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	md_lines_add(L, buf, strlen(buf));
}

static void md_lines_free(struct md_lines *L)
{
	for (size_t i = 0; i < L->v.n; i++)
		free(L->v.v[i]);
	gw_vec_free(&L->v);
}

static void md_block(struct md *m, const char *info, const struct md_lines *L)
{
	size_t ticks = 3;
	for (size_t i = 0; i < L->v.n; i++) {
		size_t r = md_longest_run(L->v.v[i], strlen(L->v.v[i]), '`');
		if (r + 1 > ticks)
			ticks = r + 1;
	}
	char *fence = gw_xmalloc(ticks + 1);
	memset(fence, '`', ticks);
	fence[ticks] = '\0';
	md_raw(m, fence);
	md_raw(m, info);
	md_raw(m, "\n");
	for (size_t i = 0; i < L->v.n; i++) {
		md_raw(m, L->v.v[i]);
		md_raw(m, "\n");
	}
	md_raw(m, fence);
	md_raw(m, "\n\n");
	free(fence);
}

/* ---------------------------------------------------------------- helpers */

static void incident_time(double t, char *buf, size_t size, const char *fmt)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (t <= 0 || !localtime_r(&tt, &tm) || !strftime(buf, size, fmt, &tm))
		gw_fmt(buf, size, "?");
}

#define INCIDENT_TFULL "%Y-%m-%d %H:%M:%S %z"
#define INCIDENT_TDAY "%Y-%m-%d %H:%M:%S"

static int incident_clamp(int n, int max)
{
	return n < 0 ? 0 : n > max ? max : n;
}

static const char *incident_sev_word(enum gw_severity s)
{
	switch (s) {
	case GW_SEV_CRIT: return "CRIT";
	case GW_SEV_WARN: return "WARN";
	case GW_SEV_INFO: return "INFO";
	default: return "OK";
	}
}

static const char *incident_status_word(const struct gw_diagnosis *d)
{
	static const char *const w[] = { "OK", "WARN", "CRIT", "UNKNOWN" };
	return w[report_exit_code(d) & 3];
}

/* ---------------------------------------------------------------- sections */

static void incident_head(struct md *m, const struct incident_input *in)
{
	const struct gw_snapshot *s = in->s;
	const struct gw_diagnosis *d = in->d;
	const struct gw_finding *v = report_verdict(d);
	char t1[64], t2[64];

	md_rawf(m, "# gwtop incident report: %s", incident_status_word(d));
	if (v) {
		md_raw(m, " ");
		md_code(m, gw_cause_id(v->cause), 64, 0);
	}
	md_raw(m, " on ");
	md_text(m, s->hostname[0] ? s->hostname : "?", sizeof s->hostname, -1);
	md_raw(m, "\n\n");

	md_raw(m, "| | |\n|---|---|\n");
	md_raw(m, "| host | ");
	md_code(m, s->hostname[0] ? s->hostname : "?", sizeof s->hostname, 1);
	md_raw(m, " |\n| gwtop | ");
	md_text(m, in->version ? in->version : "?", 64, -1);
	incident_time(in->generated, t1, sizeof t1, INCIDENT_TFULL);
	md_rawf(m, " |\n| generated | %s |\n", t1);
	incident_time(in->from, t1, sizeof t1, INCIDENT_TFULL);
	incident_time(in->to, t2, sizeof t2, INCIDENT_TFULL);
	md_rawf(m, "| time window | %s to %s (%.0f s) |\n", t1, t2,
	    in->to > in->from ? in->to - in->from : 0.0);
	double probed = s->finished > 0 ? s->finished : s->taken;
	incident_time(probed, t1, sizeof t1, INCIDENT_TFULL);
	md_rawf(m, "| probed | %s%s |\n", t1, s->is_root ? "" : " (not root: some facts hidden)");
	md_rawf(m, "| status | %s (exit code %d) |\n\n", incident_status_word(d), report_exit_code(d));
}

static void incident_verdict(struct md *m, const struct incident_input *in)
{
	const struct gw_diagnosis *d = in->d;
	const struct gw_finding *v = report_verdict(d);
	md_raw(m, "## Verdict\n\n");
	if (d->unknown) {
		md_raw(m, "**UNKNOWN**: ");
		md_text(m, d->unknown_reason[0] ? d->unknown_reason : "gwtop could not inspect the stack",
		    sizeof d->unknown_reason, 0);
	} else if (v) {
		int cs = gw_cause_info(v->cause)->client_status;
		md_rawf(m, "**%s** ", incident_sev_word(v->severity));
		md_code(m, gw_cause_id(v->cause), 64, 0);
		md_rawf(m, " (%s hop", gw_hop_id(v->hop));
		if (cs)
			md_rawf(m, ", clients get %d", cs);
		md_raw(m, "): ");
		md_text(m, v->summary, sizeof v->summary, 0);
	} else {
		md_raw(m, "**OK** ");
		md_code(m, gw_cause_id(GW_CAUSE_HEALTHY), 64, 0);
		md_raw(m, ": every hop answered");
	}
	md_raw(m, "\n\n");
}

static void incident_list(struct md *m, const char *title, const char (*items)[GW_TEXT], int n)
{
	if (n <= 0)
		return;
	md_rawf(m, "%s:\n\n", title);
	for (int k = 0; k < n; k++) {
		md_raw(m, "- ");
		md_text(m, items[k], GW_TEXT, 2);
		md_raw(m, "\n");
	}
	md_raw(m, "\n");
}

static void incident_findings(struct md *m, const struct incident_input *in)
{
	const struct gw_diagnosis *d = in->d;
	md_raw(m, "## Findings\n\n");
	if (!d->findings.n) {
		md_raw(m, "No finding: nothing on the request path is broken.\n\n");
		return;
	}
	for (size_t i = 0; i < d->findings.n; i++) {
		const struct gw_finding *f = &d->findings.v[i];
		md_rawf(m, "### %zu. %s ", i + 1, incident_sev_word(f->severity));
		md_code(m, gw_cause_id(f->cause), 64, 0);
		md_rawf(m, " (%s hop)%s\n\n", gw_hop_id(f->hop), (int)i == d->verdict ? ": the verdict" : "");
		md_text(m, f->summary, sizeof f->summary, 0);
		md_raw(m, "\n\n");
		incident_list(m, "Evidence", (const char (*)[GW_TEXT])f->evidence, incident_clamp(f->nevidence, GW_MAX_EVIDENCE));
		incident_list(m, "Fix", (const char (*)[GW_TEXT])f->fix, incident_clamp(f->nfix, GW_MAX_FIX));
		int nc = incident_clamp(f->ncommands, GW_MAX_FIX);
		if (nc) {
			struct md_lines L = { { 0 } };
			md_raw(m, "Commands:\n\n");
			for (int k = 0; k < nc; k++) {
				/* already shell-quoted by the rules; a command is one line */
				const char *c = f->commands[k];
				size_t len = strnlen(c, sizeof f->commands[k]), st = 0;
				while (st <= len) {
					const char *nl = memchr(c + st, '\n', len - st);
					size_t e = nl ? (size_t)(nl - c) : len;
					if (e > st)
						md_lines_add(&L, c + st, e - st);
					st = e + 1;
				}
			}
			md_block(m, "sh", &L);
			md_lines_free(&L);
		}
	}
}

static void incident_hops(struct md *m, const struct incident_input *in)
{
	static const enum gw_hop hops[] = { GW_HOP_CLIENT, GW_HOP_NGINX, GW_HOP_UPSTREAM, GW_HOP_APP, GW_HOP_DB };
	const struct gw_diagnosis *d = in->d;
	const struct gw_snapshot *s = in->s;
	md_raw(m, "## Request path\n\n| hop | state | detail |\n|---|---|---|\n");
	for (size_t i = 0; i < sizeof hops / sizeof *hops; i++) {
		const struct gw_hop_state *h = &d->hops[hops[i]];
		md_rawf(m, "| %s | %s | ", gw_hop_id(hops[i]), gw_hop_status_name(h->status));
		md_text(m, h->detail, sizeof h->detail, -1);
		md_raw(m, " |\n");
	}
	md_raw(m, "\n");
	if (!s->targets.n)
		return;
	md_raw(m, "Upstream targets:\n\n| target | via | state | probe |\n|---|---|---|---|\n");
	for (size_t i = 0; i < s->targets.n && i < 50; i++) {
		const struct gw_target *t = &s->targets.v[i];
		enum gw_hop_status st = i < d->targets.n ? d->targets.v[i].state : GW_HS_UNKNOWN;
		char res[GW_TEXT + 64];
		md_raw(m, "| ");
		md_code(m, t->display, sizeof t->display, 1);
		md_raw(m, " | ");
		md_text(m, t->directive, sizeof t->directive, -1);
		if (t->upstream_name[0]) {
			md_raw(m, " (upstream ");
			md_text(m, t->upstream_name, sizeof t->upstream_name, -1);
			md_raw(m, ")");
		}
		md_rawf(m, " | %s | ", gw_hop_status_name(st));
		if (!t->probed)
			gw_fmt(res, sizeof res, "not probed");
		else if (t->http_ok)
			gw_fmt(res, sizeof res, "HTTP %ld in %.1f ms", t->http_status, t->total_ms);
		else if (t->reachable)
			gw_fmt(res, sizeof res, "connected in %.1f ms%s%.*s", t->connect_ms, t->error[0] ? ": " : "",
			    (int)strnlen(t->error, sizeof t->error), t->error);
		else if (t->err)
			gw_fmt(res, sizeof res, "connect failed (%d: %s)", t->err, strerror(t->err));
		else
			gw_fmt(res, sizeof res, "failed%s%.*s", t->error[0] ? ": " : "",
			    (int)strnlen(t->error, sizeof t->error), t->error);
		md_text(m, res, sizeof res, -1);
		md_raw(m, " |\n");
	}
	if (s->targets.n > 50)
		md_rawf(m, "\n(%zu more targets not shown)\n", s->targets.n - 50);
	md_raw(m, "\n");
}

static void incident_events(struct md *m, const struct incident_input *in)
{
	const struct incident_timeline *tl = in->tl;
	md_raw(m, "## Timeline\n\n");
	if (!tl) {
		md_raw(m, "Not available.\n\n");
		return;
	}
	if (!tl->have)
		md_raw(m, "From the snapshot alone (no timeline in this gwtop): start times of nginx, the units, "
			  "the app servers and the containers, config edits and classified log lines.\n\n");
	if (tl->have_incident) {
		char a[64], b[64];
		incident_time(tl->incident.start, a, sizeof a, INCIDENT_TDAY);
		md_rawf(m, "Incident: the first failing request at %s", a);
		if (tl->incident.recovered > 0) {
			incident_time(tl->incident.recovered, b, sizeof b, INCIDENT_TDAY);
			md_rawf(m, ", recovered at %s", b);
		} else {
			md_raw(m, ", still failing");
		}
		md_rawf(m, " (%u failing requests).\n\n", tl->incident.failed);
	}
	if (!tl->events.n) {
		md_raw(m, "No event in the window.\n\n");
		return;
	}
	size_t first = tl->events.n > INCIDENT_EVENTS ? tl->events.n - INCIDENT_EVENTS : 0;
	if (first)
		md_rawf(m, "The newest %d of %zu events.\n\n", INCIDENT_EVENTS, tl->events.n);
	md_raw(m, "| time | event | subject | what |\n|---|---|---|---|\n");
	for (size_t i = first; i < tl->events.n; i++) {
		const struct timeline_event *e = &tl->events.v[i];
		char t[64];
		incident_time(e->time, t, sizeof t, INCIDENT_TDAY);
		md_rawf(m, "| %s%s | %s | ", t, e->approx ? " (noticed)" : "", timeline_kind_id(e->kind));
		if (e->subject[0])
			md_code(m, e->subject, sizeof e->subject, 1);
		md_raw(m, " | ");
		md_text(m, e->text, sizeof e->text, -1);
		md_raw(m, " |\n");
	}
	md_raw(m, "\n");
}

static void incident_minutes(struct md *m, const struct incident_input *in)
{
	const struct incident_timeline *tl = in->tl;
	md_raw(m, "## 5xx per minute\n\n");
	if (!tl || (!tl->minutes.n && !tl->have_access)) {
		md_raw(m, "No access-log requests were read.\n\n");
		return;
	}
	if (!tl->have && tl->have_access) {
		const struct gw_access *a = &tl->access;
		char t1[64], t2[64];
		incident_time(a->since, t1, sizeof t1, INCIDENT_TDAY);
		md_raw(m, "No per-minute counts without the timeline; the access log's window (from ");
		md_raw(m, t1);
		md_raw(m, ") in all:\n\n| requests | 2xx | 3xx | 4xx | 499 | 5xx | 500 | 502 | 503 | 504 | first 5xx | last 5xx |\n"
			  "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
		incident_time(a->first_5xx, t1, sizeof t1, INCIDENT_TDAY);
		incident_time(a->last_5xx, t2, sizeof t2, INCIDENT_TDAY);
		md_rawf(m, "| %u | %u | %u | %u | %u | %u | %u | %u | %u | %u | %s | %s |\n\n", a->total, a->n2xx,
		    a->n3xx, a->n4xx, a->n499, a->n5xx, a->n500, a->n502, a->n503, a->n504,
		    a->first_5xx > 0 ? t1 : "-", a->last_5xx > 0 ? t2 : "-");
		return;
	}
	if (!tl->minutes.n) {
		md_raw(m, "No request in the last minutes.\n\n");
		return;
	}
	md_raw(m, "| minute | requests | 2xx | 3xx | 4xx | 499 | 5xx | 502 | 504 | 5xx share |\n"
		  "|---|---|---|---|---|---|---|---|---|---|\n");
	size_t first = tl->minutes.n > INCIDENT_MINUTES ? tl->minutes.n - INCIDENT_MINUTES : 0;
	for (size_t i = first; i < tl->minutes.n; i++) {
		const struct timeline_minute *mi = &tl->minutes.v[i];
		char t[64];
		incident_time((double)mi->minute * 60, t, sizeof t, "%Y-%m-%d %H:%M");
		md_rawf(m, "| %s | %u | %u | %u | %u | %u | %u | %u | %u | %.0f %% |\n", t, mi->total, mi->n2xx,
		    mi->n3xx, mi->n4xx, mi->n499, mi->n5xx, mi->n502, mi->n504,
		    mi->total ? 100.0 * mi->n5xx / mi->total : 0.0);
	}
	md_raw(m, "\n");
}

static void incident_paths(struct md *m, const struct incident_input *in)
{
	const struct incident_timeline *tl = in->tl;
	md_raw(m, "## Top failing paths\n\n");
	if (!tl || !tl->have) {
		md_raw(m, "Not available without the timeline (per-path counts come from it).\n\n");
		return;
	}
	if (!tl->paths.n) {
		md_raw(m, "No path failed in the window.\n\n");
		return;
	}
	md_raw(m, "| path | requests | 5xx | newest 5xx status |\n|---|---|---|---|\n");
	for (size_t i = 0; i < tl->paths.n && i < INCIDENT_PATHS; i++) {
		const struct timeline_path_stat *p = &tl->paths.v[i];
		md_raw(m, "| ");
		md_code(m, p->path, sizeof p->path, 1);
		md_rawf(m, " | %u | %u | %d |\n", p->requests, p->n5xx, p->last_status);
	}
	md_raw(m, "\n");
}

/* A log line worth showing: classified, or warn and worse. */
static int incident_relevant(const struct gw_log_event *e)
{
	return e->kind != GW_LOG_OTHER || e->level >= GW_LV_WARN;
}

static void incident_logs(struct md *m, const struct incident_input *in)
{
	const struct gw_snapshot *s = in->s;
	size_t n = 0, i = s->events.n;
	md_raw(m, "## Log lines\n\n");
	while (i > 0 && n < INCIDENT_LOG_LINES)
		if (incident_relevant(&s->events.v[--i]))
			n++;
	if (!n && !s->access.last_5xx_line[0]) {
		md_raw(m, "No error line was read.\n\n");
		return;
	}
	if (n) {
		struct md_lines L = { { 0 } };
		md_rawf(m, "The last %zu relevant lines (classified errors, warn and worse; secrets masked):\n\n", n);
		for (; i < s->events.n; i++) {
			const struct gw_log_event *e = &s->events.v[i];
			char t[64];
			if (!incident_relevant(e))
				continue;
			incident_time(e->time, t, sizeof t, INCIDENT_TDAY);
			md_lines_addf(&L, "%s %.*s %s: %.*s", t, (int)strnlen(e->source, sizeof e->source), e->source,
			    gw_log_kind_name(e->kind), (int)strnlen(e->line, sizeof e->line), e->line);
		}
		md_block(m, "text", &L);
		md_lines_free(&L);
	}
	if (s->access.last_5xx_line[0]) {
		struct md_lines L = { { 0 } };
		md_raw(m, "The newest 5xx in the access log:\n\n");
		md_lines_add(&L, s->access.last_5xx_line, strnlen(s->access.last_5xx_line, sizeof s->access.last_5xx_line));
		md_block(m, "text", &L);
		md_lines_free(&L);
	}
}

static void incident_actions(struct md *m, const struct incident_input *in)
{
	md_raw(m, "## Actions taken from gwtop\n\n");
	if (!in->nactions) {
		md_raw(m, "None.\n\n");
		return;
	}
	md_raw(m, "| time | action | result | outcome |\n|---|---|---|---|\n");
	for (size_t i = 0; i < in->nactions; i++) {
		const struct incident_action *a = &in->actions[i];
		char t[64];
		incident_time(a->when, t, sizeof t, INCIDENT_TDAY);
		md_rawf(m, "| %s | ", t);
		md_text(m, a->what, sizeof a->what, -1);
		md_rawf(m, " | %s | ", a->ok ? "done" : "failed");
		md_text(m, a->outcome, sizeof a->outcome, -1);
		md_raw(m, " |\n");
	}
	md_raw(m, "\n");
}

static void incident_notes(struct md *m, const struct incident_input *in)
{
	const struct gw_snapshot *s = in->s;
	if (!s->notes.n)
		return;
	md_raw(m, "## What gwtop could not see\n\n");
	for (size_t i = 0; i < s->notes.n; i++) {
		const struct gw_note *n = &s->notes.v[i];
		md_raw(m, "- ");
		if (n->probe[0]) {
			md_text(m, n->probe, sizeof n->probe, -1);
			md_raw(m, ": ");
		}
		md_text(m, n->text, sizeof n->text, 2);
		md_raw(m, "\n");
	}
	md_raw(m, "\n");
}

char *incident_markdown(const struct incident_input *in)
{
	struct md m = { 0 };
	incident_head(&m, in);
	incident_verdict(&m, in);
	incident_findings(&m, in);
	incident_hops(&m, in);
	incident_events(&m, in);
	incident_minutes(&m, in);
	incident_paths(&m, in);
	incident_logs(&m, in);
	incident_actions(&m, in);
	incident_notes(&m, in);
	md_rawf(&m, "---\n\nMade by gwtop %s; every string from the system was sanitized, secrets masked.\n",
	    in->version ? in->version : "?");
	return m.b;
}

/* ---------------------------------------------------------------- collecting */

static void incident_ev(struct incident_timeline *tl, double t, enum timeline_kind k, int approx,
			const char *subject, size_t smax, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void incident_ev(struct incident_timeline *tl, double t, enum timeline_kind k, int approx,
			const char *subject, size_t smax, const char *fmt, ...)
{
	struct timeline_event *e = gw_vec_push(&tl->events);
	va_list ap;
	e->time = t;
	e->kind = k;
	e->approx = approx;
	gw_fmt(e->subject, sizeof e->subject, "%.*s", (int)strnlen(subject, smax), subject);
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof e->text, fmt, ap);
	va_end(ap);
}

static int incident_ev_cmp(const void *a, const void *b)
{
	const struct timeline_event *x = a, *y = b;
	return x->time < y->time ? -1 : x->time > y->time ? 1 : 0;
}

/* Without a timeline: what the snapshot knows, on one axis. */
static void incident_collect_snapshot(struct incident_timeline *tl, const struct gw_snapshot *s,
				      double from, double to)
{
	double lo = from - 1800;     /* what changed shortly before the window counts too */
	double noticed = s->taken > 0 ? s->taken : to;
#define IN_RANGE(t) ((t) > 0 && (t) >= lo && (t) <= to + 1)
	if (IN_RANGE(s->nginx.master_start))
		incident_ev(tl, s->nginx.master_start, TL_EV_NGINX_START, 0, "nginx", 8,
		    "nginx master %d started", (int)s->nginx.master_pid);
	if (IN_RANGE(s->nginx.last_reload) && s->nginx.last_reload > s->nginx.master_start + 1)
		incident_ev(tl, s->nginx.last_reload, TL_EV_NGINX_RELOAD, 0, "nginx", 8,
		    "nginx workers started (reload)");
	for (size_t i = 0; i < s->conf.files.n; i++)
		if (IN_RANGE((double)s->conf.files.v[i].mtime))
			incident_ev(tl, (double)s->conf.files.v[i].mtime, TL_EV_CONFIG_EDIT, 0, s->conf.files.v[i].path,
			    sizeof s->conf.files.v[i].path, "config file modified");
	for (size_t i = 0; i < s->units.n; i++) {
		const struct gw_unit *u = &s->units.v[i];
		if (!u->loaded)
			continue;
		if (IN_RANGE(u->exec_main_start))
			incident_ev(tl, u->exec_main_start, TL_EV_UNIT_START, 0, u->name, sizeof u->name,
			    "started (main pid %d)", (int)u->main_pid);
		if (!strcmp(u->active_state, "failed"))
			incident_ev(tl, noticed, TL_EV_UNIT_FAIL, 1, u->name, sizeof u->name,
			    "failed: result %.*s, exit status %d", (int)strnlen(u->result, sizeof u->result), u->result,
			    u->exec_main_status);
	}
	for (size_t i = 0; i < s->procs.n; i++) {
		const struct gw_proc *p = &s->procs.v[i];
		if ((p->role == GW_ROLE_GUNICORN_MASTER || p->role == GW_ROLE_UVICORN_MASTER ||
			p->role == GW_ROLE_APP_SERVER) && IN_RANGE(p->start_time))
			incident_ev(tl, p->start_time, TL_EV_APP_START, 0, p->comm, sizeof p->comm,
			    "app server pid %d started", (int)p->pid);
	}
	for (size_t i = 0; i < s->containers.n; i++) {
		const struct gw_container *c = &s->containers.v[i];
		if (IN_RANGE(c->started_at))
			incident_ev(tl, c->started_at, TL_EV_CONTAINER_START, 0, c->name, sizeof c->name, "started");
		if (IN_RANGE(c->finished_at) && c->finished_at > c->started_at)
			incident_ev(tl, c->finished_at, TL_EV_CONTAINER_STOP, 0, c->name, sizeof c->name,
			    "exited with code %d", c->exit_code);
	}
	for (size_t i = 0; i < s->events.n; i++) {
		const struct gw_log_event *e = &s->events.v[i];
		enum timeline_kind k;
		if (!IN_RANGE(e->time))
			continue;
		switch (e->kind) {
		case GW_LOG_OOM_KILL: k = TL_EV_OOM_KILL; break;
		case GW_LOG_APP_WORKER_BOOT: case GW_LOG_APP_MODULE_NOT_FOUND: case GW_LOG_APP_CONFIG:
			k = TL_EV_APP_BOOT_ERROR;
			break;
		default: continue;
		}
		incident_ev(tl, e->time, k, 0, e->source, sizeof e->source, "%.*s",
		    (int)strnlen(e->detail[0] ? e->detail : e->line, e->detail[0] ? sizeof e->detail : sizeof e->line),
		    e->detail[0] ? e->detail : e->line);
	}
#undef IN_RANGE
	if (tl->events.n > 1)
		qsort(tl->events.v, tl->events.n, sizeof *tl->events.v, incident_ev_cmp);
	if (s->access.read) {
		tl->have_access = 1;
		tl->access = s->access;
	}
}

void incident_timeline_collect(struct incident_timeline *tl, const struct gw_snapshot *s, double from, double to)
{
	memset(tl, 0, sizeof *tl);
	if (!incident_have_timeline(s)) {
		incident_collect_snapshot(tl, s, from, to);
		return;
	}
	const struct timeline *t = s->timeline;
	tl->have = 1;
	double lo = from - 1800;
	for (size_t i = 0; i < timeline_nevents(t); i++) {
		const struct timeline_event *e = timeline_event(t, i);
		if (e && e->time >= lo && e->time <= to + 60)
			*gw_vec_push(&tl->events) = *e;
	}
	long newest = timeline_newest_minute(t);
	if (newest > 0) {
		long last = (long)(to / 60) > newest ? newest : (long)(to / 60);
		for (long mi = last - INCIDENT_MINUTES + 1; mi <= last; mi++) {
			const struct timeline_minute *b = timeline_minute(t, mi);
			if (b && b->total + b->own > 0)
				*gw_vec_push(&tl->minutes) = *b;
		}
	}
	struct timeline_path_stat ps[INCIDENT_PATHS];
	size_t np = timeline_paths(t, from, ps, INCIDENT_PATHS);
	for (size_t i = 0; i < np && i < INCIDENT_PATHS; i++)
		*gw_vec_push(&tl->paths) = ps[i];
	tl->have_incident = timeline_current_incident(t, from, &tl->incident);
	if (s->access.read) {
		tl->have_access = 1;
		tl->access = s->access;
	}
}

void incident_timeline_free(struct incident_timeline *tl)
{
	gw_vec_free(&tl->events);
	gw_vec_free(&tl->minutes);
	gw_vec_free(&tl->paths);
}

void incident_window(const struct gw_snapshot *s, const struct gw_diagnosis *d, double now, double *from, double *to)
{
	double t = s->finished > 0 ? s->finished : s->taken > 0 ? s->taken : now;
	double f = d->since > 0 ? d->since : t - (d->window > 0 ? d->window : 300);
	struct timeline_incident cur;
	if (incident_have_timeline(s) && timeline_current_incident(s->timeline, f, &cur) && cur.start > 0 &&
	    cur.start < f && cur.start > t - 3 * 3600)
		f = cur.start;
	*from = f;
	*to = t;
}

/* ---------------------------------------------------------------- writing */

void incident_default_path(char *buf, size_t size, double now)
{
	char t[32];
	time_t tt = (time_t)now;
	struct tm tm;
	if (!localtime_r(&tt, &tm) || !strftime(t, sizeof t, "%Y%m%d-%H%M%S", &tm))
		gw_fmt(t, sizeof t, "%.0f", now);
	gw_fmt(buf, size, "%s/gwtop-incident-%s.md", INCIDENT_DIR, t);
}

int incident_write(const char *path, const char *text, double now, char *written, size_t wsize, char *err,
		   size_t errsz)
{
	char p[4096], def[256];
	struct stat st;
	struct outfile of;
	size_t len = path ? strlen(path) : 0;
	int named = 0;

	incident_default_path(def, sizeof def, now);
	if (!len) {
		gw_fmt(p, sizeof p, "%s", def);
	} else if (path[len - 1] == '/' || (stat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
		gw_fmt(p, sizeof p, "%s%s%s", path, path[len - 1] == '/' ? "" : "/", strrchr(def, '/') + 1);
	} else {
		gw_fmt(p, sizeof p, "%s", path);
		named = 1;
	}
	/* our own name taken (two reports in one second): -2, -3, ... The
	 * check is a hint only: outfile_open_new refuses what exists. */
	if (!named) {
		size_t base = strlen(p) - 3;             /* before ".md" */
		for (int k = 2; k < 100 && lstat(p, &st) == 0; k++)
			gw_fmt(p + base, sizeof p - base, "-%d.md", k);
	}
	FILE *f = outfile_open_new(&of, p, 0600, err, errsz);
	if (!f)
		return -1;
	size_t n = strlen(text);
	if (fwrite(text, 1, n, f) != n) {
		int e = errno;
		outfile_abort(&of);
		char shown[1024];
		sanitize_text(shown, sizeof shown, p, strlen(p));
		gw_fmt(err, errsz, "cannot write %s: %s", shown, strerror(e ? e : EIO));
		return -1;
	}
	if (outfile_commit(&of, err, errsz) < 0)
		return -1;
	gw_fmt(written, wsize, "%s", p);
	return 0;
}

int incident_report(const struct gw_snapshot *s, const struct gw_diagnosis *d, const struct incident_action *actions,
		    size_t nactions, const char *path, char *written, size_t wsize, char *err, size_t errsz)
{
	struct incident_timeline tl;
	double now = gw_now();
	struct incident_input in = {
		.s = s, .d = d, .tl = &tl, .actions = actions, .nactions = nactions,
		.generated = now, .version = GW_VERSION,
	};
	incident_window(s, d, now, &in.from, &in.to);
	incident_timeline_collect(&tl, s, in.from, in.to);
	char *text = incident_markdown(&in);
	int rc = incident_write(path, text, now, written, wsize, err, errsz);
	free(text);
	incident_timeline_free(&tl);
	return rc;
}
