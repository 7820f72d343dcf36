/* model.c — snapshot lifetime and the names of the model's enums. */
#include "model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const role_names[] = {
	[GW_ROLE_OTHER] = "other",
	[GW_ROLE_NGINX_MASTER] = "nginx-master",
	[GW_ROLE_NGINX_WORKER] = "nginx-worker",
	[GW_ROLE_GUNICORN_MASTER] = "gunicorn-master",
	[GW_ROLE_GUNICORN_WORKER] = "gunicorn-worker",
	[GW_ROLE_UVICORN_MASTER] = "uvicorn-master",
	[GW_ROLE_UVICORN_WORKER] = "uvicorn-worker",
	[GW_ROLE_APP_SERVER] = "app-server",
	[GW_ROLE_DOCKER_PROXY] = "docker-proxy",
	[GW_ROLE_DB] = "db",
};

const char *gw_role_name(enum gw_role r)
{
	return (unsigned)r < sizeof role_names / sizeof *role_names ? role_names[r] : "?";
}

static const char *const kind_names[GW_LOG_KIND_MAX] = {
	[GW_LOG_OTHER] = "other",
	[GW_LOG_CONNECT_REFUSED] = "connect_refused",
	[GW_LOG_SOCKET_NOENT] = "socket_noent",
	[GW_LOG_SOCKET_EACCES] = "socket_eacces",
	[GW_LOG_AGAIN] = "eagain",
	[GW_LOG_RESET] = "reset",
	[GW_LOG_PREMATURE_CLOSE] = "premature_close",
	[GW_LOG_TIMEOUT] = "timeout",
	[GW_LOG_NO_LIVE] = "no_live_upstreams",
	[GW_LOG_BIG_HEADER] = "too_big_header",
	[GW_LOG_INVALID_HEADER] = "invalid_header",
	[GW_LOG_RESOLVE] = "resolve",
	[GW_LOG_TLS] = "upstream_tls",
	[GW_LOG_WORKER_CONNECTIONS] = "worker_connections",
	[GW_LOG_FD_LIMIT] = "too_many_open_files",
	[GW_LOG_ADDR_NOTAVAIL] = "addr_not_available",
	[GW_LOG_NGINX_EMERG] = "nginx_emerg",
	[GW_LOG_APP_TRACEBACK] = "traceback",
	[GW_LOG_APP_MODULE_NOT_FOUND] = "module_not_found",
	[GW_LOG_APP_CONFIG] = "app_config",
	[GW_LOG_APP_DB] = "db_error",
	[GW_LOG_APP_WORKER_BOOT] = "worker_boot",
	[GW_LOG_APP_WORKER_TIMEOUT] = "worker_timeout",
	[GW_LOG_APP_WORKER_KILLED] = "worker_killed",
	[GW_LOG_APP_EXCEPTION] = "exception",
	[GW_LOG_OOM_KILL] = "oom_kill",
};

const char *gw_log_kind_name(enum gw_log_kind k)
{
	return (unsigned)k < GW_LOG_KIND_MAX && kind_names[k] ? kind_names[k] : "?";
}

const char *gw_hop_id(enum gw_hop h)
{
	static const char *const n[GW_HOP_MAX] = { "client", "nginx", "upstream", "app", "db" };
	return (unsigned)h < GW_HOP_MAX ? n[h] : "?";
}

const char *gw_severity_name(enum gw_severity s)
{
	static const char *const n[] = { "ok", "info", "warn", "crit" };
	return (unsigned)s < 4 ? n[s] : "?";
}

const char *gw_hop_status_name(enum gw_hop_status s)
{
	static const char *const n[] = { "unknown", "ok", "warn", "fail" };
	return (unsigned)s < 4 ? n[s] : "?";
}

void snapshot_init(struct gw_snapshot *s)
{
	memset(s, 0, sizeof *s);
	s->mem.psi_some10 = s->mem.psi_full10 = -1;
	s->ntest.exit_code = -1;
}

void nginx_conf_free(struct gw_nginx_conf *c)
{
	for (size_t i = 0; i < c->upstreams.n; i++)
		gw_vec_free(&c->upstreams.v[i].servers);
	gw_vec_free(&c->upstreams);
	gw_vec_free(&c->warnings);
	gw_vec_free(&c->files);
	gw_vec_free(&c->listens);
	gw_vec_free(&c->passes);
	gw_vec_free(&c->settings);
	gw_vec_free(&c->logs);
	gw_vec_free(&c->log_formats);
	memset(c, 0, sizeof *c);
}

void snapshot_free(struct gw_snapshot *s)
{
	nginx_conf_free(&s->conf);
	gw_vec_free(&s->procs);
	gw_vec_free(&s->listeners);
	gw_vec_free(&s->app_binds);
	gw_vec_free(&s->targets);
	gw_vec_free(&s->through);
	gw_vec_free(&s->events);
	gw_vec_free(&s->log_sources);
	gw_vec_free(&s->units);
	gw_vec_free(&s->dbs);
	gw_vec_free(&s->containers);
	gw_vec_free(&s->notes);
	gw_vec_free(&s->probes);
	snapshot_init(s);
}

void snapshot_note(struct gw_snapshot *s, const char *probe, const char *fmt, ...)
{
	char text[GW_TEXT];
	va_list ap;
	va_start(ap, fmt);
	if (vsnprintf(text, sizeof text, fmt, ap) < 0) text[0] = '\0';
	va_end(ap);
	for (size_t i = 0; i < s->notes.n; i++)          /* say it once */
		if (!strcmp(s->notes.v[i].text, text)) return;
	struct gw_note *n = gw_vec_push(&s->notes);
	GW_COPY(n->probe, probe);
	GW_COPY(n->text, text);
}

void gw_addr_str(const struct gw_addr *a, char *buf, size_t size)
{
	switch (a->kind) {
	case GW_ADDR_UNIX:
		gw_fmt(buf, size, "unix:%s", a->path);
		break;
	case GW_ADDR_INET6:
		if (a->port) gw_fmt(buf, size, "[%s]:%d", a->host, a->port);
		else gw_fmt(buf, size, "[%s]", a->host);
		break;
	case GW_ADDR_INET:
	case GW_ADDR_HOST:
		if (a->port) gw_fmt(buf, size, "%s:%d", a->host[0] ? a->host : "*", a->port);
		else gw_fmt(buf, size, "%s", a->host);
		break;
	case GW_ADDR_UPSTREAM:
	case GW_ADDR_VARIABLE:
		gw_fmt(buf, size, "%s", a->host);
		break;
	default:
		gw_fmt(buf, size, "?");
	}
}
