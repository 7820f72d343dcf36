/* stubs_logstream.c — for the replay fuzzer, which links src/record.c
 * without the live log stream (probes/logstream*.c need an sd-event loop,
 * inotify and the journal). The player calls these for "src" and "log"
 * records; here they check what they are given and keep count. Listed in
 * fuzz/run.sh; never linked into gwtop. */
#include <string.h>

#include "logstream.h"

static size_t stub_nsrc;

const struct logstream_source *logstream_source(const struct logstream *ls, size_t idx)
{
	(void)ls;
	(void)idx;
	return NULL;
}

int logstream_add_replayed(struct logstream *ls, enum logstream_type type, const char *name, const char *tag)
{
	(void)ls;
	if ((unsigned)type > LOGSTREAM_MARKER || !name || !tag || strlen(name) >= GW_PATH || strlen(tag) >= GW_NAME)
		__builtin_trap();
	return stub_nsrc < 64 ? (int)stub_nsrc++ : 0;
}

void logstream_inject(struct logstream *ls, size_t src, const struct logstream_line *l)
{
	(void)ls;
	if (src >= 64 || !l->text || l->len > LOGSTREAM_TEXT_MAX || strlen(l->text) > l->len)
		__builtin_trap();
}
