/* hostsfile.h — a name looked up in /etc/hosts, as nginx's getaddrinfo()
 * sees it when it loads its config: every address, in file order. nginx
 * resolves an upstream name once, at load time, and then uses each address
 * it got (an IPv6 ::1 for "localhost" on hosts that list it); curl's own
 * lookup and happy eyeballs would hide the address that fails. Names not
 * in the file (DNS) are left to the probe. No I/O but reading the file. */
#ifndef GW_HOSTSFILE_H
#define GW_HOSTSFILE_H

#include "model.h"

#define HOSTSFILE_MAX 8

/* Fill out[0..max) with the addresses path (NULL: /etc/hosts) gives name
 * (kind GW_ADDR_INET / GW_ADDR_INET6, host = the literal, port 0).
 * Returns how many, 0 when the name is not there or the file unreadable. */
int hostsfile_lookup(const char *path, const char *name, struct gw_addr *out, int max);

/* Replace every target of s whose address is a host name found in the
 * hosts file by one target per address it lists (display "name:port
 * (address)"), the way nginx connects to it. */
void hostsfile_expand_targets(struct gw_snapshot *s, const char *path);

#endif
