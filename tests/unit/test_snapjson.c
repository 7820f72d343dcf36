/* test_snapjson.c — the snapshot as JSON and back (src/snapjson.c).
 *
 * The guard against a forgotten member (test_every_member_described): it
 * reads src/model.h (run from the source tree, as tests/run.sh does),
 * collects the members of every struct the codec describes, and fails on a
 * member without a descriptor (or a descriptor without a member); it also
 * checks that the described members tile each struct (every byte is a
 * member or alignment padding) and that an enum member's described range
 * ends at the enum's last enumerator in model.h. A new field (or enum
 * value) in model.h fails it until snapjson.c's descriptor row follows.
 * The round trip fills every described member of every struct with random
 * bytes (max-length strings, invalid UTF-8, control bytes, quotes, full
 * fixed arrays, u64 above 2^63, any finite double), goes through JSON text
 * and back, and compares member by member. Hostile input must leave a valid
 * snapshot (strings terminated, counts within arrays, indices within the
 * vectors, enums within range); diagnose() on a decoded snapshot must find
 * what it finds on the original. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "diagnose.h"
#include "docker.h"
#include "listeners.h"
#include "snapjson.h"
#include "units.h"

#define NOW 1800000000.0
#define MAXM 64

struct vec_hdr {
	void *v;
	size_t n, cap;
};

static int describe(const char *name, struct snapjson_member *m, size_t *size, size_t *align)
{
	int n = snapjson_describe(name, m, MAXM, size, align);
	assert_true(n > 0 && n <= MAXM);
	return n;
}

/* ------------------------------------------------------------ model.h members */

struct pair {
	char st[160], mem[64];
	char etype[64];              /* "enum gw_role role": "gw_role" */
};

struct parsed {
	struct pair *v;
	size_t n, cap;
};

static void add_pair(struct parsed *ps, const char *st, const char *mem, const char *etype)
{
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? 2 * ps->cap : 64;
		ps->v = realloc(ps->v, ps->cap * sizeof *ps->v);
		assert_non_null(ps->v);
	}
	snprintf(ps->v[ps->n].st, sizeof ps->v[ps->n].st, "%s", st);
	snprintf(ps->v[ps->n].mem, sizeof ps->v[ps->n].mem, "%s", mem);
	snprintf(ps->v[ps->n].etype, sizeof ps->v[ps->n].etype, "%s", etype);
	ps->n++;
}

static int is_ident(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* The last identifier of text[0..len) outside (...) and [...]. */
static void last_ident(const char *t, size_t len, char *out, size_t size)
{
	int depth = 0;
	const char *best = NULL;
	size_t blen = 0;
	for (size_t i = 0; i < len; i++) {
		if (t[i] == '(' || t[i] == '[') depth++;
		else if (t[i] == ')' || t[i] == ']') depth--;
		else if (!depth && is_ident(t[i]) && (i == 0 || !is_ident(t[i - 1]))) {
			size_t k = i;
			while (k < len && is_ident(t[k])) k++;
			best = t + i;
			blen = k - i;
		}
	}
	snprintf(out, size, "%.*s", best ? (int)blen : 0, best ? best : "");
}

/* Parse a struct body starting after '{'; members go under `owner`.
 * Returns the position after the matching '}'. */
static const char *parse_body(struct parsed *ps, const char *p, const char *owner)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n') p++;
		if (!*p) return p;
		if (*p == '}') return p + 1;
		/* one declaration up to ';', a nested struct body skipped over */
		char decl[512];
		size_t dl = 0;
		size_t nested_from = (size_t)-1;
		char tag[64] = "";
		while (*p && *p != ';') {
			if (*p == '{') {
				decl[dl < sizeof decl ? dl : sizeof decl - 1] = '\0';
				last_ident(decl, dl, tag, sizeof tag);
				if (!strcmp(tag, "struct") || !strcmp(tag, "union")) tag[0] = '\0';
				nested_from = ps->n;
				p = parse_body(ps, p + 1, tag[0] ? tag : "?");
				dl = 0;              /* the declarator follows the body */
				continue;
			}
			if (dl < sizeof decl - 1) decl[dl++] = *p;
			p++;
		}
		if (*p == ';') p++;
		decl[dl] = '\0';
		char etype[64] = "";
		const char *d0 = decl;
		while (*d0 == ' ' || *d0 == '\t' || *d0 == '\n') d0++;
		if (!strncmp(d0, "enum ", 5)) {
			d0 += 5;
			while (*d0 == ' ') d0++;
			size_t el = 0;
			while (is_ident(d0[el]) && el < sizeof etype - 1) el++;
			memcpy(etype, d0, el);
			etype[el] = '\0';
		}
		/* declarators split at top-level commas */
		int depth = 0;
		size_t start = 0;
		for (size_t i = 0; i <= dl; i++) {
			char ch = decl[i];
			if (ch == '(' || ch == '[') depth++;
			else if (ch == ')' || ch == ']') depth--;
			if ((ch == ',' && !depth) || ch == '\0') {
				char name[64];
				last_ident(decl + start, i - start, name, sizeof name);
				if (name[0]) {
					add_pair(ps, owner, name, etype);
					if (nested_from != (size_t)-1 && !tag[0]) {
						/* an anonymous struct: its members are "owner.name"'s */
						char full[160];
						snprintf(full, sizeof full, "%.60s.%.60s", owner, name);
						for (size_t k = nested_from; k < ps->n - 1; k++)
							if (!strcmp(ps->v[k].st, "?")) GW_COPY(ps->v[k].st, full);
					}
				}
				start = i + 1;
			}
		}
	}
}

static char *read_model_h(void)
{
	FILE *f = fopen("src/model.h", "r");
	if (!f) fail_msg("cannot open src/model.h (run from the source tree): %s", strerror(errno));
	static char buf[256 * 1024];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* comments and preprocessor lines to spaces */
	for (char *q = buf; *q; q++) {
		if (q[0] == '/' && q[1] == '*') {
			char *e = strstr(q + 2, "*/");
			e = e ? e + 2 : q + strlen(q);
			memset(q, ' ', (size_t)(e - q));
			q = e - 1;
		} else if (q[0] == '/' && q[1] == '/') {
			while (*q && *q != '\n') *q++ = ' ';
		} else if (*q == '#' && (q == buf || q[-1] == '\n')) {
			while (*q && *q != '\n') {
				if (q[0] == '\\' && q[1] == '\n') *q++ = ' ';
				*q++ = ' ';
			}
		}
		if (!*q) break;
	}
	return buf;
}

static void parse_model(struct parsed *ps)
{
	const char *t = read_model_h();
	for (const char *p = strstr(t, "struct "); p; p = strstr(p + 1, "struct ")) {
		if (p > t && is_ident(p[-1])) continue;
		const char *q = p + 7;
		while (*q == ' ') q++;
		const char *n0 = q;
		while (is_ident(*q)) q++;
		size_t nl = (size_t)(q - n0);
		while (*q == ' ' || *q == '\n' || *q == '\t') q++;
		if (!nl || *q != '{') continue;
		char name[64];
		snprintf(name, sizeof name, "%.*s", (int)nl, n0);
		parse_body(ps, q + 1, name);
	}
}

static const struct pair *parsed_find(const struct parsed *ps, const char *st, const char *mem)
{
	for (size_t i = 0; i < ps->n; i++)
		if (!strcmp(ps->v[i].st, st) && !strcmp(ps->v[i].mem, mem)) return &ps->v[i];
	return NULL;
}

/* The largest value of model.h's `enum tag` (enumerators counted from 0;
 * a last one named ..._MAX is a count, not a value), -1 when not found or
 * not numbered 0, 1, 2, ... */
static long enum_max(const char *tag)
{
	const char *t = read_model_h();
	char head[128];
	snprintf(head, sizeof head, "enum %s ", tag);
	const char *p = strstr(t, head);
	if (!p) return -1;
	p = strchr(p, '{');
	const char *e = p ? strchr(p, '}') : NULL;
	if (!e) return -1;
	long n = 0;
	char last[64] = "";
	for (const char *q = p + 1; q < e;) {
		while (q < e && !is_ident(*q)) q++;
		if (q >= e) break;
		const char *n0 = q;
		while (q < e && is_ident(*q)) q++;
		snprintf(last, sizeof last, "%.*s", (int)(q - n0), n0);
		const char *c = q;
		while (c < e && *c == ' ') c++;
		if (c < e && *c == '=') {       /* only "= <its index>" keeps the count right */
			if (strtol(c + 1, NULL, 0) != n) return -1;
			c++;
			while (c < e && (*c == ' ' || is_ident(*c))) c++;
			q = c;
		}
		n++;
		while (q < e && *q != ',') q++;
	}
	size_t ll = strlen(last);
	if (ll > 4 && !strcmp(last + ll - 4, "_MAX")) n--;
	return n - 1;
}

static size_t round_up(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

/* Every struct reachable from gw_snapshot, once. */
static size_t reachable(const char **out, size_t max)
{
	size_t n = 0;
	out[n++] = "gw_snapshot";
	for (size_t i = 0; i < n; i++) {
		struct snapjson_member m[MAXM];
		int k = describe(out[i], m, NULL, NULL);
		for (int j = 0; j < k; j++) {
			if (!m[j].sub) continue;
			size_t x;
			for (x = 0; x < n && strcmp(out[x], m[j].sub); x++) {}
			if (x == n) {
				assert_true(n < max);
				out[n++] = m[j].sub;
			}
		}
	}
	return n;
}

static void test_every_member_described(void **st)
{
	(void)st;
	struct parsed ps = { 0 };
	parse_model(&ps);
	const char *names[64];
	size_t ns = reachable(names, 64);
	assert_true(ns >= 30);
	int bad = 0;
	for (size_t i = 0; i < ns; i++) {
		struct snapjson_member m[MAXM];
		size_t size, align;
		int k = describe(names[i], m, &size, &align);
		/* model.h -> descriptors */
		int found = 0;
		for (size_t p = 0; p < ps.n; p++) {
			if (strcmp(ps.v[p].st, names[i])) continue;
			found++;
			int ok = 0;
			for (int j = 0; j < k && !ok; j++)
				ok = !strcmp(m[j].name, ps.v[p].mem) || (m[j].count_name && !strcmp(m[j].count_name, ps.v[p].mem));
			if (!ok) {
				print_error("struct %s member %s has no descriptor in src/snapjson.c\n", names[i], ps.v[p].mem);
				bad++;
			}
		}
		if (!found) {
			print_error("struct %s not found in src/model.h\n", names[i]);
			bad++;
		}
		/* descriptors -> model.h; an enum's range is its last enumerator */
		for (int j = 0; j < k; j++) {
			const struct pair *pr = parsed_find(&ps, names[i], m[j].name);
			if (!pr) {
				print_error("descriptor %s.%s: no such member in src/model.h\n", names[i], m[j].name);
				bad++;
				continue;
			}
			if ((m[j].kind == 'e') != (pr->etype[0] != '\0')) {
				print_error("%s.%s: an enum in model.h %s described as one\n", names[i], m[j].name,
					    pr->etype[0] ? "but not" : "not but");
				bad++;
			} else if (m[j].kind == 'e' && enum_max(pr->etype) != m[j].emax) {
				print_error("%s.%s: enum %s ends at %ld in src/model.h, described up to %ld\n", names[i],
					    m[j].name, pr->etype, enum_max(pr->etype), m[j].emax);
				bad++;
			}
		}
		/* the members (and array counts) tile the struct */
		struct { size_t off, size, align; const char *name; } lay[2 * MAXM];
		size_t nl = 0;
		for (int j = 0; j < k; j++) {
			lay[nl].off = m[j].off; lay[nl].size = m[j].size; lay[nl].align = m[j].align;
			lay[nl++].name = m[j].name;
			if (m[j].count_name) {
				lay[nl].off = m[j].count_off; lay[nl].size = m[j].count_size;
				lay[nl].align = m[j].count_size; lay[nl++].name = m[j].count_name;
			}
			if (m[j].kind == 'S') {
				size_t ssz;
				struct snapjson_member sm[MAXM];
				describe(m[j].sub, sm, &ssz, NULL);
				assert_int_equal(ssz, m[j].size);
			}
			if (m[j].kind == 'v' || m[j].kind == 'a') {
				assert_true(m[j].elem_size > 0);
				if (m[j].sub) {
					size_t ssz;
					struct snapjson_member sm[MAXM];
					describe(m[j].sub, sm, &ssz, NULL);
					assert_int_equal(ssz, m[j].elem_size);
				}
			}
		}
		for (size_t a = 1; a < nl; a++)       /* by offset */
			for (size_t b = a; b > 0 && lay[b - 1].off > lay[b].off; b--) {
				__typeof__(lay[0]) tmp = lay[b]; lay[b] = lay[b - 1]; lay[b - 1] = tmp;
			}
		size_t end = 0;
		for (size_t a = 0; a < nl; a++) {
			if (round_up(end, lay[a].align) != lay[a].off) {
				print_error("struct %s: bytes %zu..%zu before %s are neither a described member nor padding\n",
					    names[i], end, lay[a].off, lay[a].name);
				bad++;
			}
			end = lay[a].off + lay[a].size;
		}
		if (round_up(end, align) != size) {
			print_error("struct %s: bytes %zu..%zu at its end are not described\n", names[i], end, size);
			bad++;
		}
	}
	free(ps.v);
	assert_int_equal(bad, 0);
}

static void test_keys(void **st)
{
	(void)st;
	struct snapjson_member m[MAXM];
	int k = describe("gw_snapshot", m, NULL, NULL);
	size_t n = 0;
	for (int j = 0; j < k; j++) {
		if (m[j].kind == '-') {
			assert_string_equal(m[j].name, "timeline");
			continue;
		}
		assert_non_null(snapjson_keys[n]);
		assert_string_equal(snapjson_keys[n], m[j].name);
		n++;
	}
	assert_null(snapjson_keys[n]);
	for (size_t i = 0; snapjson_structs[i]; i++) assert_true(snapjson_describe(snapjson_structs[i], m, MAXM, NULL, NULL) > 0);
	assert_int_equal(snapjson_describe("gw_nope", m, MAXM, NULL, NULL), -1);
}

/* ------------------------------------------------------------ fill / compare / validate */

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fill_string(char *p, size_t size)
{
	static const char utf8[] = "q\"uote\\back\x01\x1f\t\n\x7f caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 ";
	switch (rnd() % 4) {
	case 0:      /* max length, any byte but NUL (invalid UTF-8 but for a miracle) */
		for (size_t i = 0; i < size - 1; i++) p[i] = (char)(1 + rnd() % 255);
		p[size - 1] = '\0';
		break;
	case 1: {    /* shorter, bytes 0x80.. mixed in */
		size_t n = rnd() % size;
		for (size_t i = 0; i < n; i++) p[i] = (char)(1 + rnd() % 255);
		p[n] = '\0';
		break;
	}
	case 2: {    /* valid UTF-8 with quotes, backslashes, control bytes, up to the max length */
		size_t n = 0;
		while (n + sizeof utf8 < size) {
			memcpy(p + n, utf8, sizeof utf8 - 1);
			n += sizeof utf8 - 1;
		}
		p[n] = '\0';
		break;
	}
	default:
		p[0] = '\0';
	}
}

static void fill_struct(const char *name, unsigned char *p);

static void fill_scalar(char kind, long emax, unsigned char *p, size_t size)
{
	switch (kind) {
	case 'e': {
		int v = (int)(rnd() % (uint64_t)(emax + 1));
		memcpy(p, &v, sizeof v);
		break;
	}
	case 'd': {
		/* any sign, 53 random mantissa bits, any exponent up to the
		 * decoder's clamp (SNAPJSON_MAX_DOUBLE, 1e15 > 2^49) */
		uint64_t b = rnd();
		double d = ldexp((double)(b >> 11) / 9007199254740992.0, (int)(rnd() % 1100) - 1050);
		if (b & 1) d = -d;
		memcpy(p, &d, sizeof d);
		break;
	}
	default:       /* i u c: any bits */
		for (size_t i = 0; i < size; i++) p[i] = (unsigned char)rnd();
	}
}

static void fill_struct(const char *name, unsigned char *p)
{
	struct snapjson_member m[MAXM];
	int k = describe(name, m, NULL, NULL);
	for (int j = 0; j < k; j++) {
		unsigned char *f = p + m[j].off;
		switch (m[j].kind) {
		case '-':
			break;
		case 's':
			fill_string((char *)f, m[j].size);
			break;
		case 'S':
			fill_struct(m[j].sub, f);
			break;
		case 'v': {
			struct vec_hdr h;
			h.n = h.cap = 1 + rnd() % 3;
			h.v = calloc(h.n, m[j].elem_size);
			for (size_t i = 0; i < h.n; i++) {
				unsigned char *e = (unsigned char *)h.v + i * m[j].elem_size;
				if (m[j].sub) fill_struct(m[j].sub, e);
				else fill_scalar(m[j].elem_kind, 0, e, m[j].elem_size);
			}
			memcpy(f, &h, sizeof h);
			break;
		}
		case 'a': {
			size_t cap = m[j].size / m[j].elem_size;
			int n = (int)(rnd() % 2 ? cap : rnd() % (cap + 1));
			memcpy(p + m[j].count_off, &n, sizeof n);
			for (int i = 0; i < n; i++) {
				unsigned char *e = f + (size_t)i * m[j].elem_size;
				if (m[j].sub) fill_struct(m[j].sub, e);
				else fill_scalar(m[j].elem_kind, 0, e, m[j].elem_size);
			}
			break;
		}
		default:
			fill_scalar(m[j].kind, m[j].emax, f, m[j].size);
		}
	}
}

/* Indices within the vectors (the decoder would correct the others). */
static void fix_fill_indices(struct gw_snapshot *s)
{
	for (size_t i = 0; i < s->targets.n; i++) {
		struct gw_target *t = &s->targets.v[i];
		t->listener_idx = (int)(rnd() % s->listeners.n);
		t->container.container = (int)(rnd() % s->containers.n);
		int np = s->containers.v[t->container.container].nports;
		t->container.port = np ? (int)(rnd() % (unsigned)np) : -1;
	}
	for (size_t i = 0; i < s->units.n; i++) s->units.v[i].target_idx = (int)(rnd() % s->targets.n);
	for (size_t i = 0; i < s->app_binds.n; i++) s->app_binds.v[i].listener_idx = (int)(rnd() % s->listeners.n);
}

/* Member by member; 0 equal, else prints the path of the first difference. */
static int compare(const char *name, const unsigned char *a, const unsigned char *b, const char *path)
{
	struct snapjson_member m[MAXM];
	int k = describe(name, m, NULL, NULL);
	for (int j = 0; j < k; j++) {
		const unsigned char *fa = a + m[j].off, *fb = b + m[j].off;
		char sub[512];
		snprintf(sub, sizeof sub, "%s.%s", path, m[j].name);
		switch (m[j].kind) {
		case '-':
			break;
		case 's':
			if (strncmp((const char *)fa, (const char *)fb, m[j].size)) {
				print_error("%s differs\n", sub);
				return 1;
			}
			break;
		case 'S':
			if (compare(m[j].sub, fa, fb, sub)) return 1;
			break;
		case 'v': case 'a': {
			size_t na, nb;
			const unsigned char *va, *vb;
			if (m[j].kind == 'v') {
				struct vec_hdr ha, hb;
				memcpy(&ha, fa, sizeof ha);
				memcpy(&hb, fb, sizeof hb);
				na = ha.n; nb = hb.n; va = ha.v; vb = hb.v;
			} else {
				int ia, ib;
				memcpy(&ia, a + m[j].count_off, sizeof ia);
				memcpy(&ib, b + m[j].count_off, sizeof ib);
				na = (size_t)ia; nb = (size_t)ib; va = fa; vb = fb;
			}
			if (na != nb) {
				print_error("%s: %zu entries, decoded %zu\n", sub, na, nb);
				return 1;
			}
			for (size_t i = 0; i < na; i++) {
				char el[600];
				snprintf(el, sizeof el, "%s[%zu]", sub, i);
				const unsigned char *ea = va + i * m[j].elem_size, *eb = vb + i * m[j].elem_size;
				if (m[j].sub ? compare(m[j].sub, ea, eb, el) : memcmp(ea, eb, m[j].elem_size) != 0) {
					if (!m[j].sub) print_error("%s differs\n", el);
					return 1;
				}
			}
			break;
		}
		default:
			if (memcmp(fa, fb, m[j].size)) {
				print_error("%s differs\n", sub);
				return 1;
			}
		}
	}
	return 0;
}

/* What a consumer relies on: strings terminated, counts within arrays,
 * enums in range, doubles finite, vectors consistent. */
static int valid_struct(const char *name, const unsigned char *p, const char *path)
{
	struct snapjson_member m[MAXM];
	int k = describe(name, m, NULL, NULL);
	for (int j = 0; j < k; j++) {
		const unsigned char *f = p + m[j].off;
		switch (m[j].kind) {
		case 's':
			if (!memchr(f, 0, m[j].size)) { print_error("%s.%s unterminated\n", path, m[j].name); return 0; }
			break;
		case 'e': {
			int v;
			memcpy(&v, f, sizeof v);
			if (v < 0 || v > m[j].emax) { print_error("%s.%s enum %d\n", path, m[j].name, v); return 0; }
			break;
		}
		case 'd': {
			double d;
			memcpy(&d, f, sizeof d);
			if (!isfinite(d) || fabs(d) > SNAPJSON_MAX_DOUBLE) { print_error("%s.%s out of range\n", path, m[j].name); return 0; }
			break;
		}
		case 'S':
			if (!valid_struct(m[j].sub, f, path)) return 0;
			break;
		case 'v': {
			struct vec_hdr h;
			memcpy(&h, f, sizeof h);
			if (h.n > h.cap || (h.n && !h.v) || h.n > SNAPJSON_MAX_VEC) { print_error("%s.%s vector\n", path, m[j].name); return 0; }
			for (size_t i = 0; i < h.n && m[j].sub; i++)
				if (!valid_struct(m[j].sub, (const unsigned char *)h.v + i * m[j].elem_size, path)) return 0;
			break;
		}
		case 'a': {
			int n;
			memcpy(&n, p + m[j].count_off, sizeof n);
			if (n < 0 || (size_t)n > m[j].size / m[j].elem_size) { print_error("%s.%s count %d\n", path, m[j].name, n); return 0; }
			for (int i = 0; i < n && m[j].sub; i++)
				if (!valid_struct(m[j].sub, f + (size_t)i * m[j].elem_size, path)) return 0;
			break;
		}
		default:
			break;
		}
	}
	return 1;
}

static void assert_valid(const struct gw_snapshot *s)
{
	assert_true(valid_struct("gw_snapshot", (const unsigned char *)s, "s"));
	for (size_t i = 0; i < s->targets.n; i++) {
		const struct gw_target *t = &s->targets.v[i];
		assert_true(t->listener_idx == -1 || (t->listener_idx >= 0 && (size_t)t->listener_idx < s->listeners.n));
		const struct gw_container_match *m = &t->container;
		if (m->container == -1) {
			assert_int_equal(m->how, GW_VIA_NONE);
			assert_int_equal(m->port, -1);
		} else {
			assert_true(m->container >= 0 && (size_t)m->container < s->containers.n);
			assert_true(m->port == -1 || (m->port >= 0 && m->port < s->containers.v[m->container].nports));
		}
	}
	for (size_t i = 0; i < s->units.n; i++)
		assert_true(s->units.v[i].target_idx == -1 ||
			    (s->units.v[i].target_idx >= 0 && (size_t)s->units.v[i].target_idx < s->targets.n));
	for (size_t i = 0; i < s->app_binds.n; i++)
		assert_true(s->app_binds.v[i].listener_idx == -1 ||
			    (s->app_binds.v[i].listener_idx >= 0 && (size_t)s->app_binds.v[i].listener_idx < s->listeners.n));
}

/* Through JSON text, as a recording is: encode, dump, load, apply onto
 * a fresh snapshot. */
static struct gw_snapshot *through_text(const struct gw_snapshot *s, size_t *textlen)
{
	json_t *j = snapjson_encode(s);
	assert_non_null(j);
	char *text = json_dumps(j, JSON_COMPACT);
	assert_non_null(text);
	if (textlen) *textlen = strlen(text);
	json_decref(j);
	json_error_t jerr;
	json_t *back = json_loads(text, 0, &jerr);
	if (!back) fail_msg("json_loads: %s at %d", jerr.text, jerr.position);
	free(text);
	struct gw_snapshot *d = calloc(1, sizeof *d);
	snapshot_init(d);
	char err[256];
	int r = snapjson_apply(d, back, err, sizeof err);
	if (r) fail_msg("snapjson_apply: %s", err);
	json_decref(back);
	return d;
}

static void snap_free(struct gw_snapshot *s)
{
	snapshot_free(s);
	free(s);
}

static struct gw_snapshot *populated(uint64_t seed)
{
	rng = seed;
	struct gw_snapshot *s = calloc(1, sizeof *s);
	snapshot_init(s);
	fill_struct("gw_snapshot", (unsigned char *)s);
	fix_fill_indices(s);
	s->timeline = (const struct timeline *)(const void *)&rng;   /* borrowed: never encoded */
	return s;
}

static void test_roundtrip_full(void **st)
{
	(void)st;
	int saw_latin1 = 0, saw_plain = 0;
	for (uint64_t seed = 1; seed <= 24; seed++) {
		struct gw_snapshot *s = populated(seed * 0x9E3779B97F4A7C15ull);
		/* named cases on top of the random ones */
		memset(s->hostname, 'h', sizeof s->hostname - 1);        /* max length */
		s->hostname[sizeof s->hostname - 1] = '\0';
		s->hostname[5] = (char)0xff;                             /* invalid UTF-8 */
		s->hostname[6] = '"';
		s->hostname[7] = '\x01';
		s->procs.v[0].cpu_ticks = 0xFFFFFFFFFFFFFFF0ull;         /* above 2^63 */
		s->procs.v[0].state = (char)0xE9;
		s->mem.psi_some10 = -0.0;
		GW_COPY(s->unknown_reason, "caf\xc3\xa9 \xe6\x97\xa5 \"q\" \\ \t");
		json_t *hn = snapjson_encode_member(s, "hostname");
		assert_true(json_is_object(hn) && json_is_string(json_object_get(hn, "latin1")));
		json_decref(hn);
		json_t *ur = snapjson_encode_member(s, "unknown_reason");
		assert_true(json_is_string(ur));
		assert_string_equal(json_string_value(ur), s->unknown_reason);
		json_decref(ur);

		json_t *all = snapjson_encode(s);
		const char *k;
		json_t *v;
		json_object_foreach(all, k, v) {
			if (json_is_object(v) && json_object_get(v, "latin1")) saw_latin1++;
			if (json_is_string(v)) saw_plain++;
		}
		size_t nkeys = 0;
		for (size_t i = 0; snapjson_keys[i]; i++, nkeys++) {
			json_t *one = snapjson_encode_member(s, snapjson_keys[i]);
			assert_non_null(one);
			assert_true(json_equal(one, json_object_get(all, snapjson_keys[i])));
			json_decref(one);
		}
		assert_int_equal(json_object_size(all), nkeys);
		assert_null(snapjson_encode_member(s, "timeline"));
		assert_null(snapjson_encode_member(s, "nope"));

		size_t len;
		struct gw_snapshot *d = through_text(s, &len);
		if (compare("gw_snapshot", (const unsigned char *)s, (const unsigned char *)d, "s"))
			fail_msg("seed %llu: the decoded snapshot differs", (unsigned long long)seed);
		assert_null(d->timeline);
		assert_valid(d);
		json_t *again = snapjson_encode(d);
		assert_true(json_equal(all, again));
		json_decref(again);
		json_decref(all);
		if (seed == 1) print_message("populated snapshot (every vector 1-3 entries, random max-length strings): %zu bytes of compact JSON\n", len);
		snap_free(d);
		snap_free(s);
	}
	assert_true(saw_latin1 > 0 && saw_plain > 0);
}

/* A snapshot_init'ed snapshot round-trips too, and its defaults (ntest's
 * exit_code -1, the PSI -1) survive being left out of the nested objects. */
static void test_roundtrip_empty(void **st)
{
	(void)st;
	struct gw_snapshot *s = calloc(1, sizeof *s);
	snapshot_init(s);
	size_t len;
	struct gw_snapshot *d = through_text(s, &len);
	assert_int_equal(compare("gw_snapshot", (const unsigned char *)s, (const unsigned char *)d, "s"), 0);
	assert_int_equal(d->ntest.exit_code, -1);
	assert_true(d->mem.psi_some10 == -1);
	/* a member replaced by an empty object is back to its default */
	d->ntest.exit_code = 3;
	d->mem.psi_full10 = 5;
	json_t *j = json_pack("{s:{}, s:{}}", "ntest", "mem");
	assert_int_equal(snapjson_apply(d, j, NULL, 0), 0);
	json_decref(j);
	assert_int_equal(d->ntest.exit_code, -1);
	assert_true(d->mem.psi_full10 == -1);
	print_message("snapshot_init'ed snapshot: %zu bytes of compact JSON\n", len);
	snap_free(d);
	snap_free(s);
}

static void test_partial_apply(void **st)
{
	(void)st;
	struct gw_snapshot *a = populated(7), *b = populated(11);
	json_t *before = snapjson_encode(a);
	/* b's targets and hostname onto a */
	json_t *delta = json_object();
	json_object_set_new(delta, "targets", snapjson_encode_member(b, "targets"));
	json_object_set_new(delta, "hostname", snapjson_encode_member(b, "hostname"));
	json_object_set_new(delta, "from_a_newer_writer", json_string("ignored"));
	/* b's targets index b's listeners and containers: keep a's in range */
	char err[128];
	assert_int_equal(snapjson_apply(a, delta, err, sizeof err), 0);
	assert_valid(a);
	json_t *after = snapjson_encode(a);
	for (size_t i = 0; snapjson_keys[i]; i++) {
		const char *k = snapjson_keys[i];
		if (!strcmp(k, "targets") || !strcmp(k, "hostname")) continue;
		if (!json_equal(json_object_get(before, k), json_object_get(after, k)))
			fail_msg("member %s changed by a delta without it", k);
	}
	assert_string_equal(a->hostname, b->hostname);
	assert_int_equal(a->targets.n, b->targets.n);
	for (size_t i = 0; i < a->targets.n; i++) {
		assert_string_equal(a->targets.v[i].display, b->targets.v[i].display);
		assert_memory_equal(&a->targets.v[i].total_ms, &b->targets.v[i].total_ms, sizeof(double));
	}
	/* an empty object changes nothing */
	json_t *empty = json_object();
	assert_int_equal(snapjson_apply(a, empty, err, sizeof err), 0);
	json_t *same = snapjson_encode(a);
	assert_true(json_equal(after, same));
	json_decref(same);
	json_decref(empty);
	json_decref(after);
	json_decref(before);
	json_decref(delta);
	snap_free(a);
	snap_free(b);
}

/* ------------------------------------------------------------ hostile input */

static int apply_text(struct gw_snapshot *s, const char *text, char *err, size_t errsz)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
	if (!j) fail_msg("test input does not parse: %s: %s", text, jerr.text);
	int r = snapjson_apply(s, j, err, errsz);
	json_decref(j);
	return r;
}

static void test_hostile_types(void **st)
{
	(void)st;
	struct gw_snapshot *s = populated(3);
	char err[256];
	static const struct { const char *in, *msg; } cases[] = {
		{ "[1,2]", "not a JSON object" },
		{ "\"snapshot\"", "not a JSON object" },
		{ "null", "not a JSON object" },
		{ "{\"targets\": 5}", "targets: expected an array" },
		{ "{\"taken\": \"yesterday\"}", "taken: expected a number" },
		{ "{\"hostname\": 12}", "hostname: expected a string" },
		{ "{\"hostname\": {\"latin1\": 12}}", "hostname: expected a string" },
		{ "{\"hostname\": {\"utf16\": \"x\"}}", "hostname: expected a string" },
		{ "{\"conf\": []}", "conf: expected an object" },
		{ "{\"targets\": [{}, {\"listener_idx\": \"x\"}]}", "targets[1].listener_idx: expected a number" },
		{ "{\"targets\": [{\"addr\": {\"port\": true}}]}", "targets[0].addr.port: expected a number" },
		{ "{\"conf\": {\"upstreams\": [{\"servers\": [{\"loc\": {\"file\": []}}]}]}}",
		  "conf.upstreams[0].servers[0].loc.file: expected a string" },
		{ "{\"procs\": [{\"groups\": {}}]}", "procs[0].groups: expected an array" },
		{ "{\"procs\": [{\"groups\": [1, \"2\"]}]}", "procs[0].groups[1]: expected a number" },
		{ "{\"units\": [{\"problems\": [7]}]}", "units[0].problems[0]: expected an object" },
		{ "{\"is_root\": null}", "is_root: expected a number" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		assert_int_equal(apply_text(s, cases[i].in, err, sizeof err), -1);
		assert_string_equal(err, cases[i].msg);
		assert_valid(s);
	}
	/* a double accepts null (how NaN and infinities are written) */
	assert_int_equal(apply_text(s, "{\"taken\": null, \"finished\": 5}", err, sizeof err), 0);
	assert_true(s->taken == 0 && s->finished == 5);
	/* a NULL err is fine */
	assert_int_equal(apply_text(s, "{\"taken\": []}", NULL, 0), -1);
	snap_free(s);
}

static void test_hostile_values(void **st)
{
	(void)st;
	struct gw_snapshot *s = calloc(1, sizeof *s);
	snapshot_init(s);
	char err[256];
	char big[4096], in[16384];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	/* strings longer than their field; latin1 with code points above U+00FF */
	snprintf(in, sizeof in, "{\"hostname\": \"%s\", \"unknown_reason\": {\"latin1\": \"%s\"},"
		 " \"systemd_error\": {\"latin1\": \"a\\u00ffb\\u0100c\\u65e5d\"}}", big, big);
	assert_int_equal(apply_text(s, in, err, sizeof err), 0);
	assert_int_equal(strlen(s->hostname), sizeof s->hostname - 1);
	assert_int_equal(strlen(s->unknown_reason), sizeof s->unknown_reason - 1);
	assert_string_equal(s->systemd_error, "a\xff" "b?c?d");
	/* embedded NUL (a reader that allows it) ends the string */
	json_t *nul = json_object();
	json_object_set_new(nul, "docker_error", json_stringn("ab\0cd", 5));
	assert_int_equal(snapjson_apply(s, nul, err, sizeof err), 0);
	json_decref(nul);
	assert_string_equal(s->docker_error, "ab");

	/* numbers out of range: clamped; reals truncated; enums out of range -> 0 */
	char events[128];
	snprintf(events, sizeof events, "\"events\": [{\"kind\": %d, \"level\": 8}, {\"kind\": %d, \"level\": -3}],",
		 GW_LOG_KIND_MAX, GW_LOG_KIND_MAX - 1);
	snprintf(in, sizeof in,
		"{\"is_root\": 1e300, \"port_range_lo\": -1e300, \"port_range_hi\": 9223372036854775807,"
		" \"ntest\": {\"exit_code\": -9223372036854775808, \"error_line\": 2.9},"
		" \"procs\": [{\"pid\": 1e19, \"uid\": -5, \"gid\": 99999999999, \"state\": 1000, \"role\": 99,"
		"   \"rss_kb\": -1, \"groups\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,"
		"   25,26,27,28,29,30,31,32,33,34,35]},"
		"  {\"role\": -1, \"start_time\": 1e308, \"cpu_pct\": -1e300}],"
		" %s"
		" \"targets\": [{\"addr\": {\"kind\": 7}, \"container\": {\"how\": 5}}],"
		" \"units\": [{\"problems\": [{\"kind\": 10}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {\"kind\": 9}]}],"
		" \"containers\": [{\"ports\": [{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}],"
		"   \"inside\": [{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}]}]}", events);
	assert_int_equal(apply_text(s, in, err, sizeof err), 0);
	assert_valid(s);
	assert_int_equal(s->is_root, INT32_MAX);
	assert_int_equal(s->port_range_lo, INT32_MIN);
	assert_int_equal(s->port_range_hi, INT32_MAX);
	assert_int_equal(s->ntest.exit_code, INT32_MIN);
	assert_int_equal(s->ntest.error_line, 2);
	assert_int_equal(s->procs.n, 2);
	assert_int_equal(s->procs.v[0].pid, INT32_MAX);
	assert_int_equal(s->procs.v[0].uid, 0);
	assert_int_equal(s->procs.v[0].gid, UINT32_MAX);
	assert_int_equal((unsigned char)s->procs.v[0].state, 255);
	assert_int_equal(s->procs.v[0].role, 0);
	assert_int_equal(s->procs.v[0].rss_kb, ULONG_MAX);   /* 64-bit: -1 is its two's complement */
	assert_int_equal(s->procs.v[0].ngroups, 32);
	assert_int_equal(s->procs.v[0].groups[31], 32);
	assert_int_equal(s->procs.v[1].role, 0);
	assert_true(s->procs.v[1].start_time == SNAPJSON_MAX_DOUBLE);
	assert_true(s->procs.v[1].cpu_pct == -SNAPJSON_MAX_DOUBLE);
	assert_int_equal(s->events.v[0].kind, 0);
	assert_int_equal(s->events.v[0].level, 0);
	assert_int_equal(s->events.v[1].kind, GW_LOG_KIND_MAX - 1);
	assert_int_equal(s->events.v[1].level, 0);
	assert_int_equal(s->targets.v[0].addr.kind, 0);
	assert_int_equal(s->units.v[0].nproblems, 8);
	assert_int_equal(s->units.v[0].problems[0].kind, 0);
	assert_int_equal(s->containers.v[0].nports, 16);
	assert_int_equal(s->containers.v[0].ninside, 16);
	snap_free(s);
}

static void test_hostile_indices(void **st)
{
	(void)st;
	struct gw_snapshot *s = calloc(1, sizeof *s);
	snapshot_init(s);
	char err[256];
	assert_int_equal(apply_text(s,
		"{\"listeners\": [{}, {}],"
		" \"containers\": [{\"ports\": [{}, {}]}],"
		" \"targets\": [{\"listener_idx\": 1, \"container\": {\"how\": 1, \"container\": 0, \"port\": 1}},"
		"   {\"listener_idx\": 2, \"container\": {\"how\": 1, \"container\": 1, \"port\": 0}},"
		"   {\"listener_idx\": -7, \"container\": {\"how\": 2, \"container\": 0, \"port\": 2}},"
		"   {\"container\": {\"how\": 1, \"container\": -2147483648, \"port\": 2147483647}}],"
		" \"units\": [{\"target_idx\": 3}, {\"target_idx\": 4}, {\"target_idx\": -2}],"
		" \"app_binds\": [{\"listener_idx\": 0}, {\"listener_idx\": 2}, {\"listener_idx\": -9}]}",
		err, sizeof err), 0);
	assert_valid(s);
	assert_int_equal(s->targets.v[0].listener_idx, 1);
	assert_int_equal(s->targets.v[0].container.how, GW_VIA_PUBLISHED);
	assert_int_equal(s->targets.v[0].container.port, 1);
	assert_int_equal(s->targets.v[1].listener_idx, -1);
	assert_int_equal(s->targets.v[1].container.how, GW_VIA_NONE);
	assert_int_equal(s->targets.v[1].container.container, -1);
	assert_int_equal(s->targets.v[2].listener_idx, -1);
	assert_int_equal(s->targets.v[2].container.how, GW_VIA_ADDRESS);
	assert_int_equal(s->targets.v[2].container.port, -1);
	assert_int_equal(s->targets.v[3].container.container, -1);
	assert_int_equal(s->units.v[0].target_idx, 3);
	assert_int_equal(s->units.v[1].target_idx, -1);
	assert_int_equal(s->units.v[2].target_idx, -1);
	assert_int_equal(s->app_binds.v[0].listener_idx, 0);
	assert_int_equal(s->app_binds.v[1].listener_idx, -1);
	/* a later frame shrinks the vectors the indices point into: the
	 * indices kept from the earlier frame are corrected too (and a member
	 * of the wrong type is left as it was, the others applied) */
	assert_int_equal(apply_text(s, "{\"listeners\": [], \"targets\": null, \"containers\": [{\"ports\": [{}]}]}",
				    err, sizeof err), -1);
	assert_string_equal(err, "targets: expected an array");
	assert_valid(s);
	assert_int_equal(s->targets.n, 4);
	assert_int_equal(s->listeners.n, 0);
	assert_int_equal(s->containers.v[0].nports, 1);
	assert_int_equal(s->targets.v[0].listener_idx, -1);
	assert_int_equal(s->targets.v[0].container.port, -1);
	assert_int_equal(s->targets.v[0].container.container, 0);
	assert_int_equal(s->app_binds.v[0].listener_idx, -1);
	assert_int_equal(apply_text(s, "{\"targets\": []}", err, sizeof err), 0);
	assert_valid(s);
	assert_int_equal(s->units.v[0].target_idx, -1);
	snap_free(s);
}

static void test_hostile_huge_arrays(void **st)
{
	(void)st;
	struct gw_snapshot *s = calloc(1, sizeof *s);
	snapshot_init(s);
	json_t *j = json_object(), *a = json_array();
	for (size_t i = 0; i < SNAPJSON_MAX_VEC + 5; i++) json_array_append_new(a, json_object());
	json_object_set_new(j, "notes", a);
	char err[128];
	assert_int_equal(snapjson_apply(s, j, err, sizeof err), 0);
	assert_int_equal(s->notes.n, SNAPJSON_MAX_VEC);
	assert_valid(s);
	json_decref(j);
	/* replacing frees the old vector (ASan: no leak) */
	assert_int_equal(apply_text(s, "{\"notes\": [{\"probe\": \"x\"}]}", err, sizeof err), 0);
	assert_int_equal(s->notes.n, 1);
	snap_free(s);
}

/* Deep nesting beyond anything described is ignored, not followed. */
static void test_hostile_unknown_keys(void **st)
{
	(void)st;
	struct gw_snapshot *s = calloc(1, sizeof *s);
	snapshot_init(s);
	char err[128];
	assert_int_equal(apply_text(s, "{\"future\": {\"a\": [1, {\"b\": 2}]}, \"taken\": 5,"
				    " \"targets\": [{\"new_field\": \"x\", \"port\": 1}]}", err, sizeof err), 0);
	assert_true(s->taken == 5);
	assert_int_equal(s->targets.n, 1);
	assert_valid(s);
	snap_free(s);
}

/* ------------------------------------------------------------ diagnose agrees */

static struct gw_snapshot *lab_snap(void)
{
	struct gw_snapshot *s = calloc(1, sizeof *s);
	snapshot_init(s);
	s->taken = NOW - 1;
	s->finished = NOW - 0.5;
	s->is_root = 1;
	GW_COPY(s->hostname, "lab");
	GW_COPY(s->conf.conf_path, "/etc/nginx/nginx.conf");
	s->conf.parsed = s->conf.ok = 1;
	s->nginx.master_pid = 100;
	s->nginx.nworkers = 2;
	s->nginx.last_reload = NOW - 3600;
	GW_COPY(s->nginx.worker_user, "www-data");
	s->ntest.ran = s->ntest.ok = 1;
	s->ntest.exit_code = 0;
	struct gw_conf_listen *l = gw_vec_push(&s->conf.listens);
	GW_COPY(l->raw, "127.0.0.1:8080");
	l->addr.kind = GW_ADDR_INET;
	GW_COPY(l->addr.host, "127.0.0.1");
	l->addr.port = 8080;
	struct gw_listener *nl = gw_vec_push(&s->listeners);
	nl->family = AF_INET;
	GW_COPY(nl->addr, "127.0.0.1");
	nl->port = 8080;
	nl->pid = 100;
	struct gw_proc *p = gw_vec_push(&s->procs);
	p->pid = 100; p->ppid = 1; p->role = GW_ROLE_NGINX_MASTER;
	GW_COPY(p->comm, "nginx");
	struct gw_probe_status *ps = gw_vec_push(&s->probes);
	GW_COPY(ps->name, "procs");
	ps->last_ok = NOW - 1;
	ps->duration = 0.012;
	return s;
}

static struct gw_target *add_tcp(struct gw_snapshot *s, const char *host, int port)
{
	struct gw_target *t = gw_vec_push(&s->targets);
	t->addr.kind = GW_ADDR_INET;
	GW_COPY(t->addr.host, host);
	t->addr.port = port;
	gw_addr_str(&t->addr, t->display, sizeof t->display);
	GW_COPY(t->directive, "proxy_pass");
	GW_COPY(t->scheme, "http");
	GW_COPY(t->pass_loc.file, "/etc/nginx/sites-enabled/app");
	t->pass_loc.line = 7;
	t->listener_idx = -1;
	t->container.container = t->container.port = -1;
	t->probed = 1;
	return t;
}

static struct gw_log_event *add_event(struct gw_snapshot *s, enum gw_log_kind k, double t, const char *line)
{
	struct gw_log_event *e = gw_vec_push(&s->events);
	e->kind = k;
	e->time = t;
	e->level = GW_LV_ERROR;
	GW_COPY(e->upstream, "http://127.0.0.1:8000/");
	GW_COPY(e->line, line);
	GW_COPY(e->source, "nginx-error:/var/log/nginx/error.log");
	return e;
}

static struct gw_proc *add_app(struct gw_snapshot *s, pid_t pid, const char *cmd)
{
	struct gw_proc *p = gw_vec_push(&s->procs);
	p->pid = pid; p->ppid = 1; p->role = GW_ROLE_GUNICORN_MASTER;
	p->start_time = NOW - 600;
	GW_COPY(p->comm, "gunicorn");
	GW_COPY(p->cmdline, cmd);
	return p;
}

/* The scenarios: each a snapshot as the probes leave it (their matches run). */
static struct gw_snapshot *scenario(int which)
{
	struct gw_snapshot *s = lab_snap();
	switch (which) {
	case 0: {     /* healthy */
		add_app(s, 200, "gunicorn --bind 127.0.0.1:8000 app:app");
		struct gw_target *t = add_tcp(s, "127.0.0.1", 8000);
		t->reachable = t->http_ok = 1;
		t->http_status = 200;
		break;
	}
	case 1:       /* upstream down, nginx's lines say so */
		add_tcp(s, "127.0.0.1", 8000)->err = ECONNREFUSED;
		add_event(s, GW_LOG_CONNECT_REFUSED, NOW - 5,
			  "connect() failed (111: Connection refused) while connecting to upstream");
		break;
	case 2: {     /* port mismatch, the app's real port in its cmdline; a bad byte in it */
		add_app(s, 200, "gunicorn --bind 127.0.0.1:5000 app:app \xff\xfe");
		struct gw_listener *l = gw_vec_push(&s->listeners);
		l->family = AF_INET;
		GW_COPY(l->addr, "127.0.0.1");
		l->port = 5000;
		l->pid = 200;
		add_tcp(s, "127.0.0.1", 8000)->err = ECONNREFUSED;
		break;
	}
	case 3: {     /* the app cannot boot (an import error in its journal) */
		add_tcp(s, "127.0.0.1", 8000)->err = ECONNREFUSED;
		struct gw_log_event *e = add_event(s, GW_LOG_APP_MODULE_NOT_FOUND, NOW - 20,
						   "ModuleNotFoundError: No module named 'psycopg2'");
		GW_COPY(e->detail, "ModuleNotFoundError: No module named 'psycopg2'");
		GW_COPY(e->source, "journal:gunicorn.service");
		break;
	}
	case 4: {     /* a unit in a crash loop */
		s->systemd_available = 1;
		add_tcp(s, "127.0.0.1", 8000)->err = ECONNREFUSED;
		struct gw_unit *u = gw_vec_push(&s->units);
		GW_COPY(u->name, "gunicorn.service");
		u->loaded = u->is_app = 1;
		GW_COPY(u->fragment_path, "/etc/systemd/system/gunicorn.service");
		GW_COPY(u->exec_start, "/usr/bin/python3 /usr/bin/gunicorn --bind 127.0.0.1:8000 app:app");
		GW_COPY(u->working_dir, "/");
		GW_COPY(u->restart, "always");
		GW_COPY(u->active_state, "activating");
		GW_COPY(u->sub_state, "auto-restart");
		u->nrestarts = 7;
		u->restarts_per_min = 6;
		u->exec_main_code = 1;
		u->exec_main_status = 1;
		u->target_idx = -1;
		break;
	}
	case 5: {     /* OOM kills with premature closes */
		add_app(s, 200, "gunicorn --bind 127.0.0.1:8000 app:app");
		struct gw_target *t = add_tcp(s, "127.0.0.1", 8000);
		t->reachable = t->http_ok = 1;
		t->http_status = 200;
		add_event(s, GW_LOG_PREMATURE_CLOSE, NOW - 10, "upstream prematurely closed connection");
		struct gw_log_event *e = add_event(s, GW_LOG_OOM_KILL, NOW - 11,
						   "Out of memory: Killed process 201 (gunicorn) total-vm:812345kB");
		GW_COPY(e->detail, "gunicorn");
		s->mem.ok = 1;
		s->mem.total_kb = 1000000;
		s->mem.available_kb = 20000;
		break;
	}
	default: {    /* a published container that restarts */
		s->docker_available = 1;
		GW_COPY(s->docker_socket, "/run/docker.sock");
		add_tcp(s, "127.0.0.1", 8000)->err = ECONNREFUSED;
		struct gw_container *c = gw_vec_push(&s->containers);
		GW_COPY(c->id, "0123456789ab");
		GW_COPY(c->name, "app");
		GW_COPY(c->image, "app:latest");
		GW_COPY(c->state, "restarting");
		GW_COPY(c->status, "Restarting (1) 3 seconds ago");
		c->exit_code = 1;
		c->restart_count = 9;
		c->restarts_rising = 1;
		c->nports = 1;
		c->ports[0].container_port = 8000;
		GW_COPY(c->ports[0].proto, "tcp");
		GW_COPY(c->ports[0].host_ip, "0.0.0.0");
		c->ports[0].host_port = 8000;
		GW_COPY(c->last_log, "ModuleNotFoundError: No module named 'flask'");
		break;
	}
	}
	listeners_match_apps(s);
	docker_match_targets(s);
	for (size_t i = 0; i < s->units.n; i++) units_fill_bind(&s->units.v[i], s);
	return s;
}

static void same_diagnosis(const struct gw_diagnosis *a, const struct gw_diagnosis *b)
{
	assert_int_equal(a->findings.n, b->findings.n);
	assert_int_equal(a->verdict, b->verdict);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->unknown, b->unknown);
	assert_string_equal(a->unknown_reason, b->unknown_reason);
	for (size_t i = 0; i < a->findings.n; i++) {
		const struct gw_finding *x = &a->findings.v[i], *y = &b->findings.v[i];
		assert_string_equal(gw_cause_id(x->cause), gw_cause_id(y->cause));
		assert_string_equal(x->summary, y->summary);
		assert_int_equal(x->severity, y->severity);
		assert_int_equal(x->hop, y->hop);
		assert_int_equal(x->subject.kind, y->subject.kind);
		assert_int_equal(x->subject.index, y->subject.index);
		assert_int_equal(x->nevidence, y->nevidence);
		for (int k = 0; k < x->nevidence; k++) assert_string_equal(x->evidence[k], y->evidence[k]);
		assert_int_equal(x->nfix, y->nfix);
		for (int k = 0; k < x->nfix; k++) assert_string_equal(x->fix[k], y->fix[k]);
		assert_int_equal(x->ncommands, y->ncommands);
		for (int k = 0; k < x->ncommands; k++) assert_string_equal(x->commands[k], y->commands[k]);
	}
	assert_int_equal(a->targets.n, b->targets.n);
	for (size_t i = 0; i < a->targets.n; i++) assert_memory_equal(&a->targets.v[i], &b->targets.v[i], sizeof a->targets.v[i]);
	for (int h = 0; h < GW_HOP_MAX; h++) {
		assert_int_equal(a->hops[h].status, b->hops[h].status);
		assert_string_equal(a->hops[h].detail, b->hops[h].detail);
	}
	for (int c = 0; c < GW_CHECK_MAX; c++) assert_int_equal(a->checklist[c], b->checklist[c]);
}

static void test_diagnose_agrees(void **st)
{
	(void)st;
	struct gw_diag_config cfg = { .now = NOW, .recent_window = 300 };
	const char *seen[8];
	for (int w = 0; w < 7; w++) {
		struct gw_snapshot *s = scenario(w);
		size_t len;
		struct gw_snapshot *d = through_text(s, &len);
		struct gw_diagnosis da, db;
		diagnose(s, &cfg, &da);
		diagnose(d, &cfg, &db);
		const struct gw_finding *v = diagnosis_verdict(&da);
		seen[w] = v ? gw_cause_id(v->cause) : "healthy";
		print_message("scenario %d: verdict %s, %zu findings, snapshot %zu bytes of compact JSON\n",
			      w, seen[w], da.findings.n, len);
		same_diagnosis(&da, &db);
		diagnosis_free(&da);
		diagnosis_free(&db);
		snap_free(d);
		snap_free(s);
	}
	/* the scenarios are what they claim (else the comparison proves little) */
	assert_string_equal(seen[0], "healthy");
	assert_string_equal(seen[1], "upstream_down");
	assert_string_equal(seen[2], "port_mismatch");
	assert_string_equal(seen[3], "app_boot_failure");
	assert_string_equal(seen[5], "oom_killed");
	for (int w = 4; w < 7; w++) assert_string_not_equal(seen[w], "healthy");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_member_described),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_roundtrip_full),
		cmocka_unit_test(test_roundtrip_empty),
		cmocka_unit_test(test_partial_apply),
		cmocka_unit_test(test_hostile_types),
		cmocka_unit_test(test_hostile_values),
		cmocka_unit_test(test_hostile_indices),
		cmocka_unit_test(test_hostile_huge_arrays),
		cmocka_unit_test(test_hostile_unknown_keys),
		cmocka_unit_test(test_diagnose_agrees),
	};
	return cmocka_run_group_tests_name("snapjson", tests, NULL, NULL);
}
