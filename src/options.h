/* options.h — the command line, parsed once in main.c, read by probes. */
#ifndef GW_OPTIONS_H
#define GW_OPTIONS_H

#include "util.h"

enum gw_output { GW_OUT_TUI, GW_OUT_TEXT, GW_OUT_JSON, GW_OUT_PROMETHEUS };

struct gw_options {
	enum gw_output output;
	int check;                   /* --check: one pass */
	const char *nginx_conf;      /* --nginx-conf */
	GW_VEC(const char *) error_logs;   /* --error-log (repeatable) */
	GW_VEC(const char *) access_logs;  /* --access-log */
	GW_VEC(const char *) app_logs;     /* --app-log FILE|unit:NAME */
	GW_VEC(const char *) units;        /* --unit NAME */
	GW_VEC(const char *) upstreams;    /* --upstream URL (extra targets) */
	double interval;             /* --interval, seconds */
	double since;                /* --since: logs pane start-up window (s); 0 = default 15 min */
	double recent_window;        /* seconds: log lines newer than this count as current (default 300) */
	double probe_timeout;        /* seconds: upstream probe total timeout (default 3) */
	int read_only;
	int no_color;
	const char *output_file;     /* --output FILE (prometheus) */
	const char *docker_socket;   /* --docker-socket */
	const char *nginx_bin;       /* nginx binary (default "nginx" from PATH) */
	const char *probe_path;      /* --probe-path: the path requested through nginx */
	int no_probe_through;        /* --no-probe-through: no request through nginx */
	const char *record;          /* --record FILE (src/record.h) */
	double record_max;           /* --record-max MiB: FILE + FILE.1 (0 = 50) */
	const char *replay;          /* --replay FILE: play a recording, probe nothing */
};

#endif
