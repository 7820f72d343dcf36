/* test_listeners.c — real sockets (TCP v4, v6, unix, abstract) found through
 * netlink sock_diag, queue fill of un-accepted connections, owner pid, and
 * the listeners_find matching rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "listeners.h"

#define MAXFD 32
static int fds[MAXFD], nfds;
static char dir[64];
static pid_t child;
static struct listeners_state *ls;   /* what refreshes keep, one per test */

static int keep(int fd)
{
	assert_true(fd >= 0);
	if (nfds < MAXFD) fds[nfds++] = fd;
	return fd;
}

static int setup(void **state)
{
	(void)state;
	nfds = 0;
	child = 0;
	ls = listeners_state_new();
	snprintf(dir, sizeof dir, "/tmp/gwtop-listeners-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char p[128];
	for (int i = 0; i < nfds; i++) close(fds[i]);
	nfds = 0;
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = 0;
	}
	snprintf(p, sizeof p, "%s/app.sock", dir); unlink(p);
	snprintf(p, sizeof p, "%s/link.sock", dir); unlink(p);
	rmdir(dir);
	listeners_state_free(ls);
	ls = NULL;
	return 0;
}

/* A TCP listener on addr (v4 or v6 literal), port 0 = ephemeral. */
static int tcp_listen(const char *addr, int backlog, int v6only, int *port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int v6 = strchr(addr, ':') != NULL;
	int fd = keep(socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)*port);
		assert_int_equal(inet_pton(AF_INET6, addr, &a->sin6_addr), 1);
		assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only), 0);
		len = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)*port);
		assert_int_equal(inet_pton(AF_INET, addr, &a->sin_addr), 1);
		len = sizeof *a;
	}
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
	assert_int_equal(listen(fd, backlog), 0);
	len = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &len);
	*port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static int unix_listen(const char *path, int abstract)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd = keep(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	if (abstract) {
		size_t n = strlen(path);
		memcpy(sa.sun_path + 1, path, n);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	} else {
		GW_COPY(sa.sun_path, path);
		len = sizeof sa;
	}
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
	assert_int_equal(listen(fd, 7), 0);
	return fd;
}

static int find_port(const struct gw_snapshot *s, int family, const char *addr, int port)
{
	for (size_t i = 0; i < s->listeners.n; i++) {
		const struct gw_listener *l = &s->listeners.v[i];
		if (l->family == family && l->port == port && !strcmp(l->addr, addr)) return (int)i;
	}
	return -1;
}

static int find_path(const struct gw_snapshot *s, const char *path)
{
	for (size_t i = 0; i < s->listeners.n; i++)
		if (s->listeners.v[i].family == AF_UNIX && !strcmp(s->listeners.v[i].path, path)) return (int)i;
	return -1;
}

static struct gw_addr mkaddr(enum gw_addr_kind kind, const char *host, int port)
{
	struct gw_addr a = { .kind = kind, .port = port };
	if (kind == GW_ADDR_UNIX) GW_COPY(a.path, host);
	else GW_COPY(a.host, host);
	return a;
}

static void test_tcp4_queue_and_owner(void **state)
{
	(void)state;
	int port = 0;
	tcp_listen("127.0.0.1", 5, 0, &port);
	for (int i = 0; i < 3; i++) {           /* never accepted: they sit in the queue */
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
		int c = keep(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
		assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof a), 0);
	}
	struct gw_snapshot s;
	snapshot_init(&s);
	assert_int_equal(listeners_refresh(ls, &s), 0);
	int i = find_port(&s, AF_INET, "127.0.0.1", port);
	assert_true(i >= 0);
	const struct gw_listener *l = &s.listeners.v[i];
	assert_int_equal(l->queue, 3);
	assert_int_equal(l->backlog, 5);
	assert_int_equal(l->pid, getpid());
	char comm[64] = "";
	FILE *cf = fopen("/proc/self/comm", "r");
	assert_non_null(cf);
	assert_non_null(fgets(comm, sizeof comm, cf));
	fclose(cf);
	comm[strcspn(comm, "\n")] = '\0';
	assert_string_equal(l->comm, comm);
	assert_true(l->inode > 0);
	assert_int_equal(l->v6only, 0);

	assert_int_equal(listeners_find_port(&s, AF_INET, port), i);
	assert_int_equal(listeners_find_port(&s, AF_INET6, port), -1);
	int idx[4];
	assert_true(listeners_of_pid(&s, getpid(), idx, 4) >= 1);
	assert_int_equal(idx[0], i);
	snapshot_free(&s);
}

static void test_tcp6_and_matching(void **state)
{
	(void)state;
	int p4 = 0, p6 = 0, pany = 0, pdual = 0;
	tcp_listen("127.0.0.1", 16, 0, &p4);
	tcp_listen("::1", 16, 1, &p6);
	tcp_listen("0.0.0.0", 16, 0, &pany);
	tcp_listen("::", 16, 0, &pdual);

	struct gw_snapshot s;
	snapshot_init(&s);
	assert_int_equal(listeners_refresh(ls, &s), 0);
	int i4 = find_port(&s, AF_INET, "127.0.0.1", p4);
	int i6 = find_port(&s, AF_INET6, "::1", p6);
	int iany = find_port(&s, AF_INET, "0.0.0.0", pany);
	int idual = find_port(&s, AF_INET6, "::", pdual);
	assert_true(i4 >= 0 && i6 >= 0 && iany >= 0 && idual >= 0);
	assert_int_equal(s.listeners.v[i6].v6only, 1);
	assert_int_equal(s.listeners.v[idual].v6only, 0);
	assert_int_equal(s.listeners.v[i6].pid, getpid());

	struct gw_addr a;
	a = mkaddr(GW_ADDR_INET, "127.0.0.1", p4);       assert_int_equal(listeners_find(&s, &a), i4);
	a = mkaddr(GW_ADDR_INET, "127.0.0.2", p4);       assert_int_equal(listeners_find(&s, &a), -1);
	a = mkaddr(GW_ADDR_HOST, "localhost", p4);       assert_int_equal(listeners_find(&s, &a), i4);
	a = mkaddr(GW_ADDR_HOST, "localhost", p6);       assert_int_equal(listeners_find(&s, &a), i6);
	a = mkaddr(GW_ADDR_INET6, "::1", p6);            assert_int_equal(listeners_find(&s, &a), i6);
	a = mkaddr(GW_ADDR_INET, "127.0.0.1", p6);       assert_int_equal(listeners_find(&s, &a), -1); /* v6only */
	a = mkaddr(GW_ADDR_INET6, "::1", p4);            assert_int_equal(listeners_find(&s, &a), -1); /* v4 only */
	a = mkaddr(GW_ADDR_INET, "127.0.0.5", pany);     assert_int_equal(listeners_find(&s, &a), iany);
	a = mkaddr(GW_ADDR_INET, "127.0.0.1", pdual);    assert_int_equal(listeners_find(&s, &a), idual);
	a = mkaddr(GW_ADDR_INET6, "::1", pdual);         assert_int_equal(listeners_find(&s, &a), idual);
	a = mkaddr(GW_ADDR_INET6, "::ffff:127.0.0.1", p4); assert_int_equal(listeners_find(&s, &a), i4);
	a = mkaddr(GW_ADDR_HOST, "no-such-host.invalid", p4); assert_int_equal(listeners_find(&s, &a), -1);
	snapshot_free(&s);
}

/* Exact beats wildcard, from a fixture snapshot (no sockets). */
static void test_find_prefers_exact(void **state)
{
	(void)state;
	struct gw_snapshot s;
	snapshot_init(&s);
	struct gw_listener *l = gw_vec_push(&s.listeners);
	l->family = AF_INET6; GW_COPY(l->addr, "::"); l->port = 8000; l->v6only = -1;
	l = gw_vec_push(&s.listeners);
	l->family = AF_INET; GW_COPY(l->addr, "0.0.0.0"); l->port = 8000;
	l = gw_vec_push(&s.listeners);
	l->family = AF_INET; GW_COPY(l->addr, "127.0.0.1"); l->port = 8000;
	l = gw_vec_push(&s.listeners);
	l->family = AF_INET; GW_COPY(l->addr, "127.0.0.1"); l->port = 80;

	struct gw_addr a = mkaddr(GW_ADDR_INET, "127.0.0.1", 8000);
	assert_int_equal(listeners_find(&s, &a), 2);
	a = mkaddr(GW_ADDR_INET, "10.0.0.1", 8000);
	assert_int_equal(listeners_find(&s, &a), 1);
	a = mkaddr(GW_ADDR_INET6, "fe80::1", 8000);
	assert_int_equal(listeners_find(&s, &a), 0);
	a = mkaddr(GW_ADDR_INET, "127.0.0.1", 0);          /* no port: http default */
	assert_int_equal(listeners_find(&s, &a), 3);
	a = mkaddr(GW_ADDR_INET, "127.0.0.1", 9000);
	assert_int_equal(listeners_find(&s, &a), -1);
	snapshot_free(&s);
}

static void test_unix(void **state)
{
	(void)state;
	char path[128], link[128], abs_name[64];
	snprintf(path, sizeof path, "%s/app.sock", dir);
	snprintf(link, sizeof link, "%s/link.sock", dir);
	snprintf(abs_name, sizeof abs_name, "gwtop-test-%d", (int)getpid());
	unix_listen(path, 0);
	unix_listen(abs_name, 1);
	assert_int_equal(symlink(path, link), 0);
	/* two pending connections */
	for (int k = 0; k < 2; k++) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		GW_COPY(sa.sun_path, path);
		int c = keep(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
		assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof sa), 0);
	}

	struct gw_snapshot s;
	snapshot_init(&s);
	assert_int_equal(listeners_refresh(ls, &s), 0);
	int i = find_path(&s, path);
	assert_true(i >= 0);
	assert_int_equal(s.listeners.v[i].queue, 2);
	assert_int_equal(s.listeners.v[i].backlog, 7);
	assert_int_equal(s.listeners.v[i].pid, getpid());
	assert_string_equal(s.listeners.v[i].addr, "");
	char want[80];
	snprintf(want, sizeof want, "@%s", abs_name);
	int j = find_path(&s, want);
	assert_true(j >= 0);
	assert_int_equal(s.listeners.v[j].pid, getpid());

	struct gw_addr a = mkaddr(GW_ADDR_UNIX, path, 0);
	assert_int_equal(listeners_find(&s, &a), i);
	a = mkaddr(GW_ADDR_UNIX, link, 0);                 /* via a symlink */
	assert_int_equal(listeners_find(&s, &a), i);
	a = mkaddr(GW_ADDR_UNIX, "/nonexistent/gwtop.sock", 0);
	assert_int_equal(listeners_find(&s, &a), -1);
	snapshot_free(&s);
}

/* A listener shared by a parent and its forked child (gunicorn/nginx
 * master + workers): the owner is the parent. */
static void test_owner_is_master(void **state)
{
	(void)state;
	int port = 0, pfd[2];
	tcp_listen("127.0.0.1", 8, 0, &port);
	assert_int_equal(pipe(pfd), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {                    /* holds the inherited listener */
		close(pfd[0]);
		if (write(pfd[1], "x", 1) != 1) _exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	char c;
	assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);

	struct gw_snapshot s;
	snapshot_init(&s);
	assert_int_equal(listeners_refresh(ls, &s), 0);
	int i = find_port(&s, AF_INET, "127.0.0.1", port);
	assert_true(i >= 0);
	assert_int_equal(s.listeners.v[i].pid, getpid());

	/* the child alone holds it once the parent closes its copy */
	for (int k = 0; k < nfds; k++) close(fds[k]);
	nfds = 0;
	assert_int_equal(listeners_refresh(ls, &s), 0);
	i = find_port(&s, AF_INET, "127.0.0.1", port);
	assert_true(i >= 0);
	assert_int_equal(s.listeners.v[i].pid, child);
	snapshot_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tcp4_queue_and_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp6_and_matching, setup, teardown),
		cmocka_unit_test(test_find_prefers_exact),
		cmocka_unit_test_setup_teardown(test_unix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_is_master, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
