/* listeners.h — listening sockets (TCP v4/v6 LISTEN and UNIX listeners)
 * from netlink sock_diag, with accept-queue fill and owner process, and the
 * rules for "which listener would take a connection to this address". */
#ifndef GW_LISTENERS_H
#define GW_LISTENERS_H

#include "model.h"

/* Replace s->listeners. 0 ok, -1 netlink failed (a note says why). Owners
 * come from /proc/PID/fd; without root only our own processes are seen
 * (a note says so). */
int listeners_refresh(struct gw_snapshot *s);

/* Index of the listener that would accept a connection to a, -1 none.
 * INET 127.0.0.1:8000 -> 127.0.0.1:8000, 0.0.0.0:8000 or a dual-stack
 * [::]:8000; INET6 ::1 -> [::1] or [::]; HOST "localhost" (and names in
 * /etc/hosts, no DNS) -> any of its addresses; UNIX -> same path. An exact
 * address wins over a wildcard. Port 0 counts as 80. */
int listeners_find(const struct gw_snapshot *s, const struct gw_addr *a);

/* Count this host's TCP connections to each TCP target (TIME-WAIT and
 * other states: target->conns_*) and read net.ipv4.ip_local_port_range
 * into s->port_range_lo/hi. Call after the targets are built; gather calls it
 * only when nginx logged (99: Cannot assign requested address): it dumps
 * every TCP socket of the host. */
void listeners_count_conns(struct gw_snapshot *s);

/* First listener on that port (family AF_INET/AF_INET6, 0 = any inet),
 * -1 none. For "something listens on 8000 but on another address". */
int listeners_find_port(const struct gw_snapshot *s, int family, int port);

/* Indexes of listeners owned by pid, at most max of them; returns how many
 * there are (may exceed max). For "the app listens, but elsewhere". */
size_t listeners_of_pid(const struct gw_snapshot *s, pid_t pid, int *idx, size_t max);

#endif
