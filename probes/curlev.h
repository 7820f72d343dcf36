/* curlev.h — libcurl multi driven by an sd-event loop, for probes that
 * issue several HTTP requests and want one callback per finished transfer
 * (the upstream probe, the Docker Engine API probe): curl's sockets become
 * sd-event io sources, curl's timeout one time source.
 *
 * Ownership: curlev_add() takes the easy handle; after its callback returns
 * (or on cancel / free) curlev cleans it up. Nothing blocks. */
#ifndef GW_CURLEV_H
#define GW_CURLEV_H

#include <stddef.h>
#include <systemd/sd-event.h>
#include <curl/curl.h>

struct curlev;

/* Called from the loop when a transfer is finished, before the easy handle
 * is cleaned up (curl_easy_getinfo works). It may curlev_add() new
 * transfers; it must not call curlev_cancel() or curlev_free(). */
typedef void (*curlev_done_fn)(CURL *easy, CURLcode res, void *ud);

/* A multi handle bound to the loop e (referenced). NULL on failure. */
struct curlev *curlev_new(sd_event *e);
/* Drops every transfer in flight (no callbacks) and frees. NULL ok. */
void curlev_free(struct curlev *cv);

/* Start easy (configured by the caller). Returns 0, or -1 when curl refuses
 * it (easy is cleaned up, fn is not called). fn is always called from the
 * loop, never from inside curlev_add. */
int curlev_add(struct curlev *cv, CURL *easy, curlev_done_fn fn, void *ud);
/* Drop every transfer in flight; their callbacks are not called. */
void curlev_cancel(struct curlev *cv);
/* Transfers in flight. */
size_t curlev_pending(const struct curlev *cv);

#endif
