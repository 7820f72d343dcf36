/* docker.c — containers on the request path, from the Docker Engine API
 * (dockerd, or podman's Docker-compatible service) over its unix socket.
 *
 * One pass: GET /containers/json?all=1, then /containers/{id}/json for
 * each (at most DOCKER_PARALLEL at once), then /proc/<State.Pid>/net/tcp{,6}
 * for what the app really listens on inside, then the last log lines of the
 * containers that matter (/containers/{id}/logs, demultiplexed) into the
 * snapshot's log events. All HTTP goes through libcurl multi on the sd-event
 * loop (curlev.h); one deadline bounds the whole pass. The prober keeps each
 * container's RestartCount across passes (restarts_rising).
 *
 * The parsers, the frame demultiplexer and the target mapping are pure and
 * exported for the unit tests; the pass ends by storing each target's
 * container match in the snapshot (t->container) for the rules.
 *
 * docker_engine_request is the one engine client: this pass, the live
 * stream's container followers (logctr.c) and the container actions
 * (src/actions.c) make their requests with it; DOCKER_API is the only
 * spelling of the API version. */
#include "docker.h"
#include "addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "curlev.h"
#include "logclass.h"
#include "sanitize.h"

#define DOCKER_API          "/v1.41"
#define DOCKER_PARALLEL     8          /* requests in flight at once */
#define DOCKER_MAX_LOGS     20         /* containers whose logs we fetch per pass */
#define DOCKER_LOG_TAIL     50
#define DOCKER_MAX_CONTAINERS 1000
#define DOCKER_JSON_MAX     (16u << 20)
#define DOCKER_LOGS_MAX     (1u << 20)
#define DOCKER_RISE_WINDOW  120.0      /* a RestartCount rise counts this long (s) */
#define DOCKER_HIST_FORGET  600.0

/* ---------------------------------------------------------------- socket */

static int docker_is_socket(const char *path)
{
	struct stat st;
	return path[0] && stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

int docker_find_socket(const char *opt, const char *docker_host, char *buf, size_t size,
		       char *why, size_t whysize)
{
	static const char *const defaults[] = { "/var/run/docker.sock", "/run/podman/podman.sock" };

	why[0] = '\0';
	if (opt && opt[0]) {
		gw_strlcpy(buf, opt, size);
		if (docker_is_socket(opt))
			return 1;
		gw_fmt(why, whysize, "--docker-socket %s: %s", opt,
		       access(opt, F_OK) == 0 ? "not a socket" : strerror(errno));
		return 0;
	}
	if (docker_host && gw_starts_with(docker_host, "unix://")) {
		gw_strlcpy(buf, docker_host + 7, size);
		if (docker_is_socket(buf))
			return 1;
		gw_fmt(why, whysize, "DOCKER_HOST=%s: no socket there", docker_host);
		return 0;
	}
	for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++) {
		if (docker_is_socket(defaults[i])) {
			gw_strlcpy(buf, defaults[i], size);
			return 1;
		}
	}
	gw_strlcpy(buf, defaults[0], size);
	if (docker_host && docker_host[0])
		gw_fmt(why, whysize, "DOCKER_HOST=%s is not a unix socket; no engine socket at %s or %s",
		       docker_host, defaults[0], defaults[1]);
	else
		gw_fmt(why, whysize, "no container engine socket (%s, %s)", defaults[0], defaults[1]);
	return 0;
}

/* ---------------------------------------------------------------- JSON */

static const char *docker_jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static long long docker_jint(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* RFC 3339 into whole seconds and nanoseconds (digits past the ninth are
 * read and dropped). 0 on garbage; *end after the parsed text. */
static int docker_time_parts(const char *s, const char **end, time_t *sec, long *nsec)
{
	struct tm tm;
	const char *p;
	long ns = 0;

	*end = s;
	memset(&tm, 0, sizeof tm);
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return 0;
	if (*p == '.') {
		long scale = 100000000;
		for (p++; isdigit((unsigned char)*p); p++) {
			ns += (*p - '0') * scale;
			scale /= 10;
		}
	}
	time_t t = timegm(&tm);
	if (*p == 'Z') {
		p++;
	} else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2])) {
		int sign = *p == '-' ? -1 : 1;
		int hh = (p[1] - '0') * 10 + (p[2] - '0'), mm = 0;
		p += 3;
		if (*p == ':')
			p++;
		if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1])) {
			mm = (p[0] - '0') * 10 + (p[1] - '0');
			p += 2;
		}
		t -= sign * (hh * 3600 + mm * 60);
	}
	*end = p;
	if (tm.tm_year + 1900 < 1971)
		return 0;   /* "0001-01-01T00:00:00Z": never */
	*sec = t;
	*nsec = ns;
	return 1;
}

double docker_parse_time(const char *s, const char **end)
{
	const char *e;
	time_t sec;
	long ns;
	int ok = docker_time_parts(s, &e, &sec, &ns);

	if (end)
		*end = e;
	return ok ? (double)sec + ns / 1e9 : 0;
}

size_t docker_log_stamp(const char *line, size_t len, int64_t *ns)
{
	char tbuf[64];
	const char *end;
	time_t sec;
	long nsec;

	if (len <= 20 || !isdigit((unsigned char)line[0]) || line[4] != '-' || line[10] != 'T')
		return 0;
	gw_fmt(tbuf, sizeof tbuf, "%.*s", (int)(len < 63 ? len : 63), line);
	if (!docker_time_parts(tbuf, &end, &sec, &nsec))
		return 0;
	size_t k = (size_t)(end - tbuf);
	if (*end == ' ')
		k++;
	else if (*end || k != len)
		return 0;
	if (sec < 0 || sec > INT64_MAX / 1000000000 - 1)   /* year > 2262: not a stamp we can hold */
		return 0;
	*ns = (int64_t)sec * 1000000000 + nsec;
	return k;
}

/* "8000/tcp" -> 8000, proto "tcp". */
static int docker_port_key(const char *key, char *proto, size_t psize)
{
	char *end;
	long port = strtol(key, &end, 10);
	if (end == key || port <= 0 || port > 65535)
		return 0;
	gw_strlcpy(proto, *end == '/' ? end + 1 : "tcp", psize);
	return (int)port;
}

static void docker_add_port(struct gw_container *c, int cport, const char *proto, const char *host_ip,
			    int host_port)
{
	for (int i = 0; i < c->nports; i++) {
		struct gw_port_map *pm = &c->ports[i];
		if (pm->container_port == cport && !strcmp(pm->proto, proto) &&
		    !strcmp(pm->host_ip, host_ip) && pm->host_port == host_port)
			return;
		/* an exposed-only entry is superseded by a published one */
		if (host_port && pm->container_port == cport && !strcmp(pm->proto, proto) && !pm->host_port) {
			GW_COPY(pm->host_ip, host_ip);
			pm->host_port = host_port;
			return;
		}
		if (!host_port && pm->container_port == cport && !strcmp(pm->proto, proto))
			return;
	}
	if (c->nports >= (int)(sizeof c->ports / sizeof *c->ports))
		return;
	struct gw_port_map *pm = &c->ports[c->nports++];
	memset(pm, 0, sizeof *pm);
	pm->container_port = cport;
	GW_COPY(pm->proto, proto);
	GW_COPY(pm->host_ip, host_ip);
	pm->host_port = host_port;
}

int docker_port_is_address(const struct gw_port_map *pm)
{
	return !strcmp(pm->proto, GW_PROTO_ADDRESS);
}

static void docker_add_address(struct gw_container *c, const char *ip)
{
	if (!ip || !ip[0])
		return;
	for (int i = 0; i < c->nports; i++)
		if (docker_port_is_address(&c->ports[i]) && !strcmp(c->ports[i].host_ip, ip))
			return;
	if (c->nports >= (int)(sizeof c->ports / sizeof *c->ports))
		return;
	struct gw_port_map *pm = &c->ports[c->nports++];
	memset(pm, 0, sizeof *pm);
	GW_COPY(pm->proto, GW_PROTO_ADDRESS);
	GW_COPY(pm->host_ip, ip);
}

/* {"8000/tcp": null | [{"HostIp": "...", "HostPort": "18000"}]}.
 * Returns the number of published bindings seen. */
static int docker_ports_object(struct gw_container *c, json_t *ports, int exposed_too)
{
	const char *key;
	json_t *val;
	int published = 0;

	if (!json_is_object(ports))
		return 0;
	json_object_foreach(ports, key, val) {
		char proto[8];
		int cport = docker_port_key(key, proto, sizeof proto);
		size_t i;
		json_t *b;
		if (!cport)
			continue;
		if (json_is_array(val) && json_array_size(val)) {
			json_array_foreach(val, i, b) {
				int hp = gw_atoi(docker_jstr(b, "HostPort"));
				docker_add_port(c, cport, proto, docker_jstr(b, "HostIp"), hp);
				if (hp)
					published++;
			}
		} else if (exposed_too) {
			docker_add_port(c, cport, proto, "", 0);
		}
	}
	return published;
}

static void docker_set_name(struct gw_container *c, const char *name)
{
	GW_COPY(c->name, name[0] == '/' ? name + 1 : name);
}

static void docker_health_from_status(struct gw_container *c)
{
	if (strstr(c->status, "(unhealthy)"))
		GW_COPY(c->health, "unhealthy");
	else if (strstr(c->status, "(healthy)"))
		GW_COPY(c->health, "healthy");
	else if (strstr(c->status, "(health: starting)"))
		GW_COPY(c->health, "starting");
}

int docker_parse_list(struct gw_snapshot *s, const char *json, size_t len, char *err, size_t errsize)
{
	json_error_t je;
	json_t *root = json_loadb(json, len, 0, &je), *it;
	size_t i;
	int added = 0;

	if (!json_is_array(root)) {
		gw_fmt(err, errsize, "containers/json: %s", root ? "not a JSON array" : je.text);
		json_decref(root);
		return -1;
	}
	json_array_foreach(root, i, it) {
		json_t *names = json_object_get(it, "Names"), *ports = json_object_get(it, "Ports"), *pt;
		size_t k;
		if (!json_is_object(it) || !docker_jstr(it, "Id")[0])
			continue;
		if (s->containers.n >= DOCKER_MAX_CONTAINERS)
			break;
		struct gw_container *c = gw_vec_push(&s->containers);
		GW_COPY(c->id, docker_jstr(it, "Id"));
		if (json_is_array(names) && json_array_size(names))
			docker_set_name(c, json_string_value(json_array_get(names, 0)) ?: "");
		if (!c->name[0])
			gw_fmt(c->name, sizeof c->name, "%.12s", c->id);
		GW_COPY(c->image, docker_jstr(it, "Image"));
		GW_COPY(c->state, docker_jstr(it, "State"));
		GW_COPY(c->status, docker_jstr(it, "Status"));
		docker_health_from_status(c);
		json_array_foreach(ports, k, pt) {
			int priv = (int)docker_jint(pt, "PrivatePort");
			const char *type = docker_jstr(pt, "Type");
			if (priv > 0)
				docker_add_port(c, priv, type[0] ? type : "tcp", docker_jstr(pt, "IP"),
						(int)docker_jint(pt, "PublicPort"));
		}
		added++;
	}
	json_decref(root);
	return added;
}

static void docker_one_line(char *dst, size_t size, const char *src)
{
	size_t n = 0;
	while (*src && isspace((unsigned char)*src))
		src++;
	for (; *src && n + 1 < size; src++)
		dst[n++] = (*src == '\n' || *src == '\r' || *src == '\t') ? ' ' : *src;
	while (n && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}

int docker_parse_inspect(struct gw_container *c, const char *json, size_t len, int *tty,
			 char *err, size_t errsize)
{
	json_error_t je;
	json_t *root = json_loadb(json, len, 0, &je);
	json_t *state, *health, *config, *ns, *hc, *nets, *net;
	const char *key;

	if (!json_is_object(root)) {
		gw_fmt(err, errsize, "containers/{id}/json: %s", root ? "not a JSON object" : je.text);
		json_decref(root);
		return -1;
	}
	if (docker_jstr(root, "Id")[0])
		GW_COPY(c->id, docker_jstr(root, "Id"));
	if (docker_jstr(root, "Name")[0])
		docker_set_name(c, docker_jstr(root, "Name"));
	if (docker_jstr(root, "Image")[0])
		GW_COPY(c->image_id, docker_jstr(root, "Image"));
	c->created_at = docker_parse_time(docker_jstr(root, "Created"), NULL);
	config = json_object_get(root, "Config");
	if (!c->image[0])
		GW_COPY(c->image, docker_jstr(config, "Image"));
	if (tty)
		*tty = json_is_true(json_object_get(config, "Tty"));

	state = json_object_get(root, "State");
	if (json_is_object(state)) {
		if (docker_jstr(state, "Status")[0])
			GW_COPY(c->state, docker_jstr(state, "Status"));
		if (json_is_true(json_object_get(state, "Restarting")))
			GW_COPY(c->state, "restarting");
		c->exit_code = (int)docker_jint(state, "ExitCode");
		c->pid = (pid_t)docker_jint(state, "Pid");
		c->started_at = docker_parse_time(docker_jstr(state, "StartedAt"), NULL);
		c->finished_at = docker_parse_time(docker_jstr(state, "FinishedAt"), NULL);
		health = json_object_get(state, "Health");
		if (json_is_object(health)) {
			json_t *log = json_object_get(health, "Log");
			GW_COPY(c->health, docker_jstr(health, "Status"));   /* podman: "" = no check */
			c->failing_streak = (int)docker_jint(health, "FailingStreak");
			c->health_log[0] = '\0';
			if (json_is_array(log) && json_array_size(log)) {
				json_t *last = json_array_get(log, json_array_size(log) - 1);
				char out[GW_TEXT];
				docker_one_line(out, sizeof out, docker_jstr(last, "Output"));
				if (json_is_integer(json_object_get(last, "ExitCode")))
					gw_fmt(c->health_log, sizeof c->health_log, "exit %lld: %s",
					       docker_jint(last, "ExitCode"), out);
				else
					GW_COPY(c->health_log, out);
			}
		}
	}
	c->restart_count = (unsigned)docker_jint(root, "RestartCount");
	/* caught running between two crashes: ExitCode is 0 then, the list's
	 * "Restarting (1) ..." / "Exited (1) ..." still holds the last one */
	if (!c->exit_code && (gw_starts_with(c->status, "Restarting (") || gw_starts_with(c->status, "Exited (")))
		c->exit_code = gw_atoi(strchr(c->status, '(') + 1);

	/* ports: live bindings; when not running (Ports {}), the configured ones */
	ns = json_object_get(root, "NetworkSettings");
	hc = json_object_get(root, "HostConfig");
	{
		struct gw_container fresh = *c;
		fresh.nports = 0;
		int pub = docker_ports_object(&fresh, json_object_get(ns, "Ports"), 1);
		if (!pub)
			docker_ports_object(&fresh, json_object_get(hc, "PortBindings"), 1);
		docker_ports_object(&fresh, json_object_get(config, "ExposedPorts"), 1);
		if (!fresh.nports && c->nports) {
			/* inspect knew nothing: keep what the list said */
		} else {
			c->nports = fresh.nports;
			memcpy(c->ports, fresh.ports, sizeof c->ports);
		}
	}
	for (int i = 0; i < c->nports; i++)
		if (docker_port_is_address(&c->ports[i])) {   /* addresses are re-read below */
			memmove(&c->ports[i], &c->ports[i + 1], (size_t)(c->nports - i - 1) * sizeof *c->ports);
			c->nports--;
			i--;
		}
	docker_add_address(c, docker_jstr(ns, "IPAddress"));
	nets = json_object_get(ns, "Networks");
	json_object_foreach(nets, key, net) {
		docker_add_address(c, docker_jstr(net, "IPAddress"));
		docker_add_address(c, docker_jstr(net, "GlobalIPv6Address"));
	}
	json_decref(root);
	return 0;
}

/* ---------------------------------------------------------------- /proc/PID/net/tcp */

/* One /proc/net/tcp{,6} row: "  SL: LOCALHEX:PORT REMOTE ST ..." -> hex (at
 * most 40 digits), port, st. 0 if the row does not have that shape. */
static int docker_net_tcp_row(const char *s, char hex[41], unsigned *port, unsigned *st)
{
	char *e;
	size_t n;
	while (isspace((unsigned char)*s)) s++;
	if (!isdigit((unsigned char)*s)) return 0;
	(void)strtoul(s, &e, 10);
	if (*e != ':') return 0;
	for (s = e + 1; isspace((unsigned char)*s); s++) {}
	n = strspn(s, "0123456789ABCDEFabcdef");
	if (n == 0 || n > 40 || s[n] != ':') return 0;
	memcpy(hex, s, n);
	hex[n] = '\0';
	s += n + 1;
	if (!isxdigit((unsigned char)*s)) return 0;
	*port = (unsigned)strtoul(s, &e, 16);
	for (s = e; isspace((unsigned char)*s); s++) {}
	if (!*s) return 0;
	while (*s && !isspace((unsigned char)*s)) s++;   /* the remote address */
	while (isspace((unsigned char)*s)) s++;
	if (!isxdigit((unsigned char)*s)) return 0;
	*st = (unsigned)strtoul(s, NULL, 16);
	return 1;
}

int docker_parse_net_tcp(struct gw_container *c, const char *text, int v6)
{
	const char *line = text;
	int added = 0;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		char hex[64], buf[256];
		unsigned port = 0, st = 0;
		size_t l = nl ? (size_t)(nl - line) : strlen(line);
		char addr[64] = "";

		gw_fmt(buf, sizeof buf, "%.*s", (int)(l < sizeof buf - 1 ? l : sizeof buf - 1), line);
		line = nl ? nl + 1 : NULL;
		if (!docker_net_tcp_row(buf, hex, &port, &st) || st != 0x0A)
			continue;
		if (!v6 && strlen(hex) == 8) {
			struct in_addr a;
			a.s_addr = (uint32_t)strtoul(hex, NULL, 16);
			inet_ntop(AF_INET, &a, addr, sizeof addr);
		} else if (v6 && strlen(hex) == 32) {
			struct in6_addr a;
			for (int i = 0; i < 4; i++) {
				char w[9];
				memcpy(w, hex + i * 8, 8);
				w[8] = '\0';
				uint32_t v = (uint32_t)strtoul(w, NULL, 16);
				memcpy(&a.s6_addr[i * 4], &v, 4);
			}
			inet_ntop(AF_INET6, &a, addr, sizeof addr);
		} else {
			continue;
		}
		int dup = 0;
		for (int i = 0; i < c->ninside; i++)
			if (c->inside[i].port == (int)port && !strcmp(c->inside[i].addr, addr))
				dup = 1;
		if (dup || c->ninside >= (int)(sizeof c->inside / sizeof *c->inside))
			continue;
		GW_COPY(c->inside[c->ninside].addr, addr);
		c->inside[c->ninside].port = (int)port;
		c->ninside++;
		added++;
	}
	return added;
}

static void docker_read_inside(struct gw_container *c)
{
	static const char *const files[] = { "tcp", "tcp6" };

	c->inside_known = 0;
	c->ninside = 0;
	if (c->pid <= 0)
		return;
	for (int v6 = 0; v6 < 2; v6++) {
		char path[64];
		char *text;
		gw_fmt(path, sizeof path, "/proc/%d/net/%s", (int)c->pid, files[v6]);
		if (!(text = gw_read_file(path, 4u << 20, NULL)))
			continue;   /* no IPv6 in there, or no permission */
		c->inside_known = 1;
		docker_parse_net_tcp(c, text, v6);
		free(text);
	}
}

/* ---------------------------------------------------------------- logs */

/* Bytes [p, p+n) of the current frame (or of the raw stream) into lines.
 * frame_end: n reaches the end of a frame, whose last line needs no '\n'.
 * A line wholly inside p goes to fn without a copy; a line split across
 * feeds is put together in d->line, at most d->cap bytes (the rest is
 * dropped and d->cut set while fn runs). */
static size_t docker_demux_text(struct docker_demux *d, const char *p, size_t n, int frame_end,
				void (*fn)(const char *, size_t, int, void *), void *ud)
{
	size_t lines = 0;
	const char *end = p + n;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *line = p;
		if (d->len || d->cut || !(nl || frame_end)) {
			size_t room = d->cap - d->len, take = l < room ? l : room;
			if (take && d->len + take > d->alloc) {
				size_t want = d->alloc ? 2 * d->alloc : 256;
				while (want < d->len + take)
					want *= 2;
				d->alloc = want < d->cap ? want : d->cap;
				d->line = gw_xrealloc(d->line, d->alloc);
			}
			if (take)
				memcpy(d->line + d->len, p, take);
			d->len += take;
			if (take < l)
				d->cut = 1;
			p = nl ? nl + 1 : end;
			if (!nl && !frame_end)
				break;              /* the rest comes with the next feed */
			line = d->line;
			l = d->len;
			d->len = 0;
		} else {
			p = nl ? nl + 1 : end;
		}
		if (l && line[l - 1] == '\r')
			l--;
		if (l) {
			fn(line, l, d->stream, ud);
			lines++;
		}
		d->cut = 0;
	}
	return lines;
}

void docker_demux_init(struct docker_demux *d, int tty, size_t cap)
{
	memset(d, 0, sizeof *d);
	d->raw = tty;
	d->cap = cap ? cap : 1;
}

size_t docker_demux_feed(struct docker_demux *d, const char *buf, size_t len,
			 void (*fn)(const char *line, size_t len, int stream, void *ud), void *ud)
{
	const char *p = buf, *end = buf + len;
	size_t lines = 0;

	while (p < end) {
		if (d->raw)
			return lines + docker_demux_text(d, p, (size_t)(end - p), 0, fn, ud);
		if (!d->left) {
			/* a header [stream,0,0,0,len BE32]; anything else: raw from here */
			while (d->nhdr < 8 && p < end)
				d->hdr[d->nhdr++] = (unsigned char)*p++;
			const unsigned char *h = d->hdr;
			if (h[0] > 2 || (d->nhdr > 1 && h[1]) || (d->nhdr > 2 && h[2]) || (d->nhdr > 3 && h[3])) {
				d->raw = 1;
				d->stream = 0;
				lines += docker_demux_text(d, (const char *)h, d->nhdr, 0, fn, ud);
				d->nhdr = 0;
				continue;
			}
			if (d->nhdr < 8)
				break;
			d->nhdr = 0;
			d->stream = h[0];
			d->left = (size_t)h[4] << 24 | (size_t)h[5] << 16 | (size_t)h[6] << 8 | h[7];
			continue;
		}
		size_t n = (size_t)(end - p) < d->left ? (size_t)(end - p) : d->left;
		d->left -= n;
		lines += docker_demux_text(d, p, n, !d->left, fn, ud);
		p += n;
	}
	return lines;
}

size_t docker_demux_end(struct docker_demux *d, void (*fn)(const char *line, size_t len, int stream, void *ud),
			void *ud)
{
	size_t l = d->len;
	if (l && d->line[l - 1] == '\r')
		l--;
	if (l)
		fn(d->line, l, d->stream, ud);
	free(d->line);
	d->line = NULL;
	d->len = d->alloc = 0;
	d->cut = 0;
	return l ? 1 : 0;
}

size_t docker_logs_split(const char *buf, size_t len, int tty,
			 void (*fn)(const char *line, size_t len, int stream, void *ud), void *ud)
{
	struct docker_demux d;
	docker_demux_init(&d, tty, len);
	size_t lines = docker_demux_feed(&d, buf, len, fn, ud);
	return lines + docker_demux_end(&d, fn, ud);
}

struct docker_ingest {
	struct gw_snapshot *s;
	struct gw_container *c;
	char source[GW_NAME];
	struct gw_log_event last;
	int have_last, last_pushed;
};

static void docker_ingest_line(const char *line, size_t len, int stream, void *ud)
{
	struct docker_ingest *in = ud;
	const char *msg = line;
	double ts = 0;
	int64_t ns;
	struct gw_log_event ev;

	/* timestamps=1: "2026-11-24T12:10:37.123456789Z message" */
	size_t k = docker_log_stamp(line, len, &ns);
	if (k) {
		ts = (double)ns / 1e9;
		msg = line + k;
		len -= k;
	}
	if (!len)
		return;
	logclass_app(msg, len, &ev);
	if (ts > 0)
		ev.time = ts;
	if (stream == 2 && ev.level < GW_LV_WARN && ev.kind == GW_LOG_OTHER)
		ev.level = GW_LV_INFO;
	GW_COPY(ev.source, in->source);
	logclass_mask(&ev);
	sanitize_mask(in->c->last_log, sizeof in->c->last_log, msg, len);
	in->last = ev;
	in->have_last = 1;
	in->last_pushed = 0;
	if (ev.kind != GW_LOG_OTHER) {
		*(struct gw_log_event *)gw_vec_push(&in->s->events) = ev;
		in->last_pushed = 1;
	}
}

void docker_logs_ingest(struct gw_snapshot *s, struct gw_container *c, const char *buf, size_t len, int tty)
{
	struct docker_ingest *in = gw_xcalloc(1, sizeof *in);   /* holds an event: keep off the stack */

	in->s = s;
	in->c = c;
	gw_fmt(in->source, sizeof in->source, "docker:%s", c->name);
	docker_logs_split(buf, len, tty, docker_ingest_line, in);
	if (in->have_last && !in->last_pushed)
		*(struct gw_log_event *)gw_vec_push(&s->events) = in->last;
	free(in);
}

/* ---------------------------------------------------------------- target mapping */

/* Does a binding on bind_ip accept what nginx sends to host:port? */
static int docker_bind_matches(const char *bind_ip, const char *host, int port)
{
	struct gw_addr b = { .kind = GW_ADDR_INET, .port = port }, t = { .kind = GW_ADDR_HOST, .port = port };
	GW_COPY(b.host, bind_ip);
	GW_COPY(t.host, host);
	return addr_bind_matches(&b, &t, 0);
}

static int docker_state_rank(const struct gw_container *c)
{
	if (!strcmp(c->state, "running"))
		return 3;
	if (!strcmp(c->state, "restarting"))
		return 2;
	return 1;
}

/* compose: "proj-app-1" / "proj_app_1" serve the service name "app" */
static int docker_name_serves(const char *name, const char *host)
{
	size_t hl = strlen(host), nl = strlen(name);
	if (!strcmp(name, host))
		return 1;
	for (size_t i = 1; i + hl + 2 <= nl; i++) {
		const char *p = name + i;
		if ((p[-1] == '-' || p[-1] == '_') && !strncmp(p, host, hl) && (p[hl] == '-' || p[hl] == '_')) {
			const char *d = p + hl + 1;
			if (*d && strspn(d, "0123456789") == strlen(d))
				return 1;
		}
	}
	return 0;
}

static int docker_port_targeted(const struct gw_snapshot *s, int port)
{
	for (size_t i = 0; i < s->targets.n; i++)
		if (s->targets.v[i].addr.kind != GW_ADDR_UNIX && s->targets.v[i].addr.port == port)
			return 1;
	return 0;
}

enum gw_via docker_match_target(const struct gw_snapshot *s, const struct gw_target *t,
				struct gw_container_match *m)
{
	const struct gw_addr *a = &t->addr;
	int best = 0, near_diff = 11;

	memset(m, 0, sizeof *m);
	m->container = m->port = -1;
	if (a->kind != GW_ADDR_INET && a->kind != GW_ADDR_INET6 && a->kind != GW_ADDR_HOST)
		return GW_VIA_NONE;
	int port = a->port ? a->port : 80;

	for (size_t i = 0; i < s->containers.n; i++) {
		const struct gw_container *c = &s->containers.v[i];
		int rank = docker_state_rank(c);
		for (int k = 0; k < c->nports; k++) {
			const struct gw_port_map *pm = &c->ports[k];
			if (docker_port_is_address(pm)) {
				if (addr_host_eq(pm->host_ip, a->host) && rank > best) {
					best = rank;
					*m = (struct gw_container_match){ GW_VIA_ADDRESS, (int)i, -1, port };
				}
				continue;
			}
			if (pm->host_port == port && !strcmp(pm->proto, "tcp") &&
			    docker_bind_matches(pm->host_ip, a->host, port) && rank > best) {
				best = rank;
				*m = (struct gw_container_match){ GW_VIA_PUBLISHED, (int)i, k, pm->container_port };
			}
		}
		if (a->kind == GW_ADDR_HOST && !addr_is_loopback(a->host) &&
		    docker_name_serves(c->name, a->host) && rank > best) {
			best = rank;
			*m = (struct gw_container_match){ GW_VIA_NAME, (int)i, -1, port };
		}
	}
	if (m->how != GW_VIA_NONE)
		return m->how;

	/* Nothing serves the target: a container publishing a nearby host port
	 * (a mapping that changed), or the target's port inside, is the likely one. */
	if (t->listener_idx >= 0 || !(addr_is_loopback(a->host) || a->kind == GW_ADDR_INET))
		return GW_VIA_NONE;
	for (size_t i = 0; i < s->containers.n; i++) {
		const struct gw_container *c = &s->containers.v[i];
		if (docker_state_rank(c) < 2)
			continue;
		for (int k = 0; k < c->nports; k++) {
			const struct gw_port_map *pm = &c->ports[k];
			if (docker_port_is_address(pm) || !pm->host_port || strcmp(pm->proto, "tcp") ||
			    !docker_bind_matches(pm->host_ip, a->host, port) || docker_port_targeted(s, pm->host_port))
				continue;
			int diff = abs(pm->host_port - port);
			if (pm->container_port == port && diff > 10)
				diff = 10;
			if (diff < near_diff) {
				near_diff = diff;
				*m = (struct gw_container_match){ GW_VIA_NEAR, (int)i, k, pm->container_port };
			}
		}
	}
	return m->how;
}

void docker_match_targets(struct gw_snapshot *s)
{
	for (size_t i = 0; i < s->targets.n; i++)
		docker_match_target(s, &s->targets.v[i], &s->targets.v[i].container);
}

/* ---------------------------------------------------------------- whose logs */

static int docker_picked(const size_t *out, size_t n, size_t i)
{
	for (size_t k = 0; k < n; k++)
		if (out[k] == i)
			return 1;
	return 0;
}

size_t docker_logs_pick(const struct gw_snapshot *s, double now, size_t *out, size_t max)
{
	size_t n = 0;

	/* targeted by nginx first */
	for (size_t t = 0; t < s->targets.n && n < max; t++) {
		struct gw_container_match m;
		if (docker_match_target(s, &s->targets.v[t], &m) == GW_VIA_NONE)
			continue;
		if (!docker_picked(out, n, (size_t)m.container))
			out[n++] = (size_t)m.container;
	}
	for (size_t i = 0; i < s->containers.n && n < max; i++) {
		const struct gw_container *c = &s->containers.v[i];
		int matters = !strcmp(c->state, "restarting") || !strcmp(c->health, "unhealthy") ||
			c->restarts_rising ||
			(!strcmp(c->state, "exited") && c->exit_code && c->finished_at > now - 3600);
		if (matters && !docker_picked(out, n, i))
			out[n++] = i;
	}
	return n;
}

/* ---------------------------------------------------------------- the prober */

enum { DOCKER_REQ_LIST, DOCKER_REQ_INSPECT, DOCKER_REQ_LOGS };
enum { DOCKER_PH_IDLE, DOCKER_PH_LIST, DOCKER_PH_INSPECT, DOCKER_PH_LOGS };

/* One request in flight; owned by the prober's list until it completes. */
struct docker_req {
	struct docker_prober *p;
	int kind;
	size_t idx;                  /* container index */
	char *buf;
	size_t len, max;
	int overflow;
	char errbuf[CURL_ERROR_SIZE];
	struct docker_req *prev, *next;
};

struct docker_hist {
	char id[72];
	unsigned restart_count;
	double last_rise;            /* epoch of the last rise seen, 0 none */
	double seen;
};

struct docker_extra {
	int tty;
};

struct docker_prober {
	sd_event *e;                 /* referenced */
	struct curlev *cv;
	sd_event_source *deadline, *defer;
	struct docker_req *reqs;
	GW_VEC(struct docker_hist) hist;

	/* the pass in flight */
	int running, phase;
	struct gw_snapshot *s;       /* not owned */
	const struct gw_options *o;
	void (*done)(void *ud);
	void *ud;
	char sock[GW_PATH];
	double t0, deadline_at;      /* monotonic */
	double timeout;
	size_t next, inflight;
	GW_VEC(struct docker_extra) extra;
	GW_VEC(size_t) logq;
	char error[GW_TEXT];         /* first error of the pass */
};

static void docker_pump(struct docker_prober *p);

struct docker_prober *docker_prober_new(sd_event *e)
{
	struct docker_prober *p;
	struct curlev *cv = curlev_new(e);

	if (!cv)
		return NULL;
	p = gw_xcalloc(1, sizeof *p);
	p->e = sd_event_ref(e);
	p->cv = cv;
	return p;
}

static void docker_req_free(struct docker_req *r)
{
	struct docker_prober *p = r->p;
	if (r->prev)
		r->prev->next = r->next;
	else
		p->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	free(r->buf);
	free(r);
}

static void docker_drop_all(struct docker_prober *p)
{
	struct docker_req *r;
	curlev_cancel(p->cv);
	while ((r = p->reqs) != NULL) {   /* pop the head */
		p->reqs = r->next;
		if (p->reqs)
			p->reqs->prev = NULL;
		free(r->buf);
		free(r);
	}
	p->inflight = 0;
}

void docker_prober_free(struct docker_prober *p)
{
	if (!p)
		return;
	docker_drop_all(p);
	curlev_free(p->cv);
	sd_event_source_disable_unref(p->deadline);
	sd_event_source_disable_unref(p->defer);
	gw_vec_free(&p->hist);
	gw_vec_free(&p->extra);
	gw_vec_free(&p->logq);
	sd_event_unref(p->e);
	free(p);
}

static int docker_defer_cb(sd_event_source *src, void *ud)
{
	struct docker_prober *p = ud;
	void (*done)(void *) = p->done;
	void *cbud = p->ud;

	(void)src;
	sd_event_source_disable_unref(p->defer);
	p->defer = NULL;
	p->done = NULL;
	p->ud = NULL;
	p->s = NULL;
	p->running = 0;
	if (done)
		done(cbud);   /* may free p: nothing after this */
	return 0;
}

/* End the pass: record the outcome, then call done from the loop. */
static void docker_finish(struct docker_prober *p, const char *err)
{
	struct gw_snapshot *s = p->s;
	struct gw_probe_status *ps;

	if (p->phase == DOCKER_PH_IDLE)
		return;
	p->phase = DOCKER_PH_IDLE;
	docker_match_targets(s);
	sd_event_source_disable_unref(p->deadline);
	p->deadline = NULL;
	if (err && !p->error[0])
		GW_COPY(p->error, err);
	if (p->error[0]) {
		GW_COPY(s->docker_error, p->error);
		snapshot_note(s, "docker", "%s", p->error);
	}
	ps = gw_vec_push(&s->probes);
	GW_COPY(ps->name, "docker");
	ps->duration = gw_mono() - p->t0;
	if (s->docker_available)
		ps->last_ok = gw_now();
	GW_COPY(ps->error, p->error);
	if (sd_event_add_defer(p->e, &p->defer, docker_defer_cb, p) < 0)
		docker_defer_cb(NULL, p);   /* cannot happen short of ENOMEM; do not hang the pass */
}

/* The pass deadline: drop what is in flight and end with one message,
 * whichever of the pass timer or a request's own curl timeout (set to the
 * same instant) fires first. */
static void docker_deadline_hit(struct docker_prober *p)
{
	static const char *const what[] = { "", "the container list", "container inspects", "container logs" };
	char err[GW_TEXT];

	gw_fmt(err, sizeof err, "the engine at %s did not answer within %.1f s (%s)", p->sock, p->timeout,
	       what[p->phase]);
	docker_drop_all(p);
	docker_finish(p, err);
}

static int docker_deadline_cb(sd_event_source *src, uint64_t usec, void *ud)
{
	(void)src;
	(void)usec;
	docker_deadline_hit(ud);
	return 0;
}

static size_t docker_write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct docker_req *r = ud;
	size_t n = size * nmemb;

	if (!gw_buf_append(&r->buf, &r->len, r->max, ptr, n)) {
		r->overflow = 1;
		return 0;
	}
	return n;
}

/* ---------------------------------------------------------------- the client */

void docker_api_url(char *buf, size_t size, const char *path)
{
	gw_fmt(buf, size, "http://localhost" DOCKER_API "%s", path);
}

CURL *docker_engine_request(const char *sock, const char *path, long connect_ms, long timeout_ms,
			    char *errbuf, size_t (*write)(char *p, size_t size, size_t nmemb, void *ud),
			    void *ud)
{
	char url[GW_PATH];
	CURL *c = curl_easy_init();
	if (!c)
		return NULL;
	docker_api_url(url, sizeof url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	if (timeout_ms > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, ud);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "gwtop");
	return c;
}

static void docker_req_done(CURL *easy, CURLcode res, void *ud);

static int docker_id_ok(const char *id)
{
	return id[0] && strspn(id, "abcdefABCDEF0123456789_.-") == strlen(id);
}

static int docker_request(struct docker_prober *p, int kind, size_t idx)
{
	char path[GW_PATH];
	const char *id = kind == DOCKER_REQ_LIST ? "" : p->s->containers.v[idx].id;
	double left = p->deadline_at - gw_mono();
	long ms = left > 0.05 ? (long)(left * 1000) : 50;
	CURL *c;

	switch (kind) {
	case DOCKER_REQ_LIST:
		gw_fmt(path, sizeof path, "/containers/json?all=1");
		break;
	case DOCKER_REQ_INSPECT:
		if (!docker_id_ok(id))
			return -1;
		gw_fmt(path, sizeof path, "/containers/%s/json", id);
		break;
	default:
		if (!docker_id_ok(id))
			return -1;
		gw_fmt(path, sizeof path, "/containers/%s/logs?stdout=1&stderr=1&tail=%d&timestamps=1", id,
		       DOCKER_LOG_TAIL);
		break;
	}
	struct docker_req *r = gw_xcalloc(1, sizeof *r);
	if (!(c = docker_engine_request(p->sock, path, ms < 1000 ? ms : 1000L, ms, r->errbuf, docker_write_cb, r))) {
		free(r);
		return -1;
	}
	r->p = p;
	r->kind = kind;
	r->idx = idx;
	r->max = kind == DOCKER_REQ_LOGS ? DOCKER_LOGS_MAX : DOCKER_JSON_MAX;
	if (curlev_add(p->cv, c, docker_req_done, r) < 0) {
		free(r);
		return -1;
	}
	r->next = p->reqs;
	if (p->reqs)
		p->reqs->prev = r;
	p->reqs = r;
	p->inflight++;
	return 0;
}

/* A failed request: why, in one line. Returns 1 if it failed. */
static int docker_req_failed(CURL *easy, CURLcode res, struct docker_req *r, char *why, size_t n)
{
	long code = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	if (res != CURLE_OK) {
		gw_fmt(why, n, "%s", r->overflow ? "answer too big" : r->errbuf[0] ? r->errbuf : curl_easy_strerror(res));
		return 1;
	}
	if (code != 200) {
		char msg[200] = "";
		json_t *j = r->buf ? json_loadb(r->buf, r->len, 0, NULL) : NULL;
		docker_one_line(msg, sizeof msg, j ? docker_jstr(j, "message") : "");
		json_decref(j);
		gw_fmt(why, n, "HTTP %ld%s%s", code, msg[0] ? ": " : "", msg);
		return 1;
	}
	return 0;
}

static void docker_req_done(CURL *easy, CURLcode res, void *ud)
{
	struct docker_req *r = ud;
	struct docker_prober *p = r->p;
	struct gw_snapshot *s = p->s;
	char why[GW_TEXT], err[GW_TEXT];

	p->inflight--;
	if (p->phase == DOCKER_PH_IDLE) {
		docker_req_free(r);
		return;
	}
	/* each request's CURLOPT_TIMEOUT ends at the pass deadline: curl may
	 * see it a moment before the pass timer does (issue 20) */
	if (res == CURLE_OPERATION_TIMEDOUT && gw_mono() >= p->deadline_at - 0.05) {
		docker_req_free(r);
		docker_deadline_hit(p);
		return;
	}
	int failed = docker_req_failed(easy, res, r, why, sizeof why);
	switch (r->kind) {
	case DOCKER_REQ_LIST:
		if (failed) {
			gw_fmt(err, sizeof err, "engine at %s: GET /containers/json: %s", p->sock, why);
			docker_req_free(r);
			docker_finish(p, err);
			return;
		}
		if (docker_parse_list(s, r->buf ? r->buf : "", r->len, why, sizeof why) < 0) {
			gw_fmt(err, sizeof err, "engine at %s: %s", p->sock, why);
			docker_req_free(r);
			docker_finish(p, err);
			return;
		}
		s->docker_available = 1;
		gw_vec_clear(&p->extra);
		for (size_t i = 0; i < s->containers.n; i++)
			gw_vec_push(&p->extra);
		p->phase = DOCKER_PH_INSPECT;
		p->next = 0;
		break;
	case DOCKER_REQ_INSPECT: {
		struct gw_container *c = &s->containers.v[r->idx];
		if (failed) {
			long code = 0;
			curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
			if (code == 404)
				GW_COPY(c->state, "removed");   /* gone since the list */
			else if (!p->error[0])
				gw_fmt(p->error, sizeof p->error, "inspect %s: %s", c->name, why);
		} else if (docker_parse_inspect(c, r->buf, r->len, &p->extra.v[r->idx].tty, why, sizeof why) < 0 &&
			   !p->error[0]) {
			gw_fmt(p->error, sizeof p->error, "inspect %s: %s", c->name, why);
		}
		break;
	}
	default: {
		struct gw_container *c = &s->containers.v[r->idx];
		if (!failed && r->len)
			docker_logs_ingest(s, c, r->buf, r->len, p->extra.v[r->idx].tty);
		break;
	}
	}
	docker_req_free(r);
	docker_pump(p);
}

/* RestartCount across passes -> restarts_rising. */
static void docker_history(struct docker_prober *p, double now)
{
	struct gw_snapshot *s = p->s;

	for (size_t i = 0; i < s->containers.n; i++) {
		struct gw_container *c = &s->containers.v[i];
		struct docker_hist *h = NULL;
		for (size_t k = 0; k < p->hist.n; k++)
			if (!strcmp(p->hist.v[k].id, c->id))
				h = &p->hist.v[k];
		if (!h) {
			h = gw_vec_push(&p->hist);
			GW_COPY(h->id, c->id);
			h->restart_count = c->restart_count;
		} else if (c->restart_count > h->restart_count) {
			h->last_rise = now;
		}
		h->restart_count = c->restart_count;
		h->seen = now;
		c->restarts_rising = h->last_rise > 0 && now - h->last_rise < DOCKER_RISE_WINDOW;
	}
	for (size_t k = 0; k < p->hist.n;) {
		if (now - p->hist.v[k].seen > DOCKER_HIST_FORGET)
			p->hist.v[k] = p->hist.v[--p->hist.n];
		else
			k++;
	}
}

/* After every inspect: inside listeners, history, which logs to fetch. */
static void docker_after_inspect(struct docker_prober *p)
{
	struct gw_snapshot *s = p->s;
	double now = gw_now();

	docker_history(p, now);
	for (size_t i = 0; i < s->containers.n; i++) {
		struct gw_container *c = &s->containers.v[i];
		if (!strcmp(c->state, "running"))
			docker_read_inside(c);
	}
	size_t pick[DOCKER_MAX_LOGS];
	size_t n = docker_logs_pick(s, now, pick, DOCKER_MAX_LOGS);
	gw_vec_clear(&p->logq);
	for (size_t k = 0; k < n; k++)
		*(size_t *)gw_vec_push(&p->logq) = pick[k];
	p->phase = DOCKER_PH_LOGS;
	p->next = 0;
}

static void docker_pump(struct docker_prober *p)
{
	struct gw_snapshot *s = p->s;

	if (p->phase == DOCKER_PH_INSPECT) {
		while (p->inflight < DOCKER_PARALLEL && p->next < s->containers.n)
			docker_request(p, DOCKER_REQ_INSPECT, p->next++);
		if (p->inflight)
			return;
		docker_after_inspect(p);
	}
	if (p->phase == DOCKER_PH_LOGS) {
		while (p->inflight < DOCKER_PARALLEL && p->next < p->logq.n) {
			size_t i = p->logq.v[p->next++];
			docker_request(p, DOCKER_REQ_LOGS, i);
		}
		if (p->inflight)
			return;
		docker_finish(p, NULL);
	}
}

int docker_probe_start(struct docker_prober *p, struct gw_snapshot *s, const struct gw_options *o,
		       void (*done)(void *ud), void *ud)
{
	char why[GW_TEXT];

	if (!p || !s || !o)
		return -EINVAL;
	if (p->running)
		return -EBUSY;
	p->running = 1;
	p->s = s;
	p->o = o;
	p->done = done;
	p->ud = ud;
	p->t0 = gw_mono();
	p->error[0] = '\0';
	p->inflight = p->next = 0;
	p->timeout = o->probe_timeout > 0 ? o->probe_timeout : 3.0;
	p->deadline_at = p->t0 + p->timeout;
	s->docker_available = 0;
	s->docker_error[0] = '\0';

	if (!docker_find_socket(o->docker_socket, getenv("DOCKER_HOST"), p->sock, sizeof p->sock,
				why, sizeof why)) {
		GW_COPY(s->docker_socket, p->sock);
		snapshot_note(s, "docker", "%s: containers not checked", why);
		if (o->docker_socket && o->docker_socket[0])
			GW_COPY(s->docker_error, why);   /* asked for explicitly */
		struct gw_probe_status *ps = gw_vec_push(&s->probes);
		GW_COPY(ps->name, "docker");
		GW_COPY(ps->error, why);
		if (sd_event_add_defer(p->e, &p->defer, docker_defer_cb, p) < 0) {
			p->running = 0;
			return -ENOMEM;
		}
		return 0;
	}
	GW_COPY(s->docker_socket, p->sock);
	int r = sd_event_add_time_relative(p->e, &p->deadline, CLOCK_MONOTONIC, (uint64_t)(p->timeout * 1e6),
					   10000, docker_deadline_cb, p);
	if (r < 0) {
		p->running = 0;
		return r;
	}
	p->phase = DOCKER_PH_LIST;
	if (docker_request(p, DOCKER_REQ_LIST, 0) < 0) {
		docker_finish(p, "cannot start a request to the engine (curl)");
		return 0;
	}
	return 0;
}
