/* upstream.c — the direct probe of the upstream targets with libcurl multi
 * on the sd-event loop.
 *
 * One prober owns one curlev (probes/curlev.c: curl multi on the loop); a
 * pass is complete when every target's transfer has finished, and its done
 * callback then runs from a defer source.
 *
 * Each target gets its own easy handle on a fresh connection (no reuse: a
 * kept-alive connection would hide a dead listener): GET / with HTTP/1.1,
 * aborted by the write callback as soon as the first body bytes arrive (we
 * want the status line, not the page), no proxy whatever the environment
 * says, no signals. fastcgi/uwsgi/scgi/grpc targets only get a connect. */
#include "upstream.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "curlev.h"

#ifndef GW_VERSION
#define GW_VERSION "0.0.0"
#endif

/* At most this many transfers at once; the rest wait in order. Each one
 * holds a socket (and curl a few more fds): 3,000 targets at once under
 * the common soft limit of 1,024 files failed with EMFILE. */
#define UPSTREAM_MAX_INFLIGHT 64

/* One target in flight. */
struct upstream_job {
	struct upstream_prober *p;
	struct gw_target *t;
	CURL *easy;                  /* NULL when not in flight (curlev owns it) */
	struct curl_slist *hdrs;     /* owned, freed when the pass ends */
	int body_seen;               /* the write callback aborted the transfer */
	int plain;                   /* the plain-HTTP retry of an https target */
	char url[GW_PATH + 64];
	char host_hdr[GW_NAME + 8];
	char errbuf[CURL_ERROR_SIZE];
};

struct upstream_prober {
	sd_event *e;                 /* referenced */
	struct curlev *cv;           /* curl multi on the loop */
	sd_event_source *finish;     /* defer: calls done from the loop */

	struct upstream_job *jobs;   /* this pass, n entries, owned */
	size_t njobs;
	size_t next;                 /* first job not started yet (the queue) */
	double timeout_s;
	size_t pending;              /* jobs still in flight (<= UPSTREAM_MAX_INFLIGHT) */
	int running;
	void (*done)(void *ud);
	void *ud;
};

/* ---------------------------------------------------------------- helpers */

int upstream_is_hostname(const char *s)
{
	if (!*s || *s == '.' || *s == '-')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-' && *s != '_')
			return 0;
	return 1;
}

const char *upstream_host_header(const char *server_name)
{
	if (!server_name || !strcmp(server_name, "_") || !upstream_is_hostname(server_name))
		return "localhost";
	return server_name;
}

static int upstream_host_ok(const struct gw_addr *a)
{
	const char *s = a->host;
	if (!*s)
		return 0;
	if (a->kind == GW_ADDR_INET6) {
		for (; *s; s++)
			if (!isxdigit((unsigned char)*s) && *s != ':' && *s != '.')
				return 0;
		return 1;
	}
	return upstream_is_hostname(s);
}

static int upstream_is_http(const char *scheme)
{
	return !strcmp(scheme, "http") || !strcmp(scheme, "https");
}

static void upstream_reset_result(struct gw_target *t)
{
	t->probed = t->reachable = t->http_ok = 0;
	t->http_status = 0;
	t->err = t->timed_out = 0;
	t->connect_ms = t->total_ms = 0;
	t->error[0] = '\0';
	t->not_http = 0;
	t->plain_probed = 0;
	t->plain_status = 0;
}

static size_t upstream_write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct upstream_job *j = ud;

	(void)ptr;
	if (size * nmemb == 0)
		return 0;
	j->body_seen = 1;
	return 0;   /* enough: abort the body (CURLE_WRITE_ERROR, treated as success) */
}

static void upstream_jobs_free(struct upstream_prober *p)
{
	for (size_t i = 0; i < p->njobs; i++)
		curl_slist_free_all(p->jobs[i].hdrs);
	free(p->jobs);
	p->jobs = NULL;
	p->njobs = 0;
}

/* Build the easy handle for j->t. Returns 0, or -1 with t->error set. */
static int upstream_job_setup(struct upstream_job *j, double timeout_s)
{
	struct gw_target *t = j->t;
	const struct gw_addr *a = &t->addr;
	int https = !strcmp(t->scheme, "https") && !j->plain;
	int port = a->port ? a->port : (!strcmp(t->scheme, "https") ? 443 : 80);
	const char *proto = https ? "https" : "http";
	long total_ms = (long)(timeout_s * 1000 + 0.5);
	long conn_ms = total_ms < 1000 ? total_ms : 1000;
	CURL *c;

	switch (a->kind) {
	case GW_ADDR_UNIX:
		if (!a->path[0]) {
			GW_COPY(t->error, "empty unix socket path: not probed");
			return -1;
		}
		gw_fmt(j->url, sizeof j->url, "%s://localhost/", proto);
		break;
	case GW_ADDR_INET:
	case GW_ADDR_HOST:
		if (!upstream_host_ok(a)) {
			gw_fmt(t->error, sizeof t->error, "cannot probe host \"%s\"", a->host);
			return -1;
		}
		gw_fmt(j->url, sizeof j->url, "%s://%s:%d/", proto, a->host, port);
		break;
	case GW_ADDR_INET6:
		if (!upstream_host_ok(a)) {
			gw_fmt(t->error, sizeof t->error, "cannot probe host \"%s\"", a->host);
			return -1;
		}
		gw_fmt(j->url, sizeof j->url, "%s://[%s]:%d/", proto, a->host, port);
		break;
	case GW_ADDR_VARIABLE:
		GW_COPY(t->error, "address contains variables: not probed");
		return -1;
	default:
		GW_COPY(t->error, "address not statically known: not probed");
		return -1;
	}

	if (!(c = curl_easy_init())) {
		GW_COPY(t->error, "curl_easy_init failed");
		return -1;
	}
	j->easy = c;
	t->not_http = !upstream_is_http(t->scheme);

	curl_easy_setopt(c, CURLOPT_URL, j->url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(c, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, conn_ms > 0 ? conn_ms : 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total_ms > 0 ? total_ms : 1L);
	if (a->kind == GW_ADDR_UNIX) {
		if (a->path[0] == '@')
			curl_easy_setopt(c, CURLOPT_ABSTRACT_UNIX_SOCKET, a->path + 1);
		else
			curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, a->path);
	}
	if (https) {
		/* We test that the app answers, not its certificate (often
		 * self-signed on an internal hop): no verification. */
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (t->not_http) {
		curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
	} else {
		gw_fmt(j->host_hdr, sizeof j->host_hdr, "Host: %s", upstream_host_header(t->server_name));
		j->hdrs = curl_slist_append(NULL, j->host_hdr);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, j->hdrs);
		curl_easy_setopt(c, CURLOPT_USERAGENT, "gwtop/" GW_VERSION);
		curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, upstream_write_cb);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, j);
	}
	return 0;
}

/* Copy the outcome of j's transfer into its target. */
static void upstream_job_result(struct upstream_job *j, CURLcode res)
{
	struct gw_target *t = j->t;
	curl_off_t ct = 0, tt = 0;
	long code = 0, oserr = 0, reqsize = 0;
	int ok;

	curl_easy_getinfo(j->easy, CURLINFO_CONNECT_TIME_T, &ct);
	curl_easy_getinfo(j->easy, CURLINFO_TOTAL_TIME_T, &tt);
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(j->easy, CURLINFO_OS_ERRNO, &oserr);
	curl_easy_getinfo(j->easy, CURLINFO_REQUEST_SIZE, &reqsize);

	if (oserr == EMFILE || oserr == ENFILE || oserr == ENOBUFS || oserr == ENOMEM || oserr == EADDRNOTAVAIL) {
		/* EADDRNOTAVAIL: no local port left to connect from (the range
		 * is shared with nginx: the same shortage may be its) */
		/* our own shortage, not the target's: it was not probed */
		t->probed = t->reachable = 0;
		gw_fmt(t->error, sizeof t->error, "not probed: gwtop could not open a socket (%s)",
		    strerror((int)oserr));
		return;
	}
	t->probed = 1;
	t->timed_out = res == CURLE_OPERATION_TIMEDOUT;
	t->http_status = t->not_http ? 0 : code;
	t->http_ok = !t->not_http && code > 0;
	switch (res) {
	case CURLE_COULDNT_CONNECT:
		/* ECONNRESET while connecting: the handshake was done (by a
		 * listener's kernel) and the peer then reset it: something
		 * listens and accepted, as when the reset comes a moment later */
		t->reachable = oserr == ECONNRESET;
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		t->reachable = 0;
		break;
	case CURLE_OK:
	case CURLE_SSL_CONNECT_ERROR:          /* TLS needs a connected socket */
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_WEIRD_SERVER_REPLY:
		t->reachable = 1;
		break;
	default:
		/* e.g. timed out: after connecting (the app hangs) or before.
		 * A TLS handshake that hangs leaves the connect time at 0 (curl
		 * counts the handshake in), but a local port tells the TCP
		 * connection was made (it is 0 after a refused or hung SYN). */
		t->reachable = ct > 0 || reqsize > 0 || code > 0;
		if (!t->reachable && !strcmp(t->scheme, "https")) {
			long lport = 0;
			curl_easy_getinfo(j->easy, CURLINFO_LOCAL_PORT, &lport);
			t->reachable = lport > 0;
		}
		break;
	}
	t->err = 0;
	if (!t->reachable)
		t->err = oserr ? (int)oserr : (t->timed_out ? ETIMEDOUT : 0);
	t->connect_ms = t->reachable ? ct / 1000.0 : 0;
	t->total_ms = tt / 1000.0;

	ok = res == CURLE_OK || (res == CURLE_WRITE_ERROR && j->body_seen && code > 0);
	if (ok)
		t->error[0] = '\0';
	else
		upstream_error_text(t->error, sizeof t->error, res, oserr, j->errbuf);
}

void upstream_error_text(char *out, size_t size, int res, long oserr, const char *errbuf)
{
	char reset[64];
	gw_fmt(reset, sizeof reset, "getpeername() failed with errno %d", ENOTCONN);
	if (!strncmp(errbuf, reset, strlen(reset)) || (res == CURLE_COULDNT_CONNECT && oserr == ECONNRESET))
		gw_fmt(out, size, "%s: connection reset by the peer as soon as it was accepted (curl: %s)",
		       curl_easy_strerror((CURLcode)res), errbuf);
	else if (errbuf[0])
		gw_strlcpy(out, errbuf, size);
	else
		gw_strlcpy(out, curl_easy_strerror((CURLcode)res), size);
}

/* The pass is complete: done runs from a defer source, never from inside
 * curl's callbacks (it may free p). */
static int upstream_finish_cb(sd_event_source *src, void *ud)
{
	struct upstream_prober *p = ud;
	void (*done)(void *) = p->done;
	void *pud = p->ud;

	(void)src;
	sd_event_source_set_enabled(p->finish, SD_EVENT_OFF);
	p->running = 0;
	upstream_jobs_free(p);
	p->done = NULL;
	p->ud = NULL;
	if (done)
		done(pud);
	return 0;
}

static void upstream_maybe_finish(struct upstream_prober *p)
{
	if (p->running && !p->pending)
		sd_event_source_set_enabled(p->finish, SD_EVENT_ONESHOT);
}

static void upstream_job_done(CURL *easy, CURLcode res, void *ud);

/* Start queued jobs while fewer than UPSTREAM_MAX_INFLIGHT are in flight.
 * A job that cannot start is left not probed, with the reason. */
static void upstream_pump(struct upstream_prober *p)
{
	while (p->running && p->pending < UPSTREAM_MAX_INFLIGHT && p->next < p->njobs) {
		struct upstream_job *j = &p->jobs[p->next++];
		if (upstream_job_setup(j, p->timeout_s) < 0) {
			if (j->easy)
				curl_easy_cleanup(j->easy);
			j->easy = NULL;
			continue;
		}
		p->pending++;
		if (curlev_add(p->cv, j->easy, upstream_job_done, j) < 0) {   /* easy is cleaned up */
			GW_COPY(j->t->error, "not probed: curl_multi_add_handle failed");
			j->easy = NULL;
			p->pending--;
		}
	}
}

/* An https target that connected but gave no HTTP answer (the handshake
 * failed or hung): worth asking in plain HTTP. */
static int upstream_wants_plain(const struct upstream_job *j)
{
	const struct gw_target *t = j->t;
	return !j->plain && !strcmp(t->scheme, "https") && t->probed && t->reachable && !t->http_ok;
}

/* Start the plain-HTTP retry of j (same easy slot). 0 started. */
static int upstream_start_plain(struct upstream_job *j)
{
	struct upstream_prober *p = j->p;
	j->plain = 1;
	j->body_seen = 0;
	j->errbuf[0] = '\0';
	curl_slist_free_all(j->hdrs);
	j->hdrs = NULL;
	char keep[GW_TEXT];
	GW_COPY(keep, j->t->error);          /* setup writes its failures there */
	/* the full budget: a single-worker app may still be held by nginx's
	 * own hung handshake (proxy_connect_timeout) */
	if (upstream_job_setup(j, p->timeout_s) < 0) {
		if (j->easy) curl_easy_cleanup(j->easy);
		j->easy = NULL;
		GW_COPY(j->t->error, keep);
		return -1;
	}
	GW_COPY(j->t->error, keep);
	if (curlev_add(p->cv, j->easy, upstream_job_done, j) < 0) {   /* easy is cleaned up */
		j->easy = NULL;
		return -1;
	}
	return 0;
}

/* curlev: one transfer finished (the easy handle is cleaned up after). */
static void upstream_job_done(CURL *easy, CURLcode res, void *ud)
{
	struct upstream_job *j = ud;
	struct upstream_prober *p = j->p;

	if (j->plain) {
		/* only what it answered in plain HTTP: the https result stays */
		long code = 0;
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
		j->t->plain_probed = 1;
		j->t->plain_status = (res == CURLE_OK || (res == CURLE_WRITE_ERROR && j->body_seen)) ? code : 0;
		j->easy = NULL;
	} else {
		upstream_job_result(j, res);
		j->easy = NULL;
		if (upstream_wants_plain(j) && upstream_start_plain(j) == 0)
			return;                  /* still pending */
	}
	if (p->pending)
		p->pending--;
	upstream_pump(p);
	upstream_maybe_finish(p);
}

/* ---------------------------------------------------------------- public */

struct upstream_prober *upstream_prober_new(sd_event *e)
{
	struct upstream_prober *p;

	if (!e)
		return NULL;
	p = gw_xcalloc(1, sizeof *p);
	p->e = sd_event_ref(e);
	if (!(p->cv = curlev_new(e)) || sd_event_add_defer(e, &p->finish, upstream_finish_cb, p) < 0 ||
	    sd_event_source_set_enabled(p->finish, SD_EVENT_OFF) < 0) {
		curlev_free(p->cv);
		sd_event_source_unref(p->finish);
		sd_event_unref(p->e);
		free(p);
		return NULL;
	}
	return p;
}

void upstream_probe_cancel(struct upstream_prober *p)
{
	if (!p)
		return;
	curlev_cancel(p->cv);
	upstream_jobs_free(p);
	p->pending = 0;
	p->running = 0;
	p->done = NULL;
	p->ud = NULL;
	sd_event_source_set_enabled(p->finish, SD_EVENT_OFF);
}

void upstream_prober_free(struct upstream_prober *p)
{
	if (!p)
		return;
	upstream_probe_cancel(p);
	curlev_free(p->cv);
	sd_event_source_disable_unref(p->finish);
	sd_event_unref(p->e);
	free(p);
}

int upstream_probe_running(const struct upstream_prober *p)
{
	return p && p->running;
}

int upstream_probe_start(struct upstream_prober *p, struct gw_target *targets, size_t n,
    double timeout_s, void (*done)(void *ud), void *ud)
{
	size_t i;

	if (!p || (n && !targets) || !(timeout_s > 0))
		return -EINVAL;
	if (p->running)
		return -EBUSY;
	if (timeout_s > 3600)
		timeout_s = 3600;

	p->jobs = gw_xcalloc(n ? n : 1, sizeof *p->jobs);
	p->njobs = n;
	p->next = 0;
	p->timeout_s = timeout_s;
	p->pending = 0;
	p->done = done;
	p->ud = ud;
	p->running = 1;
	for (i = 0; i < n; i++) {
		struct upstream_job *j = &p->jobs[i];
		j->p = p;
		j->t = &targets[i];
		upstream_reset_result(j->t);
		GW_COPY(j->t->error, "not probed: still queued when the pass ended");
	}
	upstream_pump(p);
	/* Even with nothing in flight, done runs from the loop. */
	upstream_maybe_finish(p);
	return 0;
}
