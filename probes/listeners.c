/* listeners.c — who listens where: TCP v4/v6 sockets in LISTEN state and
 * listening UNIX sockets, read from the kernel with netlink sock_diag
 * (what `ss -ltnx` does), the owner process found by matching socket
 * inodes in /proc/PID/fd, and the address-matching rules nginx's connect
 * would follow. */
#include "listeners.h"
#include "procs.h"   /* procs_find: pid -> index in the sorted process table */
#include "addr.h"
#include "appbind.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#define LISTENERS_BUF 32768

/* ---------------------------------------------------------------- netlink */

static int listeners_nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) return -1;
	struct timeval tv = { .tv_sec = 1 };   /* the kernel answers at once; never hang */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

static int listeners_nl_send(int fd, const void *req, size_t len)
{
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	struct {
		struct nlmsghdr h;
		char body[64];
	} msg;

	memset(&msg, 0, sizeof msg);
	msg.h.nlmsg_len = NLMSG_LENGTH(len);
	msg.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.h.nlmsg_seq = 1;
	memcpy(msg.body, req, len);
	return sendto(fd, &msg, msg.h.nlmsg_len, 0, (struct sockaddr *)&nl, sizeof nl) < 0 ? -1 : 0;
}

typedef void (*listeners_msg_fn)(struct gw_snapshot *s, const struct nlmsghdr *h);

/* Read a dump until NLMSG_DONE, handing each message to fn. */
static int listeners_nl_recv(int fd, struct gw_snapshot *s, listeners_msg_fn fn)
{
	static char buf[LISTENERS_BUF] __attribute__((aligned(4)));
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n < 0) {
			if (errno == EINTR) continue;
			return -1;
		}
		if (n == 0) return -1;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE) return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				errno = e->error ? -e->error : EIO;
				return -1;
			}
			fn(s, h);
		}
	}
}

static void listeners_inet_msg(struct gw_snapshot *s, const struct nlmsghdr *h)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof *m) || m->idiag_state != TCP_LISTEN) return;

	struct gw_listener *l = gw_vec_push(&s->listeners);
	l->family = m->idiag_family;
	inet_ntop(m->idiag_family, m->id.idiag_src, l->addr, sizeof l->addr);
	l->port = ntohs(m->id.idiag_sport);
	l->inode = m->idiag_inode;
	l->queue = m->idiag_rqueue;
	l->backlog = m->idiag_wqueue;
	l->v6only = -1;

	int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
	for (const struct rtattr *a = (const struct rtattr *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == INET_DIAG_SKV6ONLY && RTA_PAYLOAD(a) >= 1 && l->family == AF_INET6)
			l->v6only = *(const unsigned char *)RTA_DATA(a);
	if (l->family == AF_INET) l->v6only = 0;
}

static void listeners_unix_msg(struct gw_snapshot *s, const struct nlmsghdr *h)
{
	const struct unix_diag_msg *m = NLMSG_DATA(h);
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof *m) || m->udiag_state != TCP_LISTEN) return;

	struct gw_listener *l = gw_vec_push(&s->listeners);
	l->family = AF_UNIX;
	l->inode = m->udiag_ino;
	l->v6only = -1;

	int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
	for (const struct rtattr *a = (const struct rtattr *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == UNIX_DIAG_NAME) {
			const char *p = RTA_DATA(a);
			size_t n = RTA_PAYLOAD(a), o = 0;
			if (n && p[0] == '\0') {            /* abstract: "@name" */
				l->path[o++] = '@';
				p++, n--;
			}
			if (n > sizeof l->path - 1 - o) n = sizeof l->path - 1 - o;
			memcpy(l->path + o, p, n);
			l->path[o + n] = '\0';
		} else if (a->rta_type == UNIX_DIAG_RQLEN && RTA_PAYLOAD(a) >= (int)sizeof(struct unix_diag_rqlen)) {
			const struct unix_diag_rqlen *q = RTA_DATA(a);
			l->queue = q->udiag_rqueue;
			l->backlog = q->udiag_wqueue;
		}
	}
}

static int listeners_dump_inet(int fd, struct gw_snapshot *s, int family)
{
	struct inet_diag_req_v2 req;
	memset(&req, 0, sizeof req);
	req.sdiag_family = (unsigned char)family;
	req.sdiag_protocol = IPPROTO_TCP;
	req.idiag_states = 1u << TCP_LISTEN;
	if (listeners_nl_send(fd, &req, sizeof req) < 0) return -1;
	return listeners_nl_recv(fd, s, listeners_inet_msg);
}

static int listeners_dump_unix(int fd, struct gw_snapshot *s)
{
	struct unix_diag_req req;
	memset(&req, 0, sizeof req);
	req.sdiag_family = AF_UNIX;
	req.udiag_states = 1u << TCP_LISTEN;
	req.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_RQLEN;
	if (listeners_nl_send(fd, &req, sizeof req) < 0) return -1;
	return listeners_nl_recv(fd, s, listeners_unix_msg);
}

/* ---------------------------------------------------------------- owners */

struct listeners_ino {
	unsigned long inode;
	size_t idx;
};

struct listeners_owner {
	size_t idx;
	pid_t pid;
	int fd;                      /* where pid holds it */
};

/* Owner cache. The /proc/PID/fd walk costs a readlink per open fd on the
 * host: it was the most expensive part of a probe pass. Between walks a
 * listener's owner is re-checked with one readlink of the fd it was found
 * on. The walk runs again when a listener inode is not in the cache (a new
 * socket), when a cached owner no longer holds that fd (exited, closed it,
 * pid reused), and every LISTENERS_RESCAN seconds at most, for what a
 * check cannot see: a new holder winning the owner rule while the old one
 * still holds the socket (fd passing), a socket we could not attribute
 * (another user's, without root) gaining a visible holder. */
#define LISTENERS_RESCAN 30.0

struct listeners_cached {
	unsigned long inode;
	pid_t pid;                   /* 0: no holder seen */
	int fd;
};

/* What a refresh keeps for the next one (owned by the caller: gather). */
struct listeners_state {
	GW_VEC(struct listeners_cached) cache;    /* owners, sorted by inode */
	double cache_mono;           /* when the last walk ran, 0 never */
	size_t cache_denied;
	int nl_fd;                   /* the sock_diag socket, -1 none (below) */
};

struct listeners_state *listeners_state_new(void)
{
	struct listeners_state *st = gw_xcalloc(1, sizeof *st);
	st->nl_fd = -1;
	return st;
}

void listeners_state_free(struct listeners_state *st)
{
	if (!st) return;
	if (st->nl_fd >= 0) close(st->nl_fd);
	gw_vec_free(&st->cache);
	free(st);
}

static int listeners_cached_cmp(const void *a, const void *b)
{
	unsigned long x = ((const struct listeners_cached *)a)->inode;
	unsigned long y = ((const struct listeners_cached *)b)->inode;
	return (x > y) - (x < y);
}

/* Is the link (from readlink of /proc/PID/fd/N) socket inode? */
static int listeners_link_is(const char *link, ssize_t r, unsigned long inode)
{
	char buf[64];
	if (r < 9 || r >= (ssize_t)sizeof buf || memcmp(link, "socket:[", 8)) return 0;
	memcpy(buf, link, (size_t)r);
	buf[r] = '\0';
	return strtoul(buf + 8, NULL, 10) == inode;
}

static int listeners_cached_by_pid(const void *a, const void *b)
{
	const struct listeners_cached *x = *(const struct listeners_cached *const *)a;
	const struct listeners_cached *y = *(const struct listeners_cached *const *)b;
	if (x->pid != y->pid) return (x->pid > y->pid) - (x->pid < y->pid);
	return (x->fd > y->fd) - (x->fd < y->fd);
}

/* Fill every listener's pid from the cache. 0 when an inode is missing or
 * an owner fails its check: the caller walks /proc then. Each owner's fd
 * is checked with one readlink, through /proc/PID/fd opened once when
 * that pid owns several listeners (a path walk less per readlink). */
static int listeners_owners_cached(struct listeners_state *st, struct gw_snapshot *s)
{
	if (!st->cache_mono || gw_mono() - st->cache_mono >= LISTENERS_RESCAN)
		return 0;
	const struct listeners_cached **chk = gw_xcalloc(s->listeners.n + 1, sizeof *chk);
	size_t k = 0;
	int ok = 1;
	for (size_t i = 0; i < s->listeners.n && ok; i++) {
		struct listeners_cached key = { .inode = s->listeners.v[i].inode }, *c;
		c = st->cache.n ? bsearch(&key, st->cache.v, st->cache.n,
						sizeof key, listeners_cached_cmp) : NULL;
		if (!c) ok = 0;
		else if ((s->listeners.v[i].pid = c->pid)) chk[k++] = c;
	}
	if (ok && k > 1) qsort(chk, k, sizeof *chk, listeners_cached_by_pid);
	for (size_t g = 0, e; ok && g < k; g = e) {
		char path[64], link[64], name[16];
		int dfd = -1;
		for (e = g + 1; e < k && chk[e]->pid == chk[g]->pid; e++)
			;
		if (e - g >= 3) {
			snprintf(path, sizeof path, "/proc/%d/fd", (int)chk[g]->pid);
			dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		}
		for (size_t j = g; j < e && ok; j++) {
			ssize_t r;
			if (dfd >= 0) {
				snprintf(name, sizeof name, "%d", chk[j]->fd);
				r = readlinkat(dfd, name, link, sizeof link);
			} else {
				snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)chk[j]->pid, chk[j]->fd);
				r = readlink(path, link, sizeof link);
			}
			ok = listeners_link_is(link, r, chk[j]->inode);
		}
		if (dfd >= 0) close(dfd);
	}
	free(chk);
	return ok;
}

static int listeners_ino_cmp(const void *a, const void *b)
{
	unsigned long x = ((const struct listeners_ino *)a)->inode, y = ((const struct listeners_ino *)b)->inode;
	return (x > y) - (x < y);
}

static void listeners_comm(pid_t pid, char *out, size_t size)
{
	char path[64], *buf;
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	out[0] = '\0';
	if (!(buf = gw_read_file(path, 256, NULL))) return;
	buf[strcspn(buf, "\n")] = '\0';
	gw_strlcpy(out, buf, size);
	free(buf);
}

static int listeners_owner_cmp(const void *a, const void *b)
{
	const struct listeners_owner *x = a, *y = b;
	if (x->idx != y->idx) return x->idx < y->idx ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static pid_t listeners_ppid_of(const struct gw_snapshot *s, pid_t pid)
{
	int i = procs_find(s, pid);
	return i >= 0 ? s->procs.v[i].ppid : gw_proc_ppid(pid);
}

/* Match every listener inode against /proc/PID/fd. Several processes share
 * a listener (a master and its forked workers): the owner is the one whose
 * parent does not hold it too (the master), lowest pid on ties. The result
 * goes to the owner cache. */
static void listeners_owners_walk(struct listeners_state *st, struct gw_snapshot *s)
{
	size_t n = s->listeners.n, denied = 0;
	GW_VEC(struct listeners_owner) own = { 0 };
	struct listeners_ino *inos;
	DIR *proc;
	struct dirent *de;

	gw_vec_clear(&st->cache);
	st->cache_mono = gw_mono();
	st->cache_denied = 0;
	if (!n) return;
	inos = gw_xcalloc(n, sizeof *inos);
	for (size_t i = 0; i < n; i++) {
		inos[i].inode = s->listeners.v[i].inode;
		inos[i].idx = i;
	}
	qsort(inos, n, sizeof *inos, listeners_ino_cmp);

	if (!(proc = opendir("/proc"))) {
		free(inos);
		st->cache_mono = 0;
		return;
	}
	while ((de = readdir(proc))) {
		char path[64], link[64];
		if (de->d_name[0] < '1' || de->d_name[0] > '9') continue;
		pid_t pid = (pid_t)strtol(de->d_name, NULL, 10);
		int pi = procs_find(s, pid);
		if (pi >= 0 && (pid == 2 || s->procs.v[pi].ppid == 2))
			continue;                /* a kernel thread has no fd table to look at */
		snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
		int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0) {
			if (errno == EACCES || errno == EPERM) denied++;
			continue;
		}
		DIR *fdd = fdopendir(dfd);
		if (!fdd) { close(dfd); continue; }
		struct dirent *fe;
		while ((fe = readdir(fdd))) {
			if (fe->d_name[0] < '0' || fe->d_name[0] > '9') continue;
			ssize_t r = readlinkat(dfd, fe->d_name, link, sizeof link - 1);
			if (r < 9 || memcmp(link, "socket:[", 8)) continue;
			link[r] = '\0';
			struct listeners_ino key = { .inode = strtoul(link + 8, NULL, 10) };
			struct listeners_ino *hit = bsearch(&key, inos, n, sizeof *inos, listeners_ino_cmp);
			if (!hit) continue;
			/* equal inodes are adjacent; step to the first (v4/v6 dumps never share) */
			while (hit > inos && hit[-1].inode == key.inode) hit--;
			for (; hit < inos + n && hit->inode == key.inode; hit++) {
				struct listeners_owner *o = gw_vec_push(&own);
				o->idx = hit->idx;
				o->pid = pid;
				o->fd = (int)strtol(fe->d_name, NULL, 10);
			}
		}
		closedir(fdd);
	}
	closedir(proc);

	/* the cache gets every listener: its owner and the fd to check it by */
	for (size_t i = 0; i < n; i++) {
		struct listeners_cached *c = gw_vec_push(&st->cache);
		c->inode = s->listeners.v[i].inode;
		c->fd = -1;
	}
	/* group holders per listener; in each group the owner is the holder
	 * whose parent is not a holder too (a master, not its forked workers) */
	if (own.n > 1) qsort(own.v, own.n, sizeof *own.v, listeners_owner_cmp);
	for (size_t g = 0, e; g < own.n; g = e) {
		struct gw_listener *l = &s->listeners.v[own.v[g].idx];
		size_t best = g;
		for (e = g + 1; e < own.n && own.v[e].idx == own.v[g].idx; e++)
			;
		for (size_t i = g; i < e && e - g > 1; i++) {
			pid_t parent = listeners_ppid_of(s, own.v[i].pid);
			int parent_holds = 0;
			for (size_t j = g; j < e && !parent_holds; j++)
				parent_holds = parent && own.v[j].pid == parent;
			if (!parent_holds && (!l->pid || own.v[i].pid < l->pid)) {
				l->pid = own.v[i].pid;
				best = i;
			}
		}
		if (e - g == 1) l->pid = own.v[g].pid;
		if (l->pid) {
			st->cache.v[own.v[g].idx].pid = l->pid;
			st->cache.v[own.v[g].idx].fd = own.v[best].fd;
		}
	}
	if (st->cache.n > 1)
		qsort(st->cache.v, st->cache.n, sizeof *st->cache.v, listeners_cached_cmp);
	st->cache_denied = denied;
	gw_vec_free(&own);
	free(inos);
}

static void listeners_owners(struct listeners_state *st, struct gw_snapshot *s)
{
	if (!s->listeners.n) return;
	if (!listeners_owners_cached(st, s)) {
		for (size_t i = 0; i < s->listeners.n; i++) s->listeners.v[i].pid = 0;
		listeners_owners_walk(st, s);
	}
	for (size_t i = 0; i < s->listeners.n; i++) {
		struct gw_listener *l = &s->listeners.v[i];
		int pi = l->pid ? procs_find(s, l->pid) : -1;
		if (pi >= 0) GW_COPY(l->comm, s->procs.v[pi].comm);
		else if (l->pid) listeners_comm(l->pid, l->comm, sizeof l->comm);
	}
	if (st->cache_denied && geteuid() != 0)
		snapshot_note(s, "listeners", "owner processes of other users' sockets need root (run gwtop with sudo)");
}

/* ---------------------------------------------------------------- connections to targets */

static void listeners_conn_msg(struct gw_snapshot *s, const struct nlmsghdr *h)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof *m) || m->idiag_state == TCP_LISTEN) return;
	int dport = ntohs(m->id.idiag_dport);
	for (size_t i = 0; i < s->targets.n; i++) {
		struct gw_target *t = &s->targets.v[i];
		unsigned char bin[16];
		int fam = t->addr.kind == GW_ADDR_INET ? AF_INET : t->addr.kind == GW_ADDR_INET6 ? AF_INET6 : 0;
		if (!fam || fam != m->idiag_family || t->addr.port != dport) continue;
		if (inet_pton(fam, t->addr.host, bin) != 1) continue;
		if (memcmp(bin, m->id.idiag_dst, fam == AF_INET ? 4 : 16)) continue;
		if (m->idiag_state == TCP_TIME_WAIT) t->conns_timewait++;
		else t->conns_open++;
	}
}

void listeners_count_conns(struct gw_snapshot *s)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
	s->port_range_lo = s->port_range_hi = 0;
	if (f) {
		char line[64];
		if (fgets(line, sizeof line, f)) {
			char *e1, *e2;
			long lo = strtol(line, &e1, 10), hi = strtol(e1, &e2, 10);
			if (e1 != line && e2 != e1 && lo > 0 && hi >= lo && hi < 65536) {
				s->port_range_lo = (int)lo;
				s->port_range_hi = (int)hi;
			}
		}
		fclose(f);
	}
	int any = 0;
	for (size_t i = 0; i < s->targets.n; i++) {
		struct gw_target *t = &s->targets.v[i];
		t->conns_counted = 0;
		t->conns_timewait = t->conns_open = 0;
		any |= t->addr.kind == GW_ADDR_INET || t->addr.kind == GW_ADDR_INET6;
	}
	if (!any) return;
	int fd = listeners_nl_open();
	if (fd < 0) return;
	int ok = 1;
	for (int k = 0; k < 2 && ok; k++) {
		struct inet_diag_req_v2 req;
		memset(&req, 0, sizeof req);
		req.sdiag_family = (unsigned char)(k ? AF_INET6 : AF_INET);
		req.sdiag_protocol = IPPROTO_TCP;
		req.idiag_states = ~(1u << TCP_LISTEN) & 0xfffu;
		ok = listeners_nl_send(fd, &req, sizeof req) == 0 && listeners_nl_recv(fd, s, listeners_conn_msg) == 0;
	}
	close(fd);
	for (size_t i = 0; i < s->targets.n; i++) {
		struct gw_target *t = &s->targets.v[i];
		if (t->addr.kind == GW_ADDR_INET || t->addr.kind == GW_ADDR_INET6) t->conns_counted = ok;
	}
}

/* The sock_diag socket stays open between ticks (three syscalls fewer
 * each); a dump that failed part-way may leave messages queued, so the
 * socket is closed then and the next refresh opens a fresh one. */
int listeners_refresh(struct listeners_state *st, struct gw_snapshot *s)
{
	if (st->nl_fd < 0) st->nl_fd = listeners_nl_open();
	int fd = st->nl_fd;
	gw_vec_clear(&s->listeners);
	if (fd < 0) {
		snapshot_note(s, "listeners", "netlink sock_diag unavailable: %s", strerror(errno));
		return -1;
	}
	int rc = 0;
	if (listeners_dump_inet(fd, s, AF_INET) < 0 ||
	    listeners_dump_inet(fd, s, AF_INET6) < 0 ||
	    listeners_dump_unix(fd, s) < 0) {
		snapshot_note(s, "listeners", "netlink sock_diag dump failed: %s", strerror(errno));
		rc = -1;
		close(fd);
		st->nl_fd = -1;
	}
	listeners_owners(st, s);
	listeners_match_apps(s);
	return rc;
}

void listeners_match_apps(struct gw_snapshot *s)
{
	gw_vec_clear(&s->app_binds);
	for (size_t i = 0; i < s->procs.n; i++) {
		const struct gw_proc *p = &s->procs.v[i];
		struct gw_addr a;
		if (p->role != GW_ROLE_GUNICORN_MASTER && p->role != GW_ROLE_UVICORN_MASTER &&
		    p->role != GW_ROLE_APP_SERVER)
			continue;
		if (!appbind_parse(p->cmdline, &a)) continue;
		struct gw_app_bind *b = gw_vec_push(&s->app_binds);
		b->pid = p->pid;
		b->addr = a;
		b->listener_idx = listeners_find(s, &a);
	}
}

/* ---------------------------------------------------------------- matching */

/* Try one numeric address string (v4 or v6); keeps the best match. */
static void listeners_try(const struct gw_snapshot *s, const char *addr, int port, int *best, int *best_score)
{
	for (size_t i = 0; i < s->listeners.n; i++) {
		int sc = addr_listener_score(&s->listeners.v[i], addr, port);
		if (sc > *best_score) { *best_score = sc; *best = (int)i; }
	}
}

/* Addresses of a name from /etc/hosts only: never block on DNS. */
static void listeners_try_hosts(const struct gw_snapshot *s, const char *name, int port, int *best, int *best_score)
{
	char *buf = gw_read_file("/etc/hosts", 1 << 20, NULL);
	if (!buf) return;
	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *hash = strchr(line, '#'), *save2 = NULL, *addr;
		if (hash) *hash = '\0';
		if (!(addr = strtok_r(line, " \t", &save2))) continue;
		for (char *n = strtok_r(NULL, " \t", &save2); n; n = strtok_r(NULL, " \t", &save2))
			if (!strcasecmp(n, name)) { listeners_try(s, addr, port, best, best_score); break; }
	}
	free(buf);
}

int listeners_find(const struct gw_snapshot *s, const struct gw_addr *a)
{
	int port = a->port ? a->port : 80, best, score = 0;

	switch (a->kind) {
	case GW_ADDR_INET:
	case GW_ADDR_INET6:
	case GW_ADDR_HOST:
		/* literals and the names of localhost: the address module */
		best = addr_find_listener(s->listeners.v, s->listeners.n, a, &score);
		if (addr_family(a->host, NULL)) return best;
		/* a name: also what /etc/hosts says it is (a better match wins) */
		listeners_try_hosts(s, a->host, port, &best, &score);
		return best;
	case GW_ADDR_UNIX: {
		int i = addr_find_listener(s->listeners.v, s->listeners.n, a, NULL);
		if (i >= 0) return i;
		/* the same file reached through a symlink or "..": compare real paths */
		char want[PATH_MAX], have[PATH_MAX];
		if (!realpath(a->path, want)) return -1;
		for (size_t k = 0; k < s->listeners.n; k++) {
			const struct gw_listener *l = &s->listeners.v[k];
			if (l->family == AF_UNIX && l->path[0] == '/' && realpath(l->path, have) && !strcmp(have, want))
				return (int)k;
		}
		return -1;
	}
	default:
		return -1;
	}
}

int listeners_find_port(const struct gw_snapshot *s, int family, int port)
{
	for (size_t i = 0; i < s->listeners.n; i++) {
		const struct gw_listener *l = &s->listeners.v[i];
		if (l->family != AF_INET && l->family != AF_INET6) continue;
		if (family && l->family != family) continue;
		if (l->port == port) return (int)i;
	}
	return -1;
}

size_t listeners_of_pid(const struct gw_snapshot *s, pid_t pid, int *idx, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < s->listeners.n; i++) {
		if (s->listeners.v[i].pid != pid || !pid) continue;
		if (k < max) idx[k] = (int)i;
		k++;
	}
	return k;
}
