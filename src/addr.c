/* addr.c — endpoints: parse, classify, normalise, compare, match (see
 * addr.h for the decisions). Pure. */
#include "addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "util.h"

/* ------------------------------------------------------------------ parse */

int addr_family(const char *host, unsigned char *bin)
{
	unsigned char tmp[16];
	if (!bin) bin = tmp;
	if (!host[0]) return 0;
	if (inet_pton(AF_INET, host, bin) == 1) return AF_INET;
	if (inet_pton(AF_INET6, host, bin) == 1) return AF_INET6;
	return 0;
}

void addr_set_host(struct gw_addr *a, const char *h, size_t n)
{
	char host[sizeof a->host];
	if (n >= sizeof host) n = sizeof host - 1;
	memcpy(host, h, n);
	host[n] = '\0';
	if (!strcmp(host, "*")) host[0] = '\0';
	GW_COPY(a->host, host);
	int fam = addr_family(host, NULL);
	a->kind = !host[0] || fam == AF_INET ? GW_ADDR_INET : fam == AF_INET6 ? GW_ADDR_INET6 : GW_ADDR_HOST;
}

/* 1..65535 written in at most 5 digits, else -1. */
static int addr_parse_port(const char *s, size_t n)
{
	if (n == 0 || n > 5) return -1;
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i])) return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v >= 1 && v <= 65535 ? v : -1;
}

/* "[v6]:port" (s[0] == '['), n bytes before the uri. */
static int addr_parse_bracket(const char *s, size_t n, struct gw_addr *a)
{
	const char *rb = memchr(s, ']', n);
	if (!rb) {
		addr_set_host(a, s, n);
		a->kind = GW_ADDR_HOST;
		return 0;
	}
	size_t hn = (size_t)(rb - s - 1);
	if (hn >= sizeof a->host) hn = sizeof a->host - 1;
	memcpy(a->host, s + 1, hn);
	a->host[hn] = '\0';
	a->kind = addr_family(a->host, NULL) == AF_INET6 ? GW_ADDR_INET6 : GW_ADDR_HOST;
	const char *rest = rb + 1;
	size_t rn = n - (size_t)(rest - s);
	if (rn > 1 && rest[0] == ':') {
		int port = addr_parse_port(rest + 1, rn - 1);
		if (port > 0) {
			a->port = port;
			return 1;
		}
	}
	return 0;
}

int addr_parse(const char *s, struct gw_addr *a, int flags)
{
	memset(a, 0, sizeof *a);
	if (!strncasecmp(s, "unix:", 5)) {
		const char *path = s + 5, *end = strchr(path, ':');
		size_t n = end ? (size_t)(end - path) : strlen(path);
		if (n >= sizeof a->path) n = sizeof a->path - 1;
		memcpy(a->path, path, n);
		a->path[n] = '\0';
		a->kind = GW_ADDR_UNIX;
		return 1;                     /* a socket needs no port */
	}
	size_t n = strcspn(s, "/?");          /* host[:port] ends at the uri */
	if (s[0] == '[') return addr_parse_bracket(s, n, a);
	const char *colon = memchr(s, ':', n);
	if (colon && memchr(colon + 1, ':', n - (size_t)(colon + 1 - s))) {
		addr_set_host(a, s, n);           /* several colons: bare IPv6 */
		return 0;
	}
	if (colon) {
		addr_set_host(a, s, (size_t)(colon - s));
		int port = addr_parse_port(colon + 1, n - (size_t)(colon + 1 - s));
		if (port > 0) {
			a->port = port;
			return 1;
		}
		return 0;
	}
	if (flags & ADDR_PORT_ONLY) {
		int port = addr_parse_port(s, n);
		if (port > 0) {
			a->kind = GW_ADDR_INET;
			a->port = port;
			return 1;
		}
	}
	addr_set_host(a, s, n);
	return 0;
}

/* -------------------------------------------------------- normalise, equal */

const char *addr_normalise(const char *host, char *out, size_t n)
{
	unsigned char bin[16];
	int fam = addr_family(host, bin);
	if (!n) return out;
	if (!strcmp(host, "*")) {
		out[0] = '\0';
		return out;
	}
	if (fam && inet_ntop(fam, bin, out, (socklen_t)n)) return out;
	size_t i = 0;
	for (; host[i] && i + 1 < n; i++) out[i] = (char)tolower((unsigned char)host[i]);
	out[i] = '\0';
	return out;
}

int addr_host_eq(const char *a, const char *b)
{
	if (!strcasecmp(a, b)) return 1;
	unsigned char ba[16], bb[16];
	int fa = addr_family(a, ba), fb = addr_family(b, bb);
	if (fa && fa == fb) return !memcmp(ba, bb, fa == AF_INET ? 4 : 16);
	return (!a[0] || !strcmp(a, "*")) && (!b[0] || !strcmp(b, "*"));   /* both "any" unspelled */
}

int addr_eq(const struct gw_addr *a, const struct gw_addr *b)
{
	if (a->kind != b->kind) return 0;
	if (a->kind == GW_ADDR_UNIX) return !strcmp(a->path, b->path);
	return a->port == b->port && addr_host_eq(a->host, b->host);
}

size_t addr_hash(const struct gw_addr *a)
{
	char norm[sizeof a->host];
	const char *p = a->path;
	uint64_t h = 14695981039346656037ull ^ (uint64_t)a->kind;
	if (a->kind != GW_ADDR_UNIX) p = addr_normalise(a->host, norm, sizeof norm);
	for (; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
	if (a->kind != GW_ADDR_UNIX) h = (h ^ (uint64_t)(unsigned)a->port) * 1099511628211ull;
	return (size_t)h;
}

/* ------------------------------------------------------- any, loopback */

int addr_is_any(const char *host)
{
	unsigned char bin[16];
	static const unsigned char zero[16];
	if (!host[0] || !strcmp(host, "*")) return 1;
	int fam = addr_family(host, bin);
	return fam && !memcmp(bin, zero, fam == AF_INET ? 4 : 16);
}

const char *const addr_localhost_names[] = {
	"localhost", "localhost.localdomain", "localhost6", "localhost6.localdomain6",
	"ip6-localhost", "ip6-loopback", NULL,
};

int addr_is_localhost_name(const char *host)
{
	for (size_t i = 0; addr_localhost_names[i]; i++)
		if (!strcasecmp(host, addr_localhost_names[i])) return 1;
	return 0;
}

int addr_is_loopback(const char *host)
{
	unsigned char bin[16];
	int fam = addr_family(host, bin);
	if (fam == AF_INET) return bin[0] == 127;
	if (fam == AF_INET6) {
		const struct in6_addr *a6 = (const struct in6_addr *)bin;
		return IN6_IS_ADDR_LOOPBACK(a6) || (IN6_IS_ADDR_V4MAPPED(a6) && bin[12] == 127);
	}
	return addr_is_localhost_name(host);
}

/* ----------------------------------------------------------- matching */

/* 127.0.0.1, ::1 or a name of localhost: "the" loopback of a family. */
static int addr_is_the_loopback(const char *host)
{
	return addr_host_eq(host, "127.0.0.1") || addr_host_eq(host, "::1") || addr_is_localhost_name(host);
}

int addr_bind_matches(const struct gw_addr *bind, const struct gw_addr *t, int flags)
{
	if (bind->kind == GW_ADDR_UNIX || t->kind == GW_ADDR_UNIX)
		return bind->kind == t->kind && !strcmp(bind->path, t->path);
	if (bind->port != t->port) return 0;
	if (addr_is_any(bind->host) || addr_host_eq(bind->host, t->host)) return 1;
	if (addr_is_localhost_name(t->host) && addr_is_loopback(bind->host)) return 1;
	if (!(flags & ADDR_MATCH_LOOSE)) return 0;
	if (addr_is_the_loopback(bind->host) && addr_is_the_loopback(t->host)) return 1;
	return !addr_family(t->host, NULL) && !addr_is_localhost_name(t->host);
}

int addr_listener_score(const struct gw_listener *l, const char *host, int port)
{
	unsigned char la[16], bin[16];
	int family = addr_family(host, bin);
	if (!family || l->port != port) return 0;
	if (l->family != AF_INET && l->family != AF_INET6) return 0;
	if (inet_pton(l->family, l->addr, la) != 1) return 0;
	if (family == AF_INET6 && IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)bin)) {
		memmove(bin, bin + 12, 4);     /* a v4-mapped target is its IPv4 address */
		family = AF_INET;
	}
	if (family == AF_INET) {
		if (l->family == AF_INET) {
			if (!memcmp(la, bin, 4)) return 3;
			if (!memcmp(la, "\0\0\0\0", 4)) return 2;
			return 0;
		}
		static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		if (!memcmp(la, mapped, 12) && !memcmp(la + 12, bin, 4)) return 3;
		if (!memcmp(la, &in6addr_any, 16) && l->v6only != 1) return 1;
		return 0;
	}
	if (l->family != AF_INET6) return 0;
	if (!memcmp(la, bin, 16)) return 3;
	if (!memcmp(la, &in6addr_any, 16)) return 2;
	return 0;
}

/* The best listener for the IP literal host:port; keeps *best / *score
 * when none beats them. */
static void addr_best_listener(const struct gw_listener *ls, size_t n, const char *host, int port, int *best,
			       int *score)
{
	for (size_t i = 0; i < n; i++) {
		int sc = addr_listener_score(&ls[i], host, port);
		if (sc > *score) {
			*score = sc;
			*best = (int)i;
		}
	}
}

int addr_find_listener(const struct gw_listener *ls, size_t n, const struct gw_addr *a, int *scorep)
{
	int port = a->port ? a->port : 80, best = -1, score = 0;
	if (!scorep) scorep = &score;
	*scorep = 0;
	switch (a->kind) {
	case GW_ADDR_UNIX:
		for (size_t i = 0; i < n; i++)
			if (ls[i].family == AF_UNIX && !strcmp(ls[i].path, a->path)) {
				*scorep = 3;
				return (int)i;
			}
		return -1;
	case GW_ADDR_INET:
	case GW_ADDR_INET6:
	case GW_ADDR_HOST:
		if (addr_family(a->host, NULL)) {
			addr_best_listener(ls, n, a->host, port, &best, scorep);
		} else if (addr_is_localhost_name(a->host)) {
			addr_best_listener(ls, n, "127.0.0.1", port, &best, scorep);
			addr_best_listener(ls, n, "::1", port, &best, scorep);
		}
		return best;
	default:
		return -1;
	}
}
