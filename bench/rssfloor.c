/* rssfloor.c — the resident floor of gwtop's libraries, for
 * bench/tuibench.sh: links what gwtop links and starts it the way gwtop
 * does (libssh2 told not to set up OpenSSL, curl_global_init, an sd-event
 * loop, libproc2's process table read once, jansson, initscr and one
 * frame), then waits for a signal.  No gwtop code and no gwtop data: its
 * peak RSS is what any program built on these libraries pays before it
 * does any work of its own. */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <curses.h>
#include <dlfcn.h>
#include <jansson.h>
#include <libproc2/pids.h>
#include <locale.h>
#include <stdlib.h>
#include <systemd/sd-event.h>
#include <unistd.h>

int main(void)
{
	int (*ssh2_init)(int) = (int (*)(int))dlsym(RTLD_DEFAULT, "libssh2_init");
	if (ssh2_init)
		ssh2_init(1);                    /* LIBSSH2_INIT_NO_CRYPTO, as gwtop */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	sd_event *e = NULL;
	if (sd_event_new(&e) < 0)
		return 1;
	enum pids_item items[] = { PIDS_ID_PID, PIDS_ID_PPID, PIDS_CMD, PIDS_TICS_ALL };
	struct pids_info *info = NULL;
	if (procps_pids_new(&info, items, 4) < 0 || !procps_pids_reap(info, PIDS_FETCH_TASKS_ONLY))
		return 1;
	json_t *j = json_pack("{s:s}", "status", "ok");
	char *text = json_dumps(j, 0);
	setlocale(LC_ALL, "");
	initscr();
	mvprintw(1, 1, "rssfloor: %s", text ? text : "");
	refresh();
	pause();
	endwin();
	free(text);
	json_decref(j);
	procps_pids_unref(&info);
	sd_event_unref(e);
	curl_global_cleanup();
	return 0;
}
