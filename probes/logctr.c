/* logctr.c — the log layer's container followers (see logstream_int.h):
 * one follow request per container to the engine's API, each on its own
 * curlev (one transfer: cancelling it cancels nothing else), the bytes
 * demultiplexed as they come (docker_demux). */
#include "logstream_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curlev.h"
#include "docker.h"

#define LS_CTR_LINE_MAX (LOGSTREAM_TEXT_MAX + 64)   /* a container line split across reads: text + time stamp */
#define LS_CTR_SEEN 8                      /* lines remembered at the newest time stamp */

/* A followed container. The request's state lives here; lines go to src. */
struct ls_ctr {
	struct logstream *ls;
	size_t src;
	char id[72];                 /* the container (a recreated one has a new id) */
	char sock[GW_PATH];          /* the engine's socket */
	struct curlev *cv;           /* NULL until the first request */
	CURL *easy;                  /* the follow request open, NULL none */
	struct docker_demux dm;
	long http;                   /* its status, 0 before the headers */
	char body[256];              /* an error answer, NUL-terminated */
	size_t blen;
	char errbuf[CURL_ERROR_SIZE];
	double asked;                /* gw_now() of the request */
	double started_at;           /* State.StartedAt the request was made for */
	int took;                    /* this request gave lines */
	int refused;                 /* HTTP error: ask again only after a new start */
	int64_t wm;                  /* newest line taken (engine ns), 0 none yet */
	uint64_t seen[LS_CTR_SEEN];  /* hashes of the lines taken at exactly wm */
	int nseen;
	struct ls_batch *b;          /* where lines go while a feed runs */
};

static uint64_t ls_hash(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ULL;       /* FNV-1a */
	for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

/* One line of the stream ("<RFC 3339 ns> message"). Lines the engine sends
 * again after a reconnect (since= is inclusive, and some engines round it
 * down) are older than wm, or at wm with a text already taken: dropped. */
static void ls_ctr_line(const char *line, size_t len, int stream, void *ud)
{
	struct ls_ctr *c = ud;
	int64_t ns = 0;
	size_t k = docker_log_stamp(line, len, &ns);
	(void)stream;
	if (k) {
		uint64_t h = ls_hash(line + k, len - k);
		if (ns < c->wm) return;
		if (ns == c->wm) {
			for (int i = 0; i < c->nseen; i++)
				if (c->seen[i] == h) return;
		} else {
			c->wm = ns;
			c->nseen = 0;
		}
		if (c->nseen < LS_CTR_SEEN) c->seen[c->nseen++] = h;
		if (k == len) return;                   /* an empty line */
	}
	double t = k ? (double)ns / 1e9 : 0;
	c->took = 1;
	ls_ingest(c->ls, c->b, c->src, line + k, len - k, c->dm.cut, t, -1,
		  t && t < c->asked - 1 ? LOGSTREAM_F_BACKFILL : 0);
}

static void ls_ctr_commit(struct logstream *ls, struct ls_batch *b)
{
	uint64_t g = ls->gen;
	ls_commit(ls, b);
	ls_batch_free(b);
	if (g != ls->gen) ls_changed(ls);
}

static size_t ls_ctr_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct ls_ctr *c = ud;
	size_t n = size * nmemb;
	if (!c->http) curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &c->http);
	if (c->http != 200) {                       /* an error answer: keep its start */
		size_t take = sizeof c->body - 1 - c->blen;
		if (take > n) take = n;
		memcpy(c->body + c->blen, p, take);
		c->blen += take;
		c->body[c->blen] = '\0';
		return n;
	}
	struct ls_batch b = { 0 };
	c->b = &b;
	docker_demux_feed(&c->dm, p, n, ls_ctr_line, c);
	c->b = NULL;
	struct ls_src *s = &c->ls->srcs.v[c->src];
	s->pub.ok = 1;
	s->pub.error[0] = '\0';
	ls_ctr_commit(c->ls, &b);
	return n;
}

static void ls_ctr_done(CURL *easy, CURLcode res, void *ud)
{
	struct ls_ctr *c = ud;
	struct logstream *ls = c->ls;
	struct ls_src *s = &ls->srcs.v[c->src];
	struct ls_batch b = { 0 };
	if (!c->http) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &c->http);
	c->b = &b;
	docker_demux_end(&c->dm, ls_ctr_line, c);   /* a last line without '\n' */
	c->b = NULL;
	c->easy = NULL;
	if (res == CURLE_OK && c->http == 200) {
		/* the engine ends a follow when the container stops: say so, unless
		 * this request only found it stopped again (nothing new) */
		if (c->took) ls_marker(ls, &b, c->src, "container %s stopped: its log ended", s->pub.tag);
	} else if (c->http && c->http != 200) {
		const char *m = strstr(c->body, "\"message\":\"");
		char msg[200] = "";
		if (m) gw_fmt(msg, sizeof msg, "%.*s", (int)strcspn(m + 11, "\""), m + 11);
		gw_fmt(s->pub.error, sizeof s->pub.error, "engine: logs: HTTP %ld%s%s", c->http,
		       msg[0] ? ": " : "", msg);
		s->pub.ok = 0;
		c->refused = 1;
	} else {
		gw_fmt(s->pub.error, sizeof s->pub.error, "engine at %s: %s", c->sock,
		       c->errbuf[0] ? c->errbuf : curl_easy_strerror(res));
		s->pub.ok = 0;
	}
	ls_ctr_commit(ls, &b);
}

/* Drop the request in flight (no callback) and the line it was building. */
static void ls_ctr_stop(struct ls_ctr *c)
{
	if (c->easy) curlev_cancel(c->cv);
	c->easy = NULL;
	free(c->dm.line);
	docker_demux_init(&c->dm, 0, LS_CTR_LINE_MAX);
}

static void ls_ctr_ask(struct ls_ctr *c)
{
	struct logstream *ls = c->ls;
	struct ls_src *s = &ls->srcs.v[c->src];
	char path[GW_PATH], since[48] = "";
	CURL *e;
	if (c->wm)
		gw_fmt(since, sizeof since, "&since=%lld.%09lld", (long long)(c->wm / 1000000000),
		       (long long)(c->wm % 1000000000));
	gw_fmt(path, sizeof path, "/containers/%s/logs?follow=1&stdout=1&stderr=1"
	       "&timestamps=1&tail=%zu%s", c->id, c->wm ? (size_t)LOGSTREAM_CATCHUP_LINES : ls->cfg.backfill_lines,
	       since);
	/* no overall timeout: it follows */
	if ((!c->cv && !(c->cv = curlev_new(ls->e))) ||
	    !(e = docker_engine_request(c->sock, path, 2000L, 0, c->errbuf, ls_ctr_write, c))) {
		GW_COPY(s->pub.error, "cannot start a request to the engine (curl)");
		return;
	}
	docker_demux_init(&c->dm, 0, LS_CTR_LINE_MAX);
	c->http = 0;
	c->blen = 0;
	c->body[0] = c->errbuf[0] = '\0';
	c->asked = gw_now();
	c->took = 0;
	if (curlev_add(c->cv, e, ls_ctr_done, c) < 0) {
		GW_COPY(s->pub.error, "cannot start a request to the engine (curl)");
		return;
	}
	c->easy = e;
}

static int ls_ctr_id_ok(const char *id)
{
	return id[0] && strspn(id, "abcdefABCDEF0123456789") == strlen(id);
}

/* Follow gc (of a snapshot whose engine answered at sock): see
 * logstream_add_container for when it asks again. */
static int ls_ctr_sync(struct logstream *ls, const char *sock, const struct gw_container *gc)
{
	char name[GW_PATH];
	struct ls_ctr *c = NULL;
	gw_fmt(name, sizeof name, "container:%s", gc->name);
	int k = ls_find_src(ls, name);
	for (size_t i = 0; k >= 0 && i < ls->ctrs.n && !c; i++)
		if (ls->ctrs.v[i]->src == (size_t)k) c = ls->ctrs.v[i];
	if (!c) {
		if (k >= 0 || ls->ctrs.n >= LOGSTREAM_MAX_CONTAINERS || !gc->name[0]) return k;
		k = (int)ls_new_src(ls, LOGSTREAM_CONTAINER, name, gc->name);
		c = gw_xcalloc(1, sizeof *c);
		c->ls = ls;
		c->src = (size_t)k;
		docker_demux_init(&c->dm, 0, LS_CTR_LINE_MAX);
		*(struct ls_ctr **)gw_vec_push(&ls->ctrs) = c;
	}
	if (!ls_ctr_id_ok(gc->id)) return k;
	GW_COPY(c->sock, sock);
	int fresh = strcmp(c->id, gc->id) != 0, restarted = gc->started_at != c->started_at;
	if (fresh) {
		if (c->id[0]) {
			struct ls_batch b = { 0 };
			ls_marker(ls, &b, c->src, "container %s was recreated: id %.12s", gc->name, gc->id);
			ls_ctr_commit(ls, &b);
		}
		GW_COPY(c->id, gc->id);
		c->wm = 0;                              /* a new container: all its lines are new */
		c->nseen = 0;
	}
	if (fresh || restarted) {
		c->refused = 0;
		ls_ctr_stop(c);   /* a stream from before the (re)start ends by itself; this is sure */
	}
	if (!c->easy && (fresh || restarted || (!c->refused && !strcmp(gc->state, "running")))) {
		c->started_at = gc->started_at;
		ls_ctr_ask(c);
	}
	return k;
}

int logstream_add_container(struct logstream *ls, const struct gw_snapshot *s, const char *name)
{
	if (!s || !name || !s->docker_available || !s->docker_socket[0]) return -1;
	for (size_t i = 0; i < s->containers.n; i++)
		if (!strcmp(s->containers.v[i].name, name))
			return ls_ctr_sync(ls, s->docker_socket, &s->containers.v[i]);
	return -1;
}

/* Every pass: the containers that matter now, and every one followed before
 * (to follow its restarts). */
void ls_ctr_sync_all(struct logstream *ls, const struct gw_snapshot *s)
{
	size_t pick[LOGSTREAM_MAX_CONTAINERS];
	if (!s->docker_available || !s->docker_socket[0]) return;
	size_t n = docker_logs_pick(s, gw_now(), pick, LOGSTREAM_MAX_CONTAINERS);
	for (size_t i = 0; i < n; i++) ls_ctr_sync(ls, s->docker_socket, &s->containers.v[pick[i]]);
	for (size_t k = 0; k < ls->ctrs.n; k++)
		logstream_add_container(ls, s, ls->srcs.v[ls->ctrs.v[k]->src].pub.tag);
}

void ls_ctrs_free(struct logstream *ls)
{
	for (size_t i = 0; i < ls->ctrs.n; i++) {
		curlev_free(ls->ctrs.v[i]->cv);         /* drops the request, no callback */
		free(ls->ctrs.v[i]->dm.line);
		free(ls->ctrs.v[i]);
	}
	gw_vec_free(&ls->ctrs);
}

size_t ls_ctrs_memory(const struct logstream *ls)
{
	return ls->ctrs.n * (sizeof(struct ls_ctr) + LS_CTR_LINE_MAX);
}
