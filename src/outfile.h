/* outfile.h — the report file of `--output FILE`, written so that root
 * never follows a link planted by another user (issue 17 #3).
 *
 * The directory is opened once (O_DIRECTORY) and every later step works on
 * that fd or on the file's fd: the temp file is created with openat(dirfd,
 * "NAME.tmp.XXXXXX" (random), O_CREAT|O_EXCL|O_NOFOLLOW), its
 * mode set with fchmod on the fd (0644: node_exporter may run as another
 * user), then renameat(dirfd, temp, dirfd, NAME) replaces NAME atomically
 * (a symlink at NAME is replaced, never followed). No path-based chmod,
 * chown, open or unlink ever names a file in the directory except through
 * dirfd with a name we created.
 *
 * Running as root (euid 0), the directory must be owned by root and not
 * writable by group or others — unless it is sticky (like /tmp: others
 * cannot rename or remove root's files there). Otherwise outfile_open
 * refuses: err says why and what to do. */
#ifndef GW_OUTFILE_H
#define GW_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

struct outfile {
	int dirfd;
	FILE *f;                     /* on the temp file; owned until commit/abort */
	char name[256];              /* final name in the directory */
	char tmp[256];               /* temp name in the directory */
	char path[4096];             /* as given, for messages */
	unsigned mode;               /* fchmod at commit (0 = 0644) */
	int noreplace;               /* outfile_open_new: never replace NAME */
};

/* Only the directory part: split path, open its directory (o->dirfd, the
 * final name in o->name) and, as root, refuse one another user controls
 * (err says why). 0, or -1 with nothing left open. For a writer that
 * makes its own files through o->dirfd (the recorder); close o->dirfd. */
int outfile_open_dir(struct outfile *o, const char *path, char *err, size_t errsz);
/* Open the temp file for path. Returns the stream, or NULL with err set
 * ("refusing to write ...: ..." or "cannot write ...: strerror"); then
 * nothing is left open or created. */
FILE *outfile_open(struct outfile *o, const char *path, char *err, size_t errsz);
/* The same for a file that must be NEW (the incident report): a NAME that
 * exists — a file, a directory, or a symbolic link another user planted —
 * is refused (err says what is there), and the commit links the temp file
 * in with renameat2(RENAME_NOREPLACE) (linkat where the filesystem has no
 * such rename), so a NAME planted between open and commit is refused too,
 * never followed nor replaced. mode: the file's mode (0600). */
FILE *outfile_open_new(struct outfile *o, const char *path, unsigned mode, char *err, size_t errsz);
/* Flush, fchmod 0644 (or the mode of outfile_open_new), fsync, renameat over the final name; closes
 * everything. Returns 0, or -1 with err (the temp file is removed). */
int outfile_commit(struct outfile *o, char *err, size_t errsz);
/* Drop the temp file (unlinkat through dirfd), close everything. */
void outfile_abort(struct outfile *o);

#endif
