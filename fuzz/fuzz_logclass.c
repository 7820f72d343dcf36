/* fuzz_logclass.c — libFuzzer target for the pure log classifiers
 * (probes/logclass.c): nginx error.log, gunicorn/uvicorn/Python app lines,
 * kernel OOM lines. The input is one line of any bytes (not
 * NUL-terminated: it is copied to an exact-size heap buffer so ASan sees
 * any read past its end). Properties: no crash/UB; kind in range; every
 * string field NUL-terminated; the return value agrees with the kind. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logclass.h"

#define FZ_TERMINATED(a) do { if (!memchr((a), '\0', sizeof(a))) abort(); } while (0)

static void fz_check(const struct gw_log_event *ev)
{
	if ((unsigned)ev->kind >= GW_LOG_KIND_MAX) abort();
	if ((unsigned)ev->level > GW_LV_EMERG) abort();
	if (ev->time != ev->time) abort();  /* NaN */
	FZ_TERMINATED(ev->source);
	FZ_TERMINATED(ev->upstream);
	FZ_TERMINATED(ev->request);
	FZ_TERMINATED(ev->detail);
	FZ_TERMINATED(ev->line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size ? size : 1);
	if (!line) return 0;
	if (size) memcpy(line, data, size);
	struct gw_log_event ev;

	memset(&ev, 0xA5, sizeof ev);       /* the classifier must zero it */
	int r = logclass_nginx_error(line, size, &ev);
	fz_check(&ev);
	if (!r && ev.kind != GW_LOG_OTHER) abort();

	memset(&ev, 0xA5, sizeof ev);
	logclass_app(line, size, &ev);
	fz_check(&ev);

	memset(&ev, 0xA5, sizeof ev);
	r = logclass_kernel(line, size, &ev);
	fz_check(&ev);
	if (r && ev.kind != GW_LOG_OOM_KILL) abort();

	free(line);
	return 0;
}
