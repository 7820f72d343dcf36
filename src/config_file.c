/* config_file.c — parse the optional `key = value` config file into the
 * same struct gw_options the flags fill. See config_file.h for the syntax,
 * the precedence and who owns what. */
#include "config_file.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sanitize.h"

#define CONFIG_FILE_MAX (256 * 1024)
#define CONFIG_FILE_SYS "/etc/gwtop.conf"

enum config_file_kind { CF_STRING, CF_PATH, CF_LIST, CF_SECONDS, CF_BOOL, CF_EXTRA };

typedef GW_VEC(const char *) config_file_list;

struct config_file_key {
	const char *name;
	enum config_file_kind kind;
	size_t off;             /* offset of the field in gw_options (not CF_EXTRA) */
};

#define CF_OFF(f) offsetof(struct gw_options, f)

static const struct config_file_key config_file_keys[] = {
	{ "nginx-conf", CF_STRING, CF_OFF(nginx_conf) },
	{ "nginx-bin", CF_STRING, CF_OFF(nginx_bin) },
	{ "error-log", CF_LIST, CF_OFF(error_logs) },
	{ "access-log", CF_LIST, CF_OFF(access_logs) },
	{ "app-log", CF_LIST, CF_OFF(app_logs) },
	{ "unit", CF_LIST, CF_OFF(units) },
	{ "upstream", CF_LIST, CF_OFF(upstreams) },
	{ "interval", CF_SECONDS, CF_OFF(interval) },
	{ "window", CF_SECONDS, CF_OFF(recent_window) },
	{ "timeout", CF_SECONDS, CF_OFF(probe_timeout) },
	{ "read-only", CF_BOOL, CF_OFF(read_only) },
	{ "probe-path", CF_STRING, CF_OFF(probe_path) },
	{ "no-probe-through", CF_BOOL, CF_OFF(no_probe_through) },
	{ "no-color", CF_BOOL, CF_OFF(no_color) },
	{ "docker-socket", CF_PATH, CF_OFF(docker_socket) },
	{ "theme", CF_EXTRA, 0 },
};
#define CONFIG_FILE_NKEYS (sizeof config_file_keys / sizeof *config_file_keys)

/* Module state: every string we handed out, the values of CF_EXTRA keys and
 * which lists hold config values that the first flag must drop. */
static GW_VEC(char *) config_file_strings;
static const char *config_file_extra[CONFIG_FILE_NKEYS];
static unsigned config_file_lists_from_file;
static int config_file_ignored;          /* files skipped as untrusted (root) */

static const struct config_file_key *config_file_find(const char *name)
{
	for (size_t i = 0; i < CONFIG_FILE_NKEYS; i++)
		if (!strcmp(config_file_keys[i].name, name))
			return &config_file_keys[i];
	return NULL;
}

static const char *config_file_keep(const char *s)
{
	char *c = gw_xstrdup(s);
	*gw_vec_push(&config_file_strings) = c;
	return c;
}

/* A value (or key, or path) from the file, safe to echo: masked,
 * sanitized, cut to 64 columns' worth. Returns buf. */
static const char *config_file_show(char *buf, size_t size, const char *v)
{
	size_t n = strlen(v);
	sanitize_text(buf, size, v, n > 200 ? 200 : n);
	return buf;
}

static int config_file_fail(char *err, size_t errsz, const char *path, int line,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int config_file_fail(char *err, size_t errsz, const char *path, int line,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (err && errsz) {
		char shown[700];
		config_file_show(shown, sizeof shown, path);
		if (line > 0)
			gw_fmt(err, errsz, "%s:%d: %s", shown, line, msg);
		else
			gw_fmt(err, errsz, "%s: %s", shown, msg);
	}
	return -1;
}

static int config_file_bool(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i])) { *out = 1; return 0; }
		if (!strcasecmp(v, no[i])) { *out = 0; return 0; }
	}
	return -1;
}

/* Same bounds as the flags: seconds > 0 and <= one day. */
static int config_file_seconds(const char *v, double *out)
{
	char *end;
	double d;
	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || !(d > 0) || d > 86400)
		return -1;
	*out = d;
	return 0;
}

/* Apply one key/value; msg gets the reason on failure. */
static int config_file_apply(const struct config_file_key *k, const char *v,
    struct gw_options *o, char *msg, size_t msgsz)
{
	char *field = (char *)o + k->off;
	char shown[700];
	int b;

	switch (k->kind) {
	case CF_PATH:
		if (v[0] != '/') {
			gw_fmt(msg, msgsz, "%s wants an absolute path, not '%s'", k->name, config_file_show(shown, sizeof shown, v));
			return -1;
		}
		/* fall through */
	case CF_STRING:
		*(const char **)field = config_file_keep(v);
		return 0;
	case CF_LIST: {
		config_file_list *l = (config_file_list *)field;
		*gw_vec_push(l) = config_file_keep(v);
		config_file_lists_from_file |= 1u << (k - config_file_keys);
		return 0;
	}
	case CF_SECONDS:
		if (config_file_seconds(v, (double *)field) < 0) {
			gw_fmt(msg, msgsz, "%s wants a number of seconds > 0 and <= 86400, not '%s'",
			    k->name, config_file_show(shown, sizeof shown, v));
			return -1;
		}
		return 0;
	case CF_BOOL:
		if (config_file_bool(v, &b) < 0) {
			gw_fmt(msg, msgsz, "%s wants yes or no, not '%s'", k->name, config_file_show(shown, sizeof shown, v));
			return -1;
		}
		*(int *)field = b;
		return 0;
	case CF_EXTRA:
		if (!strcmp(k->name, "theme") && strcmp(v, "default") && strcmp(v, "colorblind")) {
			gw_fmt(msg, msgsz, "theme wants default or colorblind, not '%s'", config_file_show(shown, sizeof shown, v));
			return -1;
		}
		config_file_extra[k - config_file_keys] = config_file_keep(v);
		return 0;
	}
	return -1;
}

static char *config_file_trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* Parse one line (NUL-terminated, no '\n'). 0 ok, -1 with msg. */
static int config_file_line(char *line, struct gw_options *o, char *msg, size_t msgsz)
{
	char *s = config_file_trim(line);
	if (!*s || *s == '#')
		return 0;
	char *eq = strchr(s, '=');
	if (!eq) {
		gw_fmt(msg, msgsz, "expected 'key = value'");
		return -1;
	}
	*eq = '\0';
	char *key = config_file_trim(s), *val = config_file_trim(eq + 1);
	if (!*key) {
		gw_fmt(msg, msgsz, "missing key before '='");
		return -1;
	}
	if (key[0] == '-' && key[1] == '-')
		key += 2;                            /* tolerate "--unit = x" */
	const struct config_file_key *k = config_file_find(key);
	if (!k) {
		char shown[256];
		gw_fmt(msg, msgsz, "unknown key '%.64s' (keys are long option names, e.g. nginx-conf, upstream, interval)",
		    config_file_show(shown, sizeof shown, key));
		return -1;
	}
	size_t vl = strlen(val);
	if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
		val[vl - 1] = '\0';
		val++;
	} else if (vl == 1 && val[0] == '"') {
		gw_fmt(msg, msgsz, "unterminated quote in the value of %s", k->name);
		return -1;
	}
	if (!*val) {
		gw_fmt(msg, msgsz, "%s has an empty value", k->name);
		return -1;
	}
	return config_file_apply(k, val, o, msg, msgsz);
}

/* Read path into a new buffer through one fd (what is checked is what is
 * read). As root (euid 0) the file must be a regular file, not a symlink,
 * owned by root and writable by root only; otherwise NULL with errno
 * EPERM and why in untrusted. */
static char *config_file_read(const char *path, size_t *len, char *untrusted, size_t usz)
{
	int root = geteuid() == 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (root ? O_NOFOLLOW : 0));
	struct stat st;
	untrusted[0] = '\0';
	if (fd < 0) {
		if (root && errno == ELOOP)
			gw_fmt(untrusted, usz, "it is a symbolic link");
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;   /* an error, not a note */
		return NULL;
	}
	if (root && st.st_uid != 0) {
		struct passwd *pw = getpwuid(st.st_uid);
		char who[128];
		if (pw) config_file_show(who, sizeof who, pw->pw_name);
		else gw_fmt(who, sizeof who, "uid %u", (unsigned)st.st_uid);
		gw_fmt(untrusted, usz, "owned by %s, not root", who);
	} else if (root && (st.st_mode & (S_IWGRP | S_IWOTH))) {
		gw_fmt(untrusted, usz, "writable by %s (mode %04o)",
		    (st.st_mode & S_IWOTH) ? "everyone" : "its group", (unsigned)(st.st_mode & 07777));
	}
	if (untrusted[0]) {
		close(fd);
		errno = EPERM;
		return NULL;
	}
	size_t cap = 4096, n = 0;
	char *buf = gw_xmalloc(cap + 1);
	for (;;) {
		if (n == cap) {
			if (cap > CONFIG_FILE_MAX) break;
			cap *= 2;
			buf = gw_xrealloc(buf, cap + 1);
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR) continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			errno = e;
			return NULL;
		}
		if (r == 0) break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

int config_file_load(const char *path, struct gw_options *o, char *err, size_t errsz)
{
	size_t len = 0;
	char untrusted[256];
	char *buf = config_file_read(path, &len, untrusted, sizeof untrusted);
	if (!buf && untrusted[0]) {
		/* as root: never take settings (nginx-bin!) from a file another
		 * user could write; a note, not an error: the defaults apply */
		char shown[700];
		fprintf(stderr, "gwtop: note: ignoring the config file %s: %s; running as root, gwtop reads "
		    "only config files that root owns and only root can write (chown root: / chmod go-w it)\n",
		    config_file_show(shown, sizeof shown, path), untrusted);
		config_file_ignored++;
		return 0;
	}
	if (!buf && errno == EINVAL)
		return config_file_fail(err, errsz, path, 0, "not a regular file");
	if (!buf)
		return config_file_fail(err, errsz, path, 0, "%s", strerror(errno));
	if (len > CONFIG_FILE_MAX) {
		free(buf);
		return config_file_fail(err, errsz, path, 0, "larger than %d bytes", CONFIG_FILE_MAX);
	}
	if (memchr(buf, '\0', len)) {
		int line = 1;
		for (const char *p = buf; *p; p++)
			line += *p == '\n';
		free(buf);
		return config_file_fail(err, errsz, path, line, "NUL byte: not a text file");
	}

	int lineno = 0, rc = 0;
	char *p = buf, msg[512];
	while (*p) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		lineno++;
		if (config_file_line(p, o, msg, sizeof msg) < 0) {
			rc = config_file_fail(err, errsz, path, lineno, "%s", msg);
			break;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	free(buf);
	return rc;
}

void config_file_user_path(char *buf, size_t size)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (xdg && xdg[0] == '/')               /* the XDG spec: relative = invalid */
		gw_fmt(buf, size, "%s/gwtop/config", xdg);
	else if (home && *home)
		gw_fmt(buf, size, "%s/.config/gwtop/config", home);
	else if (size)
		buf[0] = '\0';
}

int config_file_load_default(const char *sys_path, struct gw_options *o, char *err, size_t errsz)
{
	char user[4096];
	const char *paths[2];
	int n = 0;

	config_file_user_path(user, sizeof user);
	paths[0] = sys_path ? sys_path : CONFIG_FILE_SYS;
	paths[1] = user;
	for (int i = 0; i < 2; i++) {
		if (!paths[i][0])
			continue;
		if (access(paths[i], R_OK) < 0) {
			/* an implicit file we may not read (another user's HOME, a
			 * root-only /etc/gwtop.conf) is skipped with a warning */
			if (errno != ENOENT) {
				char shown[700];
				fprintf(stderr, "gwtop: warning: cannot read %s: %s (ignored)\n",
				    config_file_show(shown, sizeof shown, paths[i]), strerror(errno));
			}
			continue;
		}
		int before = config_file_ignored;
		if (config_file_load(paths[i], o, err, errsz) < 0)
			return -1;
		if (config_file_ignored == before)
			n++;
	}
	return n;
}

void config_file_list_flag(struct gw_options *o, const char *key)
{
	const struct config_file_key *k = config_file_find(key);
	if (!k || k->kind != CF_LIST)
		return;
	unsigned bit = 1u << (k - config_file_keys);
	if (!(config_file_lists_from_file & bit))
		return;
	config_file_lists_from_file &= ~bit;
	gw_vec_clear((config_file_list *)((char *)o + k->off));
}

const char *config_file_value(const char *key)
{
	const struct config_file_key *k = config_file_find(key);
	return k && k->kind == CF_EXTRA ? config_file_extra[k - config_file_keys] : NULL;
}

void config_file_free(void)
{
	for (size_t i = 0; i < config_file_strings.n; i++)
		free(config_file_strings.v[i]);
	gw_vec_free(&config_file_strings);
	memset(config_file_extra, 0, sizeof config_file_extra);
	config_file_lists_from_file = 0;
	config_file_ignored = 0;
}
