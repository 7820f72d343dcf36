/* test_report.c — text, JSON and Prometheus reports on fixture snapshots
 * and diagnoses (healthy, socket_permission with hostile strings, unknown).
 * JSON is re-parsed with jansson and checked against the version-1
 * contract; text and Prometheus output are checked byte by byte. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model.h"
#include "report.h"

#define FFFD "\xef\xbf\xbd"

/* A string with everything a terminal must never see. */
static const char hostile[] =
	"connect() to unix:/run/gunicorn.sock failed (13: Permission denied)"
	" \x1b[31mRED\x1b[0m \x1b]0;pwned\x07 \x9b" "2J \xc2\x9b" "H \xe2\x80\xae" "evil"
	" \xff\xfe \xc0\xaf \xed\xa0\x80 tab\there\r\nnext line \"q\" back\\slash \x7f end\xe2\x82";

/* ---------------------------------------------------------------- fixtures */

struct fixture {
	struct gw_snapshot s;
	struct gw_diagnosis d;
};

static struct gw_finding *add_finding(struct gw_diagnosis *d, const char *cause,
    enum gw_severity sev, enum gw_hop hop, const char *summary)
{
	struct gw_finding *f = gw_vec_push(&d->findings);
	int id = gw_cause_by_id(cause);
	assert_true(id >= 0);
	f->cause = (enum gw_cause)id;
	f->severity = sev;
	f->hop = hop;
	GW_COPY(f->summary, summary);
	return f;
}

static struct gw_target *add_target(struct gw_snapshot *s, const char *display, const char *directive)
{
	struct gw_target *t = gw_vec_push(&s->targets);
	GW_COPY(t->display, display);
	GW_COPY(t->directive, directive);
	GW_COPY(t->scheme, "http");
	t->listener_idx = -1;
	return t;
}

static void add_probe(struct gw_snapshot *s, const char *name, double dur, const char *err)
{
	struct gw_probe_status *p = gw_vec_push(&s->probes);
	GW_COPY(p->name, name);
	p->duration = dur;
	p->last_ok = err ? 0 : 1700000000.0;
	if (err)
		GW_COPY(p->error, err);
}

static void base_snapshot(struct gw_snapshot *s)
{
	snapshot_init(s);
	s->taken = gw_now() - 1.5;
	s->finished = gw_now() - 1.0;
	s->is_root = 1;
	GW_COPY(s->hostname, "web1");
	add_probe(s, "config", 0.004, NULL);
	add_probe(s, "upstream", 0.012, NULL);
}

static void hop(struct gw_diagnosis *d, enum gw_hop h, enum gw_hop_status st, const char *detail)
{
	d->hops[h].status = st;
	GW_COPY(d->hops[h].detail, detail);
}

static void make_healthy(struct fixture *fx)
{
	memset(fx, 0, sizeof *fx);
	base_snapshot(&fx->s);
	struct gw_target *t = add_target(&fx->s, "127.0.0.1:8000", "proxy_pass");
	GW_COPY(t->pass_loc.file, "/etc/nginx/sites-enabled/app");
	t->pass_loc.line = 12;
	t->probed = t->reachable = t->http_ok = 1;
	t->http_status = 200;
	t->connect_ms = 0.2;
	t->total_ms = 3.4;
	struct gw_listener *l = gw_vec_push(&fx->s.listeners);
	l->family = 2;
	GW_COPY(l->addr, "127.0.0.1");
	l->port = 8000;
	l->pid = 4242;
	GW_COPY(l->comm, "gunicorn");
	t->listener_idx = 0;

	fx->d.verdict = -1;
	fx->d.status = GW_SEV_OK;
	hop(&fx->d, GW_HOP_NGINX, GW_HS_OK, "nginx -t ok, master 100, 2 workers");
	hop(&fx->d, GW_HOP_UPSTREAM, GW_HS_OK, "127.0.0.1:8000 HTTP 200");
	hop(&fx->d, GW_HOP_APP, GW_HS_OK, "gunicorn.service active");
	hop(&fx->d, GW_HOP_DB, GW_HS_UNKNOWN, "");
	add_finding(&fx->d, "nginx_config_stale", GW_SEV_INFO, GW_HOP_NGINX, "informational only");
}

static void make_sockperm(struct fixture *fx)
{
	memset(fx, 0, sizeof *fx);
	base_snapshot(&fx->s);
	fx->s.is_root = 0;
	GW_COPY(fx->s.hostname, "web\x1b[2J\xff");
	struct gw_target *t = add_target(&fx->s, "unix:/run/app\"x\\y\n\x1b[1m\xe2\x80\xae.sock", "proxy_pass");
	GW_COPY(t->upstream_name, "app");
	GW_COPY(t->pass_loc.file, "/etc/nginx/conf.d/\x1b]0;x\x07.conf");
	t->pass_loc.line = 7;
	t->probed = 1;
	t->err = 13;
	GW_COPY(t->error, "Couldn't connect to server");
	t->perm_checked = 1;
	t->exists = 1;
	GW_COPY(t->perm_path, "/run/app");
	GW_COPY(t->perm_detail, "drwx------ root root /run/app: no search (x) for www-data");
	/* same display twice (two pass lines): Prometheus must not repeat a series */
	struct gw_target *t2 = add_target(&fx->s, t->display, "proxy_pass");
	GW_COPY(t2->upstream_name, "app");
	t2->probed = 1;
	t2->err = 13;
	struct gw_target *t3 = add_target(&fx->s, "127.0.0.1:9000", "fastcgi_pass");
	t3->probed = t3->reachable = t3->not_http = 1;
	t3->connect_ms = 0.5;
	add_target(&fx->s, "[::1]:8001", "proxy_pass");   /* not probed */
	snapshot_note(&fx->s, "listeners", "reading /proc/N/fd needs root: owners of sockets unknown");
	snapshot_note(&fx->s, "logs", "/var/log/nginx/error.log: Permission denied \x1b[5m");
	add_probe(&fx->s, "perm\"\\\x01", 0.001, "hostile \x1b");

	fx->d.verdict = 0;
	fx->d.status = GW_SEV_CRIT;
	hop(&fx->d, GW_HOP_NGINX, GW_HS_OK, "running");
	hop(&fx->d, GW_HOP_UPSTREAM, GW_HS_FAIL, hostile);
	hop(&fx->d, GW_HOP_APP, GW_HS_WARN, "gunicorn up, 2\xe2\x80\xaf" "workers");
	hop(&fx->d, GW_HOP_DB, GW_HS_UNKNOWN, "not checked");
	struct gw_finding *f = add_finding(&fx->d, "socket_permission", GW_SEV_CRIT, GW_HOP_UPSTREAM,
	    "nginx (www-data) cannot open unix:/run/app.sock \x1b[31m");
	f->nevidence = 3;
	GW_COPY(f->evidence[0], hostile);
	GW_COPY(f->evidence[1], "drwx------ root root /run/app");
	GW_COPY(f->evidence[2], "nginx: [emerg] line one\nline two\r\n");
	f->nfix = 1;
	GW_COPY(f->fix[0], "chmod o+x /run/app or add www-data to the app's group");
	f->ncommands = 2;
	GW_COPY(f->commands[0], "namei -l /run/app.sock");
	GW_COPY(f->commands[1], "sudo -u www-data test -w /run/app.sock\x07");
	add_finding(&fx->d, "socket_permission", GW_SEV_CRIT, GW_HOP_UPSTREAM, "duplicate of the first");
	struct gw_finding *w = add_finding(&fx->d, "upstream_timeout", GW_SEV_WARN, GW_HOP_APP, "slow \xc0");
	w->nevidence = 99;             /* out of range: must be clamped */
	w->nfix = -3;
}

static void make_unknown(struct fixture *fx)
{
	memset(fx, 0, sizeof *fx);
	snapshot_init(&fx->s);       /* nothing probed: times 0, no hostname */
	fx->d.unknown = 1;
	fx->d.verdict = -1;
	fx->d.status = GW_SEV_OK;
	GW_COPY(fx->d.unknown_reason, "--nginx-conf /nope/nginx.conf: No such file or directory \xff");
}

static void fixture_free(struct fixture *fx)
{
	snapshot_free(&fx->s);
	gw_vec_free(&fx->d.findings);
}

/* ---------------------------------------------------------------- checks */

/* Independent UTF-8 validity (RFC 3629) plus the terminal rules:
 * returns 0 on the first forbidden code point. allow: extra C0 allowed. */
static int clean_utf8(const unsigned char *s, size_t len, const char *allow)
{
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		unsigned long cp;
		size_t n;
		if (c < 0x80) { cp = c; n = 1; }
		else if ((c & 0xE0) == 0xC0) { cp = c & 0x1F; n = 2; }
		else if ((c & 0xF0) == 0xE0) { cp = c & 0x0F; n = 3; }
		else if ((c & 0xF8) == 0xF0) { cp = c & 0x07; n = 4; }
		else return 0;
		if (i + n > len) return 0;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xC0) != 0x80) return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0;
		if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
		if (cp < 0x20 && !(cp && strchr(allow, (int)cp))) return 0;
		if (cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) return 0;
		if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) return 0;
		i += n;
	}
	return 1;
}

static char *capture_text(const struct fixture *fx, int color, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	assert_non_null(f);
	report_text(f, &fx->s, &fx->d, color);
	fclose(f);
	return buf;
}

static char *capture_prom(const struct fixture *fx, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	assert_non_null(f);
	report_prometheus(f, &fx->s, &fx->d);
	fclose(f);
	return buf;
}

static const char *jget_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		fail_msg("key \"%s\" is not a string", key);
	return json_string_value(v);
}

static int in_set(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return 1;
	return 0;
}

static void check_string_array(json_t *o, const char *key)
{
	json_t *a = json_object_get(o, key);
	if (!json_is_array(a))
		fail_msg("key \"%s\" is not an array", key);
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
		if (!json_is_string(v))
			fail_msg("%s[%zu] is not a string", key, i);
}

/* Parse and check the version-1 contract; returns the root (caller decrefs). */
static json_t *check_json_contract(const struct fixture *fx)
{
	static const char *const statuses[] = { "ok", "warn", "crit", "unknown", NULL };
	static const char *const hop_statuses[] = { "ok", "warn", "fail", "unknown", NULL };
	static const char *const sevs[] = { "ok", "info", "warn", "crit", NULL };
	static const char *const hop_order[] = { "client", "nginx", "upstream", "app", "db" };
	char *text = report_json(&fx->s, &fx->d);
	size_t tlen = strlen(text);
	assert_true(tlen > 2);
	assert_int_equal(text[tlen - 1], '\n');
	/* raw bytes: valid UTF-8, only '\n' as control (jansson escapes the rest) */
	assert_true(clean_utf8((const unsigned char *)text, tlen, "\n"));

	json_error_t err;
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &err);
	if (!root)
		fail_msg("JSON does not parse: %s at line %d: %s", err.text, err.line, text);
	free(text);

	assert_true(json_is_object(root));
	assert_true(json_is_integer(json_object_get(root, "version")));
	assert_int_equal(json_integer_value(json_object_get(root, "version")), 1);
	const char *status = jget_str(root, "status");
	assert_true(in_set(status, statuses));
	assert_string_equal(status, report_status_name(&fx->d));
	static const char *const by_code[] = { "ok", "warn", "crit", "unknown" };
	assert_string_equal(status, by_code[report_exit_code(&fx->d)]);
	assert_int_equal(json_integer_value(json_object_get(root, "exit_code")), report_exit_code(&fx->d));

	json_t *v = json_object_get(root, "verdict");
	assert_true(json_is_object(v));
	jget_str(v, "cause");
	jget_str(v, "hop");
	jget_str(v, "summary");

	json_t *hops = json_object_get(root, "hops");
	assert_true(json_is_array(hops));
	assert_int_equal(json_array_size(hops), 5);
	for (size_t i = 0; i < 5; i++) {
		json_t *h = json_array_get(hops, i);
		assert_true(json_is_object(h));
		assert_string_equal(jget_str(h, "id"), hop_order[i]);
		assert_true(in_set(jget_str(h, "status"), hop_statuses));
		jget_str(h, "detail");
	}

	json_t *fa = json_object_get(root, "findings");
	assert_true(json_is_array(fa));
	assert_int_equal(json_array_size(fa), fx->d.findings.n);
	size_t i;
	json_t *f;
	json_array_foreach(fa, i, f) {
		assert_true(json_is_object(f));
		jget_str(f, "cause");
		assert_true(in_set(jget_str(f, "severity"), sevs));
		jget_str(f, "hop");
		jget_str(f, "summary");
		check_string_array(f, "evidence");
		check_string_array(f, "fix");
		check_string_array(f, "commands");
	}

	/* extras */
	jget_str(root, "host");
	const char *gen = jget_str(root, "generated");
	assert_int_equal(strlen(gen), 20);
	assert_true(gen[4] == '-' && gen[10] == 'T' && gen[19] == 'Z');
	json_t *age = json_object_get(root, "probe_age_s");
	assert_true(json_is_number(age) || json_is_null(age));
	json_t *ta = json_object_get(root, "targets");
	assert_true(json_is_array(ta));
	assert_int_equal(json_array_size(ta), fx->s.targets.n);
	json_array_foreach(ta, i, f) {
		jget_str(f, "target");
		jget_str(f, "directive");
		assert_true(json_is_string(json_object_get(f, "config")) || json_is_null(json_object_get(f, "config")));
		assert_non_null(json_object_get(f, "reachable"));
		assert_non_null(json_object_get(f, "http_status"));
		assert_non_null(json_object_get(f, "error"));
		assert_non_null(json_object_get(f, "listener"));
	}
	check_string_array(root, "notes");
	assert_int_equal(json_array_size(json_object_get(root, "notes")), fx->s.notes.n);
	return root;
}

/* Prometheus text format checker: every sample line is
 * gwtop_name{label="value",...} value, with HELP and TYPE before it, label
 * values escaped, no series repeated. */
static void check_prometheus(const char *text, size_t len)
{
	char help[64][80], type[64][80];
	int nhelp = 0, ntype = 0;
	char *seen[256];
	int nseen = 0, samples = 0;

	assert_true(clean_utf8((const unsigned char *)text, len, "\n"));
	assert_true(len > 0 && text[len - 1] == '\n');
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		assert_non_null(nl);
		size_t l = (size_t)(nl - p);
		char line[4096];
		assert_true(l < sizeof line);
		memcpy(line, p, l);
		line[l] = '\0';
		p = nl + 1;
		if (line[0] == '#') {
			char name[80], kind[16];
			if (sscanf(line, "# HELP %79s", name) == 1) {
				assert_true(strlen(line) > strlen("# HELP ") + strlen(name) + 1);
				assert_true(nhelp < 64);
				strcpy(help[nhelp++], name);
			} else if (sscanf(line, "# TYPE %79s %15s", name, kind) == 2) {
				assert_true(!strcmp(kind, "gauge") || !strcmp(kind, "counter"));
				assert_true(ntype < 64);
				strcpy(type[ntype++], name);
			} else {
				fail_msg("bad comment line: %s", line);
			}
			continue;
		}
		assert_true(line[0] != '\0');
		/* metric name */
		size_t k = 0;
		while (line[k] && (line[k] == '_' || line[k] == ':' || (line[k] >= 'a' && line[k] <= 'z') ||
		    (line[k] >= 'A' && line[k] <= 'Z') || (k > 0 && line[k] >= '0' && line[k] <= '9')))
			k++;
		char name[80];
		assert_true(k > 0 && k < sizeof name);
		memcpy(name, line, k);
		name[k] = '\0';
		if (strncmp(name, "gwtop_", 6) != 0)
			fail_msg("metric not prefixed gwtop_: %s", line);
		int has_help = 0, has_type = 0;
		for (int j = 0; j < nhelp; j++) has_help |= !strcmp(help[j], name);
		for (int j = 0; j < ntype; j++) has_type |= !strcmp(type[j], name);
		if (!has_help || !has_type)
			fail_msg("no HELP/TYPE before %s", name);
		size_t series_end = k;
		if (line[k] == '{') {
			k++;
			while (line[k] != '}') {
				size_t ls = k;
				while ((line[k] >= 'a' && line[k] <= 'z') || line[k] == '_' ||
				    (line[k] >= 'A' && line[k] <= 'Z') || (k > ls && line[k] >= '0' && line[k] <= '9'))
					k++;
				if (k == ls || line[k] != '=' || line[k + 1] != '"')
					fail_msg("bad label at %zu: %s", k, line);
				k += 2;
				while (line[k] != '"') {
					if (!line[k])
						fail_msg("unterminated label value: %s", line);
					if (line[k] == '\\') {
						if (line[k + 1] != '\\' && line[k + 1] != '"' && line[k + 1] != 'n')
							fail_msg("bad escape: %s", line);
						k++;
					}
					k++;
				}
				k++;
				if (line[k] == ',')
					k++;
				else if (line[k] != '}')
					fail_msg("bad label separator: %s", line);
			}
			k++;
			series_end = k;
		}
		if (line[k] != ' ')
			fail_msg("no space before value: %s", line);
		char *end;
		const char *val = line + k + 1;
		strtod(val, &end);
		if (end == val || *end != '\0')
			fail_msg("bad value: %s", line);
		line[series_end] = '\0';
		for (int j = 0; j < nseen; j++)
			if (!strcmp(seen[j], line))
				fail_msg("duplicate series: %s", line);
		assert_true(nseen < 256);
		seen[nseen++] = strdup(line);
		samples++;
	}
	assert_true(samples >= 5);
	for (int j = 0; j < nseen; j++)
		free(seen[j]);
}

/* Second opinion from the official Python client's parser, when Debian's
 * python3-prometheus-client is installed (optional: skipped otherwise).
 * Returns 1 parsed ok, 0 not available, fails the test on a parse error. */
static int check_prometheus_python(const char *text, size_t len)
{
	static const char script[] =
		"import sys\n"
		"try:\n"
		"    from prometheus_client.parser import text_string_to_metric_families\n"
		"except ImportError:\n"
		"    sys.exit(77)\n"
		"n = sum(len(f.samples) for f in text_string_to_metric_families(open(sys.argv[1]).read()))\n"
		"sys.exit(0 if n > 0 else 1)\n";
	if (access("/usr/bin/python3", X_OK) != 0)
		return 0;
	char dir[] = "/tmp/gwtop-test-report-XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/metrics.prom", dir);
	FILE *f = fopen(path, "w");
	int ok = f && fwrite(text, 1, len, f) == len;
	if (f)
		ok &= fclose(f) == 0;
	int status = -1;
	pid_t pid = ok ? fork() : -1;
	if (pid == 0) {
		execl("/usr/bin/python3", "python3", "-c", script, path, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0)
			;
	unlink(path);
	rmdir(dir);
	assert_true(ok && pid > 0);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		return 0;
	if (WEXITSTATUS(status) != 0)
		fail_msg("prometheus_client could not parse the output (exit %d)", WEXITSTATUS(status));
	return 1;
}

/* text without colour: only '\n' as control, valid UTF-8 */
static void check_plain_text(const char *t, size_t len)
{
	assert_true(clean_utf8((const unsigned char *)t, len, "\n"));
	assert_null(memchr(t, 0x1b, len));
}

/* text with colour: every ESC starts an SGR sequence ESC [ digits ; m */
static void check_color_text(const char *t, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c == 0x1b) {
			size_t k = i + 1;
			assert_true(k < len && t[k] == '[');
			k++;
			while (k < len && ((t[k] >= '0' && t[k] <= '9') || t[k] == ';'))
				k++;
			assert_true(k < len && t[k] == 'm');
			i = k;
		} else if (c < 0x20 && c != '\n') {
			fail_msg("control byte %#x at %zu", c, i);
		}
	}
}

/* ---------------------------------------------------------------- tests */

static void test_exit_codes(void **state)
{
	(void)state;
	struct fixture fx;
	make_healthy(&fx);
	assert_int_equal(report_exit_code(&fx.d), 0);
	fx.d.status = GW_SEV_INFO;
	assert_int_equal(report_exit_code(&fx.d), 0);
	fx.d.status = GW_SEV_WARN;
	assert_int_equal(report_exit_code(&fx.d), 1);
	assert_string_equal(report_status_name(&fx.d), "warn");
	fx.d.status = GW_SEV_CRIT;
	assert_int_equal(report_exit_code(&fx.d), 2);
	fx.d.unknown = 1;                      /* unknown wins over crit */
	assert_int_equal(report_exit_code(&fx.d), 3);
	assert_string_equal(report_status_name(&fx.d), "unknown");
	assert_int_equal(report_exit_code(NULL), 3);
	fixture_free(&fx);
}

static void test_json_healthy(void **state)
{
	(void)state;
	struct fixture fx;
	make_healthy(&fx);
	json_t *root = check_json_contract(&fx);
	assert_string_equal(jget_str(root, "status"), "ok");
	json_t *v = json_object_get(root, "verdict");
	assert_string_equal(jget_str(v, "cause"), "healthy");
	assert_string_equal(jget_str(v, "hop"), "none");
	assert_string_equal(jget_str(v, "summary"), "every hop answered (1/1 upstream target reachable)");
	/* a stale config is no error answer for the client: null, present */
	json_t *f0 = json_array_get(json_object_get(root, "findings"), 0);
	assert_non_null(json_object_get(f0, "client_status"));
	assert_true(json_is_null(json_object_get(f0, "client_status")));
	json_t *t = json_array_get(json_object_get(root, "targets"), 0);
	assert_string_equal(jget_str(t, "target"), "127.0.0.1:8000");
	assert_string_equal(jget_str(t, "config"), "/etc/nginx/sites-enabled/app:12");
	assert_true(json_is_true(json_object_get(t, "reachable")));
	assert_int_equal(json_integer_value(json_object_get(t, "http_status")), 200);
	assert_true(json_is_null(json_object_get(t, "error")));
	assert_string_equal(jget_str(t, "listener"), "127.0.0.1:8000 pid 4242 (gunicorn)");
	double age = json_number_value(json_object_get(root, "probe_age_s"));
	assert_true(age >= 0.9 && age < 30);
	assert_string_equal(jget_str(root, "host"), "web1");
	json_decref(root);
	fixture_free(&fx);
}

static void test_json_sockperm_hostile(void **state)
{
	(void)state;
	struct fixture fx;
	make_sockperm(&fx);
	json_t *root = check_json_contract(&fx);
	assert_string_equal(jget_str(root, "status"), "crit");
	json_t *v = json_object_get(root, "verdict");
	assert_string_equal(jget_str(v, "cause"), "socket_permission");
	assert_string_equal(jget_str(v, "hop"), "upstream");
	json_t *f = json_array_get(json_object_get(root, "findings"), 0);
	json_t *ev = json_object_get(f, "evidence");
	assert_int_equal(json_array_size(ev), 3);
	const char *e0 = json_string_value(json_array_get(ev, 0));
	/* ESC survives as data (JSON escaped it), C1 / bidi / invalid became U+FFFD */
	assert_non_null(strstr(e0, "\x1b[31mRED"));
	assert_non_null(strstr(e0, FFFD "2J " FFFD "H " FFFD "evil " FFFD FFFD " " FFFD FFFD " " FFFD FFFD FFFD));
	assert_non_null(strstr(e0, "tab\there\r\nnext"));
	assert_non_null(strstr(e0, "end" FFFD));
	assert_int_equal(json_array_size(json_object_get(f, "commands")), 2);
	assert_string_equal(jget_str(json_array_get(json_object_get(root, "hops"), 2), "status"), "fail");
	/* what the client gets, from the cause registry (socket_permission: 502,
	 * upstream_timeout: 504) */
	assert_int_equal(json_integer_value(json_object_get(f, "client_status")), 502);
	/* clamped counts */
	json_t *w = json_array_get(json_object_get(root, "findings"), 2);
	assert_int_equal(json_integer_value(json_object_get(w, "client_status")), 504);
	assert_int_equal(json_array_size(json_object_get(w, "evidence")), GW_MAX_EVIDENCE);
	assert_int_equal(json_array_size(json_object_get(w, "fix")), 0);
	assert_string_equal(jget_str(w, "summary"), "slow " FFFD);
	/* target with permission detail, error, upstream name */
	json_t *t = json_array_get(json_object_get(root, "targets"), 0);
	assert_string_equal(jget_str(t, "upstream"), "app");
	assert_true(json_is_false(json_object_get(t, "reachable")));
	assert_true(json_is_null(json_object_get(t, "http_status")));
	assert_string_equal(jget_str(t, "error"), "connect failed (13: Permission denied)");
	assert_true(json_is_false(json_object_get(t, "permission_ok")));
	json_t *t4 = json_array_get(json_object_get(root, "targets"), 3);
	assert_true(json_is_null(json_object_get(t4, "reachable")));
	assert_false(json_is_true(json_object_get(root, "is_root")));
	assert_int_equal(json_array_size(json_object_get(root, "notes")), 2);
	assert_non_null(strstr(json_string_value(json_array_get(json_object_get(root, "notes"), 0)),
	    "listeners: reading /proc/N/fd"));
	json_decref(root);
	fixture_free(&fx);
}

static void test_json_unknown(void **state)
{
	(void)state;
	struct fixture fx;
	make_unknown(&fx);
	json_t *root = check_json_contract(&fx);
	assert_string_equal(jget_str(root, "status"), "unknown");
	json_t *v = json_object_get(root, "verdict");
	assert_string_equal(jget_str(v, "cause"), "unknown");
	assert_string_equal(jget_str(v, "summary"),
	    "--nginx-conf /nope/nginx.conf: No such file or directory " FFFD);
	assert_true(json_is_null(json_object_get(root, "probe_age_s")));
	assert_int_equal(json_array_size(json_object_get(root, "findings")), 0);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(jget_str(json_array_get(json_object_get(root, "hops"), i), "status"), "unknown");
	json_decref(root);
	fixture_free(&fx);
}

static void test_json_verdict_fallback(void **state)
{
	(void)state;
	/* crit status but no verdict index: the first crit/warn finding headlines */
	struct fixture fx;
	make_sockperm(&fx);
	fx.d.verdict = -1;
	json_t *root = check_json_contract(&fx);
	assert_string_equal(jget_str(json_object_get(root, "verdict"), "cause"), "socket_permission");
	json_decref(root);
	fixture_free(&fx);
}

static void test_text_utf8(void **state)
{
	(void)state;
	struct fixture fx;
	size_t len;
	assert_non_null(setlocale(LC_ALL, "C.UTF-8"));
	make_sockperm(&fx);
	char *t = capture_text(&fx, 0, &len);
	check_plain_text(t, len);
	assert_true(gw_starts_with(t, "gwtop: CRIT \xe2\x80\x94 socket_permission (upstream): nginx (www-data) cannot open"));
	assert_non_null(strstr(t, "\xe2\x9c\x97 upstream "));     /* ✗ */
	assert_non_null(strstr(t, "\xe2\x9c\x93 nginx "));        /* ✓ */
	assert_non_null(strstr(t, "? db "));
	assert_non_null(strstr(t, "    evidence: connect() to unix:/run/gunicorn.sock failed (13: Permission denied)"));
	/* multi-line evidence is split and aligned, CR LF dropped */
	assert_non_null(strstr(t, "    evidence: nginx: [emerg] line one\n              line two\n"));
	assert_non_null(strstr(t, "    fix: chmod o+x /run/app"));
	assert_non_null(strstr(t, "    run: namei -l /run/app.sock\n"));
	assert_non_null(strstr(t, "run: sudo -u www-data test -w /run/app.sock" FFFD "\n"));
	assert_non_null(strstr(t, "notes (what gwtop could not see):\n  - listeners: reading /proc/N/fd"));
	assert_non_null(strstr(t, "connect failed (13: Permission denied)"));
	free(t);

	t = capture_text(&fx, 1, &len);
	check_color_text(t, len);
	assert_non_null(strstr(t, "\033[1;31mCRIT\033[0m"));
	free(t);
	fixture_free(&fx);

	make_healthy(&fx);
	t = capture_text(&fx, 0, &len);
	check_plain_text(t, len);
	assert_true(gw_starts_with(t, "gwtop: OK \xe2\x80\x94 healthy: every hop answered"));
	assert_non_null(strstr(t, "HTTP 200 in 3.4 ms; listener 127.0.0.1:8000 pid 4242 (gunicorn)"));
	free(t);
	fixture_free(&fx);

	make_unknown(&fx);
	t = capture_text(&fx, 0, &len);
	check_plain_text(t, len);
	assert_true(gw_starts_with(t, "gwtop: UNKNOWN \xe2\x80\x94 --nginx-conf /nope/nginx.conf"));
	free(t);
	fixture_free(&fx);
}

static void test_text_ascii_locale(void **state)
{
	(void)state;
	struct fixture fx;
	size_t len;
	assert_non_null(setlocale(LC_ALL, "C"));
	make_sockperm(&fx);
	for (int color = 0; color <= 1; color++) {
		char *t = capture_text(&fx, color, &len);
		if (color) {
			check_color_text(t, len);
		} else {
			for (size_t i = 0; i < len; i++)
				if (t[i] != '\n' && (t[i] < 0x20 || t[i] >= 0x7f))
					fail_msg("non-ASCII byte %#x at %zu", (unsigned char)t[i], i);
			assert_true(gw_starts_with(t, "gwtop: CRIT - socket_permission (upstream): "));
			assert_non_null(strstr(t, "  FAIL upstream "));
			assert_non_null(strstr(t, "  ok   nginx "));
			assert_non_null(strstr(t, "  WARN app "));
			assert_non_null(strstr(t, "  ??   db "));
			assert_non_null(strstr(t, "?[31mRED?[0m"));
		}
		free(t);
	}
	fixture_free(&fx);
	setlocale(LC_ALL, "C.UTF-8");
}

static void test_prometheus(void **state)
{
	(void)state;
	void (*makers[])(struct fixture *) = { make_healthy, make_sockperm, make_unknown };
	for (size_t m = 0; m < 3; m++) {
		struct fixture fx;
		size_t len;
		makers[m](&fx);
		char *t = capture_prom(&fx, &len);
		check_prometheus(t, len);
		if (!check_prometheus_python(t, len) && m == 0)
			print_message("python3-prometheus-client not installed: second parser skipped\n");
		char want[64];
		snprintf(want, sizeof want, "\ngwtop_status %d\n", report_exit_code(&fx.d));
		assert_non_null(strstr(t, want));
		if (m == 0) {
			assert_non_null(strstr(t, "gwtop_verdict{cause=\"healthy\",hop=\"none\"} 1\n"));
			assert_non_null(strstr(t, "gwtop_hop_status{hop=\"nginx\"} 0\n"));
			assert_non_null(strstr(t, "gwtop_hop_status{hop=\"db\"} -1\n"));
			assert_non_null(strstr(t, "gwtop_target_up{target=\"127.0.0.1:8000\",directive=\"proxy_pass\",upstream=\"\"} 1\n"));
			assert_non_null(strstr(t, "gwtop_target_latency_seconds{target=\"127.0.0.1:8000\",directive=\"proxy_pass\",upstream=\"\"} 0.003400\n"));
			assert_non_null(strstr(t, "gwtop_probe_duration_seconds{probe=\"config\"} 0.004000\n"));
			assert_non_null(strstr(t, "gwtop_finding{cause=\"nginx_config_stale\",hop=\"nginx\",severity=\"info\"} 1\n"));
		} else if (m == 1) {
			assert_non_null(strstr(t, "gwtop_verdict{cause=\"socket_permission\",hop=\"upstream\"} 1\n"));
			assert_non_null(strstr(t, "gwtop_hop_status{hop=\"upstream\"} 2\n"));
			assert_non_null(strstr(t, "gwtop_hop_status{hop=\"app\"} 1\n"));
			/* quote and backslash escaped, newline/ESC/RLO sanitized */
			assert_non_null(strstr(t, "gwtop_target_up{target=\"unix:/run/app\\\"x\\\\y" FFFD FFFD "[1m" FFFD
			    ".sock\",directive=\"proxy_pass\",upstream=\"app\"} 0\n"));
			assert_non_null(strstr(t, "gwtop_target_up{target=\"127.0.0.1:9000\",directive=\"fastcgi_pass\",upstream=\"\"} 1\n"));
			assert_non_null(strstr(t, "gwtop_probe_ok{probe=\"perm\\\"\\\\" FFFD "\"} 0\n"));
			assert_non_null(strstr(t, "gwtop_notes 2\n"));
			assert_null(strstr(t, "[::1]:8001"));           /* not probed: no series */
		} else {
			assert_non_null(strstr(t, "gwtop_verdict{cause=\"unknown\",hop=\"none\"} 1\n"));
		}
		free(t);
		fixture_free(&fx);
	}
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_json_healthy),
		cmocka_unit_test(test_json_sockperm_hostile),
		cmocka_unit_test(test_json_unknown),
		cmocka_unit_test(test_json_verdict_fallback),
		cmocka_unit_test(test_text_utf8),
		cmocka_unit_test(test_text_ascii_locale),
		cmocka_unit_test(test_prometheus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
