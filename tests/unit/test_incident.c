/* test_incident.c — the incident report's Markdown, parsed back with a
 * real CommonMark + GFM parser (libcmark-gfm, the table extension): the
 * headings, the tables (rows, cells per row), the code blocks, and that
 * every outside string comes back as exactly its sanitized text — with
 * backticks, pipes, <script>, [links](x), "# headings", "- lists", "===",
 * ANSI escapes, invalid UTF-8, CRLF, secrets and lines of 1,000 backticks
 * in it — and that no HTML, link or image node appears. Then a property
 * test on random hostile strings, and the file writer (mode 0600, an
 * existing name or a planted symlink refused, a directory argument). */
#include <dirent.h>
#include <fcntl.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>

#include "incident.h"
#include "model.h"
#include "sanitize.h"

/* ---------------------------------------------------------------- the parsed document */

struct tab {
	int rows;                    /* header row included */
	int bad_rows;                /* rows whose cell count differs from the header's */
	GW_VEC(char *) cells;        /* plain text of every cell, row by row */
	int ncols;
};

struct doc {
	GW_VEC(char *) h1;
	GW_VEC(char *) h2;
	GW_VEC(char *) h3;
	GW_VEC(struct tab) tables;
	GW_VEC(char *) code_info;
	GW_VEC(char *) code;         /* literal of each fenced block */
	GW_VEC(char *) items;        /* plain text of each list item */
	GW_VEC(char *) paras;        /* plain text of each top-level paragraph */
	int html, links, images;
};

static void buf_add(char **b, size_t *n, const char *s)
{
	size_t l = strlen(s);
	*b = realloc(*b, *n + l + 1);
	assert_non_null(*b);
	memcpy(*b + *n, s, l + 1);
	*n += l;
}

/* The text a reader sees: text and code literals, breaks as newlines. */
static void plain_rec(cmark_node *n, char **b, size_t *len)
{
	const char *t = cmark_node_get_type_string(n);
	if (!strcmp(t, "text") || !strcmp(t, "code")) {
		buf_add(b, len, cmark_node_get_literal(n));
		return;
	}
	if (!strcmp(t, "linebreak")) {
		buf_add(b, len, "\n");
		return;
	}
	if (!strcmp(t, "softbreak")) {
		buf_add(b, len, " ");
		return;
	}
	for (cmark_node *c = cmark_node_first_child(n); c; c = cmark_node_next(c))
		plain_rec(c, b, len);
}

static char *plain(cmark_node *n)
{
	char *b = NULL;
	size_t len = 0;
	buf_add(&b, &len, "");
	plain_rec(n, &b, &len);
	return b;
}

static void doc_parse(struct doc *d, const char *md)
{
	memset(d, 0, sizeof *d);
	cmark_gfm_core_extensions_ensure_registered();
	cmark_parser *p = cmark_parser_new(CMARK_OPT_DEFAULT);
	cmark_syntax_extension *ext = cmark_find_syntax_extension("table");
	assert_non_null(ext);
	cmark_parser_attach_syntax_extension(p, ext);
	cmark_parser_feed(p, md, strlen(md));
	cmark_node *root = cmark_parser_finish(p);
	cmark_iter *it = cmark_iter_new(root);
	cmark_event_type ev;
	struct tab *cur = NULL;
	int row_cells = 0;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		const char *t = cmark_node_get_type_string(n);
		if (!strcmp(t, "html_block") || !strcmp(t, "html_inline"))
			d->html += ev == CMARK_EVENT_ENTER;
		else if (!strcmp(t, "link"))
			d->links += ev == CMARK_EVENT_ENTER;
		else if (!strcmp(t, "image"))
			d->images += ev == CMARK_EVENT_ENTER;
		if (ev != CMARK_EVENT_ENTER && strcmp(t, "table_row") && strcmp(t, "table_header"))
			continue;
		if (!strcmp(t, "heading")) {
			int lv = cmark_node_get_heading_level(n);
			char *s = plain(n);
			if (lv == 1) *gw_vec_push(&d->h1) = s;
			else if (lv == 2) *gw_vec_push(&d->h2) = s;
			else if (lv == 3) *gw_vec_push(&d->h3) = s;
			else free(s);
		} else if (!strcmp(t, "table")) {
			cur = gw_vec_push(&d->tables);
			cur->ncols = cmark_gfm_extensions_get_table_columns(n);
		} else if (!strcmp(t, "table_row") || !strcmp(t, "table_header")) {
			if (ev == CMARK_EVENT_ENTER) {
				row_cells = 0;
			} else if (cur) {
				cur->rows++;
				if (row_cells != cur->ncols)
					cur->bad_rows++;
			}
		} else if (!strcmp(t, "table_cell")) {
			row_cells++;
			if (cur)
				*gw_vec_push(&cur->cells) = plain(n);
		} else if (!strcmp(t, "code_block")) {
			*gw_vec_push(&d->code) = strdup(cmark_node_get_literal(n));
			*gw_vec_push(&d->code_info) = strdup(cmark_node_get_fence_info(n));
		} else if (!strcmp(t, "item")) {
			*gw_vec_push(&d->items) = plain(n);
		} else if (!strcmp(t, "paragraph") && !strcmp(cmark_node_get_type_string(cmark_node_parent(n)), "document")) {
			*gw_vec_push(&d->paras) = plain(n);
		}
	}
	cmark_iter_free(it);
	cmark_node_free(root);
	cmark_parser_free(p);
}

#define FREE_STRS(vec) do { for (size_t i_ = 0; i_ < (vec).n; i_++) free((vec).v[i_]); gw_vec_free(&(vec)); } while (0)

static void doc_free(struct doc *d)
{
	FREE_STRS(d->h1);
	FREE_STRS(d->h2);
	FREE_STRS(d->h3);
	FREE_STRS(d->code);
	FREE_STRS(d->code_info);
	FREE_STRS(d->items);
	FREE_STRS(d->paras);
	for (size_t i = 0; i < d->tables.n; i++)
		FREE_STRS(d->tables.v[i].cells);
	gw_vec_free(&d->tables);
}

static int has_str(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

/* What a reader must see for raw: each line sanitized, trimmed, blank
 * lines dropped, joined by sep. */
static char *expect_text(const char *raw, const char *sep)
{
	char *out = NULL;
	size_t n = 0, len = strlen(raw), start = 0;
	int any = 0;
	buf_add(&out, &n, "");
	while (start <= len) {
		const char *nl = memchr(raw + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - raw) : len, l = end - start;
		if (l && raw[start + l - 1] == '\r')
			l--;
		char *c = malloc(l * 3 + 8);
		size_t cn = sanitize_text(c, l * 3 + 8, raw + start, l), a = 0;
		while (cn && c[cn - 1] == ' ') c[--cn] = '\0';
		while (a < cn && c[a] == ' ') a++;
		if (a < cn) {
			if (any) buf_add(&out, &n, sep);
			buf_add(&out, &n, c + a);
			any = 1;
		}
		free(c);
		start = end + 1;
	}
	return out;
}

static char *expect_code(const char *raw)
{
	size_t l = strlen(raw);
	char *c = malloc(l * 3 + 8);
	sanitize_text(c, l * 3 + 8, raw, l);
	return c;
}

/* ---------------------------------------------------------------- fixtures */

static const char *const sections[] = {
	"Verdict", "Findings", "Request path", "Timeline", "5xx per minute", "Top failing paths",
	"Log lines", "Actions taken from gwtop", "What gwtop could not see",
};
#define NSECTIONS (sizeof sections / sizeof *sections)

struct fx {
	struct gw_snapshot s;
	struct gw_diagnosis d;
	struct incident_timeline tl;
	struct incident_action acts[3];
	struct incident_input in;
};

static void fx_init(struct fx *f)
{
	memset(f, 0, sizeof *f);
	snapshot_init(&f->s);
	f->s.taken = 1765000000.0;
	f->s.finished = 1765000001.0;
	f->s.is_root = 1;
	GW_COPY(f->s.hostname, "web1");
	f->d.verdict = -1;
	for (int h = 0; h < GW_HOP_MAX; h++)
		f->d.hops[h].status = GW_HS_OK;
	f->in.s = &f->s;
	f->in.d = &f->d;
	f->in.tl = &f->tl;
	f->in.generated = 1765000002.0;
	f->in.from = 1764999700.0;
	f->in.to = 1765000001.0;
	f->in.version = "9.9.9";
}

static void fx_free(struct fx *f)
{
	snapshot_free(&f->s);
	gw_vec_free(&f->d.findings);
	gw_vec_free(&f->d.targets);
	incident_timeline_free(&f->tl);
}

static struct gw_finding *fx_finding(struct fx *f, enum gw_cause cause, enum gw_severity sev, const char *summary)
{
	struct gw_finding *g = gw_vec_push(&f->d.findings);
	g->cause = cause;
	g->severity = sev;
	g->hop = GW_HOP_UPSTREAM;
	GW_COPY(g->summary, summary);
	return g;
}

static struct gw_log_event *fx_log(struct fx *f, enum gw_log_kind kind, enum gw_level lv, double t, const char *line)
{
	struct gw_log_event *e = gw_vec_push(&f->s.events);
	e->kind = kind;
	e->level = lv;
	e->time = t;
	GW_COPY(e->source, "nginx-error:/var/log/nginx/error.log");
	GW_COPY(e->line, line);
	return e;
}

/* ---------------------------------------------------------------- hostile strings */

static const char ev_hostile[] =
	"upstream `x` sent ``` fence | pipe | <script>alert(1)</script> [click](http://evil.example) "
	"![img](http://evil.example/p.png) \x1b[31mRED\x1b[0m \xff\xfe bad \xc2\x9b C1 &amp; *bold* _it_ ~~s~~ $x$ @team";
static const char ev_lines[] =
	"first line\r\n# not a heading\n- not a list\n===\n1. not ordered\n    not code\n> not a quote\n\n"
	"<div>not html</div>\n```\nlast \\";
static const char summary_hostile[] = "- summary that looks like a list item | with `code` and <b>tags</b>";
static const char secret_line[] =
	"connect() failed password=hunter2 DATABASE_URL=postgres://app:s3cr3t/p4ss@db:5432/app `x`";

static void fx_hostile(struct fx *f, char *huge, size_t hugesz)
{
	struct gw_finding *g = fx_finding(f, GW_CAUSE_UPSTREAM_DOWN, GW_SEV_CRIT, summary_hostile);
	f->d.verdict = 0;
	f->d.status = GW_SEV_CRIT;
	g->nevidence = 3;
	GW_COPY(g->evidence[0], ev_hostile);
	GW_COPY(g->evidence[1], ev_lines);
	GW_COPY(g->evidence[2], secret_line);
	g->nfix = 1;
	GW_COPY(g->fix[0], "start the app | then `reload`");
	g->ncommands = 2;
	GW_COPY(g->commands[0], "systemctl start 'app`.service'");
	GW_COPY(g->commands[1], "journalctl -u $'a\\x1b[31m' -n 50  ````");
	struct gw_finding *g2 = fx_finding(f, GW_CAUSE_NGINX_CONFIG_STALE, GW_SEV_WARN, "1) second");
	g2->nevidence = 1;
	GW_COPY(g2->evidence[0], "+ plus start");
	f->d.hops[GW_HOP_UPSTREAM].status = GW_HS_FAIL;
	GW_COPY(f->d.hops[GW_HOP_UPSTREAM].detail, "127.0.0.1:8000 | refused `x`\n<i>two</i>");
	GW_COPY(f->s.hostname, "web`1|<b>");

	struct gw_target *t = gw_vec_push(&f->s.targets);
	GW_COPY(t->display, "unix:/run/a|b`c`.sock");
	GW_COPY(t->directive, "proxy_pass");
	GW_COPY(t->upstream_name, "up|stream");
	t->probed = 1;
	t->err = 111;
	struct gw_target_state *ts = gw_vec_push(&f->d.targets);
	ts->state = GW_HS_FAIL;

	/* the log lines: one that closes any fence shorter than 1,001 */
	memset(huge, '`', hugesz - 1);
	huge[hugesz - 1] = '\0';
	fx_log(f, GW_LOG_CONNECT_REFUSED, GW_LV_ERROR, 1764999990, "connect() failed (111) ``` <script> | x");
	fx_log(f, GW_LOG_OTHER, GW_LV_INFO, 1764999991, "an info line that is not relevant");
	fx_log(f, GW_LOG_OTHER, GW_LV_ERROR, 1764999992, huge);
	fx_log(f, GW_LOG_APP_TRACEBACK, GW_LV_ERROR, 1764999993, secret_line);
	fx_log(f, GW_LOG_OTHER, GW_LV_WARN, 1764999994, "~~~\n```\n\x1b]0;title\x07 \xed\xa0\x80 end");
	GW_COPY(f->s.access.last_5xx_line, "127.0.0.1 - - \"GET /a|b`c` HTTP/1.1\" 502 0");
	f->s.access.read = 1;

	f->tl.have = 1;
	struct timeline_event *e = gw_vec_push(&f->tl.events);
	e->time = 1764999800;
	e->kind = TL_EV_UNIT_FAIL;
	GW_COPY(e->subject, "app|`x`.service");
	GW_COPY(e->text, "failed: exit-code | 1 <script>\nsecond line");
	e = gw_vec_push(&f->tl.events);
	e->time = 1764999900;
	e->kind = TL_EV_ACTION;
	e->approx = 1;
	GW_COPY(e->text, "restart | [x](y)");
	for (int i = 0; i < 4; i++) {
		struct timeline_minute *mi = gw_vec_push(&f->tl.minutes);
		mi->minute = 29416660 + i;
		mi->total = 10 + (unsigned)i;
		mi->n5xx = (unsigned)i;
		mi->n502 = (unsigned)i;
		mi->n2xx = 10;
	}
	struct timeline_path_stat *p = gw_vec_push(&f->tl.paths);
	GW_COPY(p->path, "/api/|`:id`|<x>");
	p->requests = 9;
	p->n5xx = 7;
	p->last_status = 502;
	f->tl.have_incident = 1;
	f->tl.incident.start = 1764999950;
	f->tl.incident.failed = 7;

	GW_COPY(f->acts[0].what, "restart app|x.service");
	f->acts[0].ok = 1;
	f->acts[0].when = 1764999900;
	GW_COPY(f->acts[0].outcome, "restarted: MainPID 5 -> 6 | `ok`");
	GW_COPY(f->acts[1].what, "nginx -t");
	f->acts[1].when = 1764999910;
	GW_COPY(f->acts[1].outcome, "nginx: [emerg] unknown directive \"x|y\" in /etc/nginx/a.conf:3\nnginx: configuration file test failed");
	f->in.actions = f->acts;
	f->in.nactions = 2;
	snapshot_note(&f->s, "journal|x", "cannot read `the` journal: <denied>");
}

static int valid_utf8_no_controls(const char *s)
{
	size_t len = strlen(s), i = 0;
	while (i < len) {
		long cp;
		size_t k = sanitize_decode((const unsigned char *)s + i, len - i, &cp);
		if (cp < 0 || (cp < 0x20 && cp != '\n') || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			return 0;
		i += k;
	}
	return 1;
}

static const struct tab *table_with(const struct doc *d, const char *first_cell)
{
	for (size_t i = 0; i < d->tables.n; i++)
		if (d->tables.v[i].cells.n && !strcmp(d->tables.v[i].cells.v[0], first_cell))
			return &d->tables.v[i];
	return NULL;
}

static void test_hostile_structure(void **state)
{
	(void)state;
	struct fx f;
	static char huge[1001];
	fx_init(&f);
	fx_hostile(&f, huge, sizeof huge);
	char *md = incident_markdown(&f.in);
	struct doc d;
	doc_parse(&d, md);

	/* no raw control byte, valid UTF-8; secrets masked */
	assert_true(valid_utf8_no_controls(md));
	assert_null(strstr(md, "hunter2"));
	assert_null(strstr(md, "s3cr3t"));
	assert_null(strstr(md, "p4ss"));

	/* nothing outside became HTML, a link or an image */
	assert_int_equal(d.html, 0);
	assert_int_equal(d.links, 0);
	assert_int_equal(d.images, 0);

	/* headings: one title, the sections in order, one per finding */
	assert_int_equal(d.h1.n, 1);
	char *host = expect_text("web`1|<b>", " / ");
	assert_non_null(strstr(d.h1.v[0], host));
	assert_non_null(strstr(d.h1.v[0], "upstream_down"));
	free(host);
	assert_int_equal(d.h2.n, NSECTIONS);
	for (size_t i = 0; i < NSECTIONS; i++)
		assert_string_equal(d.h2.v[i], sections[i]);
	assert_int_equal(d.h3.n, 2);
	assert_string_equal(d.h3.v[0], "1. CRIT upstream_down (upstream hop): the verdict");
	assert_string_equal(d.h3.v[1], "2. WARN nginx_config_stale (upstream hop)");

	/* the summary is one paragraph with its exact text, not a list */
	assert_true(has_str(d.paras.v, d.paras.n, summary_hostile));
	assert_true(has_str(d.paras.v, d.paras.n, "1) second"));

	/* every evidence item reads back as its sanitized text */
	const char *evs[] = { ev_hostile, ev_lines, secret_line, "+ plus start", "start the app | then `reload`" };
	for (size_t i = 0; i < sizeof evs / sizeof *evs; i++) {
		char *want = expect_text(evs[i], "\n");
		if (!has_str(d.items.v, d.items.n, want)) {
			fprintf(stderr, "missing item: [%s]\nmarkdown:\n%s\n", want, md);
			fail();
		}
		free(want);
	}

	/* tables: the head (7 rows), hops (6), targets (2), events (3),
	 * minutes (5), paths (2), actions (3); every row has the header's cells */
	assert_int_equal(d.tables.n, 7);
	for (size_t i = 0; i < d.tables.n; i++)
		assert_int_equal(d.tables.v[i].bad_rows, 0);
	const struct tab *hops = table_with(&d, "hop");
	assert_non_null(hops);
	assert_int_equal(hops->rows, 6);
	assert_int_equal(hops->ncols, 3);
	char *want = expect_text("127.0.0.1:8000 | refused `x`\n<i>two</i>", " / ");
	assert_string_equal(hops->cells.v[3 * 3 + 2], want);       /* row "upstream", column "detail" */
	free(want);
	const struct tab *tg = table_with(&d, "target");
	assert_non_null(tg);
	assert_int_equal(tg->rows, 2);
	assert_string_equal(tg->cells.v[4], "unix:/run/a|b`c`.sock");
	assert_string_equal(tg->cells.v[5], "proxy_pass (upstream up|stream)");
	const struct tab *evt = table_with(&d, "time");
	assert_non_null(evt);
	assert_int_equal(evt->rows, 3);
	assert_int_equal(evt->ncols, 4);
	assert_string_equal(evt->cells.v[4 + 2], "app|`x`.service");
	assert_string_equal(evt->cells.v[4 + 3], "failed: exit-code | 1 <script> / second line");
	const struct tab *mins = table_with(&d, "minute");
	assert_non_null(mins);
	assert_int_equal(mins->rows, 5);
	const struct tab *paths = table_with(&d, "path");
	assert_non_null(paths);
	assert_int_equal(paths->rows, 2);
	assert_string_equal(paths->cells.v[4], "/api/|`:id`|<x>");
	/* actions: the second "time" table */
	const struct tab *acts = NULL;
	for (size_t i = 0; i < d.tables.n; i++)
		if (d.tables.v[i].ncols == 4 && !strcmp(d.tables.v[i].cells.v[1], "action"))
			acts = &d.tables.v[i];
	assert_non_null(acts);
	assert_int_equal(acts->rows, 3);
	assert_string_equal(acts->cells.v[4 + 1], "restart app|x.service");
	assert_string_equal(acts->cells.v[4 + 3], "restarted: MainPID 5 -> 6 | `ok`");
	assert_string_equal(acts->cells.v[8 + 2], "failed");
	want = expect_text(f.acts[1].outcome, " / ");
	assert_string_equal(acts->cells.v[8 + 3], want);
	free(want);

	/* code blocks: the commands (sh), the log lines, the newest 5xx */
	assert_int_equal(d.code.n, 3);
	assert_string_equal(d.code_info.v[0], "sh");
	assert_string_equal(d.code.v[0], "systemctl start 'app`.service'\njournalctl -u $'a\\x1b[31m' -n 50  ````\n");
	assert_string_equal(d.code_info.v[1], "text");
	/* 4 relevant lines (the info one left out), each whole on one line */
	size_t nl = 0;
	for (const char *p = d.code.v[1]; *p; p++)
		nl += *p == '\n';
	assert_int_equal(nl, 4);
	assert_non_null(strstr(d.code.v[1], huge));                 /* 1,000 backticks, inside the block */
	assert_non_null(strstr(d.code.v[1], "connect() failed (111) ``` <script> | x"));
	assert_non_null(strstr(d.code.v[1], "password=***"));
	char *w2 = expect_code("~~~\n```\n\x1b]0;title\x07 \xed\xa0\x80 end");
	assert_non_null(strstr(d.code.v[1], w2));
	free(w2);
	assert_string_equal(d.code.v[2], "127.0.0.1 - - \"GET /a|b`c` HTTP/1.1\" 502 0\n");

	/* the note */
	want = expect_text("journal|x: cannot read `the` journal: <denied>", "\n");
	assert_true(has_str(d.items.v, d.items.n, want));
	free(want);

	doc_free(&d);
	free(md);
	fx_free(&f);
}

/* Healthy, no timeline, no actions, nothing read: every section says so. */
static void test_healthy_minimal(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	f.in.tl = NULL;
	char *md = incident_markdown(&f.in);
	struct doc d;
	doc_parse(&d, md);
	assert_int_equal(d.h2.n, NSECTIONS - 1);        /* no notes section */
	assert_true(has_str(d.paras.v, d.paras.n, "OK healthy: every hop answered"));
	assert_true(has_str(d.paras.v, d.paras.n, "No finding: nothing on the request path is broken."));
	assert_true(has_str(d.paras.v, d.paras.n, "None."));
	assert_int_equal(d.code.n, 0);
	assert_int_equal(d.tables.n, 2);                /* head, hops */
	doc_free(&d);
	free(md);
	fx_free(&f);
}

/* The same structure for random hostile strings in every kind of place. */
static void rand_str(char *buf, size_t size, unsigned *seed)
{
	static const char *const atoms[] = {
		"`", "``", "```", "~~~", "|", "\\", "<", ">", "<script>", "</pre>", "[", "]", "(", ")", "!", "#",
		"- ", "+ ", "* ", "1. ", "2) ", "===", "---", "___", "    ", "\t", "\n", "\r\n", "\r", "\x1b[2J",
		"\x1b]0;x\x07", "\xff", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x80\xae", "\xc2\x85", "&amp;", "&#60;",
		"$", "_", "*", "@", ":", "a", "b ", "é", "日本", " ", "password=pw1", "http://x.example/",
	};
	size_t n = 0, want = (size_t)(rand_r(seed) % (size - 1));
	buf[0] = '\0';
	while (n < want) {
		const char *a = atoms[rand_r(seed) % (sizeof atoms / sizeof *atoms)];
		size_t l = strlen(a);
		if (n + l >= size)
			break;
		memcpy(buf + n, a, l);
		n += l;
		buf[n] = '\0';
	}
}

/* block's last line is line (preceded by a blank: a log line follows its source) */
static int ends_line(const char *block, const char *line)
{
	size_t b = strlen(block), l = strlen(line);
	return b >= l + 2 && block[b - 1] == '\n' && !memcmp(block + b - 1 - l, line, l) && block[b - 2 - l] == ' ';
}

static void test_property_random(void **state)
{
	(void)state;
	unsigned seed = 19;
	for (int iter = 0; iter < 1500; iter++) {
		struct fx f;
		char ev[200], cell[120], span[120], line[300], subj[60];
		fx_init(&f);
		rand_str(ev, sizeof ev, &seed);
		rand_str(cell, sizeof cell, &seed);
		rand_str(span, sizeof span, &seed);
		rand_str(line, sizeof line, &seed);
		rand_str(subj, sizeof subj, &seed);
		struct gw_finding *g = fx_finding(&f, GW_CAUSE_UPSTREAM_DOWN, GW_SEV_CRIT, ev);
		f.d.verdict = 0;
		f.d.status = GW_SEV_CRIT;
		g->nevidence = 1;
		GW_COPY(g->evidence[0], ev);
		g->ncommands = 1;
		GW_COPY(g->commands[0], "true");
		GW_COPY(f.d.hops[GW_HOP_NGINX].detail, cell);
		struct gw_target *t = gw_vec_push(&f.s.targets);
		GW_COPY(t->display, span);
		fx_log(&f, GW_LOG_TIMEOUT, GW_LV_ERROR, 1764999990, line);
		f.tl.have = 1;
		struct timeline_event *e = gw_vec_push(&f.tl.events);
		e->time = 1764999900;
		e->kind = TL_EV_DEPLOY;
		GW_COPY(e->subject, subj);
		GW_COPY(e->text, cell);
		GW_COPY(f.acts[0].what, subj);
		GW_COPY(f.acts[0].outcome, ev);
		f.in.actions = f.acts;
		f.in.nactions = 1;

		char *md = incident_markdown(&f.in);
		struct doc d;
		doc_parse(&d, md);
		int ok = 1, where = 0;
#define CHK(c) do { if (ok && !(c)) { ok = 0; where = __LINE__; } } while (0)
		CHK(valid_utf8_no_controls(md));
		CHK(!d.html && !d.links && !d.images);
		CHK(d.h1.n == 1 && d.h2.n == NSECTIONS - 1 && d.h3.n == 1);
		CHK(d.code.n == 2 && d.tables.n == 5);
		for (size_t i = 0; ok && i < d.tables.n; i++)
			CHK(d.tables.v[i].bad_rows == 0);
		char *w_ev = expect_text(ev, "\n"), *w_cell = expect_text(cell, " / "), *w_span = expect_code(span);
		char *w_line = expect_code(line), *w_subj = expect_code(subj), *w_ev_cell = expect_text(ev, " / ");
		char *w_subj_cell = expect_text(subj, " / ");
		CHK(!w_ev[0] || has_str(d.paras.v, d.paras.n, w_ev));      /* an empty summary: no paragraph */
		CHK(has_str(d.items.v, d.items.n, w_ev));
		const struct tab *hops = ok ? table_with(&d, "hop") : NULL;
		CHK(hops && hops->rows == 6 && !strcmp(hops->cells.v[2 * 3 + 2], w_cell));
		const struct tab *tg = ok ? table_with(&d, "target") : NULL;
		/* an empty span is written as "" */
		CHK(tg && tg->rows == 2 && !strcmp(tg->cells.v[4], w_span[0] ? w_span : "\"\""));
		const struct tab *evt = ok ? table_with(&d, "time") : NULL;
		CHK(evt && evt->rows == 2);
		CHK(ok && !strcmp(evt->cells.v[4 + 2], w_subj));
		CHK(ok && !strcmp(evt->cells.v[4 + 3], w_cell));
		const struct tab *acts = ok ? &d.tables.v[d.tables.n - 1] : NULL;
		CHK(acts && acts->rows == 2 && !strcmp(acts->cells.v[4 + 1], w_subj_cell));
		CHK(ok && !strcmp(acts->cells.v[4 + 3], w_ev_cell));
		/* the log line whole, on the block's last line */
		CHK(ends_line(d.code.v[1], w_line));
		CHK(!strstr(md, "pw1"));
#undef CHK
		if (!ok) {
			fprintf(stderr, "iteration %d failed at line %d\nev=[%s]\ncell=[%s]\nspan=[%s]\nline=[%s]\nmarkdown:\n%s\n", iter,
			    where, w_ev, w_cell, w_span, w_line, md);
			fail();
		}
		free(w_ev); free(w_cell); free(w_span); free(w_line); free(w_subj); free(w_ev_cell); free(w_subj_cell);
		doc_free(&d);
		free(md);
		fx_free(&f);
	}
}

/* ---------------------------------------------------------------- the file */

static char tmpdir[256];

static int setup_dir(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/gwtop-incident-test.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	(void)state;
	DIR *dd = opendir(tmpdir);
	struct dirent *de;
	while (dd && (de = readdir(dd)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(dd), de->d_name, 0);
	if (dd)
		closedir(dd);
	rmdir(tmpdir);
	return 0;
}

static char *slurp(const char *path)
{
	size_t n;
	return gw_read_file(path, 1 << 20, &n);
}

static void test_write(void **state)
{
	(void)state;
	char path[512], written[512], err[1024], victim[512];
	struct stat st;
	double now = 1765000000.0;

	/* a new file: mode 0600 whatever the umask, the text as given */
	mode_t old = umask(0);
	snprintf(path, sizeof path, "%s/r.md", tmpdir);
	assert_int_equal(incident_write(path, "# hello\n", now, written, sizeof written, err, sizeof err), 0);
	umask(old);
	assert_string_equal(written, path);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	char *c = slurp(path);
	assert_string_equal(c, "# hello\n");
	free(c);

	/* the same name again: refused, the file unchanged */
	assert_int_equal(incident_write(path, "# other\n", now, written, sizeof written, err, sizeof err), -1);
	assert_non_null(strstr(err, "refusing"));
	assert_non_null(strstr(err, "a file"));
	c = slurp(path);
	assert_string_equal(c, "# hello\n");
	free(c);

	/* a symlink planted at the name: refused, never followed */
	snprintf(victim, sizeof victim, "%s/victim", tmpdir);
	int fd = open(victim, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "precious\n", 9), 9);
	close(fd);
	snprintf(path, sizeof path, "%s/link.md", tmpdir);
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(incident_write(path, "# evil\n", now, written, sizeof written, err, sizeof err), -1);
	assert_non_null(strstr(err, "symbolic link"));
	c = slurp(victim);
	assert_string_equal(c, "precious\n");
	free(c);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* a dangling symlink too (O_CREAT would have created its target) */
	snprintf(victim, sizeof victim, "%s/nothing-here", tmpdir);
	snprintf(path, sizeof path, "%s/dangling.md", tmpdir);
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(incident_write(path, "# evil\n", now, written, sizeof written, err, sizeof err), -1);
	assert_int_equal(lstat(victim, &st), -1);

	/* a directory (with or without the slash): the default name in it */
	char want[512], def[256];
	incident_default_path(def, sizeof def, now);
	snprintf(want, sizeof want, "%s/%s", tmpdir, strrchr(def, '/') + 1);
	assert_int_equal(incident_write(tmpdir, "# d\n", now, written, sizeof written, err, sizeof err), 0);
	assert_string_equal(written, want);
	assert_int_equal(stat(want, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(path, sizeof path, "%s/", tmpdir);
	assert_int_equal(incident_write(path, "# d\n", now + 1, written, sizeof written, err, sizeof err), 0);
	assert_int_equal(stat(written, &st), 0);
	/* the same second again: the default name gets -2, then -3 */
	assert_int_equal(incident_write(path, "# d2\n", now, written, sizeof written, err, sizeof err), 0);
	snprintf(want + strlen(want) - 3, 8, "-2.md");
	assert_string_equal(written, want);
	assert_int_equal(incident_write(tmpdir, "# d3\n", now, written, sizeof written, err, sizeof err), 0);
	snprintf(want + strlen(want) - 5, 8, "-3.md");
	assert_string_equal(written, want);

	/* no temp file left behind by the refusals */
	DIR *dd = opendir(tmpdir);
	struct dirent *de;
	while ((de = readdir(dd)))
		assert_null(strstr(de->d_name, ".tmp."));
	closedir(dd);
}

static void test_default_path(void **state)
{
	(void)state;
	char p[256];
	regex_t re;
	incident_default_path(p, sizeof p, 1765000000.0);
	assert_int_equal(regcomp(&re, "^/var/tmp/gwtop-incident-[0-9]{8}-[0-9]{6}\\.md$", REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(regexec(&re, p, 0, NULL, 0), 0);
	regfree(&re);
	setenv("TZ", "UTC", 1);
	tzset();
	incident_default_path(p, sizeof p, 1765000000.0);
	assert_string_equal(p, "/var/tmp/gwtop-incident-20251206-054640.md");
}

/* Without a timeline the report still has its events: from the snapshot. */
static void test_collect_snapshot(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	f.s.nginx.master_pid = 42;
	f.s.nginx.master_start = 1764999800;
	struct gw_unit *u = gw_vec_push(&f.s.units);
	GW_COPY(u->name, "app.service");
	u->loaded = 1;
	GW_COPY(u->active_state, "failed");
	GW_COPY(u->result, "exit-code");
	u->exec_main_status = 3;
	u->exec_main_start = 1764999850;
	struct gw_log_event *e = fx_log(&f, GW_LOG_OOM_KILL, GW_LV_ERROR, 1764999900, "Out of memory: Killed process 7 (python)");
	GW_COPY(e->detail, "python");
	fx_log(&f, GW_LOG_APP_MODULE_NOT_FOUND, GW_LV_ERROR, 1764000000, "too old: out of the window");
	f.s.access.read = 1;
	f.s.access.total = 12;
	f.s.access.n5xx = 5;
	incident_timeline_collect(&f.tl, &f.s, f.in.from, f.in.to);
	assert_int_equal(f.tl.have, 0);
	assert_int_equal(f.tl.events.n, 4);
	assert_int_equal(f.tl.events.v[0].kind, TL_EV_NGINX_START);
	assert_int_equal(f.tl.events.v[1].kind, TL_EV_UNIT_START);
	assert_int_equal(f.tl.events.v[2].kind, TL_EV_OOM_KILL);
	assert_int_equal(f.tl.events.v[3].kind, TL_EV_UNIT_FAIL);
	assert_int_equal(f.tl.events.v[3].approx, 1);
	assert_true(f.tl.have_access);
	char *md = incident_markdown(&f.in);
	struct doc d;
	doc_parse(&d, md);
	const struct tab *evt = table_with(&d, "time");
	assert_non_null(evt);
	assert_int_equal(evt->rows, 5);
	assert_string_equal(evt->cells.v[4 * 3 + 1], "oom_kill");
	const struct tab *acc = table_with(&d, "requests");
	assert_non_null(acc);
	assert_int_equal(acc->rows, 2);
	assert_string_equal(acc->cells.v[acc->ncols], "12");
	assert_string_equal(acc->cells.v[acc->ncols + 5], "5");
	doc_free(&d);
	free(md);
	fx_free(&f);
}

/* With the real timeline (src/timeline.c) fed requests and events: the
 * minutes, the failing paths (ids folded), the current incident. */
static void req(struct timeline *tl, double t, int status, const char *path)
{
	struct timeline_request r = { .time = t, .status = status, .path = path, .path_len = strlen(path),
				      .request_time = -1 };
	timeline_add_request(tl, &r);
}

static void test_collect_timeline(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	struct timeline *tl = timeline_new();
	double t0 = 1764999720;                      /* a minute start inside the window */
	for (int i = 0; i < 5; i++)
		req(tl, t0 + i, 200, "/");
	for (int i = 0; i < 3; i++)
		req(tl, t0 + 61 + i, 502, "/api/users/123");
	req(tl, t0 + 90, 200, "/");
	req(tl, t0 + 121, 504, "/api/users/456?x=1");
	req(tl, t0 + 122, 504, "/api/users/789");
	timeline_add_event(tl, t0 + 60, TL_EV_UNIT_FAIL, 0, "app|x.service", "failed: %s", "exit-code `1`");
	timeline_add_event(tl, f.in.from - 4000, TL_EV_DEPLOY, 0, "old", "long before the window");
	f.s.timeline = tl;

	incident_timeline_collect(&f.tl, &f.s, f.in.from, f.in.to);
	assert_int_equal(f.tl.have, 1);
	assert_int_equal(f.tl.events.n, 1);
	assert_int_equal(f.tl.minutes.n, 3);
	assert_int_equal(f.tl.paths.n, 1);
	assert_string_equal(f.tl.paths.v[0].path, "/api/users/:id");
	assert_int_equal(f.tl.paths.v[0].n5xx, 5);
	assert_int_equal(f.tl.have_incident, 1);
	assert_true(f.tl.incident.start == t0 + 61);
	assert_true(f.tl.incident.recovered == 0);

	/* the window reaches back to the incident's start when it is older */
	double from, to;
	f.d.since = t0 + 100;
	incident_window(&f.s, &f.d, f.in.generated, &from, &to);
	assert_true(from == t0 + 61);
	assert_true(to == f.s.finished);

	char *md = incident_markdown(&f.in);
	struct doc d;
	doc_parse(&d, md);
	const struct tab *mins = table_with(&d, "minute");
	assert_non_null(mins);
	assert_int_equal(mins->rows, 4);
	int c5 = -1;
	for (int k = 0; k < mins->ncols; k++)
		if (!strcmp(mins->cells.v[k], "5xx"))
			c5 = k;
	assert_true(c5 > 0);
	assert_string_equal(mins->cells.v[1 * mins->ncols + c5], "0");
	assert_string_equal(mins->cells.v[2 * mins->ncols + c5], "3");
	assert_string_equal(mins->cells.v[3 * mins->ncols + c5], "2");
	assert_string_equal(mins->cells.v[2 * mins->ncols + 1], "4");          /* requests */
	const struct tab *paths = table_with(&d, "path");
	assert_non_null(paths);
	assert_int_equal(paths->rows, 2);
	assert_string_equal(paths->cells.v[4], "/api/users/:id");
	assert_string_equal(paths->cells.v[7], "504");
	const struct tab *evt = table_with(&d, "time");
	assert_non_null(evt);
	assert_int_equal(evt->rows, 2);
	assert_string_equal(evt->cells.v[5], "unit_fail");
	assert_string_equal(evt->cells.v[7], "failed: exit-code `1`");
	int found = 0;
	for (size_t i = 0; i < d.paras.n; i++)
		found |= !strncmp(d.paras.v[i], "Incident: the first failing request at ", 39) &&
		    strstr(d.paras.v[i], "still failing (5 failing requests)") != NULL;
	assert_true(found);
	doc_free(&d);
	free(md);
	f.s.timeline = NULL;
	timeline_free(tl);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_structure),
		cmocka_unit_test(test_healthy_minimal),
		cmocka_unit_test(test_property_random),
		cmocka_unit_test_setup_teardown(test_write, setup_dir, teardown_dir),
		cmocka_unit_test(test_default_path),
		cmocka_unit_test(test_collect_snapshot),
		cmocka_unit_test(test_collect_timeline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
