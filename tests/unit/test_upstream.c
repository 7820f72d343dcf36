/* test_upstream.c — the upstream probe against real servers: a python
 * process serving HTTP on 127.0.0.1, ::1 and a unix socket (200, 500, a big
 * body, a slow answer, a hang after accept, a close without answer, a check
 * of the Host and User-Agent headers), a port nobody listens on, a missing
 * socket path and a plain listener for connect-only (fastcgi-style) probes.
 * Every test runs its own sd_event loop until done or a 10 s deadline. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ticker.h"

#include <curl/curl.h>

#include "upstream.h"

static const char server_py[] =
"import http.server, socketserver, socket, sys, threading, time, os\n"
"class H(http.server.BaseHTTPRequestHandler):\n"
"    protocol_version = 'HTTP/1.1'\n"
"    def log_message(self, *a): pass\n"
"    def address_string(self): return 'client'\n"
"    def reply(self, code, body=b'ok'):\n"
"        self.send_response(code)\n"
"        self.send_header('Content-Length', str(len(body)))\n"
"        self.end_headers()\n"
"        try: self.wfile.write(body)\n"
"        except Exception: pass\n"
"    def do_GET(self):\n"
"        m = self.server.mode\n"
"        if m == 'ok': self.reply(200)\n"
"        elif m == 'e500': self.reply(500, b'boom')\n"
"        elif m == 'big': self.reply(200, b'x' * (4 << 20))\n"
"        elif m == 'slow': time.sleep(0.6); self.reply(200)\n"
"        elif m == 'close': self.close_connection = True\n"
"        elif m == 'hang': time.sleep(30)\n"
"        elif m == 'hostcheck':\n"
"            if not self.headers.get('User-Agent', '').startswith('gwtop/'): self.reply(400)\n"
"            elif self.headers.get('Host') == 'app.example': self.reply(200)\n"
"            elif self.headers.get('Host') == 'localhost': self.reply(210)\n"
"            else: self.reply(421)\n"
"class T(socketserver.ThreadingMixIn, http.server.HTTPServer):\n"
"    daemon_threads = True\n"
"    allow_reuse_address = True\n"
"    def handle_error(self, *a): pass\n"
"class T6(T):\n"
"    address_family = socket.AF_INET6\n"
"class U(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):\n"
"    daemon_threads = True\n"
"    def handle_error(self, *a): pass\n"
"def serve(srv, mode, name, port):\n"
"    srv.mode = mode\n"
"    threading.Thread(target=srv.serve_forever, daemon=True).start()\n"
"    print(name, port, flush=True)\n"
"for mode in ['ok', 'e500', 'big', 'slow', 'close', 'hang', 'hostcheck']:\n"
"    s = T(('127.0.0.1', 0), H)\n"
"    serve(s, mode, mode, s.server_address[1])\n"
"s6 = T6(('::1', 0), H)\n"
"serve(s6, 'ok', 'v6', s6.server_address[1])\n"
"u = U(sys.argv[1], H)\n"
"serve(u, 'ok', 'unix', 0)\n"
"raw = socket.socket()\n"
"raw.bind(('127.0.0.1', 0)); raw.listen(16)\n"
"print('raw', raw.getsockname()[1], flush=True)\n"
"print('ready', 0, flush=True)\n"
"sys.stdin.read()\n";

/* The shared fixture: one python process for all tests. */
static char tmpdir[256];
static char sock_path[300];
static pid_t srv_pid = -1;
static int srv_stdin = -1, srv_stdout = -1;
static int port_ok, port_e500, port_big, port_slow, port_close, port_hang, port_host, port_v6, port_raw;

static void kill_server(void)
{
	if (srv_stdin >= 0)
		close(srv_stdin);
	srv_stdin = -1;
	if (srv_stdout >= 0)
		close(srv_stdout);
	srv_stdout = -1;
	if (srv_pid > 0) {
		kill(srv_pid, SIGKILL);
		waitpid(srv_pid, NULL, 0);
	}
	srv_pid = -1;
}

static void rm_tmpdir(void)
{
	char p[400];
	if (!tmpdir[0])
		return;
	unlink(sock_path);
	snprintf(p, sizeof p, "%s/server.py", tmpdir);
	unlink(p);
	rmdir(tmpdir);
	tmpdir[0] = '\0';
}

static int group_setup(void **state)
{
	char script[400], buf[4096] = "";
	size_t len = 0;
	int in[2], out[2];
	FILE *f;
	double deadline;

	(void)state;
	strcpy(tmpdir, "/tmp/gwtop-upstream-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(sock_path, sizeof sock_path, "%s/app.sock", tmpdir);
	snprintf(script, sizeof script, "%s/server.py", tmpdir);
	if (!(f = fopen(script, "w")))
		return -1;
	fputs(server_py, f);
	fclose(f);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		return -1;
	srv_pid = fork();
	if (srv_pid < 0)
		return -1;
	if (srv_pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execl("/usr/bin/python3", "python3", script, sock_path, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	srv_stdin = in[1];   /* the server lives until we close this (or kill it) */
	srv_stdout = out[0]; /* kept open: the server must never see EPIPE */

	deadline = gw_mono() + 10;
	for (;;) {
		struct pollfd pfd = { .fd = srv_stdout, .events = POLLIN };
		ssize_t r;
		buf[len] = '\0';
		if (strstr(buf, "ready 0\n"))
			break;
		if (gw_mono() > deadline || poll(&pfd, 1, 200) < 0)
			goto fail;
		if (!(pfd.revents & (POLLIN | POLLHUP)))
			continue;
		r = read(srv_stdout, buf + len, sizeof buf - 1 - len);
		if (r <= 0)
			goto fail;
		len += (size_t)r;
		buf[len] = '\0';
	}
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char name[32];
		int port;
		if (sscanf(line, "%31s %d", name, &port) != 2)
			continue;
		if (!strcmp(name, "ok")) port_ok = port;
		else if (!strcmp(name, "e500")) port_e500 = port;
		else if (!strcmp(name, "big")) port_big = port;
		else if (!strcmp(name, "slow")) port_slow = port;
		else if (!strcmp(name, "close")) port_close = port;
		else if (!strcmp(name, "hang")) port_hang = port;
		else if (!strcmp(name, "hostcheck")) port_host = port;
		else if (!strcmp(name, "v6")) port_v6 = port;
		else if (!strcmp(name, "raw")) port_raw = port;
	}
	return port_ok && port_raw && port_v6 ? 0 : -1;
fail:
	kill_server();
	rm_tmpdir();
	return -1;
}

static int group_teardown(void **state)
{
	(void)state;
	kill_server();
	rm_tmpdir();
	return 0;
}

/* ---------------------------------------------------------------- helpers */

static void tcp_target(struct gw_target *t, const char *host, int port, const char *scheme)
{
	memset(t, 0, sizeof *t);
	t->addr.kind = strchr(host, ':') ? GW_ADDR_INET6 : (host[0] >= '0' && host[0] <= '9') ? GW_ADDR_INET : GW_ADDR_HOST;
	GW_COPY(t->addr.host, host);
	t->addr.port = port;
	GW_COPY(t->scheme, scheme);
	GW_COPY(t->directive, scheme[0] ? "proxy_pass" : "fastcgi_pass");
	t->listener_idx = -1;
}

static void unix_target(struct gw_target *t, const char *path)
{
	memset(t, 0, sizeof *t);
	t->addr.kind = GW_ADDR_UNIX;
	GW_COPY(t->addr.path, path);
	GW_COPY(t->scheme, "http");
	GW_COPY(t->directive, "proxy_pass");
	t->listener_idx = -1;
}

/* A loopback port nothing listens on. */
static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

struct run {
	int done;
	int calls;
};

static void on_done(void *ud)
{
	struct run *r = ud;
	r->done = 1;
	r->calls++;
}

/* Run the loop until r->done or the deadline; returns seconds spent. */
static double run_loop(sd_event *e, struct run *r, double max_s)
{
	double t0 = gw_mono();
	while (!r->done && gw_mono() - t0 < max_s)
		assert_true(sd_event_run(e, 100000) >= 0);
	return gw_mono() - t0;
}

/* Probe n targets with a fresh loop and prober; returns seconds spent. */
static double probe(struct gw_target *t, size_t n, double timeout_s)
{
	sd_event *e = NULL;
	struct upstream_prober *p;
	struct run r = { 0 };
	double secs;

	assert_int_equal(sd_event_new(&e), 0);
	p = upstream_prober_new(e);
	assert_non_null(p);
	assert_int_equal(upstream_probe_start(p, t, n, timeout_s, on_done, &r), 0);
	assert_int_equal(r.calls, 0);   /* never from inside start */
	assert_true(upstream_probe_running(p));
	secs = run_loop(e, &r, 10);
	assert_int_equal(r.calls, 1);
	assert_false(upstream_probe_running(p));
	upstream_prober_free(p);
	sd_event_unref(e);
	return secs;
}

/* ---------------------------------------------------------------- tests */

static void test_http_ok_and_500(void **state)
{
	struct gw_target t[3];
	(void)state;
	tcp_target(&t[0], "127.0.0.1", port_ok, "http");
	tcp_target(&t[1], "127.0.0.1", port_e500, "http");
	tcp_target(&t[2], "127.0.0.1", port_big, "http");
	probe(t, 3, 3);

	assert_true(t[0].probed);
	assert_true(t[0].reachable);
	assert_true(t[0].http_ok);
	assert_int_equal(t[0].http_status, 200);
	assert_int_equal(t[0].err, 0);
	assert_false(t[0].timed_out);
	assert_false(t[0].not_http);
	assert_string_equal(t[0].error, "");
	assert_true(t[0].connect_ms > 0);
	assert_true(t[0].total_ms >= t[0].connect_ms);

	assert_true(t[1].reachable);
	assert_true(t[1].http_ok);
	assert_int_equal(t[1].http_status, 500);
	assert_string_equal(t[1].error, "");

	/* 4 MiB body: aborted after the first bytes, still a success */
	assert_true(t[2].reachable);
	assert_true(t[2].http_ok);
	assert_int_equal(t[2].http_status, 200);
	assert_string_equal(t[2].error, "");
	assert_true(t[2].total_ms < 2000);
}

static void test_refused(void **state)
{
	struct gw_target t;
	(void)state;
	tcp_target(&t, "127.0.0.1", free_port(), "http");
	probe(&t, 1, 2);
	assert_true(t.probed);
	assert_false(t.reachable);
	assert_false(t.http_ok);
	assert_int_equal(t.http_status, 0);
	assert_int_equal(t.err, ECONNREFUSED);
	assert_false(t.timed_out);
	assert_true(t.error[0] != '\0');
}

static void test_unix_socket(void **state)
{
	struct gw_target t[2];
	char missing[400];
	(void)state;
	snprintf(missing, sizeof missing, "%s/missing.sock", tmpdir);
	unix_target(&t[0], sock_path);
	unix_target(&t[1], missing);
	probe(t, 2, 2);

	assert_true(t[0].probed);
	assert_true(t[0].reachable);
	assert_true(t[0].http_ok);
	assert_int_equal(t[0].http_status, 200);
	assert_int_equal(t[0].err, 0);

	assert_true(t[1].probed);
	assert_false(t[1].reachable);
	assert_int_equal(t[1].err, ENOENT);
	assert_true(t[1].error[0] != '\0');
}

static void test_ipv6_and_hostname(void **state)
{
	struct gw_target t[3];
	(void)state;
	tcp_target(&t[0], "::1", port_v6, "http");
	tcp_target(&t[1], "127.0.0.1", port_v6, "http");  /* v6-only app, v4 target */
	tcp_target(&t[2], "localhost", port_ok, "http");  /* resolved by curl */
	assert_int_equal(t[2].addr.kind, GW_ADDR_HOST);
	probe(t, 3, 2);

	assert_true(t[0].reachable);
	assert_int_equal(t[0].http_status, 200);
	assert_false(t[1].reachable);
	assert_int_equal(t[1].err, ECONNREFUSED);
	assert_true(t[2].reachable);
	assert_int_equal(t[2].http_status, 200);
}

static void test_close_without_answer(void **state)
{
	struct gw_target t;
	(void)state;
	tcp_target(&t, "127.0.0.1", port_close, "http");
	probe(&t, 1, 2);
	assert_true(t.probed);
	assert_true(t.reachable);
	assert_false(t.http_ok);
	assert_int_equal(t.http_status, 0);
	assert_int_equal(t.err, 0);
	assert_false(t.timed_out);
	assert_true(t.error[0] != '\0');   /* "Empty reply from server" */
}

/* An app that accepts and never answers: reachable, timed out after 1 s,
 * and the loop keeps serving a 50 ms timer meanwhile. */
static void test_hang_loop_responsive(void **state)
{
	sd_event *e = NULL;
	struct upstream_prober *p;
	struct run r = { 0 };
	struct ticker tk;
	struct gw_target t;
	double secs;
	(void)state;

	tcp_target(&t, "127.0.0.1", port_hang, "http");
	assert_int_equal(sd_event_new(&e), 0);
	p = upstream_prober_new(e);
	assert_non_null(p);
	ticker_start(e, &tk);
	assert_int_equal(upstream_probe_start(p, &t, 1, 1.0, on_done, &r), 0);
	secs = run_loop(e, &r, 10);
	assert_int_equal(r.calls, 1);
	assert_true(secs > 0.9 && secs < 2.0);
	assert_true(t.probed);
	assert_true(t.reachable);
	assert_true(t.timed_out);
	assert_false(t.http_ok);
	assert_int_equal(t.err, 0);
	assert_true(t.error[0] != '\0');
	/* ~20 ticks in 1 s, none held up by the probe */
	assert_true(tk.ticks >= 15);
	assert_true(tk.worst_late_ms < 100);   /* blocked would be ~1000 */
	sd_event_source_disable_unref(tk.src);
	upstream_prober_free(p);
	sd_event_unref(e);
}

/* Three 0.6 s answers in parallel take ~0.6 s, not 1.8 s. */
static void test_concurrent(void **state)
{
	struct gw_target t[3];
	double secs;
	(void)state;
	for (int i = 0; i < 3; i++)
		tcp_target(&t[i], "127.0.0.1", port_slow, "http");
	secs = probe(t, 3, 3);
	for (int i = 0; i < 3; i++) {
		assert_true(t[i].reachable);
		assert_int_equal(t[i].http_status, 200);
		assert_true(t[i].total_ms >= 550);
	}
	assert_true(secs < 1.2);
}

/* fastcgi_pass & co: connect only, no HTTP. */
static void test_connect_only(void **state)
{
	struct gw_target t[3];
	(void)state;
	tcp_target(&t[0], "127.0.0.1", port_raw, "");
	tcp_target(&t[1], "127.0.0.1", free_port(), "");
	unix_target(&t[2], sock_path);
	GW_COPY(t[2].scheme, "");
	GW_COPY(t[2].directive, "uwsgi_pass");
	probe(t, 3, 2);

	assert_true(t[0].probed);
	assert_true(t[0].not_http);
	assert_true(t[0].reachable);
	assert_false(t[0].http_ok);
	assert_int_equal(t[0].http_status, 0);
	assert_false(t[0].timed_out);
	assert_string_equal(t[0].error, "");
	assert_true(t[0].total_ms < 1000);

	assert_true(t[1].not_http);
	assert_false(t[1].reachable);
	assert_int_equal(t[1].err, ECONNREFUSED);

	assert_true(t[2].not_http);
	assert_true(t[2].reachable);
}

/* curl keeps a transfer's first message: a getpeername() failure logged
 * right after the connect (the peer reset at once, a race that load makes
 * likely) must not hide the reset; other messages pass as they are. */
static void test_error_text(void **state)
{
	char out[GW_TEXT];
	(void)state;
	upstream_error_text(out, sizeof out, CURLE_RECV_ERROR, 0,
			    "getpeername() failed with errno 107: Transport endpoint is not connected");
	assert_non_null(strstr(out, "connection reset by the peer as soon as it was accepted"));
	assert_non_null(strstr(out, curl_easy_strerror(CURLE_RECV_ERROR)));
	assert_non_null(strstr(out, "errno 107"));           /* curl's words kept */
	upstream_error_text(out, sizeof out, CURLE_RECV_ERROR, ECONNRESET, "Recv failure: Connection reset by peer");
	assert_string_equal(out, "Recv failure: Connection reset by peer");
	upstream_error_text(out, sizeof out, CURLE_GOT_NOTHING, 0, "");
	assert_string_equal(out, curl_easy_strerror(CURLE_GOT_NOTHING));
	/* another getpeername() errno is not a reset: passed as it is */
	upstream_error_text(out, sizeof out, CURLE_SEND_ERROR, 0, "getpeername() failed with errno 9: Bad file descriptor");
	assert_string_equal(out, "getpeername() failed with errno 9: Bad file descriptor");
	/* the reset landed while connecting: curl's words do not say it */
	upstream_error_text(out, sizeof out, CURLE_COULDNT_CONNECT, ECONNRESET,
			    "Failed to connect to 127.0.0.1 port 80 after 7 ms: Couldn't connect to server");
	assert_non_null(strstr(out, "connection reset by the peer as soon as it was accepted"));
	/* refused is not a reset: as curl says it */
	upstream_error_text(out, sizeof out, CURLE_COULDNT_CONNECT, ECONNREFUSED,
			    "Failed to connect to 127.0.0.1 port 80 after 0 ms: Connection refused");
	assert_string_equal(out, "Failed to connect to 127.0.0.1 port 80 after 0 ms: Connection refused");
}

static void test_host_header(void **state)
{
	struct gw_target t[3];
	(void)state;
	assert_string_equal(upstream_host_header("app.example"), "app.example");
	assert_string_equal(upstream_host_header("_"), "localhost");
	assert_string_equal(upstream_host_header(""), "localhost");
	assert_string_equal(upstream_host_header("*.example.com"), "localhost");
	assert_string_equal(upstream_host_header("~^www\\d+$"), "localhost");
	assert_string_equal(upstream_host_header(".example.com"), "localhost");
	assert_string_equal(upstream_host_header("evil\r\nX: y"), "localhost");

	/* the server answers 200 for Host app.example, 210 for localhost,
	 * 400 without a gwtop User-Agent */
	tcp_target(&t[0], "127.0.0.1", port_host, "http");
	GW_COPY(t[0].server_name, "app.example");
	tcp_target(&t[1], "127.0.0.1", port_host, "http");
	GW_COPY(t[1].server_name, "_");
	tcp_target(&t[2], "127.0.0.1", port_host, "http");
	probe(t, 3, 2);
	assert_int_equal(t[0].http_status, 200);
	assert_int_equal(t[1].http_status, 210);
	assert_int_equal(t[2].http_status, 210);
}

/* Unprobeable addresses are skipped; an empty pass still calls back. */
static void test_skipped_and_empty(void **state)
{
	struct gw_target t[2];
	(void)state;
	memset(t, 0, sizeof t);
	t[0].addr.kind = GW_ADDR_VARIABLE;
	GW_COPY(t[0].addr.host, "$backend");
	tcp_target(&t[1], "bad/host@x", 80, "http");
	t[1].addr.kind = GW_ADDR_HOST;
	probe(t, 2, 1);
	assert_false(t[0].probed);
	assert_true(t[0].error[0] != '\0');
	assert_false(t[1].probed);
	assert_true(t[1].error[0] != '\0');
	probe(NULL, 0, 1);
}

/* Cancel mid-flight: no callback, nothing left behind; the prober can start
 * another pass right away; freeing it mid-pass is safe. */
static void test_cancel_and_reuse(void **state)
{
	sd_event *e = NULL;
	struct upstream_prober *p;
	struct run r = { 0 }, r2 = { 0 };
	struct gw_target t[2];
	double t0;
	(void)state;

	tcp_target(&t[0], "127.0.0.1", port_hang, "http");
	tcp_target(&t[1], "127.0.0.1", port_slow, "http");
	assert_int_equal(sd_event_new(&e), 0);
	p = upstream_prober_new(e);
	assert_non_null(p);
	assert_int_equal(upstream_probe_start(p, t, 2, 5, on_done, &r), 0);
	assert_int_equal(upstream_probe_start(p, t, 2, 5, on_done, &r), -EBUSY);
	t0 = gw_mono();
	while (gw_mono() - t0 < 0.2)
		assert_true(sd_event_run(e, 50000) >= 0);
	upstream_probe_cancel(p);
	assert_false(upstream_probe_running(p));
	t0 = gw_mono();
	while (gw_mono() - t0 < 0.8)
		assert_true(sd_event_run(e, 50000) >= 0);
	assert_int_equal(r.calls, 0);
	assert_false(t[1].probed);

	/* second pass on the same prober */
	tcp_target(&t[0], "127.0.0.1", port_ok, "http");
	assert_int_equal(upstream_probe_start(p, t, 1, 2, on_done, &r2), 0);
	run_loop(e, &r2, 10);
	assert_int_equal(r2.calls, 1);
	assert_int_equal(t[0].http_status, 200);

	/* free with a pass in flight */
	tcp_target(&t[0], "127.0.0.1", port_hang, "http");
	assert_int_equal(upstream_probe_start(p, t, 1, 5, on_done, &r), 0);
	assert_true(sd_event_run(e, 50000) >= 0);
	upstream_prober_free(p);
	assert_int_equal(r.calls, 0);
	sd_event_unref(e);
}

/* done may start the next pass, and done may free the prober. */
struct chain {
	struct upstream_prober *p;
	struct gw_target t;
	int passes;
	int finished;
};

static void chain_done(void *ud)
{
	struct chain *c = ud;
	c->passes++;
	assert_false(upstream_probe_running(c->p));
	if (c->passes == 1) {
		assert_int_equal(c->t.http_status, 500);
		tcp_target(&c->t, "127.0.0.1", port_ok, "http");
		assert_int_equal(upstream_probe_start(c->p, &c->t, 1, 2, chain_done, c), 0);
		return;
	}
	assert_int_equal(c->t.http_status, 200);
	upstream_prober_free(c->p);
	c->p = NULL;
	c->finished = 1;
}

static void test_restart_and_free_from_done(void **state)
{
	sd_event *e = NULL;
	struct chain c;
	double t0;
	(void)state;
	memset(&c, 0, sizeof c);
	assert_int_equal(sd_event_new(&e), 0);
	c.p = upstream_prober_new(e);
	assert_non_null(c.p);
	tcp_target(&c.t, "127.0.0.1", port_e500, "http");
	assert_int_equal(upstream_probe_start(c.p, &c.t, 1, 2, chain_done, &c), 0);
	t0 = gw_mono();
	while (!c.finished && gw_mono() - t0 < 10)
		assert_true(sd_event_run(e, 100000) >= 0);
	assert_true(c.finished);
	assert_int_equal(c.passes, 2);
	assert_null(c.p);
	/* the loop keeps working after the prober is gone */
	assert_true(sd_event_run(e, 10000) >= 0);
	sd_event_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_text),
		cmocka_unit_test(test_http_ok_and_500),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_unix_socket),
		cmocka_unit_test(test_ipv6_and_hostname),
		cmocka_unit_test(test_close_without_answer),
		cmocka_unit_test(test_hang_loop_responsive),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_connect_only),
		cmocka_unit_test(test_host_header),
		cmocka_unit_test(test_skipped_and_empty),
		cmocka_unit_test(test_cancel_and_reuse),
		cmocka_unit_test(test_restart_and_free_from_done),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
