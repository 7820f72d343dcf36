/* through.h — the client hop: one small request sent through nginx itself
 * per server block (its listen address, its server_name as Host, TLS where
 * the listen line says `ssl`), to a path the config proxies. What the client
 * gets from nginx is the ground truth the rest of the diagnosis explains
 * (the seed playbook's "direct probe works but the public route fails").
 *
 * The request is a GET with `User-Agent: gwtop/VERSION (through)`, never a
 * body, aborted as soon as the status line and the first body bytes are in.
 * libcurl multi on the sd-event loop (curlev.c): nothing blocks. */
#ifndef GW_THROUGH_H
#define GW_THROUGH_H

#include <stddef.h>
#include <systemd/sd-event.h>

#include "model.h"

#define THROUGH_MAX 16               /* requests per pass at most */
#define THROUGH_UA_TAG "(through)"   /* in our User-Agent: our lines in access.log */

/* Fill s->through from s->conf: one entry per distinct (listen address,
 * server_name), at most THROUGH_MAX. The path is probe_path when given,
 * else "/" when a `location /` proxies, else the first proxied prefix
 * location of that server, else "/". */
void through_plan(struct gw_snapshot *s, const char *probe_path);

struct through_prober;
struct through_prober *through_prober_new(sd_event *e);
/* Cancels what is in flight (no callback) and frees. NULL ok. */
void through_prober_free(struct through_prober *p);

/* Send the requests of v[0..n) at once; fills probed, answered, status,
 * timed_out, total_ms, when, error. The caller keeps v valid until done(ud)
 * runs; done always runs from the loop (also for n == 0). Returns 0,
 * -EBUSY while a pass runs, or another negative errno. */
int through_probe_start(struct through_prober *p, struct gw_through *v, size_t n, double timeout_s,
			void (*done)(void *ud), void *ud);

#endif
