/* fuzz_nginx_conf.c — libFuzzer target for the nginx config parser
 * (probes/nginx_conf.c) including include resolution and target building.
 *
 * The input is split on the marker line "#--FILE--\n" into at most 8 files
 * written to a private directory in tmpfs (/dev/shm): nginx.conf, f1.conf ...
 * f7.conf, so inputs can `include f1.conf;`, `include *.conf;`, include
 * themselves (loops) etc. Every iteration rewrites the tree. Properties:
 * no crash / leak / UB; every string the parser fills is NUL-terminated;
 * an error always comes with its file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nginx_conf.h"

#define MARKER "#--FILE--\n"
#define NFILES 8

static char fz_dir[64];

static void fz_cleanup(void)
{
	char p[128];
	for (int i = 0; i < NFILES; i++) {
		snprintf(p, sizeof p, "%s/%s", fz_dir, i ? "" : "nginx.conf");
		if (i) snprintf(p, sizeof p, "%s/f%d.conf", fz_dir, i);
		unlink(p);
	}
	rmdir(fz_dir);
}

static void fz_init(void)
{
	if (fz_dir[0]) return;
	snprintf(fz_dir, sizeof fz_dir, "/dev/shm/gwtop-fuzz-conf.XXXXXX");
	if (!mkdtemp(fz_dir)) {
		snprintf(fz_dir, sizeof fz_dir, "/tmp/gwtop-fuzz-conf.XXXXXX");
		if (!mkdtemp(fz_dir)) abort();
	}
	atexit(fz_cleanup);
}

static void fz_write(const char *path, const uint8_t *d, size_t n)
{
	FILE *f = fopen(path, "w");
	if (!f) abort();
	if (n && fwrite(d, 1, n, f) != n) abort();
	fclose(f);
}

#define FZ_TERMINATED(a) do { if (!memchr((a), '\0', sizeof(a))) abort(); } while (0)

static void fz_check(const struct gw_nginx_conf *c)
{
	FZ_TERMINATED(c->error);
	FZ_TERMINATED(c->user);
	FZ_TERMINATED(c->group);
	if (!c->ok && !c->error[0]) abort();
	for (size_t i = 0; i < c->passes.n; i++) {
		FZ_TERMINATED(c->passes.v[i].arg);
		FZ_TERMINATED(c->passes.v[i].addr.host);
		FZ_TERMINATED(c->passes.v[i].addr.path);
		FZ_TERMINATED(c->passes.v[i].location);
		if (c->passes.v[i].loc.line < 1) abort();
	}
	for (size_t i = 0; i < c->listens.n; i++) FZ_TERMINATED(c->listens.v[i].raw);
	for (size_t i = 0; i < c->upstreams.n; i++) {
		FZ_TERMINATED(c->upstreams.v[i].name);
		for (size_t j = 0; j < c->upstreams.v[i].servers.n; j++)
			FZ_TERMINATED(c->upstreams.v[i].servers.v[j].raw);
	}
	for (size_t i = 0; i < c->settings.n; i++) FZ_TERMINATED(c->settings.v[i].value);
	for (size_t i = 0; i < c->logs.n; i++) FZ_TERMINATED(c->logs.v[i].path);
	for (size_t i = 0; i < c->warnings.n; i++) FZ_TERMINATED(c->warnings.v[i].text);
	if (c->files.n > NGINX_CONF_MAX_FILES) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[128], conf[128];
	fz_init();
	const uint8_t *p = data, *end = data + size;
	int i = 0;
	for (; i < NFILES; i++) {
		const uint8_t *m = i < NFILES - 1 ? memmem(p, (size_t)(end - p), MARKER, strlen(MARKER)) : NULL;
		const uint8_t *stop = m ? m : end;
		if (i == 0) snprintf(path, sizeof path, "%s/nginx.conf", fz_dir);
		else snprintf(path, sizeof path, "%s/f%d.conf", fz_dir, i);
		fz_write(path, p, (size_t)(stop - p));
		if (!m) { i++; break; }
		p = m + strlen(MARKER);
	}
	for (; i < NFILES; i++) {            /* files of a previous input */
		snprintf(path, sizeof path, "%s/f%d.conf", fz_dir, i);
		unlink(path);
	}

	snprintf(conf, sizeof conf, "%s/nginx.conf", fz_dir);
	struct gw_snapshot s;
	snapshot_init(&s);
	nginx_conf_parse(&s.conf, conf, NULL);
	fz_check(&s.conf);
	nginx_conf_build_targets(&s);
	for (size_t t = 0; t < s.targets.n; t++) {
		FZ_TERMINATED(s.targets.v[t].display);
		if (s.targets.v[t].addr.kind == GW_ADDR_UPSTREAM) abort();
	}
	/* a re-parse into the same struct must free the old tables */
	nginx_conf_parse(&s.conf, conf, "/prefix/");
	snapshot_free(&s);
	return 0;
}
