/* test_log_links.c — what the logs pane's links and search highlight rest
 * on: the cause registry's kinds (gw_cause_supported_by) agree with the rules (every log line a
 * finding quotes as evidence is of a kind that supports its cause, over a
 * set of fixture faults run through the real diagnose()), and
 * ui_line_highlight cuts only the sanitized text, on code point
 * boundaries, within UI_MAXSEG segments. */
#include <errno.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "diagnose.h"
#include "text.h"

#define NOW 1800000000.0

/* ------------------------------------------------------------ kind -> cause */

/* Does a line of kind k support the cause named `id` (an unknown id: no)? */
static int supports(enum gw_log_kind k, const char *id)
{
	int c = gw_cause_by_id(id);
	return c >= 0 && gw_cause_supported_by((enum gw_cause)c, k);
}

static void test_table(void **st)
{
	(void)st;
	assert_true(supports(GW_LOG_CONNECT_REFUSED, "upstream_down"));
	assert_true(supports(GW_LOG_CONNECT_REFUSED, "app_boot_failure"));   /* refined */
	assert_true(supports(GW_LOG_APP_MODULE_NOT_FOUND, "app_boot_failure"));
	assert_true(supports(GW_LOG_OOM_KILL, "oom_killed"));
	assert_true(supports(GW_LOG_APP_WORKER_TIMEOUT, "app_crash_during_request"));
	assert_true(supports(GW_LOG_PREMATURE_CLOSE, "app_crash_during_request"));
	assert_true(supports(GW_LOG_APP_DB, "db_unreachable"));
	assert_false(supports(GW_LOG_CONNECT_REFUSED, "socket_permission"));
	assert_false(supports(GW_LOG_SOCKET_EACCES, "upstream_down"));
	assert_false(supports(GW_LOG_TIMEOUT, "healthy"));
	assert_false(supports(GW_LOG_OTHER, "upstream_down"));
	assert_false(supports(GW_LOG_KIND_MAX, "upstream_down"));
	assert_false(supports((enum gw_log_kind)-1, "upstream_down"));
	assert_false(supports(GW_LOG_CONNECT_REFUSED, NULL));
	assert_false(supports(GW_LOG_CONNECT_REFUSED, ""));
}

static struct gw_snapshot *snap_new(void)
{
	struct gw_snapshot *s = calloc(1, sizeof *s);
	snapshot_init(s);
	s->taken = NOW - 1;
	s->is_root = 1;
	GW_COPY(s->conf.conf_path, "/etc/nginx/nginx.conf");
	s->conf.parsed = s->conf.ok = 1;
	s->nginx.master_pid = 100;
	s->nginx.nworkers = 2;
	s->nginx.last_reload = NOW - 3600;
	GW_COPY(s->nginx.worker_user, "www-data");
	s->ntest.ran = s->ntest.ok = 1;
	struct gw_proc *p = gw_vec_push(&s->procs);
	p->pid = 100; p->ppid = 1; p->role = GW_ROLE_NGINX_MASTER;
	GW_COPY(p->comm, "nginx");
	return s;
}

static struct gw_target *add_target(struct gw_snapshot *s, const char *unix_path)
{
	struct gw_target *t = gw_vec_push(&s->targets);
	if (unix_path) {
		t->addr.kind = GW_ADDR_UNIX;
		GW_COPY(t->addr.path, unix_path);
	} else {
		t->addr.kind = GW_ADDR_INET;
		GW_COPY(t->addr.host, "127.0.0.1");
		t->addr.port = 8000;
	}
	gw_addr_str(&t->addr, t->display, sizeof t->display);
	GW_COPY(t->directive, "proxy_pass");
	GW_COPY(t->pass_loc.file, "/etc/nginx/sites-enabled/app");
	t->pass_loc.line = 7;
	t->listener_idx = -1;
	t->probed = 1;
	return t;
}

static void add_app(struct gw_snapshot *s)
{
	struct gw_proc *p = gw_vec_push(&s->procs);
	p->pid = 200; p->ppid = 1; p->role = GW_ROLE_GUNICORN_MASTER;
	p->start_time = NOW - 600;
	GW_COPY(p->comm, "gunicorn");
	GW_COPY(p->cmdline, "gunicorn --bind 127.0.0.1:8000 app:app");
}

static void add_event(struct gw_snapshot *s, enum gw_log_kind k, const char *source, const char *line)
{
	struct gw_log_event *e = gw_vec_push(&s->events);
	e->kind = k;
	e->time = NOW - 10;
	e->level = GW_LV_ERROR;
	GW_COPY(e->line, line);
	GW_COPY(e->detail, line);
	GW_COPY(e->source, source);
}

#define NGX "nginx-error:/var/log/nginx/error.log"
#define APP "app:/var/log/app.log"

/* Every evidence line quoting a log event names a cause that event's kind
 * supports; returns how many such quotes there were. */
static int check_quotes(const struct gw_snapshot *s, const char *want_cause)
{
	struct gw_diag_config c = { .now = NOW, .recent_window = 300 };
	struct gw_diagnosis d;
	int quotes = 0, saw = 0;
	diagnose(s, &c, &d);
	for (size_t fi = 0; fi < d.findings.n; fi++) {
		const struct gw_finding *f = &d.findings.v[fi];
		saw |= !strcmp(gw_cause_id(f->cause), want_cause);
		for (int i = 0; i < f->nevidence; i++)
			for (size_t k = 0; k < s->events.n; k++) {
				const struct gw_log_event *e = &s->events.v[k];
				const char *q = strstr(f->evidence[i], "): ");
				if (!q || strcmp(q + 3, e->line))
					continue;
				quotes++;
				if (!gw_cause_supported_by(f->cause, e->kind))
					fail_msg("%s quotes a %s line it is not linked to: %s", gw_cause_id(f->cause),
						 gw_log_kind_name(e->kind), e->line);
			}
	}
	if (!saw)
		fail_msg("no %s finding", want_cause);
	diagnosis_free(&d);
	return quotes;
}

static void test_rules_agree(void **st)
{
	(void)st;
	struct gw_snapshot *s;
	struct gw_target *t;

	s = snap_new();                          /* app down */
	add_target(s, NULL)->err = ECONNREFUSED;
	add_event(s, GW_LOG_CONNECT_REFUSED, NGX, "connect() failed (111: Connection refused) while connecting to upstream");
	add_event(s, GW_LOG_NO_LIVE, NGX, "no live upstreams while connecting to upstream");
	assert_true(check_quotes(s, "upstream_down") >= 2);
	snapshot_free(s); free(s);

	s = snap_new();                          /* ... refined: the app cannot boot */
	add_target(s, NULL)->err = ECONNREFUSED;
	add_event(s, GW_LOG_CONNECT_REFUSED, NGX, "connect() failed (111: Connection refused) while connecting to upstream");
	add_event(s, GW_LOG_APP_MODULE_NOT_FOUND, APP, "ModuleNotFoundError: No module named 'psycopg2'");
	assert_true(check_quotes(s, "app_boot_failure") >= 1);
	snapshot_free(s); free(s);

	s = snap_new();                          /* ... refined: OOM */
	add_target(s, NULL)->err = ECONNREFUSED;
	add_event(s, GW_LOG_OOM_KILL, "kernel", "Out of memory: Killed process 201 (gunicorn)");
	assert_true(check_quotes(s, "oom_killed") >= 1);
	snapshot_free(s); free(s);

	s = snap_new();                          /* socket missing */
	t = add_target(s, "/run/app.sock");
	t->err = ENOENT;
	t->perm_checked = 1;
	add_event(s, GW_LOG_SOCKET_NOENT, NGX, "connect() to unix:/run/app.sock failed (2: No such file or directory)");
	assert_true(check_quotes(s, "socket_missing") >= 1);
	snapshot_free(s); free(s);

	s = snap_new();                          /* socket permission */
	t = add_target(s, "/run/app.sock");
	t->err = EACCES;
	add_event(s, GW_LOG_SOCKET_EACCES, NGX, "connect() to unix:/run/app.sock failed (13: Permission denied)");
	assert_true(check_quotes(s, "socket_permission") >= 1);
	snapshot_free(s); free(s);

	s = snap_new();                          /* worker timeout mid-request */
	add_app(s);
	t = add_target(s, NULL);
	t->reachable = t->http_ok = 1;
	add_event(s, GW_LOG_PREMATURE_CLOSE, NGX, "upstream prematurely closed connection while reading response header");
	add_event(s, GW_LOG_RESET, NGX, "recv() failed (104: Connection reset by peer) while reading response header");
	add_event(s, GW_LOG_APP_WORKER_TIMEOUT, APP, "[CRITICAL] WORKER TIMEOUT (pid:201)");
	add_event(s, GW_LOG_TIMEOUT, NGX, "upstream timed out (110: Connection timed out) while reading response header");
	add_event(s, GW_LOG_BIG_HEADER, NGX, "upstream sent too big header while reading response header");
	add_event(s, GW_LOG_AGAIN, NGX, "connect() failed (11: Resource temporarily unavailable)");
	add_event(s, GW_LOG_RESOLVE, NGX, "app.internal could not be resolved (3: Host not found)");
	assert_true(check_quotes(s, "app_crash_during_request") >= 7);
	snapshot_free(s); free(s);
}

/* ------------------------------------------------------------ highlight */

static struct ui_lines L;

static struct ui_line *line_of(const char *dim, const char *raw)
{
	ui_lines_clear(&L);
	ui_line_new(&L);
	ui_puts(&L, UI_DIM, dim);
	ui_puts(&L, UI_FAIL, raw);
	return &L.lines.v[0];
}

/* Segments tile the text in order; returns the number of UI_SEL ones. */
static int check_segs(const struct ui_line *ln)
{
	size_t off = 0;
	int nsel = 0;
	assert_true(ln->nseg >= 1 && ln->nseg <= UI_MAXSEG);
	for (int i = 0; i < ln->nseg; i++) {
		assert_int_equal(ln->seg[i].off, off);
		assert_true(ln->seg[i].len > 0);
		off += ln->seg[i].len;
		nsel += ln->seg[i].role == UI_SEL;
	}
	assert_int_equal(off, ln->len);
	return nsel;
}

/* The text of the i-th highlighted segment. */
static const char *sel_text(const struct ui_line *ln, int k, char *buf, size_t size)
{
	for (int i = 0; i < ln->nseg; i++)
		if (ln->seg[i].role == UI_SEL && k-- == 0) {
			gw_fmt(buf, size, "%.*s", (int)ln->seg[i].len, ln->text + ln->seg[i].off);
			return buf;
		}
	return "";
}

static void test_highlight_plain(void **st)
{
	(void)st;
	char b[64];
	struct ui_line *ln = line_of("12:00:01 ", "connect() failed, CONNECT again");
	assert_int_equal(ui_line_highlight(ln, "Connect", UI_SEL), 2);     /* case-insensitive */
	assert_int_equal(check_segs(ln), 2);
	assert_string_equal(sel_text(ln, 0, b, sizeof b), "connect");
	assert_string_equal(sel_text(ln, 1, b, sizeof b), "CONNECT");
	assert_string_equal(ln->text, "12:00:01 connect() failed, CONNECT again");
	/* the text around keeps its role */
	assert_int_equal(ln->seg[0].role, UI_DIM);
	assert_int_equal(ln->seg[ln->nseg - 1].role, UI_FAIL);
	/* across the segments' border: "01 conn" starts in the dim time */
	ln = line_of("12:00:01 ", "connect()");
	assert_int_equal(ui_line_highlight(ln, "01 conn", UI_SEL), 1);
	assert_int_equal(check_segs(ln), 1);
	assert_string_equal(sel_text(ln, 0, b, sizeof b), "01 conn");
	/* no pattern, no match: untouched */
	assert_int_equal(ui_line_highlight(ln, "", UI_SEL), 0);
	assert_int_equal(ui_line_highlight(ln, NULL, UI_SEL), 0);
	assert_int_equal(ui_line_highlight(ln, "zzz", UI_SEL), 0);
}

static void test_highlight_sanitized(void **st)
{
	(void)st;
	char b[64];
	/* an escape sequence is inert text (U+FFFD "[31m"): the raw ESC can
	 * never match, the visible rest can, after the replacement char */
	struct ui_line *ln = line_of("", "\x1b[31mred\x1b[0m");
	assert_string_equal(ln->text, "\xef\xbf\xbd[31mred\xef\xbf\xbd[0m");
	assert_int_equal(ui_line_highlight(ln, "\x1b[31m", UI_SEL), 0);
	assert_int_equal(ui_line_highlight(ln, "[31m", UI_SEL), 1);
	assert_string_equal(sel_text(ln, 0, b, sizeof b), "[31m");
	for (int i = 0; i < ln->nseg; i++)
		if (ln->seg[i].role == UI_SEL)
			assert_int_equal(ln->seg[i].off, 3);   /* after the 3 bytes of U+FFFD */
	/* never inside a UTF-8 sequence: "é" is C3 A9 */
	ln = line_of("", "caf\xc3\xa9 ok");
	assert_int_equal(ui_line_highlight(ln, "\xa9", UI_SEL), 0);
	assert_int_equal(ui_line_highlight(ln, "\xc3", UI_SEL), 0);
	assert_int_equal(check_segs(ln), 0);
	/* wide characters: offsets are bytes, the screen columns come from them */
	ln = line_of("", "\xe6\x97\xa5\xe6\x9c\xac 502 bad gateway");
	assert_int_equal(ui_line_highlight(ln, "502", UI_SEL), 1);
	for (int i = 0; i < ln->nseg; i++)
		if (ln->seg[i].role == UI_SEL) {
			int cols;
			assert_int_equal(ln->seg[i].off, 7);
			ui_fit(ln->text, ln->seg[i].off, 100, &cols);
			assert_int_equal(cols, 5);               /* two wide chars + a space */
		}
}

static void test_highlight_many(void **st)
{
	(void)st;
	char raw[200] = "";
	for (int i = 0; i < 40; i++)
		strcat(raw, "ab ");
	struct ui_line *ln = line_of("x ", raw);
	int n = ui_line_highlight(ln, "ab", UI_SEL);
	/* as many as fit in the segments, in order from the start; the rest plain */
	assert_true(n >= 8 && n < 40);
	assert_int_equal(check_segs(ln), n);
	assert_true(ln->nseg <= UI_MAXSEG);
	assert_int_equal(ln->seg[ln->nseg - 1].role, UI_FAIL);
	/* adjacent matches merge into one segment */
	ln = line_of("", "aaaa");
	assert_int_equal(ui_line_highlight(ln, "a", UI_SEL), 4);
	assert_int_equal(check_segs(ln), 1);
	assert_int_equal(ln->nseg, 1);
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");           /* wcwidth knows wide characters */
	ui_text_init(0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_rules_agree),
		cmocka_unit_test(test_highlight_plain),
		cmocka_unit_test(test_highlight_sanitized),
		cmocka_unit_test(test_highlight_many),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	ui_lines_free(&L);
	return rc;
}
