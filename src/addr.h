/* addr.h — endpoints: the one place that says what an address means.
 * Parse (nginx's grammar), classify, normalise, compare; which hosts are
 * "any" and which are loopback (with the names of localhost); does a bind
 * serve a target; which listener takes a connection. Used by the config
 * parser, the listeners, units, Docker and database probes and by the
 * rules. Pure: no I/O (the /etc/hosts lookup and realpath of
 * listeners_find stay in the probe), no clock.
 *
 * Decisions, once for everyone:
 *  - host names compare case-insensitively (DNS and /etc/hosts do);
 *    IP literals compare by value ("::1" = "0:0::1" = "::0001"); unix
 *    socket paths compare byte for byte (a file system is case-sensitive);
 *  - "any" is "", "*", and every spelling of 0.0.0.0 and :: ;
 *  - loopback is 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104 and the names of
 *    localhost below (case-insensitive). */
#ifndef GW_ADDR_H
#define GW_ADDR_H

#include <stddef.h>

#include "model.h"

/* ------------------------------------------------------------------ parse */

/* Parse an endpoint as nginx's ngx_parse_url does: "unix:/path[:uri]",
 * "[v6]:port", "host:port", a bare IPv6 literal, "host", and with
 * ADDR_PORT_ONLY (listen) a bare number is a port. An optional "/uri" or
 * "?query" tail is ignored. "*" as host means any (host ""). A host that
 * is an IP literal gets kind INET / INET6, a name HOST. Returns 1 when a
 * port was written, 0 when not (a->port 0 then; the caller picks the
 * default). a is cleared first. */
#define ADDR_PORT_ONLY 1
int addr_parse(const char *text, struct gw_addr *a, int flags);

/* The family of an IP literal host: AF_INET, AF_INET6, or 0 for a name
 * (or ""). bin (16 bytes, may be NULL) gets the address. No brackets. */
int addr_family(const char *host, unsigned char *bin);

/* Set a->host to the n bytes of h and a->kind from them: an IPv4 literal
 * or "" (any) INET, an IPv6 literal INET6, anything else HOST. "*" is
 * stored as "" (any). */
void addr_set_host(struct gw_addr *a, const char *h, size_t n);

/* -------------------------------------------------------- normalise, equal */

/* host in its canonical spelling into out: an IP literal as inet_ntop
 * writes it ("0:0::1" -> "::1"), a name lower-cased, any ("*", "") as "".
 * Returns out. */
const char *addr_normalise(const char *host, char *out, size_t n);

/* Same host (see the decisions above); "" and "*" are the same (any),
 * not the same as a literal 0.0.0.0 or :: (those name a family). */
int addr_host_eq(const char *a, const char *b);

/* Same endpoint: same kind; unix: same path; else same port and same host
 * (addr_host_eq; an upstream{} name or a $variable as a name). */
int addr_eq(const struct gw_addr *a, const struct gw_addr *b);

/* A hash consistent with addr_eq (equal endpoints hash alike). */
size_t addr_hash(const struct gw_addr *a);

/* ------------------------------------------------------- any, loopback */

/* A bind to every address: "", "*", 0.0.0.0, :: (any spelling). */
int addr_is_any(const char *host);

/* The names of localhost, NULL-terminated: "localhost",
 * "localhost.localdomain", "localhost6", "localhost6.localdomain6",
 * "ip6-localhost", "ip6-loopback" (what Debian's and Red Hat's /etc/hosts
 * give the loopback addresses). */
extern const char *const addr_localhost_names[];
int addr_is_localhost_name(const char *host);

/* 127.0.0.0/8, ::1, an IPv4-mapped 127.x, or a name of localhost. */
int addr_is_loopback(const char *host);

/* ----------------------------------------------------------- matching */

/* Does something bound to `bind` serve what is addressed to `target`
 * (an app server's --bind against nginx's target, a published container
 * port against it)? Unix: the same path. Else the same port and: bind is
 * any (of either family: what it accepts exactly is the listeners'
 * business, addr_listener_score), or the same host, or target is a name of
 * localhost and bind a loopback address. With ADDR_MATCH_LOOSE also: each
 * is 127.0.0.1, ::1 or a name of localhost (the loopback of either family
 * alike), or target is a name that is not localhost (unresolved: the port
 * is all we can compare) — "is this the bind meant for that target", as
 * the unit rules ask (a family mismatch is another rule's finding). */
#define ADDR_MATCH_LOOSE 1
int addr_bind_matches(const struct gw_addr *bind, const struct gw_addr *target, int flags);

/* How well listener l takes a TCP connection to the IP literal host:port:
 * 3 the exact address (an IPv4-mapped [::ffff:a.b.c.d] listener for a
 * v4 target too), 2 the wildcard of the same family, 1 a dual-stack [::]
 * (not known v6only) for an IPv4 target, 0 not at all. */
int addr_listener_score(const struct gw_listener *l, const char *host, int port);

/* Is a listened: the index (into ls[0..n)) of the listener that would
 * accept a connection to it, -1 none; *score (may be NULL) its
 * addr_listener_score (3 for a unix path). IP literals by
 * addr_listener_score (an IPv4-mapped IPv6 target as its IPv4 address;
 * the best score wins, the first of equals); a name of localhost as
 * 127.0.0.1 and ::1; unix: the same path. Other names: -1 (resolving
 * them, and real paths, are the listeners probe's job: listeners_find).
 * Port 0 counts as 80. */
int addr_find_listener(const struct gw_listener *ls, size_t n, const struct gw_addr *a, int *score);

#endif
