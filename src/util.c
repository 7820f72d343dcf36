/* util.c — see util.h */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

void gw_vec_grow_(void **v, size_t *cap, size_t elem)
{
	/* first block about 8 KiB (2..16 elements): the diagnosis' findings
	 * are 10 KiB each and usually one or two; 16 of them (170 KiB) went to
	 * mmap and back on every pass */
	size_t first = 8192 / (elem ? elem : 1);
	size_t ncap = *cap ? *cap * 2 : first < 2 ? 2 : first > 16 ? 16 : first;
	*v = gw_xrealloc(*v, ncap * elem);
	*cap = ncap;
}

void *gw_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) { fputs("gwtop: out of memory\n", stderr); abort(); }
	return p;
}

void *gw_xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	if (!p) { fputs("gwtop: out of memory\n", stderr); abort(); }
	return p;
}

void *gw_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) { fputs("gwtop: out of memory\n", stderr); abort(); }
	return p;
}

char *gw_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = gw_xmalloc(n);
	memcpy(d, s, n);
	return d;
}

size_t gw_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);
	if (size) {
		size_t c = n < size - 1 ? n : size - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

void gw_fmt(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	if (!size) return;
	va_start(ap, fmt);
	if (vsnprintf(dst, size, fmt, ap) < 0) dst[0] = '\0';
	va_end(ap);
}

void gw_append(char *dst, size_t size, const char *fmt, ...)
{
	size_t l = strnlen(dst, size);
	va_list ap;
	if (l + 1 >= size) return;
	va_start(ap, fmt);
	if (vsnprintf(dst + l, size - l, fmt, ap) < 0) dst[l] = '\0';
	va_end(ap);
}

int gw_atoi(const char *s)
{
	long v = strtol(s, NULL, 10);
	if (v > INT_MAX) return INT_MAX;
	if (v < INT_MIN) return INT_MIN;
	return (int)v;
}

int gw_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int gw_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static double gw_replay_now;

void gw_now_set_replay(double t)
{
	gw_replay_now = t > 0 ? t : 0;
}

double gw_now(void)
{
	struct timespec ts;
	if (gw_replay_now > 0)
		return gw_replay_now;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double gw_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void gw_time_str(double t, char *buf, size_t size)
{
	time_t s = (time_t)t;
	struct tm tm;
	if (!localtime_r(&s, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm))
		gw_fmt(buf, size, "%.0f", t);
}

ssize_t gw_read_small(const char *path, char *buf, size_t size)
{
	if (size < 1) { errno = EINVAL; return -1; }
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return -1;
	ssize_t n = read(fd, buf, size - 1);
	int e = errno;
	close(fd);
	if (n < 0) { errno = e; return -1; }
	buf[n] = '\0';
	return n;
}

pid_t gw_proc_ppid(pid_t pid)
{
	char path[64], buf[1024];
	long v = 0;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (gw_read_small(path, buf, sizeof buf) <= 0) return 0;
	const char *p = strrchr(buf, ')');              /* "comm) S PPID ..." */
	if (p && p[1] == ' ' && p[2] && p[3] == ' ')
		v = strtol(p + 4, NULL, 10);
	return v > 0 && v <= INT_MAX ? (pid_t)v : 0;
}

int gw_buf_append(char **buf, size_t *len, size_t max, const void *p, size_t n)
{
	if (*len + n > max || *len + n < *len)
		return 0;
	*buf = gw_xrealloc(*buf, *len + n + 1);
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 1;
}

ssize_t gw_pread_kept(int *fd, const char *path, char *buf, size_t n)
{
	ssize_t r;
	if (n < 1) { errno = EINVAL; return -1; }
	if (*fd < 0 && (*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return -1;
	do r = pread(*fd, buf, n - 1, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		int e = errno;
		close(*fd);
		*fd = -1;
		errno = e;
		return -1;
	}
	buf[r] = '\0';
	return r;
}

char *gw_read_file(const char *path, size_t max, size_t *len_out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) return NULL;
	size_t cap = 4096, len = 0;
	char *buf = gw_xmalloc(cap + 1);
	for (;;) {
		if (len == cap) {
			if (cap >= max) break;
			cap = cap * 2 > max ? max : cap * 2;
			buf = gw_xrealloc(buf, cap + 1);
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR) continue;
			int e = errno;
			free(buf); close(fd); errno = e;
			return NULL;
		}
		if (r == 0) break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	if (len_out) *len_out = len;
	return buf;
}

const char *gw_shell_quote(const char *v, char *buf, size_t n)
{
	static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:@%+=,-";
	static const char too_long[] = "'(too long to quote)'";
	size_t o = 0;
	int ctl = 0;
	if (*v && v[strspn(v, safe)] == '\0')
		return v;
	size_t need = 3;                 /* the quotes and the NUL */
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		ctl |= *p < 0x20 || *p == 0x7f;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (ctl)
			need += *p < 0x20 || *p == 0x7f ? 4 : *p == '\\' || *p == '\'' ? 2 : 1;
		else
			need += *p == '\'' ? 4 : 1;
	}
	need += ctl;                     /* the $ */
	if (need > n)
		return n >= sizeof too_long ? memcpy(buf, too_long, sizeof too_long) : "''";
	if (ctl)
		buf[o++] = '$';
	buf[o++] = '\'';
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (ctl && (*p < 0x20 || *p == 0x7f)) {
			o += (size_t)snprintf(buf + o, n - o, "\\x%02x", *p);
		} else if (ctl && (*p == '\\' || *p == '\'')) {
			buf[o++] = '\\';
			buf[o++] = (char)*p;
		} else if (*p == '\'') {
			memcpy(buf + o, "'\\''", 4);
			o += 4;
		} else {
			buf[o++] = (char)*p;
		}
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}
