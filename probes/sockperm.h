/* sockperm.h — can a given user connect to a unix socket path? Walks each
 * path component like `namei -l` and decides from the mode bits (not
 * access(2)), so it answers for any uid while gwtop runs as root. */
#ifndef GW_SOCKPERM_H
#define GW_SOCKPERM_H

#include <sys/types.h>

#include "model.h"

/* Check path as uid/gid/groups (username only for messages; NULL = look it
 * up). Every directory on the way needs search (x), the socket write (w).
 * Symlinks are followed (relative to their directory, 40 hops at most).
 * Fills t->perm_checked, perm_ok, exists, perm_path (the denying or the
 * missing component), perm_detail. Returns 0 when the user may connect,
 * -1 otherwise. POSIX ACLs are not evaluated (mode bits only). */
int sockperm_check(const char *path, uid_t uid, gid_t gid, const gid_t *groups, int ngroups,
		   const char *username, struct gw_target *t);

#endif
