/* upstream.c — the direct probe of the upstream targets with libcurl multi
 * on the sd-event loop.
 *
 * One prober owns one CURLM. curl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION -> one sd-event io source per socket, attached to
 * curl's socket with curl_multi_assign) and when to call it back
 * (CURLMOPT_TIMERFUNCTION -> one sd-event time source, re-armed as asked).
 * Both sources call curl_multi_socket_action and then collect finished
 * transfers with curl_multi_info_read.
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
#include <sys/epoll.h>

#include <curl/curl.h>

#ifndef GW_VERSION
#define GW_VERSION "0.0.0"
#endif

/* One target in flight. */
struct upstream_job {
	struct upstream_prober *p;
	struct gw_target *t;
	CURL *easy;                  /* NULL when not in flight */
	struct curl_slist *hdrs;     /* owned, freed with the easy handle */
	int body_seen;               /* the write callback aborted the transfer */
	char url[GW_PATH + 64];
	char host_hdr[GW_NAME + 8];
	char errbuf[CURL_ERROR_SIZE];
};

/* One socket curl asked us to watch. Owned by the prober's list; curl holds
 * a borrowed pointer to it (curl_multi_assign). */
struct upstream_sock {
	struct upstream_prober *p;
	sd_event_source *src;
	curl_socket_t fd;
	struct upstream_sock *prev, *next;
};

struct upstream_prober {
	sd_event *e;                 /* referenced */
	CURLM *multi;
	sd_event_source *timer;      /* curl's timeout, oneshot */
	struct upstream_sock *socks;

	struct upstream_job *jobs;   /* this pass, n entries, owned */
	size_t njobs;
	size_t pending;              /* jobs still in flight */
	int running;
	void (*done)(void *ud);
	void *ud;
};

/* ---------------------------------------------------------------- helpers */

static int upstream_is_hostname(const char *s)
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
}

/* ---------------------------------------------------------------- curl <-> sd-event */

static void upstream_sock_free(struct upstream_sock *s)
{
	struct upstream_prober *p = s->p;
	if (s->prev)
		s->prev->next = s->next;
	else
		p->socks = s->next;
	if (s->next)
		s->next->prev = s->prev;
	sd_event_source_disable_unref(s->src);
	free(s);
}

static void upstream_check_done(struct upstream_prober *p);

static int upstream_io_cb(sd_event_source *src, int fd, uint32_t revents, void *ud)
{
	struct upstream_sock *s = ud;
	struct upstream_prober *p = s->p;
	int flags = 0, still;

	(void)src;
	if (revents & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (revents & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (revents & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	/* s may be freed from here on (CURL_POLL_REMOVE). */
	curl_multi_socket_action(p->multi, fd, flags, &still);
	upstream_check_done(p);   /* may free p: nothing after this */
	return 0;
}

static int upstream_timer_cb(sd_event_source *src, uint64_t usec, void *ud)
{
	struct upstream_prober *p = ud;
	int still;

	(void)src;
	(void)usec;
	curl_multi_socket_action(p->multi, CURL_SOCKET_TIMEOUT, 0, &still);
	upstream_check_done(p);   /* may free p: nothing after this */
	return 0;
}

/* CURLMOPT_SOCKETFUNCTION */
static int upstream_curl_sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct upstream_prober *p = userp;
	struct upstream_sock *s = socketp;
	uint32_t ev = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			upstream_sock_free(s);
			curl_multi_assign(p->multi, fd, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev |= EPOLLOUT;
	if (s) {
		if (sd_event_source_set_io_events(s->src, ev) >= 0 &&
		    sd_event_source_set_enabled(s->src, SD_EVENT_ON) >= 0)
			return 0;
		/* The fd was closed and reused behind our back: start over. */
		upstream_sock_free(s);
	}
	s = gw_xcalloc(1, sizeof *s);
	s->p = p;
	s->fd = fd;
	if (sd_event_add_io(p->e, &s->src, fd, ev, upstream_io_cb, s) < 0) {
		free(s);
		curl_multi_assign(p->multi, fd, NULL);
		return -1;
	}
	s->next = p->socks;
	if (p->socks)
		p->socks->prev = s;
	p->socks = s;
	curl_multi_assign(p->multi, fd, s);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: -1 = no timeout, 0 = as soon as possible. Never
 * calls curl back from here; the time source does it from the loop. */
static int upstream_curl_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct upstream_prober *p = userp;

	(void)multi;
	if (timeout_ms < 0)
		return sd_event_source_set_enabled(p->timer, SD_EVENT_OFF) < 0 ? -1 : 0;
	if (sd_event_source_set_time_relative(p->timer, (uint64_t)timeout_ms * 1000) < 0 ||
	    sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT) < 0)
		return -1;
	return 0;
}

/* ---------------------------------------------------------------- one target */

static size_t upstream_write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct upstream_job *j = ud;

	(void)ptr;
	if (size * nmemb == 0)
		return 0;
	j->body_seen = 1;
	return 0;   /* enough: abort the body (CURLE_WRITE_ERROR, treated as success) */
}

static void upstream_job_release(struct upstream_job *j)
{
	if (!j->easy)
		return;
	curl_multi_remove_handle(j->p->multi, j->easy);
	curl_easy_cleanup(j->easy);
	curl_slist_free_all(j->hdrs);
	j->easy = NULL;
	j->hdrs = NULL;
}

/* Build the easy handle for j->t. Returns 0, or -1 with t->error set. */
static int upstream_job_setup(struct upstream_job *j, double timeout_s)
{
	struct gw_target *t = j->t;
	const struct gw_addr *a = &t->addr;
	int https = !strcmp(t->scheme, "https");
	int port = a->port ? a->port : (https ? 443 : 80);
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
	curl_easy_setopt(c, CURLOPT_PRIVATE, (char *)j);
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

	t->probed = 1;
	t->timed_out = res == CURLE_OPERATION_TIMEDOUT;
	t->http_status = t->not_http ? 0 : code;
	t->http_ok = !t->not_http && code > 0;
	switch (res) {
	case CURLE_COULDNT_CONNECT:
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
		/* e.g. timed out: after connecting (the app hangs) or before */
		t->reachable = ct > 0 || reqsize > 0 || code > 0;
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
	else if (j->errbuf[0])
		GW_COPY(t->error, j->errbuf);
	else
		GW_COPY(t->error, curl_easy_strerror(res));
}

/* Collect finished transfers; when the pass is complete call done. The
 * callback may free p, so callers return right after this. */
static void upstream_check_done(struct upstream_prober *p)
{
	CURLMsg *m;
	int left;
	void (*done)(void *);
	void *ud;

	while ((m = curl_multi_info_read(p->multi, &left))) {
		char *priv = NULL;
		CURLcode res = m->data.result;
		struct upstream_job *j;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		j = (struct upstream_job *)priv;
		if (!j || !j->easy)
			continue;
		upstream_job_result(j, res);
		upstream_job_release(j);   /* m is invalid from here */
		if (p->pending)
			p->pending--;
	}
	if (!p->running || p->pending)
		return;
	p->running = 0;
	free(p->jobs);
	p->jobs = NULL;
	p->njobs = 0;
	done = p->done;
	ud = p->ud;
	p->done = NULL;
	p->ud = NULL;
	if (done)
		done(ud);
}

/* ---------------------------------------------------------------- public */

struct upstream_prober *upstream_prober_new(sd_event *e)
{
	struct upstream_prober *p;

	if (!e || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	p = gw_xcalloc(1, sizeof *p);
	p->e = sd_event_ref(e);
	if (!(p->multi = curl_multi_init()) ||
	    sd_event_add_time_relative(e, &p->timer, CLOCK_MONOTONIC, 0, 1000, upstream_timer_cb, p) < 0 ||
	    sd_event_source_set_enabled(p->timer, SD_EVENT_OFF) < 0) {
		if (p->multi)
			curl_multi_cleanup(p->multi);
		sd_event_source_unref(p->timer);
		sd_event_unref(p->e);
		free(p);
		curl_global_cleanup();
		return NULL;
	}
	curl_multi_setopt(p->multi, CURLMOPT_SOCKETFUNCTION, upstream_curl_sock_cb);
	curl_multi_setopt(p->multi, CURLMOPT_SOCKETDATA, p);
	curl_multi_setopt(p->multi, CURLMOPT_TIMERFUNCTION, upstream_curl_timer_cb);
	curl_multi_setopt(p->multi, CURLMOPT_TIMERDATA, p);
	return p;
}

void upstream_probe_cancel(struct upstream_prober *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->njobs; i++)
		upstream_job_release(&p->jobs[i]);
	free(p->jobs);
	p->jobs = NULL;
	p->njobs = 0;
	p->pending = 0;
	p->running = 0;
	p->done = NULL;
	p->ud = NULL;
	sd_event_source_set_enabled(p->timer, SD_EVENT_OFF);
}

void upstream_prober_free(struct upstream_prober *p)
{
	if (!p)
		return;
	upstream_probe_cancel(p);
	curl_multi_cleanup(p->multi);   /* may still call our socket callback */
	for (struct upstream_sock *s = p->socks, *next; s; s = next) {
		next = s->next;
		sd_event_source_disable_unref(s->src);
		free(s);
	}
	p->socks = NULL;
	sd_event_source_disable_unref(p->timer);
	sd_event_unref(p->e);
	free(p);
	curl_global_cleanup();
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
	p->pending = 0;
	p->done = done;
	p->ud = ud;
	p->running = 1;
	for (i = 0; i < n; i++) {
		struct upstream_job *j = &p->jobs[i];
		j->p = p;
		j->t = &targets[i];
		upstream_reset_result(j->t);
		if (upstream_job_setup(j, timeout_s) < 0) {
			upstream_job_release(j);
			continue;
		}
		if (curl_multi_add_handle(p->multi, j->easy) != CURLM_OK) {
			GW_COPY(j->t->error, "curl_multi_add_handle failed");
			curl_easy_cleanup(j->easy);
			curl_slist_free_all(j->hdrs);
			j->easy = NULL;
			j->hdrs = NULL;
			continue;
		}
		p->pending++;
	}
	/* Kick the loop even with nothing to do, so done runs from the loop. */
	if (!p->pending) {
		sd_event_source_set_time_relative(p->timer, 0);
		sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT);
	}
	return 0;
}
