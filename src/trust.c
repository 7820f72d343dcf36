/* trust.c — the trust rules of trust.h: safe paths, trusted processes,
 * opening files that processes name. Nothing here is cached; callers call
 * it when they are about to act (run nginx -t, open a log) or once per
 * process lifetime (procs.c). */
#include "trust.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define TRUST_MAX_LINKS 40

static int trust_mode = -1;

int trust_strict(void)
{
	return trust_mode >= 0 ? trust_mode : geteuid() == 0;
}

void trust_force(int mode)
{
	trust_mode = mode;
}

/* ---------------------------------------------------------------- safe paths */

static int trust_bad_owner(const char *path, const struct stat *st, char *why, size_t n)
{
	if (st->st_uid != 0) {
		gw_fmt(why, n, "%s is owned by uid %u, not root", path, (unsigned)st->st_uid);
		return 1;
	}
	return 0;
}

/* Walk path from / one name at a time with lstat, following symlinks by
 * hand. cur is the directory reached (checked); rest the names left. */
int trust_path_safe(const char *path, char *why, size_t whysize)
{
	char rest[PATH_MAX * 2], cur[PATH_MAX], tmp[PATH_MAX * 2];
	int links = 0;
	struct stat st;

	if (whysize) why[0] = '\0';
	if (!path || !path[0]) {
		gw_fmt(why, whysize, "empty path");
		return 0;
	}
	if (path[0] != '/') {
		if (!getcwd(cur, sizeof cur)) {
			gw_fmt(why, whysize, "%s: cannot know the current directory", path);
			return 0;
		}
		gw_fmt(rest, sizeof rest, "%s/%s", cur, path);
	} else {
		GW_COPY(rest, path);
	}
	if (strlen(rest) >= PATH_MAX) {
		gw_fmt(why, whysize, "%s: path too long", path);
		return 0;
	}
	if (lstat("/", &st) < 0 || trust_bad_owner("/", &st, why, whysize)) return 0;
	if (st.st_mode & 022) {
		gw_fmt(why, whysize, "/ is writable by group or others");
		return 0;
	}
	GW_COPY(cur, "/");
	int cur_sticky_open = 0;     /* cur is writable by others but sticky */
	char *p = rest;
	for (;;) {
		while (*p == '/') p++;
		if (!*p) break;
		char *e = p;
		while (*e && *e != '/') e++;
		char name[NAME_MAX + 1];
		size_t len = (size_t)(e - p);
		if (len > NAME_MAX) {
			gw_fmt(why, whysize, "%s: name too long", path);
			return 0;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p = e;
		int last = 1;
		for (const char *q = p; *q; q++)
			if (*q != '/') { last = 0; break; }
		if (!strcmp(name, ".")) continue;
		if (!strcmp(name, "..")) {
			/* the parent of a checked directory was checked before it */
			char *s = strrchr(cur, '/');
			if (s && s != cur) *s = '\0';
			else GW_COPY(cur, "/");
			cur_sticky_open = 0;
			continue;
		}
		char next[PATH_MAX];
		gw_fmt(next, sizeof next, "%s%s%s", cur, strcmp(cur, "/") ? "/" : "", name);
		if (lstat(next, &st) < 0) {
			/* nothing there, in a directory only root may change: no
			 * one else can create it (or anything below it) */
			if (errno == ENOENT && !cur_sticky_open) return 1;
			gw_fmt(why, whysize, "%s: %s", next, strerror(errno));
			return 0;
		}
		if (trust_bad_owner(next, &st, why, whysize)) return 0;
		if (S_ISLNK(st.st_mode)) {
			/* root's link in a directory only root may change */
			char target[PATH_MAX];
			ssize_t n = readlink(next, target, sizeof target - 1);
			if (n < 0 || ++links > TRUST_MAX_LINKS) {
				gw_fmt(why, whysize, "%s: %s", next, n < 0 ? strerror(errno) : "too many symbolic links");
				return 0;
			}
			target[n] = '\0';
			gw_fmt(tmp, sizeof tmp, "%s/%s", target, p);
			if (strlen(tmp) >= PATH_MAX) {
				gw_fmt(why, whysize, "%s: path too long", path);
				return 0;
			}
			GW_COPY(rest, tmp);
			p = rest;
			if (target[0] == '/') { GW_COPY(cur, "/"); cur_sticky_open = 0; }
			continue;
		}
		if (st.st_mode & 022) {
			if (!S_ISDIR(st.st_mode) || !(st.st_mode & S_ISVTX) || last) {
				gw_fmt(why, whysize, "%s is writable by group or others", next);
				return 0;
			}
			cur_sticky_open = 1;
		} else {
			cur_sticky_open = 0;
		}
		if (!last && !S_ISDIR(st.st_mode)) {
			gw_fmt(why, whysize, "%s: %s", next, strerror(ENOTDIR));
			return 0;
		}
		GW_COPY(cur, next);
	}
	return 1;
}

/* ---------------------------------------------------------------- cgroups */

/* Each '/'-separated component of cg in turn: fn returns 1 to stop. */
static int trust_cg_any(const char *cg, int (*fn)(const char *c, size_t n))
{
	const char *p = cg;
	while (p && *p) {
		while (*p == '/') p++;
		const char *e = p;
		while (*e && *e != '/') e++;
		if (e > p && fn(p, (size_t)(e - p))) return 1;
		p = e;
	}
	return 0;
}

static int trust_c_user(const char *c, size_t n)
{
	return n >= 5 && !memcmp(c, "user@", 5);
}

static int trust_c_has(const char *c, size_t n, const char *what)
{
	size_t w = strlen(what);
	for (size_t i = 0; i + w <= n; i++)
		if (!memcmp(c + i, what, w)) return 1;
	return 0;
}

static int trust_c_system(const char *c, size_t n)
{
	if (n > 8 && !memcmp(c + n - 8, ".service", 8)) return 1;
	return trust_c_has(c, n, "docker") || trust_c_has(c, n, "containerd") ||
	       trust_c_has(c, n, "libpod") || trust_c_has(c, n, "kubepods") ||
	       (n == 3 && !memcmp(c, "lxc", 3)) || gw_starts_with(c, "lxc.payload");
}

int trust_cgroup_user(const char *cgroup)
{
	return cgroup && trust_cg_any(cgroup, trust_c_user);
}

int trust_cgroup_system(const char *cgroup)
{
	if (!cgroup || trust_cgroup_user(cgroup)) return 0;
	return trust_cg_any(cgroup, trust_c_system);
}

int trust_app_process(uid_t uid, const char *cgroup)
{
	return uid == 0 || trust_cgroup_system(cgroup);
}

/* ---------------------------------------------------------------- nginx master */

int trust_nginx_master(pid_t pid, uid_t uid, const char *cgroup, char *why, size_t whysize)
{
	char link[64], exe[PATH_MAX], sub[GW_TEXT];
	struct stat st;

	if (whysize) why[0] = '\0';
	if (uid != 0) {
		gw_fmt(why, whysize, "runs as uid %u, not root", (unsigned)uid);
		return 0;
	}
	if (trust_cgroup_user(cgroup)) {
		gw_fmt(why, whysize, "runs in a user's systemd (cgroup %s)", cgroup);
		return 0;
	}
	gw_fmt(link, sizeof link, "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(link, exe, sizeof exe - 1);
	if (n <= 0) {
		gw_fmt(why, whysize, "its executable cannot be read (%s)", n < 0 ? strerror(errno) : "empty");
		return 0;
	}
	exe[n] = '\0';
	/* an upgraded binary still running: the link ends in " (deleted)" */
	size_t dl = strlen(" (deleted)");
	if ((size_t)n > dl && !strcmp(exe + n - dl, " (deleted)")) exe[n - dl] = '\0';
	const char *base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	if (!gw_starts_with(base, "nginx") && strcmp(base, "openresty")) {
		gw_fmt(why, whysize, "its executable %s is not nginx", exe);
		return 0;
	}
	/* the inode really executed: root's, not writable by others */
	if (stat(link, &st) < 0) {
		gw_fmt(why, whysize, "its executable cannot be read (%s)", strerror(errno));
		return 0;
	}
	if (st.st_uid != 0 || (st.st_mode & 022)) {
		gw_fmt(why, whysize, "its executable %s is %s", exe,
		       st.st_uid != 0 ? "not owned by root" : "writable by group or others");
		return 0;
	}
	/* and where it lives: a directory only root may change */
	char dir[PATH_MAX];
	GW_COPY(dir, exe);
	char *slash = strrchr(dir, '/');
	if (!slash) {
		gw_fmt(why, whysize, "its executable %s has no directory", exe);
		return 0;
	}
	if (slash == dir) slash[1] = '\0';
	else *slash = '\0';
	if (!trust_path_safe(dir, sub, sizeof sub)) {
		gw_fmt(why, whysize, "its executable's directory is not safe: %s", sub);
		return 0;
	}
	return 1;
}

/* ---------------------------------------------------------------- files named by processes */

static const char *trust_ftype(mode_t m)
{
	if (S_ISDIR(m)) return "a directory";
	if (S_ISCHR(m)) return "a character device";
	if (S_ISBLK(m)) return "a block device";
	if (S_ISFIFO(m)) return "a FIFO";
	if (S_ISSOCK(m)) return "a socket";
	return "not a regular file";
}

static int trust_pseudo(const char *real)
{
	static const char *const dirs[] = { "/dev", "/proc", "/sys" };
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		size_t n = strlen(dirs[i]);
		if (!strncmp(real, dirs[i], n) && (real[n] == '/' || !real[n])) return 1;
	}
	return 0;
}

int trust_open_regular(const char *path, struct stat *st, char *why, size_t whysize)
{
	char self[64], real[PATH_MAX];
	int e;

	if (whysize) why[0] = '\0';
	int pfd = open(path, O_PATH | O_CLOEXEC);
	if (pfd < 0) {
		e = errno;
		gw_fmt(why, whysize, "%s", strerror(e));
		errno = e;
		return -1;
	}
	if (fstat(pfd, st) < 0) {
		e = errno;
		gw_fmt(why, whysize, "%s", strerror(e));
		goto fail;
	}
	if (!S_ISREG(st->st_mode)) {
		e = EINVAL;                  /* st says what it is */
		gw_fmt(why, whysize, "not a regular file (%s)", trust_ftype(st->st_mode));
		goto fail;
	}
	gw_fmt(self, sizeof self, "/proc/self/fd/%d", pfd);
	ssize_t n = readlink(self, real, sizeof real - 1);
	if (n <= 0) {
		e = n < 0 ? errno : EINVAL;
		gw_fmt(why, whysize, "cannot tell where it lies (%s)", strerror(e));
		goto fail;
	}
	real[n] = '\0';
	if (trust_pseudo(real)) {
		e = EXDEV;
		gw_fmt(why, whysize, "refused: %s is under /dev, /proc or /sys", real);
		goto fail;
	}
	/* the inode checked above, whatever the path names by now */
	int fd = open(self, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	e = errno;
	close(pfd);
	if (fd < 0) {
		gw_fmt(why, whysize, "%s", strerror(e));
		errno = e;
		return -1;
	}
	struct stat st2;
	if (fstat(fd, &st2) < 0 || st2.st_ino != st->st_ino || st2.st_dev != st->st_dev) {
		close(fd);
		gw_fmt(why, whysize, "the file changed while it was opened");
		errno = EAGAIN;
		return -1;
	}
	*st = st2;
	return fd;
fail:
	close(pfd);
	errno = e;
	return -1;
}

/* ---------------------------------------------------------------- nginx -t */

int trust_which(const char *bin, char *out, size_t size)
{
	if (strchr(bin, '/')) {
		gw_strlcpy(out, bin, size);
		return 0;
	}
	const char *path = getenv("PATH");
	char buf[4096];
	GW_COPY(buf, path && path[0] ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	for (char *save = NULL, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char cand[PATH_MAX];
		struct stat st;
		gw_fmt(cand, sizeof cand, "%s/%s", d[0] ? d : ".", bin);
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
			gw_strlcpy(out, cand, size);
			return 0;
		}
	}
	return -1;
}

int trust_nginx_test_ok(const char *bin, const char *conf_path, const char *prefix,
			const struct gw_nginx_conf *conf, char *why, size_t whysize)
{
	char sub[GW_TEXT], exe[PATH_MAX];

	if (whysize) why[0] = '\0';
	if (!trust_strict()) return 1;
	if (trust_which(bin && bin[0] ? bin : "nginx", exe, sizeof exe) == 0 && !trust_path_safe(exe, sub, sizeof sub)) {
		gw_fmt(why, whysize, "refused to run nginx -t as root: the binary %s is not safe (%s)", exe, sub);
		return 0;
	}
	if (conf_path && conf_path[0] && !trust_path_safe(conf_path, sub, sizeof sub)) {
		gw_fmt(why, whysize, "refused to run nginx -t as root: the config %s could be changed by another user (%s)",
		       conf_path, sub);
		return 0;
	}
	if (prefix && prefix[0] && !trust_path_safe(prefix, sub, sizeof sub)) {
		gw_fmt(why, whysize, "refused to run nginx -t as root: the prefix %s could be changed by another user (%s)",
		       prefix, sub);
		return 0;
	}
	for (size_t i = 0; conf && i < conf->files.n; i++) {
		if (!trust_path_safe(conf->files.v[i].path, sub, sizeof sub)) {
			gw_fmt(why, whysize, "refused to run nginx -t as root: the included file %s could be changed by another user (%s)",
			       conf->files.v[i].path, sub);
			return 0;
		}
	}
	return 1;
}
