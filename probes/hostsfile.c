/* hostsfile.c — names in /etc/hosts (see hostsfile.h). */
#include "hostsfile.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int hostsfile_lookup(const char *path, const char *name, struct gw_addr *out, int max)
{
	size_t len = 0;
	char *buf = gw_read_file(path ? path : "/etc/hosts", 1 << 20, &len);
	int n = 0;
	if (!buf || !name[0]) {
		free(buf);
		return 0;
	}
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save)) {
		char *hash = strchr(line, '#'), *ws = NULL;
		if (hash) *hash = '\0';
		char *addr = strtok_r(line, " \t\r", &ws);
		if (!addr) continue;
		struct in_addr a4;
		struct in6_addr a6;
		enum gw_addr_kind kind;
		if (inet_pton(AF_INET, addr, &a4) == 1) kind = GW_ADDR_INET;
		else if (inet_pton(AF_INET6, addr, &a6) == 1) kind = GW_ADDR_INET6;
		else continue;
		for (char *h = strtok_r(NULL, " \t\r", &ws); h; h = strtok_r(NULL, " \t\r", &ws)) {
			if (strcasecmp(h, name)) continue;
			int dup = 0;
			for (int k = 0; k < n && !dup; k++) dup = out[k].kind == kind && !strcmp(out[k].host, addr);
			if (!dup) {
				memset(&out[n], 0, sizeof out[n]);
				out[n].kind = kind;
				GW_COPY(out[n].host, addr);
				n++;
			}
			break;
		}
	}
	free(buf);
	return n;
}

void hostsfile_expand_targets(struct gw_snapshot *s, const char *path)
{
	size_t n0 = s->targets.n;
	for (size_t i = 0; i < n0; i++) {
		struct gw_addr got[HOSTSFILE_MAX];
		if (s->targets.v[i].addr.kind != GW_ADDR_HOST) continue;
		struct gw_target orig = s->targets.v[i];
		int n = hostsfile_lookup(path, orig.addr.host, got, HOSTSFILE_MAX);
		for (int k = 0; k < n; k++) {
			struct gw_target *t = k ? gw_vec_push(&s->targets) : &s->targets.v[i];
			char lit[300];
			*t = orig;
			t->addr = got[k];
			t->addr.port = orig.addr.port;
			gw_addr_str(&t->addr, lit, sizeof lit);
			gw_fmt(t->display, sizeof t->display, "%s (%s:%d in /etc/hosts)", lit, orig.addr.host,
			       orig.addr.port);
			/* nginx makes several addresses of one name an implicit
			 * upstream: it tries the next one when one fails */
			if (n > 1 && !t->upstream_name[0]) GW_COPY(t->upstream_name, orig.addr.host);
		}
	}
}
