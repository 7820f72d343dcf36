/* sockperm.c — the `namei -l` walk of a unix socket path as another user:
 * every directory needs search (x), the socket needs write (w). Decided
 * from lstat() mode bits and ownership, so root can answer for the nginx
 * worker user. POSIX ACLs and capabilities other than root's are ignored. */
#include "sockperm.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define SOCKPERM_MAX_LINKS 40
#define SOCKPERM_X 1
#define SOCKPERM_W 2

struct sockperm_who {
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	int ngroups;
	char name[96];               /* "www-data (uid 33)" */
};

static int sockperm_allowed(const struct sockperm_who *w, const struct stat *sb, int want)
{
	unsigned bits;
	int in_group = sb->st_gid == w->gid;

	if (w->uid == 0) return 1;                     /* root bypasses mode bits */
	for (int i = 0; i < w->ngroups && !in_group; i++)
		in_group = w->groups[i] == sb->st_gid;
	if (sb->st_uid == w->uid) bits = (sb->st_mode >> 6) & 7;
	else if (in_group) bits = (sb->st_mode >> 3) & 7;
	else bits = sb->st_mode & 7;
	return (int)(bits & (unsigned)want) == want;
}

/* "drwx------ root root" like ls -l / namei -l. */
static void sockperm_describe(const struct stat *sb, char *buf, size_t size)
{
	char m[11];
	mode_t md = sb->st_mode;
	struct passwd *pw = getpwuid(sb->st_uid);
	struct group *gr = getgrgid(sb->st_gid);
	char u[32], g[32];

	m[0] = S_ISDIR(md) ? 'd' : S_ISSOCK(md) ? 's' : S_ISLNK(md) ? 'l' : S_ISFIFO(md) ? 'p' :
	       S_ISCHR(md) ? 'c' : S_ISBLK(md) ? 'b' : '-';
	m[1] = md & S_IRUSR ? 'r' : '-';
	m[2] = md & S_IWUSR ? 'w' : '-';
	m[3] = md & S_ISUID ? (md & S_IXUSR ? 's' : 'S') : (md & S_IXUSR ? 'x' : '-');
	m[4] = md & S_IRGRP ? 'r' : '-';
	m[5] = md & S_IWGRP ? 'w' : '-';
	m[6] = md & S_ISGID ? (md & S_IXGRP ? 's' : 'S') : (md & S_IXGRP ? 'x' : '-');
	m[7] = md & S_IROTH ? 'r' : '-';
	m[8] = md & S_IWOTH ? 'w' : '-';
	m[9] = md & S_ISVTX ? (md & S_IXOTH ? 't' : 'T') : (md & S_IXOTH ? 'x' : '-');
	m[10] = '\0';
	if (pw) GW_COPY(u, pw->pw_name); else gw_fmt(u, sizeof u, "%u", (unsigned)sb->st_uid);
	if (gr) GW_COPY(g, gr->gr_name); else gw_fmt(g, sizeof g, "%u", (unsigned)sb->st_gid);
	gw_fmt(buf, size, "%s %s %s", m, u, g);
}

/* Record the component at fault and why; always returns -1. */
static int sockperm_fail(struct gw_target *t, const char *comp, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int sockperm_fail(struct gw_target *t, const char *comp, const char *fmt, ...)
{
	va_list ap;
	GW_COPY(t->perm_path, comp);
	va_start(ap, fmt);
	if (vsnprintf(t->perm_detail, sizeof t->perm_detail, fmt, ap) < 0) t->perm_detail[0] = '\0';
	va_end(ap);
	return -1;
}

int sockperm_check(const char *path, uid_t uid, gid_t gid, const gid_t *groups, int ngroups,
		   const char *username, struct gw_target *t)
{
	struct sockperm_who w = { .uid = uid, .gid = gid, .groups = groups, .ngroups = groups ? ngroups : 0 };
	char cur[PATH_MAX] = "";         /* resolved directory so far; "" is "/" */
	char rest[2 * PATH_MAX];         /* what is left to walk */
	char full[PATH_MAX + 256], desc[96];
	struct stat sb;
	int links = 0;

	t->perm_checked = 1;
	t->perm_ok = 0;
	t->exists = 0;
	t->perm_path[0] = t->perm_detail[0] = '\0';

	if (!username || !*username) {
		struct passwd *pw = getpwuid(uid);
		username = pw ? pw->pw_name : NULL;
	}
	if (username) gw_fmt(w.name, sizeof w.name, "%s (uid %u)", username, (unsigned)uid);
	else gw_fmt(w.name, sizeof w.name, "uid %u", (unsigned)uid);

	if (!path || !*path)
		return sockperm_fail(t, "", "empty socket path");
	if (path[0] != '/') {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof cwd)) return sockperm_fail(t, path, "%s: %s", path, strerror(errno));
		gw_fmt(rest, sizeof rest, "%s/%s", cwd, path);
	} else {
		GW_COPY(rest, path);
	}

	if (lstat("/", &sb) == 0 && !sockperm_allowed(&w, &sb, SOCKPERM_X)) {
		sockperm_describe(&sb, desc, sizeof desc);
		gw_fmt(t->perm_detail, sizeof t->perm_detail, "%s /: %s has no search permission", desc, w.name);
		GW_COPY(t->perm_path, "/");
		return -1;
	}

	for (;;) {
		char *r = rest, comp[NAME_MAX + 1];
		while (*r == '/') r++;
		if (!*r) {   /* the path names a directory (or "/") */
			t->exists = 1;
			return sockperm_fail(t, cur[0] ? cur : "/", "%s is a directory, not a socket",
					     cur[0] ? cur : "/");
		}
		size_t n = strcspn(r, "/");
		if (n > NAME_MAX) return sockperm_fail(t, r, "a component of %s is too long", path);
		memcpy(comp, r, n);
		comp[n] = '\0';
		r += n;
		while (*r == '/') r++;
		int last = *r == '\0';
		memmove(rest, r, strlen(r) + 1);

		if (!strcmp(comp, ".")) {
			if (last) { t->exists = 1; return sockperm_fail(t, cur[0] ? cur : "/", "%s is a directory, not a socket", cur[0] ? cur : "/"); }
			continue;
		}
		if (!strcmp(comp, "..")) {
			char *sl = strrchr(cur, '/');
			if (sl) *sl = '\0';
			if (last) { t->exists = 1; return sockperm_fail(t, cur[0] ? cur : "/", "%s is a directory, not a socket", cur[0] ? cur : "/"); }
			continue;
		}
		gw_fmt(full, sizeof full, "%s/%s", cur, comp);
		if (lstat(full, &sb) < 0) {
			int e = errno;
			if (e == ENOENT)
				return sockperm_fail(t, full, last ? "%s does not exist" :
						     "%s does not exist (missing directory)", full);
			if (e == ENOTDIR)
				return sockperm_fail(t, cur, "%s is not a directory", cur);
			return sockperm_fail(t, full, "%s: %s", full, strerror(e));
		}
		if (S_ISLNK(sb.st_mode)) {
			char target[PATH_MAX], tmp[2 * PATH_MAX];
			if (++links > SOCKPERM_MAX_LINKS)
				return sockperm_fail(t, full, "%s: %s", full, "too many levels of symbolic links");
			ssize_t tl = readlink(full, target, sizeof target - 1);
			if (tl < 0) return sockperm_fail(t, full, "%s: %s", full, strerror(errno));
			target[tl] = '\0';
			gw_fmt(tmp, sizeof tmp, "%s%s%s", target, *rest ? "/" : "", rest);
			GW_COPY(rest, tmp);
			if (target[0] == '/') cur[0] = '\0';   /* absolute: start again at / (already searchable) */
			continue;
		}
		sockperm_describe(&sb, desc, sizeof desc);
		if (!last) {
			if (!S_ISDIR(sb.st_mode))
				return sockperm_fail(t, full, "%s is not a directory", full);
			if (!sockperm_allowed(&w, &sb, SOCKPERM_X)) {
				GW_COPY(t->perm_path, full);
				gw_fmt(t->perm_detail, sizeof t->perm_detail, "%s %s: %s has no search permission",
				       desc, full, w.name);
				return -1;
			}
			GW_COPY(cur, full);
			continue;
		}
		/* the socket itself */
		t->exists = 1;
		GW_COPY(t->perm_path, full);
		if (!sockperm_allowed(&w, &sb, SOCKPERM_W)) {
			gw_fmt(t->perm_detail, sizeof t->perm_detail, "%s %s: %s has no write permission",
			       desc, full, w.name);
			return -1;
		}
		t->perm_ok = 1;
		if (S_ISSOCK(sb.st_mode))
			gw_fmt(t->perm_detail, sizeof t->perm_detail, "%s %s: %s may connect", desc, full, w.name);
		else
			gw_fmt(t->perm_detail, sizeof t->perm_detail, "%s %s: not a socket (connect will be refused)",
			       desc, full);
		return 0;
	}
}
