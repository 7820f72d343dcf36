/* fuzz_report.c — libFuzzer target for the reports (src/report.c) on a
 * snapshot whose outside strings (hostname, targets, notes, log events,
 * config errors, nginx -t output...) and numbers come from the fuzz input,
 * diagnosed by the real diagnose() plus one finding made of fuzz bytes.
 * Properties:
 *  - report_json's output parses back with jansson, is an object with
 *    version 1 and a status string;
 *  - report_text (colour off) writes no byte < 0x20 but '\n', no DEL and
 *    no raw C1 / ill-formed UTF-8 (it is valid UTF-8: C.UTF-8 locale);
 *  - report_prometheus writes valid UTF-8 with no control byte but '\n'. */
#include <jansson.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "appbind.h"
#include "diagnose.h"
#include "incident.h"
#include "report.h"
#include "sanitize.h"
#include "timeline.h"

struct fz_in {
	const uint8_t *p, *end;
};

static unsigned fz_byte(struct fz_in *in)
{
	return in->p < in->end ? *in->p++ : 0;
}

static int fz_int(struct fz_in *in)
{
	unsigned v = fz_byte(in);
	v = v << 8 | fz_byte(in);
	return (int)(int16_t)v;
}

/* Fill a fixed char array: a length byte, then that many raw bytes. */
static void fz_str_(struct fz_in *in, char *dst, size_t size)
{
	size_t n = fz_byte(in);
	if (n == 255) n = size;          /* as long as the field allows */
	if (n > (size_t)(in->end - in->p)) n = (size_t)(in->end - in->p);
	if (n > size - 1) n = size - 1;
	memcpy(dst, in->p, n);
	dst[n] = '\0';
	in->p += n;
}
#define FZ_STR(in, a) fz_str_((in), (a), sizeof(a))

static void fz_addr(struct fz_in *in, struct gw_addr *a)
{
	a->kind = (enum gw_addr_kind)(fz_byte(in) % 8);
	FZ_STR(in, a->host);
	a->port = fz_int(in);
	FZ_STR(in, a->path);
}

static void fz_snapshot(struct fz_in *in, struct gw_snapshot *s)
{
	s->taken = fz_byte(in) ? 1.7e9 + fz_int(in) : 0;
	s->finished = s->taken;
	s->is_root = fz_byte(in) & 1;
	FZ_STR(in, s->hostname);
	s->conf.parsed = fz_byte(in) & 1;
	s->conf.ok = fz_byte(in) & 1;
	FZ_STR(in, s->conf.conf_path);
	FZ_STR(in, s->conf.error);
	FZ_STR(in, s->conf.error_loc.file);
	s->conf.error_loc.line = fz_int(in);
	s->ntest.ran = fz_byte(in) & 1;
	s->ntest.ok = fz_byte(in) & 1;
	s->ntest.exit_code = fz_int(in);
	FZ_STR(in, s->ntest.output);
	FZ_STR(in, s->ntest.error_file);
	s->ntest.error_line = fz_int(in);
	s->nginx.master_pid = fz_int(in);
	s->nginx.nworkers = fz_byte(in);
	FZ_STR(in, s->nginx.stale_file);
	s->nginx.stale = fz_byte(in) & 1;
	s->unknown = fz_byte(in) % 5 == 0;
	FZ_STR(in, s->unknown_reason);

	for (unsigned n = fz_byte(in) % 4; n; n--) {
		struct gw_target *t = gw_vec_push(&s->targets);
		fz_addr(in, &t->addr);
		FZ_STR(in, t->display);
		FZ_STR(in, t->directive);
		FZ_STR(in, t->upstream_name);
		FZ_STR(in, t->pass_loc.file);
		t->pass_loc.line = fz_int(in);
		FZ_STR(in, t->server_loc.file);
		t->server_loc.line = fz_int(in);
		FZ_STR(in, t->location);
		FZ_STR(in, t->server_name);
		t->listener_idx = fz_int(in) % 4;
		unsigned f = fz_byte(in);
		t->probed = f & 1; t->reachable = f >> 1 & 1; t->http_ok = f >> 2 & 1;
		t->timed_out = f >> 3 & 1; t->not_http = f >> 4 & 1; t->perm_checked = f >> 5 & 1;
		t->perm_ok = f >> 6 & 1; t->exists = f >> 7 & 1;
		t->http_status = fz_int(in);
		t->err = fz_byte(in);
		t->connect_ms = fz_int(in) / 7.0;
		t->total_ms = fz_int(in) / 3.0;
		FZ_STR(in, t->error);
		FZ_STR(in, t->perm_path);
		FZ_STR(in, t->perm_detail);
	}
	for (unsigned n = fz_byte(in) % 4; n; n--) {
		struct gw_listener *l = gw_vec_push(&s->listeners);
		l->family = (int[]){ 1, 2, 10 }[fz_byte(in) % 3];
		FZ_STR(in, l->addr);
		l->port = fz_int(in);
		FZ_STR(in, l->path);
		l->pid = fz_int(in);
		FZ_STR(in, l->comm);
		l->queue = fz_byte(in);
		l->backlog = fz_byte(in);
	}
	for (unsigned n = fz_byte(in) % 4; n; n--) {
		struct gw_proc *p = gw_vec_push(&s->procs);
		p->pid = fz_int(in);
		p->role = (enum gw_role)(fz_byte(in) % 10);
		FZ_STR(in, p->comm);
		FZ_STR(in, p->cmdline);
		FZ_STR(in, p->user);
		FZ_STR(in, p->unit);
		p->start_time = 1.7e9 + fz_int(in);
	}
	/* what the listeners probe stores: each app master's cmdline bind and
	 * the listener that takes it (listeners_match_apps, less its /etc/hosts
	 * and realpath look-ups) */
	for (size_t i = 0; i < s->procs.n; i++) {
		struct gw_addr a;
		const struct gw_proc *p = &s->procs.v[i];
		if (!appbind_parse(p->cmdline, &a)) continue;
		struct gw_app_bind *b = gw_vec_push(&s->app_binds);
		b->pid = p->pid;
		b->addr = a;
		b->listener_idx = addr_find_listener(s->listeners.v, s->listeners.n, &a, NULL);
	}
	for (unsigned n = fz_byte(in) % 6; n; n--) {
		struct gw_log_event *e = gw_vec_push(&s->events);
		e->kind = (enum gw_log_kind)(fz_byte(in) % GW_LOG_KIND_MAX);
		e->level = (enum gw_level)(fz_byte(in) % 8);
		e->time = 1.7e9 + fz_int(in);
		e->err = fz_byte(in);
		e->pid = fz_int(in);
		FZ_STR(in, e->source);
		FZ_STR(in, e->upstream);
		FZ_STR(in, e->request);
		FZ_STR(in, e->detail);
		FZ_STR(in, e->line);
	}
	for (unsigned n = fz_byte(in) % 3; n; n--) {
		struct gw_log_source *ls = gw_vec_push(&s->log_sources);
		FZ_STR(in, ls->path);
		FZ_STR(in, ls->tag);
		ls->readable = fz_byte(in) & 1;
		FZ_STR(in, ls->error);
	}
	for (unsigned n = fz_byte(in) % 3; n; n--) {
		struct gw_note *no = gw_vec_push(&s->notes);
		FZ_STR(in, no->probe);
		FZ_STR(in, no->text);
	}
	s->mem.ok = fz_byte(in) & 1;
	s->mem.total_kb = (unsigned long)fz_int(in) * 1024u;
	s->mem.available_kb = (unsigned long)fz_byte(in) * 1024u;
}

static void fz_finding(struct fz_in *in, struct gw_diagnosis *d)
{
	struct gw_finding *f = gw_vec_push(&d->findings);
	f->cause = GW_CAUSE_UPSTREAM_DOWN;
	f->severity = (enum gw_severity)(fz_byte(in) % 4);
	f->hop = (enum gw_hop)(fz_byte(in) % GW_HOP_MAX);
	FZ_STR(in, f->summary);
	f->nevidence = fz_byte(in) % (GW_MAX_EVIDENCE + 1);
	for (int i = 0; i < f->nevidence; i++) FZ_STR(in, f->evidence[i]);
	f->nfix = fz_byte(in) % (GW_MAX_FIX + 1);
	for (int i = 0; i < f->nfix; i++) FZ_STR(in, f->fix[i]);
	f->ncommands = fz_byte(in) % (GW_MAX_FIX + 1);
	for (int i = 0; i < f->ncommands; i++) FZ_STR(in, f->commands[i]);
	if (d->verdict < 0) d->verdict = (int)d->findings.n - 1;
	for (int h = 0; h < GW_HOP_MAX; h++)
		if (!d->hops[h].detail[0]) FZ_STR(in, d->hops[h].detail);
}

/* Strict UTF-8, no control byte except '\n' (and no C1 code point).
 * Not instrumented: its per-byte compares were a fifth of the run time and
 * guide nothing (the checker is not the code under test). */
__attribute__((no_sanitize("coverage")))
static void fz_check_text(const char *s, size_t n, const char *what)
{
	for (size_t i = 0; i < n;) {
		long cp;
		size_t k = sanitize_decode((const unsigned char *)s + i, n - i, &cp);
		if (cp < 0 || (cp < 0x20 && cp != '\n') || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
			fprintf(stderr, "%s: bad code point %ld at byte %zu\n", what, cp, i);
			abort();
		}
		i += k;
	}
}

/* The incident report's Markdown structure: fences close (a closing fence
 * is a line of backticks at least as long as the opening one), and
 * outside them the "## " sections are exactly the report's own. */
__attribute__((no_sanitize("coverage")))
static void fz_check_markdown(const char *s, const struct gw_snapshot *snap)
{
	size_t fence = 0, h2 = 0, want = 8 + (snap->notes.n ? 1 : 0);
	for (const char *l = s; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l), ticks = strspn(l, "`");
		if (ticks > len)
			ticks = len;
		if (fence) {
			if (ticks >= fence && ticks == len)
				fence = 0;
		} else if (ticks >= 3) {
			fence = ticks;
		} else if (len >= 3 && !strncmp(l, "## ", 3)) {
			h2++;
		} else if (len && strchr("#>-+=<|", l[0]) && !(l[0] == '|' && l[len - 1] == '|') &&
			   !(l[0] == '-' && (l[1] == ' ' || l[1] == '-')) && !(l[0] == '#' && l[strspn(l, "#")] == ' ')) {
			fprintf(stderr, "incident: a line starts with a block marker: %.*s\n", (int)len, l);
			abort();
		} else if (len && l[0] == ' ') {
			/* a list item's continuation: outside text, escaped */
			size_t sp = strspn(l, " "), dg = strspn(l + sp, "0123456789");
			if (sp < len && (strchr("#>-+=<|*_~`", l[sp]) || (dg && strchr(".)", l[sp + dg])))) {
				fprintf(stderr, "incident: a continuation starts a block: %.*s\n", (int)len, l);
				abort();
			}
		}
		l = nl ? nl + 1 : l + len;
	}
	if (fence || h2 != want) {
		fprintf(stderr, "incident: fence %zu open at the end, %zu sections (want %zu)\n", fence, h2, want);
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	setenv("TZ", "UTC", 1);
	if (!setlocale(LC_ALL, "C.UTF-8")) setlocale(LC_ALL, "");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, data + size };
	struct gw_snapshot s;
	struct gw_diagnosis d;
	snapshot_init(&s);
	memset(&d, 0, sizeof d);
	fz_snapshot(&in, &s);
	struct gw_diag_config cfg = { .now = 1.7e9, .recent_window = 300 };
	diagnose(&s, &cfg, &d);
	if (fz_byte(&in) & 1) fz_finding(&in, &d);

	char *js = report_json(&s, &d);
	json_error_t err;
	json_t *root = json_loads(js, 0, &err);
	if (!root) {
		fprintf(stderr, "report_json not parseable: %s (line %d)\n", err.text, err.line);
		abort();
	}
	if (!json_is_object(root) || json_integer_value(json_object_get(root, "version")) != 1 ||
	    !json_is_string(json_object_get(root, "status")))
		abort();
	json_decref(root);
	free(js);

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) abort();
	report_text(f, &s, &d, 0);
	fclose(f);
	fz_check_text(buf, len, "report_text");
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &len);
	if (!f) abort();
	report_prometheus(f, &s, &d);
	fclose(f);
	fz_check_text(buf, len, "report_prometheus");
	free(buf);

	/* a timeline for the report's timeline sections: events and requests
	 * with fuzzed subjects, texts and paths */
	struct timeline *tline = NULL;
	if (fz_byte(&in) & 1) {
		tline = timeline_new();
		for (unsigned n = fz_byte(&in) % 8; n; n--) {
			char subj[GW_NAME], text[GW_TEXT];
			double t = 1.7e9 + fz_int(&in);
			enum timeline_kind k = (enum timeline_kind)(fz_byte(&in) % TL_EV_KIND_MAX);
			FZ_STR(&in, subj);
			FZ_STR(&in, text);
			timeline_add_event(tline, t, k, fz_byte(&in) & 1, subj, "%s", text);
		}
		for (unsigned n = fz_byte(&in) % 16; n; n--) {
			char path[GW_PATH];
			struct timeline_request r = { .request_time = -1 };
			r.time = 1.7e9 + fz_int(&in);
			r.status = 100 + (int)(fz_byte(&in) * 2 % 500);
			FZ_STR(&in, path);
			r.path = path;
			r.path_len = strlen(path);
			timeline_add_request(tline, &r);
		}
		s.timeline = tline;
	}
	struct incident_timeline tl;
	struct incident_input ii = { .s = &s, .d = &d, .tl = &tl, .generated = 1.7e9, .version = "fuzz" };
	incident_window(&s, &d, 1.7e9, &ii.from, &ii.to);
	incident_timeline_collect(&tl, &s, ii.from, ii.to);
	char *md = incident_markdown(&ii);
	fz_check_text(md, strlen(md), "incident_markdown");
	fz_check_markdown(md, &s);
	free(md);
	incident_timeline_free(&tl);
	s.timeline = NULL;
	timeline_free(tline);

	diagnosis_free(&d);
	snapshot_free(&s);
	return 0;
}
