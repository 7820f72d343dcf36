/* test_docker_logs.c — container logs in the live log stream (issue 7).
 *
 * The incremental demultiplexer (docker_demux) on the log bodies recorded
 * from a real dockerd 20.10.24 (tests/fixtures/docker), cut into pieces of
 * every size, against the whole-body split; the engine's time stamps to the
 * nanosecond. Then logstream_add_container / logstream_sync for real on an
 * sd-event loop: a child process on a unix socket answers the follow
 * requests the way the engine does (200, the frames in pieces cut inside
 * headers and lines, live lines later, the end of the stream when the
 * container stops, 404 with a JSON message) and records each request line.
 * Asserted: source "container:NAME" tagged NAME; lines without their stamp,
 * at the engine's time, classified by logclass_app, in time order with an
 * app log file; after a restart the request asks since= the newest line
 * taken and nothing is shown twice nor dropped; a recreated container (new
 * id) is read from its start; an HTTP error is the source's error and is
 * not retried until the container starts again. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "docker.h"
#include "logstream.h"

#ifndef FIXTURES
#define FIXTURES "tests/fixtures/docker"
#endif

#define ID1 "1111111111111111111111111111111111111111111111111111111111111111"
#define ID2 "2222222222222222222222222222222222222222222222222222222222222222"

static char *fixture(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", FIXTURES, name);
	char *b = gw_read_file(path, 1u << 24, len);
	if (!b)
		fail_msg("cannot read fixture %s: %s", path, strerror(errno));
	return b;
}

/* ---------------------------------------------------------------- the demultiplexer */

struct lines {
	int n;
	char text[64][256];
	int stream[64];
	int cut[64];
	struct docker_demux *d;
};

static void collect(const char *line, size_t len, int stream, void *ud)
{
	struct lines *l = ud;
	assert_true(l->n < 64);
	assert_null(memchr(line, '\n', len));
	snprintf(l->text[l->n], sizeof l->text[0], "%.*s", (int)len, line);
	l->stream[l->n] = stream;
	l->cut[l->n] = l->d ? l->d->cut : 0;
	l->n++;
}

/* body fed in pieces of `piece` bytes */
static void split_pieces(const char *b, size_t len, size_t piece, size_t cap, struct lines *out)
{
	struct docker_demux d;
	memset(out, 0, sizeof *out);
	out->d = &d;
	docker_demux_init(&d, 0, cap);
	for (size_t off = 0; off < len; off += piece)
		docker_demux_feed(&d, b + off, len - off < piece ? len - off : piece, collect, out);
	docker_demux_end(&d, collect, out);
}

static void test_demux_pieces(void **state)
{
	static const char *const files[] = { "logs-app-crash.bin", "logs-app-exit.bin", "logs-app-tty.bin" };
	(void)state;
	for (size_t f = 0; f < 3; f++) {
		size_t len;
		char *b = fixture(files[f], &len);
		struct lines whole = { 0 }, parts;
		docker_logs_split(b, len, 0, collect, &whole);
		assert_true(whole.n >= 1);
		for (size_t piece = 1; piece <= len; piece = piece < 16 ? piece + 1 : piece * 2) {
			split_pieces(b, len, piece, 4096, &parts);
			assert_int_equal(parts.n, whole.n);
			for (int i = 0; i < whole.n; i++) {
				assert_string_equal(parts.text[i], whole.text[i]);
				assert_int_equal(parts.stream[i], whole.stream[i]);
				assert_int_equal(parts.cut[i], 0);
			}
		}
		free(b);
	}

	/* a line longer than cap split across feeds: cut, and the next one whole */
	char big[8 + 300 + 8 + 5];
	memcpy(big, "\x01\0\0\0\0\0\x01\x2c", 8);          /* stdout, 300 bytes */
	memset(big + 8, 'x', 299);
	big[8 + 299] = '\n';
	memcpy(big + 308, "\x02\0\0\0\0\0\0\x05" "next\n", 13);
	struct lines c;
	split_pieces(big, sizeof big, 7, 100, &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(strlen(c.text[0]), 100);
	assert_int_equal(c.cut[0], 1);
	assert_string_equal(c.text[1], "next");
	assert_int_equal(c.stream[1], 2);
	assert_int_equal(c.cut[1], 0);

	/* the stream ends inside a line: it is passed at the end */
	split_pieces("\x01\0\0\0\0\0\0\x10" "half a li", 17, 3, 4096, &c);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.text[0], "half a li");
}

static void test_log_stamp(void **state)
{
	int64_t ns = 0, ns2 = 0;
	const char *l = "2026-11-25T15:13:49.522163723Z booting";
	(void)state;
	assert_int_equal(docker_log_stamp(l, strlen(l), &ns), 31);
	assert_true(ns == (int64_t)1795619629 * 1000000000 + 522163723);
	/* the engine trims trailing zeros; a zone offset */
	l = "2026-11-25T15:13:49.5Z x";
	assert_int_equal(docker_log_stamp(l, strlen(l), &ns), 23);
	assert_true(ns == (int64_t)1795619629 * 1000000000 + 500000000);
	l = "2026-11-25T16:13:49.50+01:00 x";
	assert_true(docker_log_stamp(l, strlen(l), &ns2) > 0);
	assert_true(ns2 == ns);
	/* an empty line: the stamp alone */
	l = "2026-11-25T15:13:49.5Z";
	assert_int_equal(docker_log_stamp(l, strlen(l), &ns), strlen(l));
	/* no stamp */
	l = "booting without a time stamp in front";
	assert_int_equal(docker_log_stamp(l, strlen(l), &ns), 0);
	assert_int_equal(docker_log_stamp("2026-11-25T15:13:49", 19, &ns), 0);
}

/* ---------------------------------------------------------------- a follow stream */

static char dir[64];
static char sockp[100];
static pid_t engine_pid;
static sd_event *ev;

static void put(int fd, const void *p, size_t n)
{
	if (write(fd, p, n) != (ssize_t)n) _exit(1);
}

static void frame(int fd, int stream, const char *text)
{
	size_t n = strlen(text);
	unsigned char h[8] = { (unsigned char)stream, 0, 0, 0, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
			       (unsigned char)(n >> 8), (unsigned char)n };
	put(fd, h, 8);
	put(fd, text, n);
}

/* Connection k of the fake engine (see the test for what each one is). */
static void engine_answer(int fd, int k)
{
	char req[4096], path[2048] = "", f[256];
	ssize_t n = 0, r;
	while (n < (ssize_t)sizeof req - 1 && (r = read(fd, req + n, sizeof req - 1 - (size_t)n)) > 0) {
		n += r;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n")) break;
	}
	req[n > 0 ? n : 0] = '\0';
	sscanf(req, "GET %2047s", path);
	snprintf(f, sizeof f, "%s/req.%d", dir, k);
	FILE *o = fopen(f, "w");
	if (o) { fputs(path, o); fclose(o); }
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n"
				 "Connection: close\r\n\r\n";
	size_t len;
	char *b;
	switch (k) {
	case 1:   /* the recorded body in pieces cut inside a header and a line, later a live line, then stop */
		put(fd, ok, strlen(ok));
		b = gw_read_file(FIXTURES "/logs-app-crash.bin", 1u << 20, &len);
		if (!b) _exit(1);
		put(fd, b, 5);
		usleep(50000);
		put(fd, b + 5, 100);
		usleep(50000);
		put(fd, b + 105, len - 105);
		free(b);
		usleep(300000);
		frame(fd, 1, "2026-11-25T15:14:30.000000001Z live one\n");
		usleep(100000);
		break;
	case 2:   /* after a restart: since= is inclusive, the engine repeats what was sent */
		put(fd, ok, strlen(ok));
		frame(fd, 2, "2026-11-25T15:14:28.563811716Z ImportError: no module named app\n");
		frame(fd, 1, "2026-11-25T15:14:30.000000001Z live one\n");
		frame(fd, 1, "2026-11-25T15:14:30.000000001Z live two, same nanosecond\n");
		frame(fd, 2, "2026-11-25T15:14:40.5Z after restart\n");
		break;
	case 3:   /* started again but stopped at once: only what was sent before */
		put(fd, ok, strlen(ok));
		frame(fd, 2, "2026-11-25T15:14:40.5Z after restart\n");
		break;
	case 4:   /* a new container under the same name */
		put(fd, ok, strlen(ok));
		b = gw_read_file(FIXTURES "/logs-app-exit.bin", 1u << 20, &len);
		if (!b) _exit(1);
		put(fd, b, len);
		free(b);
		break;
	default: {
		static const char nf[] = "{\"message\":\"No such container: " ID2 "\"}";
		char head[256];
		snprintf(head, sizeof head, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n", strlen(nf));
		put(fd, head, strlen(head));
		put(fd, nf, strlen(nf));
		break;
	}
	}
}

static int setup(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	(void)state;
	strcpy(dir, "/tmp/gwtop-dockerlogs.XXXXXX");
	if (!mkdtemp(dir)) return -1;
	snprintf(sockp, sizeof sockp, "%s/docker.sock", dir);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sockp);
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) || listen(ls, 16)) return -1;
	pid_t parent = getpid();
	engine_pid = fork();
	if (engine_pid < 0) return -1;
	if (engine_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent) _exit(0);      /* the test died before prctl */
		for (int k = 1;; k++) {
			int c = accept(ls, NULL, NULL);
			if (c < 0) { k--; continue; }
			engine_answer(c, k);
			close(c);
		}
	}
	close(ls);
	alarm(60);
	return sd_event_new(&ev) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	alarm(0);
	ev = sd_event_unref(ev);
	if (engine_pid > 0) {
		kill(engine_pid, SIGKILL);
		waitpid(engine_pid, NULL, 0);
	}
	snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* lines of source si whose text contains pat */
static int count(const struct logstream *ls, int si, const char *pat)
{
	int n = 0;
	for (size_t i = 0; i < logstream_count(ls); i++) {
		const struct logstream_line *l = logstream_get(ls, i);
		if (l->src == si && strstr(l->text, pat)) n++;
	}
	return n;
}

static const struct logstream_line *find(const struct logstream *ls, int si, const char *pat)
{
	for (size_t i = 0; i < logstream_count(ls); i++) {
		const struct logstream_line *l = logstream_get(ls, i);
		if (l->src == si && strstr(l->text, pat)) return l;
	}
	return NULL;
}

/* run the loop until source si has a line containing pat */
static int run_until(struct logstream *ls, int si, const char *pat, double secs)
{
	double t0 = gw_mono();
	while (gw_mono() - t0 < secs) {
		if (count(ls, si, pat)) return 1;
		sd_event_run(ev, 50000);
	}
	return count(ls, si, pat) > 0;
}

static void run_for(double secs)
{
	double t0 = gw_mono();
	while (gw_mono() - t0 < secs) sd_event_run(ev, 50000);
}

static int requests(void)
{
	int n = 0;
	char f[256];
	for (;; n++) {
		snprintf(f, sizeof f, "%s/req.%d", dir, n + 1);
		if (access(f, F_OK)) return n;
	}
}

static void request(int k, char *buf, size_t size)
{
	char f[256];
	snprintf(f, sizeof f, "%s/req.%d", dir, k);
	char *r = gw_read_file(f, 4096, NULL);
	assert_non_null(r);
	snprintf(buf, size, "%s", r);
	free(r);
}

static void test_follow(void **state)
{
	(void)state;
	struct logstream_config cfg = { .no_journal = 1 };
	struct logstream *ls = logstream_new(ev, &cfg);
	struct gw_snapshot *s = calloc(1, sizeof *s);
	assert_non_null(s);
	char req[2048];

	/* an app log file: its line must land between the container's by time */
	char app[256];
	snprintf(app, sizeof app, "%s/app.log", dir);
	FILE *a = fopen(app, "w");
	assert_non_null(a);
	fputs("[2026-11-25 15:13:50 +0000] [7] [INFO] between the first two boots\n", a);
	fclose(a);
	int fsrc = logstream_add_file(ls, app, LOGSTREAM_APP_FILE, NULL);

	/* no engine in the snapshot: nothing to follow */
	struct gw_container *c = gw_vec_push(&s->containers);
	GW_COPY(c->id, ID1);
	GW_COPY(c->name, "app-crash");
	GW_COPY(c->state, "restarting");
	c->started_at = 100;
	logstream_sync(ls, s, NULL);
	assert_int_equal(logstream_find_source(ls, "container:app-crash"), -1);

	s->docker_available = 1;
	GW_COPY(s->docker_socket, sockp);
	logstream_sync(ls, s, NULL);
	int si = logstream_find_source(ls, "container:app-crash");
	assert_true(si >= 0);
	const struct logstream_source *src = logstream_source(ls, (size_t)si);
	assert_int_equal(src->type, LOGSTREAM_CONTAINER);
	assert_string_equal(src->tag, "app-crash");
	assert_string_equal(logstream_type_name(src->type), "container");

	/* the recorded lines, then the live one, then the end of the stream */
	assert_true(run_until(ls, si, "live one", 10));
	assert_true(run_until(ls, si, "stopped: its log ended", 5));
	request(1, req, sizeof req);
	assert_string_equal(req, "/v1.41/containers/" ID1 "/logs?follow=1&stdout=1&stderr=1&timestamps=1&tail=200");
	assert_true(src->ok);
	assert_int_equal(count(ls, si, "booting"), 7);
	assert_int_equal(count(ls, si, "ImportError: no module named app"), 7);
	const struct logstream_line *l = find(ls, si, "booting");
	assert_string_equal(l->text, "booting");                   /* the stamp is not in the text */
	assert_true(l->time > 1795619629.52 && l->time < 1795619629.53);
	assert_true(l->flags & LOGSTREAM_F_TIMED);
	assert_int_equal(l->level, GW_LV_INFO);
	l = find(ls, si, "ImportError");
	assert_int_equal(l->kind, GW_LOG_APP_MODULE_NOT_FOUND);   /* logclass_app, as the journal's app lines */
	assert_true(l->level >= GW_LV_ERROR);
	/* time order across sources */
	for (size_t i = 1; i < logstream_count(ls); i++)
		assert_true(logstream_get(ls, i - 1)->time <= logstream_get(ls, i)->time);
	size_t ib = (size_t)-1, i1 = 0, i2 = 0;
	for (size_t i = 0; i < logstream_count(ls); i++) {
		const struct logstream_line *x = logstream_get(ls, i);
		if (x->src == fsrc && strstr(x->text, "between")) ib = i;
		if (x->src == si && strstr(x->text, "ImportError") && !i1) i1 = i;
		if (x->src == si && strstr(x->text, "booting") && i > i1 && i1 && !i2) i2 = i;
	}
	assert_true(ib != (size_t)-1 && i1 < ib && ib < i2);

	/* stopped, not started again: no new request */
	GW_COPY(c->state, "exited");
	logstream_sync(ls, s, NULL);
	run_for(0.3);
	assert_int_equal(requests(), 1);

	/* started again: since= the newest line taken; the repeated lines are not shown twice */
	GW_COPY(c->state, "running");
	c->started_at = 200;
	logstream_sync(ls, s, NULL);
	assert_true(run_until(ls, si, "after restart", 10));
	request(2, req, sizeof req);
	int64_t wm;
	const char *lo = "2026-11-25T15:14:30.000000001Z";
	assert_true(docker_log_stamp(lo, strlen(lo), &wm));
	char want[512];
	snprintf(want, sizeof want, "/v1.41/containers/" ID1 "/logs?follow=1&stdout=1&stderr=1&timestamps=1"
		 "&tail=%d&since=%lld.000000001", LOGSTREAM_CATCHUP_LINES, (long long)(wm / 1000000000));
	assert_string_equal(req, want);
	assert_int_equal(count(ls, si, "live one"), 1);
	assert_int_equal(count(ls, si, "live two, same nanosecond"), 1);
	assert_int_equal(count(ls, si, "ImportError: no module named app"), 7);
	l = find(ls, si, "after restart");
	assert_true(l->time > 1795619680.49 && l->time < 1795619680.51);
	run_for(0.2);
	assert_int_equal(count(ls, si, "stopped: its log ended"), 2);

	/* a request that finds nothing new: no line, and no second note of the stop */
	c->started_at = 250;
	logstream_sync(ls, s, NULL);
	run_for(0.5);
	assert_int_equal(requests(), 3);
	assert_int_equal(count(ls, si, "after restart"), 1);
	assert_int_equal(count(ls, si, "stopped: its log ended"), 2);

	/* recreated under the same name: a new id, read from its start */
	run_for(0.2);
	GW_COPY(c->id, ID2);
	c->started_at = 300;
	logstream_sync(ls, s, NULL);
	assert_true(run_until(ls, si, "KeyError: DATABASE_URL", 10));
	assert_int_equal(count(ls, si, "was recreated: id 222222222222"), 1);
	request(4, req, sizeof req);
	assert_string_equal(req, "/v1.41/containers/" ID2 "/logs?follow=1&stdout=1&stderr=1&timestamps=1&tail=200");
	assert_true(find(ls, si, "KeyError")->level >= GW_LV_ERROR);

	/* the engine refuses: the source says why; asked again only after a new start */
	run_for(0.2);
	c->started_at = 400;
	logstream_sync(ls, s, NULL);
	double t0 = gw_mono();
	while (!src->error[0] && gw_mono() - t0 < 10) sd_event_run(ev, 50000);
	assert_false(src->ok);
	assert_string_equal(src->error, "engine: logs: HTTP 404: No such container: " ID2);
	logstream_sync(ls, s, NULL);
	run_for(0.3);
	assert_int_equal(requests(), 5);

	/* the selection (tail) of the logs pane: the source is found by name */
	assert_int_equal(logstream_add_container(ls, s, "app-crash"), si);
	assert_int_equal(logstream_add_container(ls, s, "nope"), -1);

	logstream_free(ls);
	gw_vec_free(&s->containers);
	free(s);
}

/* The engine goes away while a stream is open: the source says so; the
 * stream is freed with the logstream while a request is in flight. */
static void test_follow_engine_gone(void **state)
{
	(void)state;
	struct logstream_config cfg = { .no_journal = 1 };
	struct logstream *ls = logstream_new(ev, &cfg);
	struct gw_snapshot *s = calloc(1, sizeof *s);
	assert_non_null(s);
	struct gw_container *c = gw_vec_push(&s->containers);
	GW_COPY(c->id, ID1);
	GW_COPY(c->name, "app-crash");
	GW_COPY(c->state, "restarting");
	s->docker_available = 1;
	GW_COPY(s->docker_socket, sockp);
	logstream_sync(ls, s, NULL);
	int si = logstream_find_source(ls, "container:app-crash");
	assert_true(run_until(ls, si, "booting", 10));
	kill(engine_pid, SIGKILL);
	waitpid(engine_pid, NULL, 0);
	engine_pid = 0;
	run_for(0.5);
	GW_COPY(c->state, "running");
	logstream_sync(ls, s, NULL);                  /* asks again: nobody listens */
	const struct logstream_source *src = logstream_source(ls, (size_t)si);
	double t0 = gw_mono();
	while (!src->error[0] && gw_mono() - t0 < 10) sd_event_run(ev, 50000);
	assert_false(src->ok);
	assert_true(gw_starts_with(src->error, "engine at "));
	logstream_free(ls);
	gw_vec_free(&s->containers);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demux_pieces),
		cmocka_unit_test(test_log_stamp),
		cmocka_unit_test_setup_teardown(test_follow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follow_engine_gone, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
