/* report.h — one-shot outputs of a snapshot + diagnosis: the human text of
 * `--check`, the JSON contract (version 1) of `--json` and the
 * node_exporter textfile format of `--prometheus`. They only read. */
#ifndef GW_REPORT_H
#define GW_REPORT_H

#include <stdio.h>

#include "model.h"

/* Human text. color: emit ANSI colours (the caller decides: isatty &&
 * !NO_COLOR && !--no-color). Uses ✓/✗ and UTF-8 when nl_langinfo(CODESET)
 * is UTF-8 (call setlocale first), plain ASCII otherwise. Every outside
 * string is sanitized. */
void report_text(FILE *out, const struct gw_snapshot *s, const struct gw_diagnosis *d, int color);

/* JSON document (version 1, see DESIGN.md), newline-terminated.
 * Returns a malloc'd string: the caller frees it. Never NULL (aborts on OOM). */
char *report_json(const struct gw_snapshot *s, const struct gw_diagnosis *d);

/* Prometheus text exposition format, for node_exporter's textfile collector. */
void report_prometheus(FILE *out, const struct gw_snapshot *s, const struct gw_diagnosis *d);

/* 0 ok, 1 warn, 2 crit, 3 unknown (d->unknown wins). */
int report_exit_code(const struct gw_diagnosis *d);

/* The finding every output leads with: the verdict, else the first
 * warn/crit finding; NULL when healthy or unknown. */
const struct gw_finding *report_verdict(const struct gw_diagnosis *d);
/* "ok", "warn", "crit", "unknown" — the JSON "status". */
const char *report_status_name(const struct gw_diagnosis *d);

#endif
