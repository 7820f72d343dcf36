/* outfile.c — the --output file through a directory fd (see outfile.h). */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sanitize.h"
#include "util.h"

/* The path, safe to print. */
static const char *outfile_shown(const struct outfile *o, char *buf, size_t size)
{
	sanitize_text(buf, size, o->path, strlen(o->path));
	return buf;
}

static void outfile_close(struct outfile *o)
{
	if (o->f) fclose(o->f);
	o->f = NULL;
	if (o->dirfd >= 0) close(o->dirfd);
	o->dirfd = -1;
}

/* As root: may root write in the directory held by dirfd? */
static int outfile_dir_ok(const struct outfile *o, const char *dir, char *err, size_t errsz)
{
	struct stat st;
	char shown[1024], sdir[1024];
	if (geteuid() != 0) return 1;
	if (fstat(o->dirfd, &st) < 0) {
		gw_fmt(err, errsz, "cannot write %s: %s", outfile_shown(o, shown, sizeof shown), strerror(errno));
		return 0;
	}
	sanitize_text(sdir, sizeof sdir, dir, strlen(dir));
	if (st.st_uid != 0) {
		struct passwd *pw = getpwuid(st.st_uid);
		char who[128];
		if (pw) sanitize_text(who, sizeof who, pw->pw_name, strlen(pw->pw_name));
		else gw_fmt(who, sizeof who, "uid %u", (unsigned)st.st_uid);
		gw_fmt(err, errsz,
		    "refusing to write %s as root: its directory %s is owned by %s, not root (that user could "
		    "swap the file for a link to another file while root writes it); write into a root-owned "
		    "directory that only root can write, e.g. /var/lib/prometheus/node-exporter",
		    outfile_shown(o, shown, sizeof shown), sdir, who);
		return 0;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
		gw_fmt(err, errsz,
		    "refusing to write %s as root: its directory %s is writable by %s (mode %04o) and not "
		    "sticky; make it writable by root only (chmod go-w) or write elsewhere",
		    outfile_shown(o, shown, sizeof shown), sdir,
		    (st.st_mode & S_IWOTH) ? "everyone" : "its group", (unsigned)(st.st_mode & 07777));
		return 0;
	}
	return 1;
}

int outfile_open_dir(struct outfile *o, const char *path, char *err, size_t errsz)
{
	char dir[4096], shown[1024];
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;

	memset(o, 0, sizeof *o);
	o->dirfd = -1;
	GW_COPY(o->path, path);
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..") || strlen(base) + 12 >= sizeof o->tmp) {
		gw_fmt(err, errsz, "cannot write %s: not a file name", outfile_shown(o, shown, sizeof shown));
		return -1;
	}
	if (!slash) gw_fmt(dir, sizeof dir, ".");
	else if (slash == path) gw_fmt(dir, sizeof dir, "/");
	else gw_fmt(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	GW_COPY(o->name, base);

	o->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o->dirfd < 0) {
		gw_fmt(err, errsz, "cannot write %s: %s", outfile_shown(o, shown, sizeof shown), strerror(errno));
		return -1;
	}
	if (!outfile_dir_ok(o, dir, err, errsz)) {
		outfile_close(o);
		return -1;
	}
	return 0;
}

FILE *outfile_open(struct outfile *o, const char *path, char *err, size_t errsz)
{
	char shown[1024];
	const char *base;
	int fd = -1;

	if (outfile_open_dir(o, path, err, errsz) < 0)
		return NULL;
	base = o->name;
	for (int tries = 0; tries < 64 && fd < 0; tries++) {
		unsigned char r[6];
		static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
		if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
			for (size_t i = 0; i < sizeof r; i++) r[i] = (unsigned char)(rand() ^ (int)getpid());
		}
		gw_fmt(o->tmp, sizeof o->tmp, "%s.tmp.%c%c%c%c%c%c", base, al[r[0] % 62], al[r[1] % 62],
		    al[r[2] % 62], al[r[3] % 62], al[r[4] % 62], al[r[5] % 62]);
		fd = openat(o->dirfd, o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST) break;
	}
	if (fd < 0) {
		gw_fmt(err, errsz, "cannot write %s: %s", outfile_shown(o, shown, sizeof shown), strerror(errno));
		outfile_close(o);
		return NULL;
	}
	o->f = fdopen(fd, "w");
	if (!o->f) {
		int e = errno;
		close(fd);
		unlinkat(o->dirfd, o->tmp, 0);
		gw_fmt(err, errsz, "cannot write %s: %s", outfile_shown(o, shown, sizeof shown), strerror(e));
		outfile_close(o);
		return NULL;
	}
	return o->f;
}

FILE *outfile_open_new(struct outfile *o, const char *path, unsigned mode, char *err, size_t errsz)
{
	struct stat st;
	char shown[1024];
	FILE *f = outfile_open(o, path, err, errsz);
	if (!f) return NULL;
	o->mode = mode;
	o->noreplace = 1;
	if (fstatat(o->dirfd, o->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		const char *what = S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISDIR(st.st_mode) ? "a directory" :
		    S_ISREG(st.st_mode) ? "a file" : "something";
		gw_fmt(err, errsz, "refusing to write %s: %s of uid %u is there already (gwtop writes a new file and "
		    "never replaces nor follows an existing name; choose another name)",
		    outfile_shown(o, shown, sizeof shown), what, (unsigned)st.st_uid);
		outfile_abort(o);
		return NULL;
	}
	return f;
}

int outfile_commit(struct outfile *o, char *err, size_t errsz)
{
	char shown[1024];
	int fd = fileno(o->f), e = 0;
	if (fflush(o->f) != 0 || ferror(o->f)) e = errno ? errno : EIO;
	if (!e && fchmod(fd, o->mode ? o->mode : 0644) != 0) e = errno;
	if (!e && fsync(fd) != 0 && errno != EINVAL) e = errno;
	if (fclose(o->f) != 0 && !e) e = errno ? errno : EIO;
	o->f = NULL;
	if (!e && !o->noreplace && renameat(o->dirfd, o->tmp, o->dirfd, o->name) != 0) e = errno;
	if (!e && o->noreplace && renameat2(o->dirfd, o->tmp, o->dirfd, o->name, RENAME_NOREPLACE) != 0) {
		e = errno;
		if (e == EINVAL || e == ENOSYS || e == EOPNOTSUPP) {
			/* no RENAME_NOREPLACE here: a hard link is never made over a name */
			e = linkat(o->dirfd, o->tmp, o->dirfd, o->name, 0) == 0 ? 0 : errno;
			if (!e) unlinkat(o->dirfd, o->tmp, 0);
		}
	}
	if (e) {
		unlinkat(o->dirfd, o->tmp, 0);
		if (e == EEXIST && o->noreplace)
			gw_fmt(err, errsz, "refusing to write %s: it appeared while gwtop wrote it (gwtop never replaces "
			    "nor follows an existing name)", outfile_shown(o, shown, sizeof shown));
		else
			gw_fmt(err, errsz, "cannot write %s: %s", outfile_shown(o, shown, sizeof shown), strerror(e));
	}
	outfile_close(o);
	return e ? -1 : 0;
}

void outfile_abort(struct outfile *o)
{
	if (o->f) {
		fclose(o->f);
		o->f = NULL;
		unlinkat(o->dirfd, o->tmp, 0);
	}
	outfile_close(o);
}
