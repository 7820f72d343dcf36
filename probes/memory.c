/* memory.c — how much memory the host has left and whether it is under
 * pressure: /proc/meminfo (MemTotal, MemAvailable, SwapTotal, SwapFree) and
 * the PSI file /proc/pressure/memory (some/full avg10). */
#include "memory.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int memory_field(const char *text, const char *key, unsigned long *out)
{
	size_t kl = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (!strncmp(l, key, kl) && l[kl] == ':') {
			*out = strtoul(l + kl + 1, NULL, 10);
			return 1;
		}
	}
	return 0;
}

int memory_parse_meminfo(const char *text, struct gw_memory *m)
{
	int found = memory_field(text, "MemTotal", &m->total_kb);
	if (!memory_field(text, "MemAvailable", &m->available_kb)) {
		/* kernels before 3.14: approximate with free + page cache */
		unsigned long fr = 0, cached = 0, buf = 0;
		memory_field(text, "MemFree", &fr);
		memory_field(text, "Cached", &cached);
		memory_field(text, "Buffers", &buf);
		m->available_kb = fr + cached + buf;
	}
	memory_field(text, "SwapTotal", &m->swap_total_kb);
	memory_field(text, "SwapFree", &m->swap_free_kb);
	return found ? 0 : -1;
}

void memory_parse_psi(const char *text, struct gw_memory *m)
{
	const char *p;
	m->psi_some10 = m->psi_full10 = -1;
	if ((p = strstr(text, "some ")) && (p = strstr(p, "avg10=")))
		m->psi_some10 = strtod(p + 6, NULL);
	if ((p = strstr(text, "full ")) && (p = strstr(p, "avg10=")))
		m->psi_full10 = strtod(p + 6, NULL);
}

/* Both files are read every tick: their fds stay open (one pread each). */
struct memory_state {
	int psi_fd, info_fd;         /* -1 not open */
};

struct memory_state *memory_state_new(void)
{
	struct memory_state *st = gw_xcalloc(1, sizeof *st);
	st->psi_fd = st->info_fd = -1;
	return st;
}

void memory_state_free(struct memory_state *st)
{
	if (!st) return;
	if (st->psi_fd >= 0) close(st->psi_fd);
	if (st->info_fd >= 0) close(st->info_fd);
	free(st);
}

int memory_refresh(struct memory_state *st, struct gw_snapshot *s)
{
	struct gw_memory *m = &s->mem;
	char buf[8192];                  /* meminfo is ~1.5 KiB; the fields we use come first */

	m->ok = 0;
	m->total_kb = m->available_kb = m->swap_total_kb = m->swap_free_kb = 0;
	m->psi_some10 = m->psi_full10 = -1;

	if (gw_pread_kept(&st->psi_fd, "/proc/pressure/memory", buf, sizeof buf) >= 0)
		memory_parse_psi(buf, m);
	if (gw_pread_kept(&st->info_fd, "/proc/meminfo", buf, sizeof buf) < 0) {
		snapshot_note(s, "memory", "cannot read /proc/meminfo: %s", strerror(errno));
		return -1;
	}
	int rc = memory_parse_meminfo(buf, m);
	if (rc < 0) {
		snapshot_note(s, "memory", "/proc/meminfo has no MemTotal");
		return -1;
	}
	m->ok = 1;
	return 0;
}
