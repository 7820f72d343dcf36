/* appbind.c — where an app server listens, read from its command line
 * (gunicorn, uvicorn, hypercorn, daphne, uwsgi, waitress, Django runserver,
 * flask run). Pure: used by the unit probe (ExecStart) and by the
 * listeners probe (running app masters' cmdlines, s->app_binds). */
#include "appbind.h"

#include <string.h>

#include "util.h"


static void appbind_hostport(struct gw_addr *a, const char *v, int def_port)
{
	memset(a, 0, sizeof *a);
	if (gw_starts_with(v, "unix:")) {
		a->kind = GW_ADDR_UNIX;
		GW_COPY(a->path, v + 5);
		return;
	}
	if (gw_starts_with(v, "tcp://")) v += 6;
	if (v[0] == '/') {
		a->kind = GW_ADDR_UNIX;
		GW_COPY(a->path, v);
		return;
	}
	if (v[0] == '[') {
		const char *e = strchr(v, ']');
		a->kind = GW_ADDR_INET6;
		gw_fmt(a->host, sizeof a->host, "%.*s", e ? (int)(e - v - 1) : 0, v + 1);
		a->port = e && e[1] == ':' ? gw_atoi(e + 2) : def_port;
		return;
	}
	const char *colon = strrchr(v, ':');
	if (colon && strchr(v, ':') == colon) {
		gw_fmt(a->host, sizeof a->host, "%.*s", (int)(colon - v), v);
		a->port = gw_atoi(colon + 1);
	} else if (strspn(v, "0123456789") == strlen(v) && v[0]) {
		a->port = gw_atoi(v);           /* "8000" alone */
	} else {
		GW_COPY(a->host, v);
		a->port = def_port;
	}
	if (!a->host[0]) GW_COPY(a->host, "0.0.0.0");
	if (!strcmp(a->host, "localhost")) GW_COPY(a->host, "127.0.0.1");
	a->kind = strchr(a->host, ':') ? GW_ADDR_INET6 : GW_ADDR_INET;
}

int appbind_parse(const char *cmdline, struct gw_addr *a)
{
	char buf[GW_LINE], *save = NULL, *tok, *prev = NULL;
	char host[256] = "", uds[GW_PATH] = "", prog[64] = "";
	int port = 0, have_hostport = 0, is_gunicorn = 0, is_uvicorn = 0, runserver = 0, flask = 0;

	memset(a, 0, sizeof *a);
	GW_COPY(buf, cmdline);
	for (tok = strtok_r(buf, " \t", &save); tok; prev = tok, tok = strtok_r(NULL, " \t", &save)) {
		const char *b = strrchr(tok, '/') ? strrchr(tok, '/') + 1 : tok;
		const char *val = NULL;
		if (strstr(b, "gunicorn") == b || strstr(b, "hypercorn") == b) { is_gunicorn = 1; GW_COPY(prog, b); }
		if (strstr(b, "uvicorn") == b) { is_uvicorn = 1; GW_COPY(prog, b); }
		if (!strcmp(b, "manage.py")) runserver = -1;
		if (runserver == -1 && !strcmp(tok, "runserver")) { runserver = 1; continue; }
		if (runserver == 1 && tok[0] != '-') { appbind_hostport(a, tok, 8000); return 1; }
		if (!strcmp(b, "flask")) flask = -1;
		if (flask == -1 && !strcmp(tok, "run")) flask = 1;

		/* -b/--bind (gunicorn, hypercorn, daphne), uwsgi, waitress */
		if (prev && (!strcmp(prev, "-b") || !strcmp(prev, "--bind") || !strcmp(prev, "--http") ||
			     !strcmp(prev, "--http-socket") || !strcmp(prev, "--socket") || !strcmp(prev, "-s") ||
			     !strcmp(prev, "--listen")))
			val = tok;
		else if (gw_starts_with(tok, "--bind=")) val = tok + 7;
		else if (gw_starts_with(tok, "--listen=")) val = tok + 9;
		else if (gw_starts_with(tok, "--http=")) val = tok + 7;
		else if (gw_starts_with(tok, "--http-socket=")) val = tok + 14;
		else if (gw_starts_with(tok, "--socket=")) val = tok + 9;
		else if (gw_starts_with(tok, "-b") && tok[2] && tok[2] != '-') val = tok + 2;
		if (val) {
			appbind_hostport(a, val, 8000);
			return 1;
		}
		if (prev && (!strcmp(prev, "--host") || !strcmp(prev, "-h"))) { GW_COPY(host, tok); have_hostport = 1; }
		else if (gw_starts_with(tok, "--host=")) { GW_COPY(host, tok + 7); have_hostport = 1; }
		if (prev && (!strcmp(prev, "--port") || !strcmp(prev, "-p"))) { port = gw_atoi(tok); have_hostport = 1; }
		else if (gw_starts_with(tok, "--port=")) { port = gw_atoi(tok + 7); have_hostport = 1; }
		if (prev && (!strcmp(prev, "--uds") || !strcmp(prev, "-u"))) GW_COPY(uds, tok);
		else if (gw_starts_with(tok, "--uds=")) GW_COPY(uds, tok + 6);
	}
	if (uds[0]) {
		a->kind = GW_ADDR_UNIX;
		GW_COPY(a->path, uds);
		return 1;
	}
	if (have_hostport || is_gunicorn || is_uvicorn || runserver == 1 || flask == 1) {
		if (!have_hostport && !is_gunicorn && !is_uvicorn && runserver != 1 && flask != 1) return 0;
		GW_COPY(a->host, host[0] ? host : "127.0.0.1");
		if (!strcmp(a->host, "localhost")) GW_COPY(a->host, "127.0.0.1");
		a->kind = strchr(a->host, ':') ? GW_ADDR_INET6 : GW_ADDR_INET;
		a->port = port ? port : flask == 1 ? 5000 : 8000;
		return 1;
	}
	(void)prog;
	return 0;
}

