/* through.c — requests through nginx itself (see through.h).
 *
 * One prober owns one curlev; a pass is complete when every request has
 * finished, and done then runs from a defer source (never from inside
 * curl's callbacks). Each request is on a fresh connection, no proxy
 * whatever the environment says, no certificate check (we ask what nginx
 * answers, not whether its certificate is valid: that is another tool's
 * question), aborted after the first body bytes. */
#include "through.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "curlev.h"
#include "upstream.h"

#ifndef GW_VERSION
#define GW_VERSION "0.0.0"
#endif

struct through_job {
	struct through_prober *p;
	struct gw_through *t;
	CURL *easy;                  /* NULL when not in flight (curlev owns it) */
	struct curl_slist *hdrs;     /* owned, freed when the pass ends */
	int body_seen;
	char host_hdr[GW_NAME + 8];
	char sock[GW_PATH];          /* unix listen: the socket path */
	char errbuf[CURL_ERROR_SIZE];
};

struct through_prober {
	sd_event *e;
	struct curlev *cv;
	sd_event_source *finish;     /* defer: calls done from the loop */
	struct through_job *jobs;
	size_t njobs, pending;
	int running;
	void (*done)(void *ud);
	void *ud;
};

/* ---------------------------------------------------------------- the plan */

/* A location argument as a request path: "/" and "/api/" as they are,
 * "= /x" and "^~ /x" without their modifier; regexes and named locations
 * give nothing (""). */
static void through_loc_path(const char *loc, char *out, size_t size)
{
	out[0] = '\0';
	if (!strncmp(loc, "= ", 2)) loc += 2;
	else if (!strncmp(loc, "^~ ", 3)) loc += 3;
	if (loc[0] != '/') return;
	for (const char *c = loc; *c; c++)   /* something we would have to quote: skip */
		if ((unsigned char)*c <= ' ' || *c == '"' || *c == '\\' || *c == '$' || (unsigned char)*c >= 0x7f)
			return;
	gw_strlcpy(out, loc, size);
}

/* The path for the server block of listen l. */
static void through_pick_path(const struct gw_snapshot *s, const struct gw_conf_listen *l,
			      char *out, size_t size)
{
	char first[GW_PATH] = "";
	for (size_t i = 0; i < s->conf.passes.n; i++) {
		const struct gw_conf_pass *ps = &s->conf.passes.v[i];
		char p[GW_PATH];
		if (ps->server_port != l->addr.port || strcmp(ps->server_name, l->server_name)) continue;
		through_loc_path(ps->location, p, sizeof p);
		if (!strcmp(p, "/")) {
			gw_strlcpy(out, "/", size);
			return;
		}
		if (p[0] && !first[0]) GW_COPY(first, p);
	}
	gw_strlcpy(out, first[0] ? first : "/", size);
}

void through_plan(struct gw_snapshot *s, const char *probe_path)
{
	s->through.n = 0;
	for (size_t i = 0; i < s->conf.listens.n && s->through.n < THROUGH_MAX; i++) {
		const struct gw_conf_listen *l = &s->conf.listens.v[i];
		const struct gw_addr *a = &l->addr;
		const char *scheme = l->ssl ? "https" : "http";
		char url[GW_PATH], path[GW_PATH], host[GW_NAME];
		int port = a->port ? a->port : (l->ssl ? 443 : 80);

		if (probe_path && probe_path[0] == '/') GW_COPY(path, probe_path);
		else through_pick_path(s, l, path, sizeof path);
		gw_append(path, sizeof path, "%s" THROUGH_MARK, strchr(path, '?') ? "&" : "?");
		GW_COPY(host, upstream_host_header(l->server_name));
		switch (a->kind) {
		case GW_ADDR_INET:
		case GW_ADDR_HOST:
			if (!a->host[0] || !strcmp(a->host, "*") || !strcmp(a->host, "0.0.0.0"))
				gw_fmt(url, sizeof url, "%s://127.0.0.1:%d%s", scheme, port, path);
			else if (upstream_is_hostname(a->host))
				gw_fmt(url, sizeof url, "%s://%s:%d%s", scheme, a->host, port, path);
			else
				continue;
			break;
		case GW_ADDR_INET6:
			gw_fmt(url, sizeof url, "%s://[%s]:%d%s", scheme,
			       !a->host[0] || !strcmp(a->host, "::") ? "::1" : a->host, port, path);
			break;
		case GW_ADDR_UNIX:
			if (!a->path[0]) continue;
			gw_fmt(url, sizeof url, "%s://unix:%s:%s", scheme, a->path, path);
			break;
		default:
			continue;
		}
		int dup = 0;
		for (size_t k = 0; k < s->through.n && !dup; k++)
			dup = !strcmp(s->through.v[k].url, url) && !strcmp(s->through.v[k].host, host);
		if (dup) continue;
		struct gw_through *t = gw_vec_push(&s->through);
		memset(t, 0, sizeof *t);
		GW_COPY(t->url, url);
		GW_COPY(t->host, host);
		GW_COPY(t->path, path);
		t->listen_loc = l->loc;
	}
}

/* ---------------------------------------------------------------- requests */

static size_t through_write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct through_job *j = ud;
	(void)ptr;
	if (size * nmemb == 0) return 0;
	j->body_seen = 1;
	return 0;   /* the status is in: abort the body (CURLE_WRITE_ERROR, a success here) */
}

static void through_jobs_free(struct through_prober *p)
{
	for (size_t i = 0; i < p->njobs; i++) curl_slist_free_all(p->jobs[i].hdrs);
	free(p->jobs);
	p->jobs = NULL;
	p->njobs = 0;
}

static int through_job_setup(struct through_job *j, double timeout_s)
{
	struct gw_through *t = j->t;
	long total_ms = (long)(timeout_s * 1000 + 0.5);
	long conn_ms = total_ms < 1000 ? total_ms : 1000;
	char url[GW_PATH + 32];
	CURL *c;

	if (!strncmp(t->url, "http://unix:", 12) || !strncmp(t->url, "https://unix:", 13)) {
		const char *sp = strstr(t->url, "unix:") + 5;
		const char *colon = strchr(sp, ':');
		if (!colon) return -1;
		gw_fmt(j->sock, sizeof j->sock, "%.*s", (int)(colon - sp), sp);
		gw_fmt(url, sizeof url, "%s://localhost%s", t->url[4] == 's' ? "https" : "http", colon + 1);
	} else {
		GW_COPY(url, t->url);
	}
	if (!(c = curl_easy_init())) {
		GW_COPY(t->error, "curl_easy_init failed");
		return -1;
	}
	j->easy = c;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, conn_ms > 0 ? conn_ms : 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total_ms > 0 ? total_ms : 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	if (j->sock[0]) curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, j->sock);
	gw_fmt(j->host_hdr, sizeof j->host_hdr, "Host: %s", t->host);
	j->hdrs = curl_slist_append(NULL, j->host_hdr);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, j->hdrs);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "gwtop/" GW_VERSION " " THROUGH_UA_TAG);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, through_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, j);
	return 0;
}

static void through_job_result(struct through_job *j, CURLcode res)
{
	struct gw_through *t = j->t;
	curl_off_t tt = 0;
	long code = 0;

	curl_easy_getinfo(j->easy, CURLINFO_TOTAL_TIME_T, &tt);
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
	t->probed = 1;
	t->when = gw_now();
	t->total_ms = tt / 1000.0;
	t->timed_out = res == CURLE_OPERATION_TIMEDOUT;
	t->status = code;
	t->answered = code > 0 && (res == CURLE_OK || (res == CURLE_WRITE_ERROR && j->body_seen) ||
				   res == CURLE_PARTIAL_FILE || res == CURLE_RECV_ERROR);
	if (t->answered) t->error[0] = '\0';
	else if (j->errbuf[0]) GW_COPY(t->error, j->errbuf);
	else GW_COPY(t->error, curl_easy_strerror(res));
}

static int through_finish_cb(sd_event_source *src, void *ud)
{
	struct through_prober *p = ud;
	void (*done)(void *) = p->done;
	void *pud = p->ud;

	(void)src;
	sd_event_source_set_enabled(p->finish, SD_EVENT_OFF);
	p->running = 0;
	through_jobs_free(p);
	p->done = NULL;
	p->ud = NULL;
	if (done) done(pud);
	return 0;
}

static void through_maybe_finish(struct through_prober *p)
{
	if (p->running && !p->pending) sd_event_source_set_enabled(p->finish, SD_EVENT_ONESHOT);
}

static void through_job_done(CURL *easy, CURLcode res, void *ud)
{
	struct through_job *j = ud;
	(void)easy;
	through_job_result(j, res);
	j->easy = NULL;
	if (j->p->pending) j->p->pending--;
	through_maybe_finish(j->p);
}

struct through_prober *through_prober_new(sd_event *e)
{
	struct through_prober *p;
	if (!e) return NULL;
	p = gw_xcalloc(1, sizeof *p);
	p->e = sd_event_ref(e);
	if (!(p->cv = curlev_new(e)) || sd_event_add_defer(e, &p->finish, through_finish_cb, p) < 0 ||
	    sd_event_source_set_enabled(p->finish, SD_EVENT_OFF) < 0) {
		curlev_free(p->cv);
		sd_event_source_unref(p->finish);
		sd_event_unref(p->e);
		free(p);
		return NULL;
	}
	return p;
}

void through_prober_free(struct through_prober *p)
{
	if (!p) return;
	curlev_cancel(p->cv);
	through_jobs_free(p);
	curlev_free(p->cv);
	sd_event_source_disable_unref(p->finish);
	sd_event_unref(p->e);
	free(p);
}

int through_probe_start(struct through_prober *p, struct gw_through *v, size_t n, double timeout_s,
			void (*done)(void *ud), void *ud)
{
	if (!p || (n && !v) || !(timeout_s > 0)) return -EINVAL;
	if (p->running) return -EBUSY;
	p->jobs = gw_xcalloc(n ? n : 1, sizeof *p->jobs);
	p->njobs = n;
	p->pending = 0;
	p->done = done;
	p->ud = ud;
	p->running = 1;
	for (size_t i = 0; i < n; i++) {
		struct through_job *j = &p->jobs[i];
		j->p = p;
		j->t = &v[i];
		v[i].probed = v[i].answered = v[i].timed_out = 0;
		v[i].status = 0;
		v[i].error[0] = '\0';
		if (through_job_setup(j, timeout_s) < 0) {
			if (j->easy) curl_easy_cleanup(j->easy);
			j->easy = NULL;
			continue;
		}
		p->pending++;
		if (curlev_add(p->cv, j->easy, through_job_done, j) < 0) {
			GW_COPY(v[i].error, "curl_multi_add_handle failed");
			j->easy = NULL;
			p->pending--;
		}
	}
	through_maybe_finish(p);
	return 0;
}
