/* nginx_test.h — `nginx -t -c CONF [-p PREFIX]` as a child process driven by
 * the sd-event loop: output through a pipe, exit status through a child
 * event source, a timeout that SIGKILLs the child. Nothing here blocks. */
#ifndef GW_NGINX_TEST_H
#define GW_NGINX_TEST_H

#include <systemd/sd-event.h>

#include "model.h"

/* Start `nginx_bin -t -c conf [-p prefix]` (argv only, no shell; a bin
 * without '/' is looked up in PATH). The result goes to *out, which the
 * caller keeps valid until done(ud) runs or nginx_test_cancel(out) returns;
 * at most one run per out. out is reset at the start (ran = 0).
 *
 * When the run is complete *out holds: ran = 1, exit_code (-1 when killed or
 * timed out; 127 when nginx_bin could not be executed), ok (exit 0), output
 * (stdout+stderr exactly as printed, truncated to fit; on timeout it ends
 * with "nginx -t timed out after N s"), error_file/error_line (from
 * "... in FILE:LINE" when it failed), duration, when. done is called from the
 * loop, never from inside this function; it may start the next run on the
 * same out.
 *
 * sd-event needs SIGCHLD blocked to watch children: main should block it
 * before creating threads. If it is not blocked yet, this function blocks it
 * in the calling thread (pthread_sigmask) — the child gets an empty mask.
 *
 * As root (trust_strict) it refuses a binary, conf or prefix another user
 * could change (trust_nginx_test_ok): -EPERM, out->output says why and
 * out->ran stays 0 (nothing was tested). A bin without '/' is then resolved
 * in PATH here and that very file is checked and executed.
 *
 * Returns 0; -EBUSY when a run on out is in flight; another negative errno
 * when the child could not be started (out then says why, done is not
 * called). */
int nginx_test_start(sd_event *e, const char *nginx_bin, const char *conf, const char *prefix,
    double timeout_s, struct gw_nginx_test *out, void (*done)(void *ud), void *ud);

/* Kill (SIGKILL, by pid) and reap the run writing into out; done is not
 * called and out is left with ran = 0. No-op when none is in flight. */
void nginx_test_cancel(struct gw_nginx_test *out);

/* 1 while a run writing into out is in flight. */
int nginx_test_running(const struct gw_nginx_test *out);

/* Find "... in FILE:LINE" in nginx's output (the first [emerg]/[alert]/[crit]
 * line that has one, else any line). Returns 1 and fills file/line when
 * found. Exposed for tests. */
int nginx_test_parse_error(const char *output, char *file, size_t size, int *line);

#endif
