/* upstream.h — the direct probe of every upstream target: an HTTP GET of "/"
 * over TCP or a unix socket (connect-only for fastcgi/uwsgi/scgi/grpc), all
 * targets at once, with libcurl multi driven by the sd-event loop. Nothing
 * here blocks: results arrive through the done callback. */
#ifndef GW_UPSTREAM_H
#define GW_UPSTREAM_H

#include <stddef.h>
#include <systemd/sd-event.h>

#include "model.h"

struct upstream_prober;

/* A prober bound to the loop e (which it references). NULL on failure. */
struct upstream_prober *upstream_prober_new(sd_event *e);
/* Cancels what is in flight (no callback) and frees everything. NULL ok. */
void upstream_prober_free(struct upstream_prober *p);

/* Probe targets[0..n) concurrently, at most 64 transfers at once (the
 * rest queue, in order). A target gwtop could not probe (no socket: EMFILE,
 * ENFILE; still queued when the pass was cancelled) stays probed = 0 ("not
 * probed", never "down") with error saying why. Fills per target the direct-probe fields
 * of struct gw_target (probed, reachable, http_ok, http_status, err,
 * timed_out, connect_ms, total_ms, error, not_http). Targets whose address is
 * not statically known (variables, unresolved upstream names) are skipped:
 * probed stays 0 and error says why.
 *
 * timeout_s is the whole-request timeout; the connect timeout is
 * min(1 s, timeout_s). The caller keeps targets valid until done(ud) runs or
 * upstream_probe_cancel() returns. done is always called from the loop, never
 * from inside this function (also for n == 0); it may free the prober or
 * start the next pass. Returns 0, -EBUSY when a pass is running, or another
 * negative errno. */
int upstream_probe_start(struct upstream_prober *p, struct gw_target *targets, size_t n,
    double timeout_s, void (*done)(void *ud), void *ud);

/* Abort everything in flight; done is not called. The target fields of the
 * aborted pass are left as they were (partly filled). */
void upstream_probe_cancel(struct upstream_prober *p);

/* 1 while a pass is in flight. */
int upstream_probe_running(const struct upstream_prober *p);

/* The Host header sent for a target's server_name: the name itself when it
 * is a real host name, else "localhost" ("_", "", wildcards, regexes).
 * Exposed for tests. */
const char *upstream_host_header(const char *server_name);

/* A plain host name (letters, digits, '.', '-', '_'; not starting with
 * '.' or '-'): safe to put in a URL or a Host header. */
int upstream_is_hostname(const char *s);

/* The error text of a failed transfer: curl's message (errbuf, "" if
 * none) or, without one, its code's text. A peer that resets the
 * connection as soon as it is accepted shows, depending on when the RST
 * lands, as a recv failure (curl says "reset"), a connect failure with
 * oserr ECONNRESET (curl says "Couldn't connect to server"), or a
 * getpeername() failing with ENOTCONN right after the connect (logged
 * without failing, and curl keeps a transfer's first message): the last
 * two are said as the reset they are. Exposed for tests. res is a
 * CURLcode, oserr CURLINFO_OS_ERRNO. */
void upstream_error_text(char *out, size_t size, int res, long oserr, const char *errbuf);

#endif
