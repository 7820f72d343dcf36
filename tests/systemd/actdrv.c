/* actdrv.c — test driver for src/actions.c, run inside the sdbox (or on
 * any host for the SIGHUP / read-only paths). Runs one action on a real
 * sd-event loop and prints "ok: MSG" or "fail: MSG" (exit 0 / 1).
 *   actdrv [--read-only] restart UNIT
 *   actdrv [--read-only] start UNIT
 *   actdrv [--read-only] reload-nginx CONF MASTER_PID [NGINX_UNIT]
 *   actdrv test CONF
 *   actdrv confirm restart|start|reload-nginx UNIT   (prints the y/N text) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-event.h>

#include "actions.h"

static int finished, result;

static void on_result(void *ud, enum actions_kind kind, int ok, const char *msg)
{
	(void)ud;
	(void)kind;
	printf("%s: %s\n", ok ? "ok" : "fail", msg);
	finished = 1;
	result = ok;
}

int main(int argc, char **argv)
{
	int ro = 0, i = 1, r = -1;
	sd_event *e = NULL;
	sigset_t ss;
	struct gw_snapshot s;

	if (i < argc && !strcmp(argv[i], "--read-only")) { ro = 1; i++; }
	if (i >= argc) { fprintf(stderr, "usage: see actdrv.c\n"); return 2; }
	sigemptyset(&ss);
	sigaddset(&ss, SIGCHLD);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	sd_event_default(&e);
	snapshot_init(&s);
	struct actions *a = actions_new(e, ro, "/usr/sbin/nginx");
	const char *op = argv[i++];

	if (!strcmp(op, "confirm") && i + 1 < argc) {
		char buf[512];
		enum actions_kind k = !strcmp(argv[i], "restart") ? ACT_RESTART : !strcmp(argv[i], "start") ? ACT_START : ACT_RELOAD_NGINX;
		if (k == ACT_RELOAD_NGINX) {
			struct gw_unit *u = gw_vec_push(&s.units);
			GW_COPY(u->name, argv[i + 1]);
			u->is_nginx = u->loaded = 1;
		}
		actions_confirm_text(k, argv[i + 1], &s, buf, sizeof buf);
		printf("%s\n", buf);
		finished = result = 1;
		r = 0;
	} else if (!strcmp(op, "restart") && i < argc) {
		r = actions_restart_unit(a, argv[i], on_result, NULL);
	} else if (!strcmp(op, "start") && i < argc) {
		r = actions_start_unit(a, argv[i], on_result, NULL);
	} else if ((!strcmp(op, "reload-nginx") && i + 1 < argc) || (!strcmp(op, "test") && i < argc)) {
		GW_COPY(s.conf.conf_path, argv[i]);
		if (i + 1 < argc) s.nginx.master_pid = atoi(argv[i + 1]);
		if (i + 2 < argc) {
			struct gw_unit *u = gw_vec_push(&s.units);
			GW_COPY(u->name, argv[i + 2]);
			u->is_nginx = u->loaded = 1;
		}
		r = !strcmp(op, "test") ? actions_nginx_test(a, &s, on_result, NULL)
					: actions_reload_nginx(a, &s, on_result, NULL);
	} else {
		fprintf(stderr, "usage: see actdrv.c\n");
	}
	if (r < 0 && !finished) { printf("fail: could not start (%s)\n", strerror(-r)); result = 0; finished = 1; }
	while (!finished) sd_event_run(e, (uint64_t)-1);
	actions_free(a);
	snapshot_free(&s);
	sd_event_unref(e);
	return result ? 0 : 1;
}
