/* main.c — command line, then either one probe pass (--check) or the
 * dashboard. Both run on the same sd-event loop. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <systemd/sd-event.h>
#if __has_include(<curses.h>)
#include <curses.h>
#endif

#include "config_file.h"
#include "summarize.h"
#include "tlfeed.h"

#include "diagnose.h"
#include "gather.h"
#include "incident.h"
#include "model.h"
#include "options.h"
#include "outfile.h"
#include "record.h"
#include "report.h"
#include "sanitize.h"
#if __has_include("tui.h")
#include "tui.h"
#define HAVE_TUI 1
#endif

#ifndef GW_VERSION
#define GW_VERSION "0.0.0"
#endif

static void usage(FILE *f)
{
	fputs("usage: gwtop [options]\n"
	      "Follow the request path client -> nginx -> app server -> app -> database and\n"
	      "show which hop breaks (502/504), with the evidence, the fix and the command.\n"
	      "\n"
	      "  (no option)            full-screen dashboard\n"
	      "  --check                one probe pass, human-readable verdict, exit code\n"
	      "  --json                 with --check: JSON (version 1 contract, see README)\n"
	      "  --prometheus           with --check: node_exporter textfile format\n"
	      "  --markdown             with --check: the incident report (Markdown) on stdout\n"
	      "  --report-md FILE       one probe pass, and the incident report written to a NEW\n"
	      "                         file FILE (mode 0600; a directory: gwtop-incident-\n"
	      "                         YYYYmmdd-HHMMSS.md in it; the dashboard's `e`: /var/tmp)\n"
	      "  --output FILE          write the report to FILE (atomically: temp + rename)\n"
	      "  --nginx-conf FILE      nginx main config (default: from the running master,\n"
	      "                         else `nginx -V`, else /etc/nginx/nginx.conf)\n"
	      "  --nginx-bin PATH       nginx binary for `nginx -t` (default: nginx in PATH)\n"
	      "  --error-log FILE       nginx error log (repeatable; default: from the config)\n"
	      "  --access-log FILE      nginx access log (repeatable)\n"
	      "  --app-log FILE|unit:N  app log file or systemd unit (repeatable)\n"
	      "  --unit NAME            an app systemd unit to watch (repeatable)\n"
"  --docker-socket PATH   Docker/podman API socket (default: DOCKER_HOST,\n"
	      "                         /var/run/docker.sock, /run/podman/podman.sock)\n"
	      "  --upstream URL         an extra target to probe (http://127.0.0.1:8000,\n"
	      "                         unix:/run/app.sock)\n"
	      "  --interval S           dashboard probe interval in seconds (default 2)\n"
	      "  --since S              logs pane: show the last S seconds at start (default 900)\n"
	      "  --window S             log lines newer than S seconds are current (default 300)\n"
	      "  --timeout S            direct upstream probe timeout (default 3)\n"
	      "  --probe-path PATH      the path requested through nginx (default: a proxied\n"
	      "                         location of each server, else /)\n"
	      "  --no-probe-through     send no request through nginx itself\n"
	      "  --read-only            no actions that change the system\n"
	      "  --no-color             no colours (also: NO_COLOR in the environment)\n"
	      "  --theme NAME           default or colorblind (blue/orange; markers always shown)\n"
	      "  --config FILE          read settings from FILE instead of /etc/gwtop.conf and\n"
	      "                         ~/.config/gwtop/config (flags win over the file)\n"
	      "  --record FILE          keep what the dashboard (or --check) sees in FILE:\n"
	      "                         gzip JSON lines, at most --record-max MiB (default 50)\n"
	      "                         in FILE and FILE.1, the oldest dropped first\n"
	      "  --replay FILE          play a recording in the dashboard (read-only; Space\n"
	      "                         pause, . step, + - speed, > next verdict change);\n"
	      "                         with --check: each frame's recorded verdict and\n"
	      "                         the verdict diagnosed again, exit 1 if they differ\n"
	      "  --summarize FILE...    one line per host from `gwtop --check --json` outputs\n"
	      "                         collected by a fan-out (pssh -o DIR); exit = worst\n"
	      "  -h, --help             this text\n"
	      "  -V, --version          version\n"
	      "\n"
	      "Exit status (--check): 0 ok, 1 warning, 2 critical, 3 unknown.\n", f);
}

enum {
	OPT_CHECK = 256, OPT_JSON, OPT_PROM, OPT_OUTPUT, OPT_CONF, OPT_BIN, OPT_ERRLOG, OPT_ACCLOG,
	OPT_APPLOG, OPT_UNIT, OPT_UPSTREAM, OPT_INTERVAL, OPT_WINDOW, OPT_TIMEOUT, OPT_RO, OPT_NOCOLOR,
	OPT_CONFIG, OPT_TICKS, OPT_DOCKER, OPT_THEME, OPT_SINCE, OPT_SUMMARIZE, OPT_PROBE_PATH,
	OPT_NO_THROUGH, OPT_MARKDOWN, OPT_REPORT_MD, OPT_RECORD, OPT_RECORD_MAX, OPT_REPLAY,
};

static const struct option long_opts[] = {
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "prometheus", no_argument, NULL, OPT_PROM },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "markdown", no_argument, NULL, OPT_MARKDOWN },
	{ "report-md", required_argument, NULL, OPT_REPORT_MD },
	{ "nginx-conf", required_argument, NULL, OPT_CONF },
	{ "nginx-bin", required_argument, NULL, OPT_BIN },
	{ "error-log", required_argument, NULL, OPT_ERRLOG },
	{ "access-log", required_argument, NULL, OPT_ACCLOG },
	{ "app-log", required_argument, NULL, OPT_APPLOG },
	{ "unit", required_argument, NULL, OPT_UNIT },
	{ "upstream", required_argument, NULL, OPT_UPSTREAM },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "read-only", no_argument, NULL, OPT_RO },
	{ "no-color", no_argument, NULL, OPT_NOCOLOR },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "summarize", no_argument, NULL, OPT_SUMMARIZE },
	{ "docker-socket", required_argument, NULL, OPT_DOCKER },
	{ "theme", required_argument, NULL, OPT_THEME },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "probe-path", required_argument, NULL, OPT_PROBE_PATH },
	{ "no-probe-through", no_argument, NULL, OPT_NO_THROUGH },
	{ "record", required_argument, NULL, OPT_RECORD },
	{ "record-max", required_argument, NULL, OPT_RECORD_MAX },
	{ "replay", required_argument, NULL, OPT_REPLAY },
	{ "bench-ticks", required_argument, NULL, OPT_TICKS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int bench_ticks;          /* hidden --bench-ticks N: time N dashboard passes */

static int parse_seconds(const char *opt, const char *v, double *out)
{
	char *end;
	double d;
	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || d <= 0 || d > 86400) {
		fprintf(stderr, "gwtop: %s wants a number of seconds > 0, not '%s'\n", opt, v);
		return -1;
	}
	*out = d;
	return 0;
}

/* --version: ours and the libraries' (build-time where there is no runtime call) */
#ifndef GW_LIBSYSTEMD_VERSION
#define GW_LIBSYSTEMD_VERSION "?"
#endif
#ifndef GW_LIBPROC2_VERSION
#define GW_LIBPROC2_VERSION "?"
#endif
static void version_print(void)
{
	printf("gwtop %s\n", GW_VERSION);
	printf("  %s\n", curl_version());
#if __has_include(<curses.h>)
	printf("  %s\n", curses_version());
#endif
	printf("  jansson/%s\n", JANSSON_VERSION);
	printf("  libsystemd/%s\n", GW_LIBSYSTEMD_VERSION);
	printf("  libproc2/%s\n", GW_LIBPROC2_VERSION);
}

/* --config FILE (or --config=FILE) before getopt runs: the file is loaded
 * first so that every flag can override it. */
static const char *options_config_arg(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			return argv[i + 1];
		if (!strncmp(argv[i], "--config=", 9))
			return argv[i] + 9;
	}
	return NULL;
}

static int options_summarize;          /* --summarize: the rest are files */
static int options_markdown;           /* --markdown: the incident report on stdout / --output */
static const char *options_report_md;  /* --report-md FILE */

static int options_parse(int argc, char **argv, struct gw_options *o)
{
	int c;
	char err[1024];
	const char *cfg = options_config_arg(argc, argv);
	o->interval = 2.0;
	o->recent_window = 300;
	o->probe_timeout = 3.0;
	if ((cfg ? config_file_load(cfg, o, err, sizeof err) :
		   config_file_load_default(NULL, o, err, sizeof err)) < 0) {
		fprintf(stderr, "gwtop: %s\n", err);
		return 2;
	}
	if (config_file_value("theme"))
		setenv("GWTOP_THEME", config_file_value("theme"), 0);   /* the environment wins */
	while ((c = getopt_long(argc, argv, "hV", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_CHECK: o->check = 1; break;
		case OPT_JSON: o->check = 1; o->output = GW_OUT_JSON; break;
		case OPT_PROM: o->check = 1; o->output = GW_OUT_PROMETHEUS; break;
		case OPT_OUTPUT: o->output_file = optarg; break;
		case OPT_MARKDOWN: o->check = 1; options_markdown = 1; break;
		case OPT_REPORT_MD:
			if (!*optarg) {
				fprintf(stderr, "gwtop: --report-md wants a file or a directory\n");
				return 2;
			}
			o->check = 1;
			options_report_md = optarg;
			break;
		case OPT_CONF: o->nginx_conf = optarg; break;
		case OPT_BIN: o->nginx_bin = optarg; break;
		case OPT_ERRLOG: config_file_list_flag(o, "error-log"); *gw_vec_push(&o->error_logs) = optarg; break;
		case OPT_ACCLOG: config_file_list_flag(o, "access-log"); *gw_vec_push(&o->access_logs) = optarg; break;
		case OPT_APPLOG:
			config_file_list_flag(o, "app-log");
			*gw_vec_push(&o->app_logs) = optarg;
			if (gw_starts_with(optarg, "unit:") && optarg[5]) *gw_vec_push(&o->units) = optarg + 5;
			break;
		case OPT_UNIT: config_file_list_flag(o, "unit"); *gw_vec_push(&o->units) = optarg; break;
		case OPT_UPSTREAM: config_file_list_flag(o, "upstream"); *gw_vec_push(&o->upstreams) = optarg; break;
		case OPT_INTERVAL: if (parse_seconds("--interval", optarg, &o->interval)) return 2; break;
		case OPT_SINCE: if (parse_seconds("--since", optarg, &o->since)) return 2; break;
		case OPT_WINDOW: if (parse_seconds("--window", optarg, &o->recent_window)) return 2; break;
		case OPT_TIMEOUT: if (parse_seconds("--timeout", optarg, &o->probe_timeout)) return 2; break;
		case OPT_PROBE_PATH:
			if (optarg[0] != '/' || optarg[strcspn(optarg, " \t\r\n\"\\")]) {
				fprintf(stderr, "gwtop: --probe-path wants a path starting with / and no spaces or quotes\n");
				return 2;
			}
			o->probe_path = optarg;
			break;
		case OPT_NO_THROUGH: o->no_probe_through = 1; break;
		case OPT_RECORD:
			if (!*optarg) {
				fprintf(stderr, "gwtop: --record wants a file name\n");
				return 2;
			}
			o->record = optarg;
			break;
		case OPT_RECORD_MAX: {
			char *end;
			errno = 0;
			o->record_max = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->record_max >= 0.0625 && o->record_max <= 1048576)) {
				fprintf(stderr, "gwtop: --record-max wants MiB between 0.0625 and 1048576, not '%s'\n", optarg);
				return 2;
			}
			break;
		}
		case OPT_REPLAY:
			if (!*optarg) {
				fprintf(stderr, "gwtop: --replay wants a recording\n");
				return 2;
			}
			o->replay = optarg;
			o->read_only = 1;                /* a replay changes nothing */
			break;
		case OPT_RO: o->read_only = 1; break;
		case OPT_DOCKER: o->docker_socket = optarg; break;
		case OPT_THEME:
			if (strcmp(optarg, "default") && strcmp(optarg, "colorblind")) {
				fprintf(stderr, "gwtop: --theme wants default or colorblind, not '%s'\n", optarg);
				return 2;
			}
			setenv("GWTOP_THEME", optarg, 1);   /* the flag wins over config and environment */
			break;
		case OPT_NOCOLOR: o->no_color = 1; break;
		case OPT_CONFIG: break;                  /* loaded above */
		case OPT_SUMMARIZE: options_summarize = 1; break;
		case OPT_TICKS: bench_ticks = gw_atoi(optarg); o->check = 1; break;
		case 'h': usage(stdout); exit(0);
		case 'V': version_print(); exit(0);
		default: usage(stderr); return 2;
		}
	}
	if (options_summarize)
		return 0;                                /* files in argv[optind..] */
	if (optind < argc) {
		fprintf(stderr, "gwtop: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (options_markdown && o->output != GW_OUT_TUI) {
		fprintf(stderr, "gwtop: --markdown and --%s are two outputs: choose one (or --report-md FILE "
		    "beside --%s)\n", o->output == GW_OUT_JSON ? "json" : "prometheus",
		    o->output == GW_OUT_JSON ? "json" : "prometheus");
		return 2;
	}
	if (o->replay && o->record) {
		fprintf(stderr, "gwtop: --replay plays a recording; it cannot make one (--record)\n");
		return 2;
	}
	if (o->replay && o->check && (o->output != GW_OUT_TUI || options_markdown || options_report_md)) {
		fprintf(stderr, "gwtop: --replay with --check prints the frames' verdicts as text only\n");
		return 2;
	}
	if (o->check && o->output == GW_OUT_TUI) o->output = GW_OUT_TEXT;
	if (getenv("NO_COLOR") && *getenv("NO_COLOR")) o->no_color = 1;
	return 0;
}

static void options_free(struct gw_options *o)
{
	gw_vec_free(&o->error_logs);
	gw_vec_free(&o->access_logs);
	gw_vec_free(&o->app_logs);
	gw_vec_free(&o->units);
	gw_vec_free(&o->upstreams);
}

/* ------------------------------------------------------------ --check */

struct check_run {
	sd_event *e;
	int done;
};

static void check_done(void *ud)
{
	struct check_run *r = ud;
	r->done = 1;
	sd_event_exit(r->e, 0);
}

static int check_deadline(sd_event_source *src, uint64_t usec, void *ud)
{
	(void)src; (void)usec;
	sd_event_exit(((struct check_run *)ud)->e, 0);
	return 0;
}

static int run_check(sd_event *e, const struct gw_options *o)
{
	/* --output: through a directory fd, refused in a directory another
	 * user controls (outfile.h) — before the probe pass: a refusal costs
	 * no probing, and says so at once */
	struct outfile of;
	char oerr[2048];
	FILE *out = stdout;
	if (o->output_file && !(out = outfile_open(&of, o->output_file, oerr, sizeof oerr))) {
		fprintf(stderr, "gwtop: %s\n", oerr);
		return 3;
	}
	if (o->output_file && options_markdown)
		of.mode = 0600;                  /* log lines: like the --report-md file */
	struct recorder *rec = NULL;
	if (o->record && !(rec = recorder_open(o->record, (size_t)(o->record_max * 1048576), o->interval,
					       o->recent_window, oerr, sizeof oerr))) {
		fprintf(stderr, "gwtop: %s\n", oerr);
		if (o->output_file) outfile_abort(&of);
		return 3;
	}

	struct gw_snapshot *s = gw_xcalloc(1, sizeof *s);
	struct gw_diagnosis d;
	struct check_run run = { .e = e };
	struct gather *g = gather_new(e, o);
	sd_event_source *deadline = NULL;
	int rc;

	snapshot_init(s);
	gather_start(g, s, NULL, check_done, &run);
	if (!run.done) {
		/* never wait forever: probe timeout + nginx -t timeout + slack */
		sd_event_add_time_relative(e, &deadline, CLOCK_MONOTONIC,
					   (uint64_t)((o->probe_timeout + 12.0) * 1e6), 0, check_deadline, &run);
		sd_event_loop(e);
	}
	if (!run.done)
		snapshot_note(s, "gwtop", "some probes did not finish in time; their results are missing");
	/* the timeline (s->timeline), backfilled at once from --since: only for
	 * the outputs that show it (JSON, the incident report); the text and
	 * Prometheus outputs (a timer every minute) do not read the access
	 * logs' history */
	struct tlfeed *tf = NULL;
	if (o->output == GW_OUT_JSON || options_markdown || options_report_md || rec) {
		tf = tlfeed_new(NULL, o);
		if (rec) {
			timeline_set_tap(tlfeed_timeline(tf), recorder_timeline_tap(), rec);
			recorder_set_timeline(rec, tlfeed_timeline(tf));
		}
		tlfeed_pass(tf, s);
	}

	struct gw_diag_config dc = { .now = gw_now(), .recent_window = o->recent_window };
	diagnose(s, &dc, &d);
	if (rec) {
		recorder_frame(rec, s, &d, dc.now);
		if (recorder_failed(rec, oerr, sizeof oerr))
			fprintf(stderr, "gwtop: %s\n", oerr);
		recorder_close(rec);
	}

	if (options_markdown) {
		struct incident_timeline tl;
		double now = gw_now();
		struct incident_input in = { .s = s, .d = &d, .tl = &tl, .generated = now, .version = GW_VERSION };
		incident_window(s, &d, now, &in.from, &in.to);
		incident_timeline_collect(&tl, s, in.from, in.to);
		char *md = incident_markdown(&in);
		fputs(md, out);
		free(md);
		incident_timeline_free(&tl);
	} else switch (o->output) {
	case GW_OUT_JSON: {
		char *j = report_json(s, &d);
		fputs(j, out);
		fputc('\n', out);
		free(j);
		break;
	}
	case GW_OUT_PROMETHEUS:
		report_prometheus(out, s, &d);
		break;
	default:
		report_text(out, s, &d, !o->no_color && !o->output_file && isatty(STDOUT_FILENO));
	}
	rc = report_exit_code(&d);
	if (options_report_md) {
		char written[4096], shown[1024];
		if (incident_report(s, &d, NULL, 0, options_report_md, written, sizeof written, oerr, sizeof oerr) < 0) {
			fprintf(stderr, "gwtop: %s\n", oerr);
			rc = 3;
		} else {
			sanitize_text(shown, sizeof shown, written, strlen(written));
			fprintf(stderr, "gwtop: incident report written to %s\n", shown);
		}
	}
	if (!o->output_file) {
		fflush(stdout);
	} else if (outfile_commit(&of, oerr, sizeof oerr) < 0) {
		fprintf(stderr, "gwtop: %s\n", oerr);
		rc = 3;
	}
	sd_event_source_unref(deadline);
	diagnosis_free(&d);
	gather_free(g);
	tlfeed_free(tf);
	snapshot_free(s);
	free(s);
	return rc;
}

/* --replay FILE --check: every frame diagnosed again, beside the verdict
 * the recording says it had. Exit 0 when all agree, 1 when one differs,
 * 3 when the recording cannot be read or holds no frame. */
static int run_replay_check(const struct gw_options *o)
{
	char err[GW_TEXT], v1[128], v2[128];
	struct player *p = player_open(o->replay, err, sizeof err);
	if (!p) {
		fprintf(stderr, "gwtop: %s\n", err);
		return 3;
	}
	struct gw_snapshot *s = gw_xcalloc(1, sizeof *s);
	unsigned long differ = 0;
	snapshot_init(s);
	while (player_advance(p, INFINITY, 1, s) == 1) {
		struct gw_diagnosis d;
		double window = player_window(p) > 0 ? player_window(p) : o->recent_window;
		struct gw_diag_config dc = { .now = player_frame_now(p), .recent_window = window };
		memset(&d, 0, sizeof d);
		diagnose(s, &dc, &d);
		const char *now_v = record_verdict_word(&d), *rec_v = player_frame_verdict(p);
		int same = !strcmp(now_v, rec_v);
		differ += !same;
		sanitize_text(v1, sizeof v1, rec_v, strlen(rec_v));
		sanitize_text(v2, sizeof v2, now_v, strlen(now_v));
		printf("%.3f recorded %s replayed %s%s\n", s->taken, v1, v2, same ? "" : "  DIFFERS");
		diagnosis_free(&d);
	}
	const char *e = player_error(p);
	if (e[0]) {
		sanitize_text(err, sizeof err, e, strlen(e));
		fprintf(stderr, "gwtop: %s\n", err);
	}
	printf("frames %lu differ %lu skipped %lu\n", player_frames(p), differ, player_skipped(p));
	int rc = !player_frames(p) ? 3 : differ ? 1 : 0;
	snapshot_free(s);
	free(s);
	player_close(p);
	return rc;
}

static void bench_done(void *ud)
{
	((struct check_run *)ud)->done = 1;
}

/* --bench-ticks N: what the dashboard repeats every interval, N times in a
 * row (nginx -t is re-run only when a config file changed), for make bench.
 * Prints "ticks N wall_ms_per_tick X cpu_ms_per_tick Y" on stdout. */
static int run_bench_ticks(sd_event *e, const struct gw_options *o, int n)
{
	struct gw_snapshot *cur = gw_xcalloc(1, sizeof *cur), *next = gw_xcalloc(1, sizeof *next), *tmp;
	struct gather *g = gather_new(e, o);
	struct rusage r0, r1;
	double t0 = 0, wall = 0, cpu = 0;

	snapshot_init(cur);
	for (int i = 0; i <= n; i++) {
		struct check_run run = { .e = e };
		if (i == 1) {                    /* pass 0 is the cold start: not counted */
			t0 = gw_mono();
			getrusage(RUSAGE_SELF, &r0);
		}
		snapshot_init(next);
		/* run the loop until this pass is in (not sd_event_exit: the loop
		 * is reused for the next pass) */
		gather_start(g, next, cur, bench_done, &run);
		while (!run.done && sd_event_run(e, UINT64_MAX) >= 0)
			;
		snapshot_free(cur);
		tmp = cur; cur = next; next = tmp;
	}
	getrusage(RUSAGE_SELF, &r1);
	wall = gw_mono() - t0;
	cpu = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) + (r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
	      ((r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) + (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec)) / 1e6;
	printf("ticks %d wall_ms_per_tick %.2f cpu_ms_per_tick %.2f procs %zu listeners %zu\n", n,
	       n ? wall * 1000 / n : 0, n ? cpu * 1000 / n : 0, cur->procs.n, cur->listeners.n);
	snapshot_free(cur);
	free(cur);
	free(next);
	gather_free(g);
	return 0;
}

/* The soft limit on open files up to the hard one: a big config has
 * thousands of targets and log files (upstream probes are capped at 64 in
 * flight, but logs, sockets and the journal add up). Never fails. */
static void main_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct gw_options o = { 0 };
	sd_event *e = NULL;
	sigset_t ss;
	int rc;

	setlocale(LC_ALL, "");
	main_raise_nofile();
	if ((rc = options_parse(argc, argv, &o))) {
		options_free(&o);
		config_file_free();
		return rc == 2 ? 3 : rc;
	}
	if (options_summarize) {
		rc = summarize_files(stdout, argc - optind, argv + optind);
		options_free(&o);
		config_file_free();
		return rc;
	}
	/* child processes (nginx -t) are reaped through sd-event: SIGCHLD must be
	 * blocked before anything forks; a closed pipe must not kill us */
	sigemptyset(&ss);
	sigaddset(&ss, SIGCHLD);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* a loop of our own, not sd_event_default(): the default one checks
	 * it runs in its thread with a gettid() on every iteration */
	if ((rc = sd_event_new(&e)) < 0) {
		fprintf(stderr, "gwtop: cannot create the event loop: %s\n", strerror(-rc));
		options_free(&o);
		config_file_free();
		return 3;
	}
	if (o.replay && o.check) {
		rc = run_replay_check(&o);
	} else if (bench_ticks > 0) {
		rc = run_bench_ticks(e, &o, bench_ticks);
	} else if (o.check) {
		rc = run_check(e, &o);
	} else {
#ifdef HAVE_TUI
		rc = tui_run(e, &o);
#else
		fputs("gwtop: this build has no dashboard; use gwtop --check\n", stderr);
		rc = 3;
#endif
	}
	sd_event_unref(e);
	options_free(&o);
	config_file_free();
	return rc;
}
