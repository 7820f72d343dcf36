/* curlev.c — libcurl multi on sd-event (see curlev.h).
 *
 * CURLMOPT_SOCKETFUNCTION -> one sd-event io source per socket curl wants
 * watched (our record attached with curl_multi_assign); CURLMOPT_TIMERFUNCTION
 * -> one oneshot time source. Both event callbacks call
 * curl_multi_socket_action and then reap finished transfers. Every transfer
 * is on a list so that cancel can drop them all. */
#include "curlev.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "util.h"

struct curlev_xfer {
	struct curlev *cv;
	CURL *easy;
	curlev_done_fn fn;
	void *ud;
	struct curlev_xfer *prev, *next;
};

struct curlev_sock {
	struct curlev *cv;
	sd_event_source *src;
	curl_socket_t fd;
	struct curlev_sock *prev, *next;
};

struct curlev {
	sd_event *e;
	CURLM *multi;
	sd_event_source *timer;
	struct curlev_sock *socks;
	struct curlev_xfer *xfers;
	size_t pending;
};

static void curlev_sock_free(struct curlev_sock *s)
{
	struct curlev *cv = s->cv;
	if (s->prev)
		s->prev->next = s->next;
	else
		cv->socks = s->next;
	if (s->next)
		s->next->prev = s->prev;
	sd_event_source_disable_unref(s->src);
	free(s);
}

static void curlev_xfer_unlink(struct curlev_xfer *x)
{
	struct curlev *cv = x->cv;
	if (x->prev)
		x->prev->next = x->next;
	else
		cv->xfers = x->next;
	if (x->next)
		x->next->prev = x->prev;
	cv->pending--;
}

/* Reap finished transfers and call their callbacks. */
static void curlev_reap(struct curlev *cv)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(cv->multi, &left))) {
		char *priv = NULL;
		CURL *easy = m->easy_handle;
		CURLcode res = m->data.result;
		struct curlev_xfer *x;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		x = (struct curlev_xfer *)priv;
		curl_multi_remove_handle(cv->multi, easy);   /* m is invalid from here */
		if (!x)
			continue;
		curlev_xfer_unlink(x);
		if (x->fn)
			x->fn(easy, res, x->ud);
		curl_easy_cleanup(easy);
		free(x);
	}
}

static int curlev_io_cb(sd_event_source *src, int fd, uint32_t revents, void *ud)
{
	struct curlev_sock *s = ud;
	struct curlev *cv = s->cv;
	int flags = 0, still;

	(void)src;
	if (revents & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (revents & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (revents & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(cv->multi, fd, flags, &still);   /* may free s */
	curlev_reap(cv);
	return 0;
}

static int curlev_timer_cb(sd_event_source *src, uint64_t usec, void *ud)
{
	struct curlev *cv = ud;
	int still;

	(void)src;
	(void)usec;
	curl_multi_socket_action(cv->multi, CURL_SOCKET_TIMEOUT, 0, &still);
	curlev_reap(cv);
	return 0;
}

static int curlev_sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct curlev *cv = userp;
	struct curlev_sock *s = socketp;
	uint32_t ev = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			curlev_sock_free(s);
			curl_multi_assign(cv->multi, fd, NULL);
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
		curlev_sock_free(s);   /* fd closed and reused behind our back */
	}
	s = gw_xcalloc(1, sizeof *s);
	s->cv = cv;
	s->fd = fd;
	if (sd_event_add_io(cv->e, &s->src, fd, ev, curlev_io_cb, s) < 0) {
		free(s);
		curl_multi_assign(cv->multi, fd, NULL);
		return -1;
	}
	s->next = cv->socks;
	if (cv->socks)
		cv->socks->prev = s;
	cv->socks = s;
	curl_multi_assign(cv->multi, fd, s);
	return 0;
}

static int curlev_timerfn(CURLM *multi, long timeout_ms, void *userp)
{
	struct curlev *cv = userp;

	(void)multi;
	if (timeout_ms < 0)
		return sd_event_source_set_enabled(cv->timer, SD_EVENT_OFF) < 0 ? -1 : 0;
	if (sd_event_source_set_time_relative(cv->timer, (uint64_t)timeout_ms * 1000) < 0 ||
	    sd_event_source_set_enabled(cv->timer, SD_EVENT_ONESHOT) < 0)
		return -1;
	return 0;
}

/* Debian's libcurl links libssh2, whose libssh2_init(0), called from
 * curl_global_init, loads and registers every OpenSSL engine: 1.5 MiB of
 * libcrypto touched for a protocol gwtop never speaks (it asks curl for
 * http and https only, and https goes through GnuTLS).  libssh2_init
 * counts its callers and sets the crypto up only on the first call unless
 * told not to: calling it first with LIBSSH2_INIT_NO_CRYPTO (1) leaves
 * OpenSSL alone.  Looked up at run time: the symbol is there only when
 * libcurl brought libssh2 in, and gwtop has no other business with it. */
#define GW_LIBSSH2_INIT_NO_CRYPTO 0x0001

static CURLcode curlev_global_init(void)
{
	static int done;
	if (!done) {
		int (*ssh2_init)(int) = (int (*)(int))dlsym(RTLD_DEFAULT, "libssh2_init");
		if (ssh2_init)
			ssh2_init(GW_LIBSSH2_INIT_NO_CRYPTO);
		done = 1;
	}
	return curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct curlev *curlev_new(sd_event *e)
{
	struct curlev *cv;

	if (!e || curlev_global_init() != CURLE_OK)
		return NULL;
	cv = gw_xcalloc(1, sizeof *cv);
	cv->e = sd_event_ref(e);
	if (!(cv->multi = curl_multi_init()) ||
	    sd_event_add_time_relative(e, &cv->timer, CLOCK_MONOTONIC, 0, 1000, curlev_timer_cb, cv) < 0 ||
	    sd_event_source_set_enabled(cv->timer, SD_EVENT_OFF) < 0) {
		if (cv->multi)
			curl_multi_cleanup(cv->multi);
		sd_event_source_unref(cv->timer);
		sd_event_unref(cv->e);
		free(cv);
		curl_global_cleanup();
		return NULL;
	}
	curl_multi_setopt(cv->multi, CURLMOPT_SOCKETFUNCTION, curlev_sock_cb);
	curl_multi_setopt(cv->multi, CURLMOPT_SOCKETDATA, cv);
	curl_multi_setopt(cv->multi, CURLMOPT_TIMERFUNCTION, curlev_timerfn);
	curl_multi_setopt(cv->multi, CURLMOPT_TIMERDATA, cv);
	return cv;
}

int curlev_add(struct curlev *cv, CURL *easy, curlev_done_fn fn, void *ud)
{
	struct curlev_xfer *x = gw_xcalloc(1, sizeof *x);

	x->cv = cv;
	x->easy = easy;
	x->fn = fn;
	x->ud = ud;
	curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)x);
	if (curl_multi_add_handle(cv->multi, easy) != CURLM_OK) {
		curl_easy_cleanup(easy);
		free(x);
		return -1;
	}
	x->next = cv->xfers;
	if (cv->xfers)
		cv->xfers->prev = x;
	cv->xfers = x;
	cv->pending++;
	return 0;
}

void curlev_cancel(struct curlev *cv)
{
	if (!cv)
		return;
	struct curlev_xfer *x;
	/* pop the head each time (the list stays consistent for any callback
	 * curl makes while the handle is removed) */
	while ((x = cv->xfers) != NULL) {
		cv->xfers = x->next;
		if (cv->xfers)
			cv->xfers->prev = NULL;
		cv->pending--;
		curl_multi_remove_handle(cv->multi, x->easy);
		curl_easy_cleanup(x->easy);
		free(x);
	}
	sd_event_source_set_enabled(cv->timer, SD_EVENT_OFF);
}

size_t curlev_pending(const struct curlev *cv)
{
	return cv ? cv->pending : 0;
}

void curlev_free(struct curlev *cv)
{
	if (!cv)
		return;
	curlev_cancel(cv);
	curl_multi_cleanup(cv->multi);   /* may still call the socket callback */
	for (struct curlev_sock *s = cv->socks, *next; s; s = next) {
		next = s->next;
		sd_event_source_disable_unref(s->src);
		free(s);
	}
	cv->socks = NULL;
	sd_event_source_disable_unref(cv->timer);
	sd_event_unref(cv->e);
	free(cv);
	curl_global_cleanup();
}
