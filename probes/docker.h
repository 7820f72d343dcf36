/* docker.h — the Docker Engine API probe (dockerd or podman's compatible
 * service) over the engine's unix socket, asynchronous on the sd-event loop,
 * plus the pure pieces it is made of (JSON -> gw_container, log frame
 * demultiplexing, /proc/PID/net/tcp parsing, nginx target -> container
 * mapping, stored in each target's t->container for the rules), exposed
 * for tests. */
#ifndef GW_DOCKER_H
#define GW_DOCKER_H

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>
#include <curl/curl.h>

#include "model.h"
#include "options.h"

struct docker_prober;

/* A prober bound to e (referenced). Keeps RestartCount history across
 * passes. NULL on failure. */
struct docker_prober *docker_prober_new(sd_event *e);
/* Cancels a pass in flight (done is not called) and frees. NULL ok. */
void docker_prober_free(struct docker_prober *p);

/* One pass: finds the engine socket (o->docker_socket, DOCKER_HOST=unix://,
 * /var/run/docker.sock, /run/podman/podman.sock), lists every container,
 * inspects each, reads what the app listens on inside (root), and fetches
 * the last log lines of the containers that matter (targeted by nginx,
 * restarting, unhealthy, recently exited) into s->events ("docker:NAME").
 * Fills s->docker_*, s->containers. s and o stay valid until done(ud),
 * which is always called from the loop, never from inside this function;
 * done may free the prober. Returns 0, or -EBUSY while a pass runs. */
int docker_probe_start(struct docker_prober *p, struct gw_snapshot *s, const struct gw_options *o,
		       void (*done)(void *ud), void *ud);

/* The engine client, the one every request to the engine is made by (this
 * probe, the live stream's container followers, the container actions):
 * the API version is spelled here only. */

/* "http://localhost/v1.41" + path ("/containers/ID/json") into buf. */
void docker_api_url(char *buf, size_t size, const char *path);

/* A request to the engine at the unix socket sock for path, with the
 * options every engine request has (no proxy, plain HTTP/1.1, no signals,
 * user agent gwtop): connect_ms, timeout_ms (0: none, for a follow),
 * errbuf (CURL_ERROR_SIZE bytes), the answer to write(..., ud). For
 * curlev_add; NULL when curl cannot make one. */
CURL *docker_engine_request(const char *sock, const char *path, long connect_ms, long timeout_ms,
			    char *errbuf, size_t (*write)(char *p, size_t size, size_t nmemb, void *ud),
			    void *ud);

/* ---------------------------------------------------------------- pure parts */

/* The engine socket to use, into buf. Returns 1 if one exists (a socket
 * file), 0 if none (buf = the first candidate that was tried, why = reason). */
int docker_find_socket(const char *opt, const char *docker_host, char *buf, size_t size,
		       char *why, size_t whysize);

/* Parse GET /containers/json?all=1 into new entries of s->containers.
 * Returns the number added, -1 on a JSON error (err set). */
int docker_parse_list(struct gw_snapshot *s, const char *json, size_t len, char *err, size_t errsize);

/* Parse GET /containers/{id}/json into c (overwrites what inspect knows).
 * *tty = Config.Tty. Returns 0, -1 on a JSON error. */
int docker_parse_inspect(struct gw_container *c, const char *json, size_t len, int *tty,
			 char *err, size_t errsize);

/* RFC 3339 time ("2026-11-24T12:10:37.123456789Z", "+01:00" offsets) ->
 * epoch seconds; 0 for the zero time "0001-01-01T00:00:00Z" or garbage.
 * *end (if not NULL) points after the parsed text. */
double docker_parse_time(const char *s, const char **end);

/* One log line out of the logs stream: calls fn(line, len, stream, ud) for
 * each line (stream 1 stdout, 2 stderr, 0 raw tty). Multiplexed frames
 * ([stream,0,0,0,len BE32] payload) unless tty, in which case the body is
 * raw text ("\r\n" allowed). A truncated last frame is used as far as it
 * goes. Returns the number of lines. */
size_t docker_logs_split(const char *buf, size_t len, int tty,
			 void (*fn)(const char *line, size_t len, int stream, void *ud), void *ud);

/* The same split, incremental: for a logs stream (follow=1) that arrives in
 * pieces cut anywhere, also inside a frame header. Init with tty = Config.Tty
 * when known (1 raw text), else 0: multiplexed frames, raw from the first
 * byte that cannot start a frame. A line wholly inside one feed is passed
 * as is; one split across feeds is put together, at most cap bytes of it
 * (the rest is dropped; `cut` is set while fn runs). The last line of a
 * frame needs no '\n'. docker_demux_end passes a line still incomplete
 * (the stream ended) and frees; init again for another stream. */
struct docker_demux {
	int raw;                     /* raw text (tty, or not frames) */
	unsigned char hdr[8];
	size_t nhdr;                 /* header bytes had */
	size_t left;                 /* payload bytes of the current frame still to come */
	int stream;                  /* of the current frame: 1 stdout, 2 stderr, 0 raw */
	char *line;                  /* a line split across feeds, owned */
	size_t len, alloc, cap;
	int cut;
};
void docker_demux_init(struct docker_demux *d, int tty, size_t cap);
size_t docker_demux_feed(struct docker_demux *d, const char *buf, size_t len,
			 void (*fn)(const char *line, size_t len, int stream, void *ud), void *ud);
size_t docker_demux_end(struct docker_demux *d, void (*fn)(const char *line, size_t len, int stream, void *ud),
			void *ud);

/* The timestamps=1 prefix of a log line ("2026-11-24T12:10:37.123456789Z ";
 * the engine trims trailing zeros of the fraction): its time in epoch
 * nanoseconds, exact (two lines compare equal only when the engine stamped
 * them alike). Returns the bytes to skip (prefix and its blank), 0 when the
 * line has no such prefix. */
size_t docker_log_stamp(const char *line, size_t len, int64_t *ns);

/* Which containers' logs matter, most important first, at most max: those
 * nginx's targets lead to, then restarting, unhealthy, restarts rising,
 * exited with an error in the last hour. Indices into s->containers into
 * out. The probe fetches these; the live log stream follows them. Pure. */
size_t docker_logs_pick(const struct gw_snapshot *s, double now, size_t *out, size_t max);

/* Classify the lines of a logs body (timestamps=1) and append events with
 * source "docker:NAME" to s->events: every classified line plus the last
 * line. c->last_log = last non-empty line (without its timestamp). */
void docker_logs_ingest(struct gw_snapshot *s, struct gw_container *c, const char *buf, size_t len, int tty);

/* LISTEN rows of a /proc/PID/net/tcp or tcp6 text into c->inside
 * (deduplicated, bounded). Returns rows added. */
int docker_parse_net_tcp(struct gw_container *c, const char *text, int v6);

/* Which container (if any) serves target t (enum gw_via, struct
 * gw_container_match: model.h). Needs t->listener_idx (a target nothing
 * listens at may be served by a nearby port). Pure. Returns how (also m->how). */
enum gw_via docker_match_target(const struct gw_snapshot *s, const struct gw_target *t,
				struct gw_container_match *m);

/* docker_match_target for every target into its t->container (the probe
 * does it at the end of each pass, so the rules read the match). */
void docker_match_targets(struct gw_snapshot *s);

/* A port map entry that carries a container network address rather than a
 * published port (proto GW_PROTO_ADDRESS, host_ip = the address). */
int docker_port_is_address(const struct gw_port_map *pm);

#endif
