/* test_path.c — the request path pane's "server:" line: which process is
 * named as the app server behind a target's listener (path_target_server),
 * on fixture snapshots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "ui.h"

static struct gw_proc *add_proc(struct gw_snapshot *s, pid_t pid, pid_t ppid, enum gw_role role, const char *comm)
{
	struct gw_proc *p = gw_vec_push(&s->procs);
	p->pid = pid;
	p->ppid = ppid;
	p->role = role;
	GW_COPY(p->comm, comm);
	return p;
}

static struct gw_target *add_target_on(struct gw_snapshot *s, int port, pid_t owner)
{
	struct gw_listener *l = gw_vec_push(&s->listeners);
	l->family = AF_INET;
	GW_COPY(l->addr, "127.0.0.1");
	l->port = port;
	l->pid = owner;
	struct gw_target *t = gw_vec_push(&s->targets);
	t->addr.kind = GW_ADDR_INET;
	GW_COPY(t->addr.host, "127.0.0.1");
	t->addr.port = port;
	t->listener_idx = (int)s->listeners.n - 1;
	return t;
}

/* a gunicorn worker's listener: the master is the server */
static void test_worker_climbs_to_master(void **st)
{
	(void)st;
	struct gw_snapshot s;
	snapshot_init(&s);
	add_proc(&s, 200, 1, GW_ROLE_GUNICORN_MASTER, "gunicorn");
	add_proc(&s, 201, 200, GW_ROLE_GUNICORN_WORKER, "gunicorn");
	const struct gw_target *t = add_target_on(&s, 8000, 201);
	const struct gw_proc *p = path_target_server(&s, t);
	assert_non_null(p);
	assert_int_equal(p->pid, 200);
	snapshot_free(&s);
}

/* issue 20: a published port held by docker-proxy, whose parent is dockerd
 * (the same role): the server shown is docker-proxy, not the engine */
static void test_docker_proxy_not_dockerd(void **st)
{
	(void)st;
	struct gw_snapshot s;
	snapshot_init(&s);
	add_proc(&s, 300, 1, GW_ROLE_DOCKER_PROXY, "dockerd");
	add_proc(&s, 320, 300, GW_ROLE_DOCKER_PROXY, "docker-proxy");
	const struct gw_target *t = add_target_on(&s, 18000, 320);
	const struct gw_proc *p = path_target_server(&s, t);
	assert_non_null(p);
	assert_int_equal(p->pid, 320);
	assert_string_equal(p->comm, "docker-proxy");
	snapshot_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worker_climbs_to_master),
		cmocka_unit_test(test_docker_proxy_not_dockerd),
	};
	return cmocka_run_group_tests_name("path", tests, NULL, NULL);
}
