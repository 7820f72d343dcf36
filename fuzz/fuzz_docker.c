/* fuzz_docker.c — libFuzzer target for the pure parts of the Docker Engine
 * API probe (probes/docker.c): what comes from the engine's socket and from
 * a container's /proc/PID/net/tcp is outside data. The first input byte
 * picks what the rest is:
 *   0 GET /containers/json body      -> docker_parse_list
 *   1 GET /containers/{id}/json body -> docker_parse_inspect (bit 3 of the
 *     byte: a list "Restarting (N) ..." status known before)
 *   2 / 3 a logs body, multiplexed / tty -> docker_logs_split, docker_logs_ingest,
 *     and docker_demux_feed with the body cut in pieces
 *   4 / 5 /proc/PID/net/tcp / tcp6 text  -> docker_parse_net_tcp
 *   6 an RFC 3339 time                -> docker_parse_time
 * and whatever containers came out are matched against a few nginx targets
 * (docker_match_target). Properties: no crash / leak / UB; an error comes
 * with a message; every string the parsers fill is NUL-terminated; the
 * fixed-size tables stay within bounds; split lines are not empty, hold no
 * '\n' and no more text than the body; the body fed in pieces splits into
 * the same lines as in one piece; a match names a real container and
 * port; docker_logs_pick picks each container at most once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"

#define FZ_TERMINATED(a) do { if (!memchr((a), '\0', sizeof(a))) abort(); } while (0)

static void fz_check_container(const struct gw_container *c)
{
	FZ_TERMINATED(c->id);
	FZ_TERMINATED(c->name);
	FZ_TERMINATED(c->image);
	FZ_TERMINATED(c->state);
	FZ_TERMINATED(c->status);
	FZ_TERMINATED(c->health);
	FZ_TERMINATED(c->health_log);
	FZ_TERMINATED(c->last_log);
	if (c->nports < 0 || c->nports > (int)(sizeof c->ports / sizeof *c->ports)) abort();
	if (c->ninside < 0 || c->ninside > (int)(sizeof c->inside / sizeof *c->inside)) abort();
	for (int i = 0; i < c->nports; i++) {
		FZ_TERMINATED(c->ports[i].proto);
		FZ_TERMINATED(c->ports[i].host_ip);
	}
	for (int i = 0; i < c->ninside; i++) FZ_TERMINATED(c->inside[i].addr);
}

static void fz_match(struct gw_snapshot *s)
{
	static const struct { enum gw_addr_kind kind; const char *host; int port; } tg[] = {
		{ GW_ADDR_INET, "127.0.0.1", 21000 }, { GW_ADDR_HOST, "app", 8000 },
		{ GW_ADDR_HOST, "localhost", 0 }, { GW_ADDR_INET, "172.17.0.2", 8000 },
	};
	for (size_t i = 0; i < s->containers.n; i++) fz_check_container(&s->containers.v[i]);
	for (size_t i = 0; i < sizeof tg / sizeof *tg; i++) {
		struct gw_target *t = gw_vec_push(&s->targets);
		t->addr.kind = tg[i].kind;
		GW_COPY(t->addr.host, tg[i].host);
		t->addr.port = tg[i].port;
		t->listener_idx = -1;
	}
	for (size_t i = 0; i < s->targets.n; i++) {
		struct gw_container_match m;
		enum gw_via how = docker_match_target(s, &s->targets.v[i], &m);
		if (how != m.how) abort();
		if (how == GW_VIA_NONE) continue;
		if (m.container < 0 || (size_t)m.container >= s->containers.n) abort();
		if (m.port >= s->containers.v[m.container].nports) abort();
		if ((how == GW_VIA_PUBLISHED || how == GW_VIA_NEAR) && m.port < 0) abort();
	}
	size_t pick[8];
	size_t np = docker_logs_pick(s, 1.7e9, pick, 8);
	if (np > 8 || np > s->containers.n) abort();
	for (size_t i = 0; i < np; i++) {
		if (pick[i] >= s->containers.n) abort();
		for (size_t j = 0; j < i; j++)
			if (pick[i] == pick[j]) abort();
	}
}

/* The lines a split gave, recorded as "stream len bytes" one after the
 * other, to compare a one-piece split with a split fed in pieces. */
struct fz_split {
	const char *buf;
	size_t len, lines, bytes;
	char *rec;
	size_t nrec, caprec;
};

static void fz_line(const char *line, size_t len, int stream, void *ud)
{
	struct fz_split *sp = ud;
	if (!len || memchr(line, '\n', len)) abort();
	if (stream < 0 || stream > 2) abort();
	/* a line inside the body (not a copy) lies wholly inside it */
	if (line >= sp->buf && line < sp->buf + sp->len && line + len > sp->buf + sp->len) abort();
	sp->bytes += len;
	if (sp->bytes > sp->len) abort();    /* more text than came in */
	sp->lines++;
	size_t need = sp->nrec + len + 2 * sizeof(size_t);
	if (need > sp->caprec) {
		sp->caprec = need * 2;
		sp->rec = realloc(sp->rec, sp->caprec);
		if (!sp->rec) abort();
	}
	size_t st = (size_t)stream;
	memcpy(sp->rec + sp->nrec, &st, sizeof st);
	memcpy(sp->rec + sp->nrec + sizeof st, &len, sizeof len);
	memcpy(sp->rec + sp->nrec + 2 * sizeof st, line, len);
	sp->nrec = need;
}

/* The same body through docker_demux_feed in pieces of 1..32 bytes (cut
 * points from a PRNG seeded by the body, so each input replays the same):
 * the same lines as in one piece. */
static void fz_split_pieces(const char *buf, size_t len, int tty, const struct fz_split *whole)
{
	struct fz_split sp = { buf, len, 0, 0, NULL, 0, 0 };
	struct docker_demux d;
	uint32_t x = 2166136261u;
	for (size_t i = 0; i < len && i < 64; i++) x = (x ^ (uint8_t)buf[i]) * 16777619u;
	docker_demux_init(&d, tty, len);
	size_t n = 0;
	for (size_t off = 0; off < len;) {
		x ^= x << 13; x ^= x >> 17; x ^= x << 5;
		size_t k = 1 + x % 32;
		if (k > len - off) k = len - off;
		n += docker_demux_feed(&d, buf + off, k, fz_line, &sp);
		off += k;
	}
	n += docker_demux_end(&d, fz_line, &sp);
	if (n != sp.lines || sp.lines != whole->lines || sp.nrec != whole->nrec ||
	    (sp.nrec && memcmp(sp.rec, whole->rec, sp.nrec)))
		abort();
	free(sp.rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1) return 0;
	unsigned mode = data[0];
	size_t len = size - 1;
	/* exact-size copy, NUL added after it (text parsers need a C string;
	 * the JSON and logs readers get the length and must not read past it) */
	char *buf = malloc(len + 1);
	if (!buf) return 0;
	memcpy(buf, data + 1, len);
	buf[len] = '\0';

	struct gw_snapshot s;
	snapshot_init(&s);
	char err[GW_TEXT];
	memset(err, 'x', sizeof err);

	switch (mode & 7) {
	case 0: {
		int n = docker_parse_list(&s, buf, len, err, sizeof err);
		if (n < 0) {
			FZ_TERMINATED(err);
			if (!err[0] || s.containers.n) abort();
		} else if ((size_t)n != s.containers.n) {
			abort();
		}
		fz_match(&s);
		break;
	}
	case 1: {
		struct gw_container *c = gw_vec_push(&s.containers);
		if (mode & 8) {              /* as the list left it */
			GW_COPY(c->status, "Restarting (3) 2 seconds ago");
			c->nports = 1;
			c->ports[0].container_port = 8000;
			GW_COPY(c->ports[0].proto, "tcp");
			GW_COPY(c->ports[0].host_ip, "127.0.0.1");
			c->ports[0].host_port = 21000;
		}
		int tty = -1;
		if (docker_parse_inspect(c, buf, len, &tty, err, sizeof err) < 0) {
			FZ_TERMINATED(err);
			if (!err[0]) abort();
		} else if (tty != 0 && tty != 1) {
			abort();
		}
		fz_match(&s);
		break;
	}
	case 2: case 3: {
		int tty = mode & 1;
		struct fz_split sp = { buf, len, 0, 0, NULL, 0, 0 };
		size_t n = docker_logs_split(buf, len, tty, fz_line, &sp);
		if (n != sp.lines) abort();
		fz_split_pieces(buf, len, tty, &sp);
		free(sp.rec);
		struct gw_container *c = gw_vec_push(&s.containers);
		GW_COPY(c->name, "app");
		docker_logs_ingest(&s, c, buf, len, tty);
		fz_check_container(c);
		if (s.events.n > n) abort();
		for (size_t i = 0; i < s.events.n; i++) {
			const struct gw_log_event *e = &s.events.v[i];
			if ((unsigned)e->kind >= GW_LOG_KIND_MAX) abort();
			if (strcmp(e->source, "docker:app")) abort();
			FZ_TERMINATED(e->line);
			FZ_TERMINATED(e->detail);
			FZ_TERMINATED(e->upstream);
			FZ_TERMINATED(e->request);
		}
		break;
	}
	case 4: case 5: {
		struct gw_container *c = gw_vec_push(&s.containers);
		int n = docker_parse_net_tcp(c, buf, mode & 1);
		if (n != c->ninside) abort();
		fz_check_container(c);
		/* a second read adds nothing new: rows are deduplicated */
		if (docker_parse_net_tcp(c, buf, mode & 1) != 0 && c->ninside < 16) abort();
		break;
	}
	default: {
		const char *end = NULL;
		double t = docker_parse_time(buf, &end);
		if (t < 0 || t != t || !end || end < buf || end > buf + strlen(buf)) abort();
		break;
	}
	}
	snapshot_free(&s);
	free(buf);
	return 0;
}
