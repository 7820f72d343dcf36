/* util.h — small helpers shared by every part of gwtop: growable arrays,
 * bounded string copies, time. No I/O policy lives here. */
#ifndef GW_UTIL_H
#define GW_UTIL_H

#include <stddef.h>
#include <sys/types.h>
#include <stdint.h>
#include <string.h>

/* Growable array: GW_VEC(struct foo) v = {0}; struct foo *f = gw_vec_push(&v);
 * The new element is zeroed. The array owns its storage: gw_vec_free(&v). */
#define GW_VEC(T) struct { T *v; size_t n, cap; }
void gw_vec_grow_(void **v, size_t *cap, size_t elem);
#define gw_vec_push(vp) \
	((vp)->n == (vp)->cap ? gw_vec_grow_((void **)&(vp)->v, &(vp)->cap, sizeof *(vp)->v) : (void)0, \
	 memset(&(vp)->v[(vp)->n], 0, sizeof *(vp)->v), &(vp)->v[(vp)->n++])
#define gw_vec_free(vp) do { free((vp)->v); (vp)->v = NULL; (vp)->n = (vp)->cap = 0; } while (0)
#define gw_vec_clear(vp) ((vp)->n = 0)

void *gw_xmalloc(size_t n);
void *gw_xcalloc(size_t n, size_t sz);
void *gw_xrealloc(void *p, size_t n);
char *gw_xstrdup(const char *s);

/* Copy with truncation, always NUL-terminated. Returns strlen(src). */
size_t gw_strlcpy(char *dst, const char *src, size_t size);
#define GW_COPY(dst, src) gw_strlcpy((dst), (src), sizeof(dst))
/* snprintf that never fails the build on truncation; result always terminated. */
void gw_fmt(char *dst, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Append formatted text to dst (bounded). */
void gw_append(char *dst, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Quote v as one word for a shell command a human copies (the "commands"
 * of findings, the tour's): v itself when it is only [A-Za-z0-9_./:@%+=,-];
 * else 'v' with each ' written '\''; with control bytes (newline, ESC, ...)
 * $'v' with \xHH, \\ and \' (bash, zsh, ksh). Never runs or expands
 * anything: $(...), `...`, $VAR, globs and spaces stay literal. When the
 * quoted form does not fit in n bytes, a placeholder that names no file.
 * Returns v or buf. GW_SHQ_SIZE(len): the n that always fits len bytes. */
#define GW_SHQ_SIZE(len) ((len) * 4 + 4)
const char *gw_shell_quote(const char *v, char *buf, size_t n);

int gw_starts_with(const char *s, const char *prefix);
/* atoi() without its undefined behaviour: leading blanks, optional sign,
 * decimal digits; 0 when there are none; clamped to the int range. */
int gw_atoi(const char *s);
int gw_ends_with(const char *s, const char *suffix);

/* Wall clock in seconds (CLOCK_REALTIME) and monotonic seconds. */
double gw_now(void);
/* A replay's clock: gw_now() returns t from now on (0: the real clock
 * again). Only the replay (--replay) sets it, so every "N s ago" and time
 * window of the panes is measured on the recording's axis. */
void gw_now_set_replay(double t);
double gw_mono(void);

/* Format epoch seconds as local "YYYY-MM-DD HH:MM:SS". */
void gw_time_str(double t, char *buf, size_t size);

/* Read a whole small file (procfs, config) into a malloc'd NUL-terminated
 * buffer; at most max bytes. Returns NULL and sets errno on failure. */
char *gw_read_file(const char *path, size_t max, size_t *len_out);
/* A small file (/proc/PID/stat) read with one read(2) into buf,
 * NUL-terminated, at most size-1 bytes: its length, or -1 with errno. */
ssize_t gw_read_small(const char *path, char *buf, size_t size);
/* A small file read again and again (/proc/meminfo every tick): the fd is
 * kept in *fd (-1 at first; opened here, O_CLOEXEC) and each call is one
 * pread at offset 0 into buf (NUL-terminated, at most n-1 bytes) instead
 * of an open, reads and a close.  Length read, or -1 with errno (the fd is
 * then closed and the next call opens the file again). */
ssize_t gw_pread_kept(int *fd, const char *path, char *buf, size_t n);

/* Append n bytes to a growing NUL-terminated buffer (*buf, *len; *buf may
 * start NULL), as a curl write callback does with a response body. 0 (and
 * nothing appended) when the result would exceed max bytes, else 1. */
int gw_buf_append(char **buf, size_t *len, size_t max, const void *p, size_t n);

/* The parent of pid from /proc/PID/stat (field 4, after the "(comm)"
 * that may itself hold spaces and parentheses); 0 if unknown or gone. */
pid_t gw_proc_ppid(pid_t pid);

#endif
