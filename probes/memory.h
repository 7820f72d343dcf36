/* memory.h — host memory state: /proc/meminfo and PSI /proc/pressure/memory. */
#ifndef GW_MEMORY_H
#define GW_MEMORY_H

#include "model.h"

/* The files kept open between refreshes: one per caller. */
struct memory_state;
struct memory_state *memory_state_new(void);
void memory_state_free(struct memory_state *st);

/* Fill s->mem (total/available/swap from /proc/meminfo; psi_some10 /
 * psi_full10 from /proc/pressure/memory, -1 when the kernel has no PSI).
 * 0 ok, -1 /proc/meminfo unreadable (s->mem.ok = 0, a note says why).
 * Kernel OOM messages are the logs probe's job. */
int memory_refresh(struct memory_state *st, struct gw_snapshot *s);

/* Parsers over file contents, exposed for tests. */
int memory_parse_meminfo(const char *text, struct gw_memory *m);
void memory_parse_psi(const char *text, struct gw_memory *m);

#endif
