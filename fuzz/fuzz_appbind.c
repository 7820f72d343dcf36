/* fuzz_appbind.c — libFuzzer target for the app server bind parser
 * (probes/appbind.c): the listening address read from a gunicorn / uvicorn
 * / hypercorn / daphne / uwsgi / waitress / runserver / flask command line,
 * as found in a unit's ExecStart= or a process's /proc/PID/cmdline (NULs
 * turned into spaces by the caller, so the input is one C string; an
 * embedded NUL just ends it). Properties: no crash/UB; 0 leaves the
 * address zeroed; 1 gives a unix path or an INET/INET6 host, every string
 * NUL-terminated; the parse is deterministic; gw_addr_str of the result
 * is a terminated string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "appbind.h"

#define FZ_TERMINATED(a) do { if (!memchr((a), '\0', sizeof(a))) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *cmd = malloc(size + 1);        /* exact size: ASan sees overreads */
	if (!cmd) return 0;
	memcpy(cmd, data, size);
	cmd[size] = '\0';

	struct gw_addr a, b, zero;
	memset(&a, 0xA5, sizeof a);          /* the parser must clear it */
	memset(&zero, 0, sizeof zero);
	int r = appbind_parse(cmd, &a);
	FZ_TERMINATED(a.host);
	FZ_TERMINATED(a.path);
	if (r != 0 && r != 1) abort();
	if (!r && memcmp(&a, &zero, sizeof a)) abort();
	if (r) {
		if (a.kind == GW_ADDR_UNIX) {
			if (a.host[0] || a.port) abort();
		} else if (a.kind == GW_ADDR_INET || a.kind == GW_ADDR_INET6) {
			if (a.path[0]) abort();
			/* a ':' in the host makes it INET6 */
			if (a.kind == GW_ADDR_INET && strchr(a.host, ':')) abort();
		} else {
			abort();
		}
	}
	memset(&b, 0x5A, sizeof b);
	if (appbind_parse(cmd, &b) != r || memcmp(&a, &b, sizeof a)) abort();

	char disp[GW_TEXT];
	gw_addr_str(&a, disp, sizeof disp);
	FZ_TERMINATED(disp);
	free(cmd);
	return 0;
}
