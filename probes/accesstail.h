/* accesstail.h — nginx's own testimony from its access logs: what the last
 * requests got, summed into s->access for the verdict (struct gw_access).
 *
 * Reads at most ACCESSTAIL_MAX bytes from the end of each log (a 10 GB
 * access.log costs what a 512 KiB one does). The dashboard calls it every
 * pass: a file whose stat() did not change is not read again, its parsed
 * records are summed anew against the moving window instead. */
#ifndef GW_ACCESSTAIL_H
#define GW_ACCESSTAIL_H

#include "model.h"

#define ACCESSTAIL_MAX ((size_t)512 << 10)

struct accesstail_cache;
struct accesstail_cache *accesstail_cache_new(void);
void accesstail_cache_free(struct accesstail_cache *c);

/* Add the access log at path to s->access: requests at or after since
 * (epoch). A file that cannot be read adds a note. Returns 0, -1 when the
 * file could not be read. c may be NULL (no cache). */
int accesstail_read(struct accesstail_cache *c, struct gw_snapshot *s, const char *path, double since);

#endif
