/* snapjson.c — the snapshot as JSON and back (snapjson.h says the format).
 *
 * Table-driven: one descriptor table per struct of model.h's snapshot part
 * (name, kind, offsetof, sizeof, alignment; a nested struct, vector or
 * fixed array points at its element's descriptor). The field macros check
 * at compile time that the kind fits the member's C type (a signed integer
 * described as unsigned, a struct as another struct... does not compile).
 * That no member is forgotten is tests/unit/test_snapjson.c's guard: it
 * reads src/model.h and checks every member of every described struct has
 * its descriptor (or is the count of a fixed array, or deliberately
 * skipped), and that the described members tile each struct (no gap
 * beyond alignment padding). */
#include "snapjson.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum sj_kind {
	SJ_INT,          /* signed integer of size 1, 2, 4, 8 */
	SJ_UINT,         /* unsigned integer of size 1, 2, 4, 8 */
	SJ_CHAR,         /* a plain char (gw_proc.state): 0..255 */
	SJ_ENUM,         /* an enum: 0..emax */
	SJ_DOUBLE,
	SJ_STR,          /* char array, NUL-terminated */
	SJ_STRUCT,       /* nested struct: sub */
	SJ_VEC,          /* GW_VEC: elements described by elemf */
	SJ_ARR,          /* fixed array with an int count member */
	SJ_SKIP,         /* not encoded (the borrowed timeline pointer) */
};

struct sj_struct;

struct sj_field {
	const char *name;
	enum sj_kind kind;
	size_t off, size, align;
	long emax;                       /* SJ_ENUM */
	const struct sj_struct *sub;     /* SJ_STRUCT */
	const struct sj_field *elemf;    /* SJ_VEC, SJ_ARR: the element (off 0) */
	size_t elem;                     /* SJ_VEC, SJ_ARR: element size */
	size_t cnt_off, cnt_size;        /* SJ_ARR: the count member */
	const char *cnt_name;
};

struct sj_struct {
	const char *name;
	size_t size, align;
	const struct sj_field *f;
	size_t nf;
};

/* The generic layout of a GW_VEC (util.h): { T *v; size_t n, cap; }. */
struct sj_vec {
	void *v;
	size_t n, cap;
};

/* ------------------------------------------------------------ descriptors */

#define SJ_M(m) (((T *)0)->m)
#define SJ_CHECK(cond) (0 * sizeof(char[(cond) ? 1 : -1]))
#define SJ_IS_INTEGER(x) ((__typeof__(x))1 / 2 == 0)
#define SJ_SAME(x, type) __builtin_types_compatible_p(__typeof__(x), type)
#define SJ_FIELD(m, k, chk, ...) \
	{ .name = #m, .kind = (k), .off = offsetof(T, m), .size = sizeof(SJ_M(m)) + SJ_CHECK(chk), \
	  .align = __alignof__(SJ_M(m)), __VA_ARGS__ }

#define I(m) SJ_FIELD(m, SJ_INT, SJ_IS_INTEGER(SJ_M(m)) && (__typeof__(SJ_M(m)))-1 < 0, .emax = 0)
#define U(m) SJ_FIELD(m, SJ_UINT, SJ_IS_INTEGER(SJ_M(m)) && (__typeof__(SJ_M(m)))-1 > 0, .emax = 0)
#define C(m) SJ_FIELD(m, SJ_CHAR, SJ_SAME(SJ_M(m), char), .emax = 0)
#define E(m, max) SJ_FIELD(m, SJ_ENUM, sizeof(SJ_M(m)) == sizeof(int) && SJ_IS_INTEGER(SJ_M(m)), .emax = (max))
#define D(m) SJ_FIELD(m, SJ_DOUBLE, SJ_SAME(SJ_M(m), double), .emax = 0)
#define S(m) SJ_FIELD(m, SJ_STR, SJ_SAME(SJ_M(m)[0], char) && !SJ_SAME(SJ_M(m), char *) && sizeof(SJ_M(m)) > 1, .emax = 0)
#define ST(m, tab, type) SJ_FIELD(m, SJ_STRUCT, SJ_SAME(SJ_M(m), type), .sub = &(tab))
#define V(m, el, type) SJ_FIELD(m, SJ_VEC, SJ_SAME(*SJ_M(m).v, type), .elemf = &(el), .elem = sizeof(type))
#define A(m, cnt, el, type) \
	SJ_FIELD(m, SJ_ARR, SJ_SAME(SJ_M(m)[0], type) && SJ_SAME(SJ_M(cnt), int), .elemf = &(el), \
		 .elem = sizeof(type), .cnt_off = offsetof(T, cnt), .cnt_size = sizeof(SJ_M(cnt)), .cnt_name = #cnt)
#define SKIP(m) SJ_FIELD(m, SJ_SKIP, 1, .emax = 0)

#define SJ_TABLE(var, sname, ...) \
	static const struct sj_field var##_f[] = { __VA_ARGS__ }; \
	static const struct sj_struct var = { sname, sizeof(T), __alignof__(T), var##_f, \
					      sizeof var##_f / sizeof var##_f[0] }
/* The element descriptor of a vector / array of structs. */
#define SJ_ELEM(var, tab, type) \
	static const struct sj_field var = { .kind = SJ_STRUCT, .size = sizeof(type), \
					     .align = __alignof__(type), .sub = &(tab) }

#define T struct gw_srcloc
SJ_TABLE(t_srcloc, "gw_srcloc", S(file), I(line));
#undef T
#define T struct gw_addr
SJ_TABLE(t_addr, "gw_addr", E(kind, GW_ADDR_VARIABLE), S(host), I(port), S(path));
#undef T

#define T struct gw_conf_listen
SJ_TABLE(t_conf_listen, "gw_conf_listen", S(raw), ST(addr, t_addr, struct gw_addr), S(server_name), I(ssl),
	 ST(loc, t_srcloc, struct gw_srcloc));
#undef T
SJ_ELEM(e_conf_listen, t_conf_listen, struct gw_conf_listen);

#define T struct gw_conf_pass
SJ_TABLE(t_conf_pass, "gw_conf_pass", S(directive), S(arg), S(scheme), ST(addr, t_addr, struct gw_addr),
	 S(server_name), S(location), I(server_port), ST(loc, t_srcloc, struct gw_srcloc));
#undef T
SJ_ELEM(e_conf_pass, t_conf_pass, struct gw_conf_pass);

#define T struct gw_conf_upstream_server
SJ_TABLE(t_conf_upstream_server, "gw_conf_upstream_server", S(raw), ST(addr, t_addr, struct gw_addr),
	 I(down), I(backup), I(max_fails), D(fail_timeout), ST(loc, t_srcloc, struct gw_srcloc));
#undef T
SJ_ELEM(e_conf_upstream_server, t_conf_upstream_server, struct gw_conf_upstream_server);

#define T struct gw_conf_upstream
SJ_TABLE(t_conf_upstream, "gw_conf_upstream", S(name), ST(loc, t_srcloc, struct gw_srcloc), I(keepalive),
	 ST(keepalive_loc, t_srcloc, struct gw_srcloc), D(keepalive_timeout),
	 ST(keepalive_timeout_loc, t_srcloc, struct gw_srcloc),
	 V(servers, e_conf_upstream_server, struct gw_conf_upstream_server));
#undef T
SJ_ELEM(e_conf_upstream, t_conf_upstream, struct gw_conf_upstream);

#define T struct gw_conf_setting
SJ_TABLE(t_conf_setting, "gw_conf_setting", S(directive), S(value), D(value_num), S(context),
	 ST(loc, t_srcloc, struct gw_srcloc));
#undef T
SJ_ELEM(e_conf_setting, t_conf_setting, struct gw_conf_setting);

#define T struct gw_conf_log
SJ_TABLE(t_conf_log, "gw_conf_log", I(is_access), S(path), S(level), S(format),
	 ST(loc, t_srcloc, struct gw_srcloc));
#undef T
SJ_ELEM(e_conf_log, t_conf_log, struct gw_conf_log);

#define T struct gw_conf_log_format
SJ_TABLE(t_conf_log_format, "gw_conf_log_format", S(name), S(format));
#undef T
SJ_ELEM(e_conf_log_format, t_conf_log_format, struct gw_conf_log_format);

#define T struct gw_conf_file
SJ_TABLE(t_conf_file, "gw_conf_file", S(path), I(mtime));
#undef T
SJ_ELEM(e_conf_file, t_conf_file, struct gw_conf_file);

#define T struct gw_conf_warning
SJ_TABLE(t_conf_warning, "gw_conf_warning", S(text), ST(loc, t_srcloc, struct gw_srcloc));
#undef T
SJ_ELEM(e_conf_warning, t_conf_warning, struct gw_conf_warning);

#define T struct gw_nginx_conf
SJ_TABLE(t_nginx_conf, "gw_nginx_conf", I(parsed), I(ok), S(conf_path), S(prefix), S(conf_source), S(error),
	 ST(error_loc, t_srcloc, struct gw_srcloc), V(warnings, e_conf_warning, struct gw_conf_warning),
	 S(user), S(group), ST(user_loc, t_srcloc, struct gw_srcloc),
	 V(files, e_conf_file, struct gw_conf_file), V(listens, e_conf_listen, struct gw_conf_listen),
	 V(passes, e_conf_pass, struct gw_conf_pass), V(upstreams, e_conf_upstream, struct gw_conf_upstream),
	 V(settings, e_conf_setting, struct gw_conf_setting), V(logs, e_conf_log, struct gw_conf_log),
	 V(log_formats, e_conf_log_format, struct gw_conf_log_format));
#undef T

#define T struct gw_nginx_test
SJ_TABLE(t_nginx_test, "gw_nginx_test", I(ran), I(ok), I(exit_code), S(output), S(error_file), I(error_line),
	 D(duration), D(when));
#undef T

static const struct sj_field e_gid = { .kind = SJ_UINT, .size = sizeof(gid_t), .align = __alignof__(gid_t) };

#define T struct gw_proc
SJ_TABLE(t_proc, "gw_proc", I(pid), I(ppid), U(uid), U(gid), S(user), C(state), S(comm), S(cmdline),
	 U(rss_kb), D(start_time), D(cpu_pct), U(cpu_ticks), S(cgroup), S(unit), E(role, GW_ROLE_DB),
	 A(groups, ngroups, e_gid, gid_t));
#undef T
SJ_ELEM(e_proc, t_proc, struct gw_proc);

#define T struct gw_app_bind
SJ_TABLE(t_app_bind, "gw_app_bind", I(pid), ST(addr, t_addr, struct gw_addr), I(listener_idx));
#undef T
SJ_ELEM(e_app_bind, t_app_bind, struct gw_app_bind);

#define T struct gw_listener
SJ_TABLE(t_listener, "gw_listener", I(family), S(addr), I(port), S(path), I(v6only), U(inode), U(queue),
	 U(backlog), I(pid), S(comm));
#undef T
SJ_ELEM(e_listener, t_listener, struct gw_listener);

#define T struct gw_container_match
SJ_TABLE(t_container_match, "gw_container_match", E(how, GW_VIA_NEAR), I(container), I(port),
	 I(container_port));
#undef T

#define T struct gw_target
SJ_TABLE(t_target, "gw_target", ST(addr, t_addr, struct gw_addr), S(display), S(directive), S(scheme),
	 S(upstream_name), I(down), I(backup), ST(pass_loc, t_srcloc, struct gw_srcloc),
	 ST(server_loc, t_srcloc, struct gw_srcloc), S(location), S(server_name), I(listener_idx),
	 ST(container, t_container_match, struct gw_container_match), I(probed), I(reachable), I(http_ok),
	 I(http_status), I(err), I(timed_out), D(connect_ms), D(total_ms), S(error), I(not_http),
	 I(plain_probed), I(plain_status), I(conns_counted), I(conns_timewait), I(conns_open),
	 I(perm_checked), I(perm_ok), I(exists), S(perm_path), S(perm_detail));
#undef T
SJ_ELEM(e_target, t_target, struct gw_target);

#define T struct gw_through
SJ_TABLE(t_through, "gw_through", S(url), S(host), S(path), ST(listen_loc, t_srcloc, struct gw_srcloc),
	 I(probed), I(answered), I(status), I(timed_out), D(total_ms), D(when), S(error));
#undef T
SJ_ELEM(e_through, t_through, struct gw_through);

#define T struct gw_access
SJ_TABLE(t_access, "gw_access", I(read), S(path), D(since), U(total), U(n2xx), U(n3xx), U(n4xx), U(n5xx),
	 U(n499), U(own), U(n502), U(n503), U(n504), U(n500), D(last_ok), D(first_5xx), D(last_5xx),
	 S(last_5xx_line), U(ok_after_5xx), D(recovered_at), I(interleaved));
#undef T

#define T struct gw_log_event
SJ_TABLE(t_log_event, "gw_log_event", E(kind, GW_LOG_KIND_MAX - 1), E(level, GW_LV_EMERG), D(time), I(err),
	 I(pid), S(source), S(upstream), S(request), S(detail), S(line));
#undef T
SJ_ELEM(e_log_event, t_log_event, struct gw_log_event);

#define T struct gw_log_source
SJ_TABLE(t_log_source, "gw_log_source", S(path), S(tag), I(readable), S(error), I(size), I(offset), U(inode),
	 U(lines_read));
#undef T
SJ_ELEM(e_log_source, t_log_source, struct gw_log_source);

#define T struct gw_memory
SJ_TABLE(t_memory, "gw_memory", I(ok), U(total_kb), U(available_kb), U(swap_total_kb), U(swap_free_kb),
	 D(psi_some10), D(psi_full10), I(kernel_log_readable), S(kernel_log_error));
#undef T

#define T struct gw_nginx_runtime
SJ_TABLE(t_nginx_runtime, "gw_nginx_runtime", I(master_pid), I(nworkers), D(master_start), D(last_reload),
	 U(worker_uid), U(worker_gid), A(worker_groups, worker_ngroups, e_gid, gid_t), S(worker_user),
	 I(worker_ids_known), I(limits_pid), I(nofile_soft), I(nofile_hard), I(nfds), I(stale),
	 S(stale_file), I(stale_mtime));
#undef T

#define T struct gw_unit_problem
SJ_TABLE(t_unit_problem, "gw_unit_problem", E(kind, UP_MODULE_MISSING), I(fatal), S(path), S(text));
#undef T
SJ_ELEM(e_unit_problem, t_unit_problem, struct gw_unit_problem);

#define T struct gw_unit
SJ_TABLE(t_unit, "gw_unit", S(name), I(loaded), S(active_state), S(sub_state), S(result), S(restart),
	 U(nrestarts), I(main_pid), I(exec_main_code), I(exec_main_status), D(exec_main_start),
	 D(active_enter), D(inactive_enter), S(fragment_path), S(exec_start), S(working_dir), S(env_files), S(environment),
	 S(user), S(group), I(runtime_directory), I(is_app), I(is_nginx), D(restarts_per_min),
	 I(main_pid_changes), S(error), A(problems, nproblems, e_unit_problem, struct gw_unit_problem),
	 I(has_bind), ST(bind, t_addr, struct gw_addr), I(target_idx));
#undef T
SJ_ELEM(e_unit, t_unit, struct gw_unit);

#define T struct gw_db_target
SJ_TABLE(t_db_target, "gw_db_target", S(kind), S(source), S(display), ST(addr, t_addr, struct gw_addr),
	 I(probed), I(reachable), I(err), D(connect_ms));
#undef T
SJ_ELEM(e_db_target, t_db_target, struct gw_db_target);

#define T struct gw_port_map
SJ_TABLE(t_port_map, "gw_port_map", I(container_port), S(proto), S(host_ip), I(host_port));
#undef T
SJ_ELEM(e_port_map, t_port_map, struct gw_port_map);

typedef __typeof__(((struct gw_container *)0)->inside[0]) sj_inside_t;
#define T sj_inside_t
SJ_TABLE(t_inside, "gw_container.inside", S(addr), I(port));
#undef T
SJ_ELEM(e_inside, t_inside, sj_inside_t);

#define T struct gw_container
SJ_TABLE(t_container, "gw_container", S(id), S(name), S(image), S(state), S(status), S(health),
	 I(failing_streak), S(health_log), I(exit_code), U(restart_count), I(restarts_rising), I(pid),
	 D(started_at), D(finished_at), D(created_at), S(image_id),
	 A(ports, nports, e_port_map, struct gw_port_map), I(inside_known),
	 A(inside, ninside, e_inside, sj_inside_t), S(last_log));
#undef T
SJ_ELEM(e_container, t_container, struct gw_container);

#define T struct gw_note
SJ_TABLE(t_note, "gw_note", S(probe), S(text));
#undef T
SJ_ELEM(e_note, t_note, struct gw_note);

#define T struct gw_probe_status
SJ_TABLE(t_probe_status, "gw_probe_status", S(name), D(last_ok), D(duration), S(error));
#undef T
SJ_ELEM(e_probe_status, t_probe_status, struct gw_probe_status);

#define T struct gw_snapshot
SJ_TABLE(t_snapshot, "gw_snapshot", D(taken), D(finished), I(is_root), S(hostname), I(port_range_lo),
	 I(port_range_hi), ST(conf, t_nginx_conf, struct gw_nginx_conf),
	 ST(ntest, t_nginx_test, struct gw_nginx_test), ST(nginx, t_nginx_runtime, struct gw_nginx_runtime),
	 V(procs, e_proc, struct gw_proc), V(listeners, e_listener, struct gw_listener),
	 V(app_binds, e_app_bind, struct gw_app_bind), V(targets, e_target, struct gw_target),
	 V(through, e_through, struct gw_through), ST(access, t_access, struct gw_access),
	 V(events, e_log_event, struct gw_log_event), V(log_sources, e_log_source, struct gw_log_source),
	 ST(mem, t_memory, struct gw_memory), I(systemd_available), S(systemd_error),
	 V(units, e_unit, struct gw_unit), V(dbs, e_db_target, struct gw_db_target), I(docker_available),
	 S(docker_socket), S(docker_error), V(containers, e_container, struct gw_container),
	 V(notes, e_note, struct gw_note), V(probes, e_probe_status, struct gw_probe_status), SKIP(timeline),
	 D(http_reused), I(unknown), S(unknown_reason));
#undef T

#undef I
#undef U
#undef C
#undef E
#undef D
#undef S
#undef ST
#undef V
#undef A
#undef SKIP

/* In t_snapshot's order, without timeline (the test checks they agree). */
const char *const snapjson_keys[] = {
	"taken", "finished", "is_root", "hostname", "port_range_lo", "port_range_hi", "conf", "ntest",
	"nginx", "procs", "listeners", "app_binds", "targets", "through", "access", "events",
	"log_sources", "mem", "systemd_available", "systemd_error", "units", "dbs", "docker_available",
	"docker_socket", "docker_error", "containers", "notes", "probes", "http_reused", "unknown",
	"unknown_reason", NULL,
};

#define SJ_ALL(X) \
	X(t_srcloc) X(t_addr) X(t_conf_listen) X(t_conf_pass) X(t_conf_upstream_server) X(t_conf_upstream) \
	X(t_conf_setting) X(t_conf_log) X(t_conf_log_format) X(t_conf_file) X(t_conf_warning) \
	X(t_nginx_conf) X(t_nginx_test) X(t_proc) X(t_app_bind) X(t_listener) X(t_container_match) \
	X(t_target) X(t_through) X(t_access) X(t_log_event) X(t_log_source) X(t_memory) \
	X(t_nginx_runtime) X(t_unit_problem) X(t_unit) X(t_db_target) X(t_port_map) X(t_inside) \
	X(t_container) X(t_note) X(t_probe_status) X(t_snapshot)
#define SJ_PTR(t) &(t),
static const struct sj_struct *const sj_all[] = { SJ_ALL(SJ_PTR) };
#undef SJ_PTR

const char *const snapjson_structs[] = {
	"gw_srcloc", "gw_addr", "gw_conf_listen", "gw_conf_pass", "gw_conf_upstream_server",
	"gw_conf_upstream", "gw_conf_setting", "gw_conf_log", "gw_conf_log_format", "gw_conf_file",
	"gw_conf_warning", "gw_nginx_conf", "gw_nginx_test", "gw_proc", "gw_app_bind", "gw_listener",
	"gw_container_match", "gw_target", "gw_through", "gw_access", "gw_log_event", "gw_log_source",
	"gw_memory", "gw_nginx_runtime", "gw_unit_problem", "gw_unit", "gw_db_target", "gw_port_map",
	"gw_container.inside", "gw_container", "gw_note", "gw_probe_status", "gw_snapshot", NULL,
};

/* ------------------------------------------------------------ scalars */

static long long get_sint(const unsigned char *p, size_t size)
{
	switch (size) {
	case 1: { int8_t v; memcpy(&v, p, 1); return v; }
	case 2: { int16_t v; memcpy(&v, p, 2); return v; }
	case 4: { int32_t v; memcpy(&v, p, 4); return v; }
	default: { int64_t v; memcpy(&v, p, 8); return v; }
	}
}

static unsigned long long get_uint(const unsigned char *p, size_t size)
{
	switch (size) {
	case 1: { uint8_t v; memcpy(&v, p, 1); return v; }
	case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
	case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
	default: { uint64_t v; memcpy(&v, p, 8); return v; }
	}
}

/* Store v (already within the type's range) in an integer of size bytes. */
static void put_int(unsigned char *p, size_t size, unsigned long long v)
{
	switch (size) {
	case 1: { uint8_t x = (uint8_t)v; memcpy(p, &x, 1); break; }
	case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
	case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
	default: { uint64_t x = v; memcpy(p, &x, 8); break; }
	}
}

static long long clampll(long long v, long long lo, long long hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* A JSON number as a long long: reals truncated, non-finite -> 0, clamped. */
static long long num_ll(const json_t *j)
{
	if (json_is_integer(j)) return (long long)json_integer_value(j);
	double d = json_real_value(j);
	if (!isfinite(d)) return 0;
	if (d >= 9223372036854775807.0) return LLONG_MAX;
	if (d <= -9223372036854775808.0) return LLONG_MIN;
	return (long long)d;
}

/* ------------------------------------------------------------ strings */

json_t *snapjson_string(const char *p, size_t n)
{
	if (!p) return json_string("");
	json_t *j = json_stringn(p, n);
	if (j) return j;
	/* not valid UTF-8: every byte one code point U+0001..U+00FF */
	char *buf = gw_xmalloc(2 * n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char b = (unsigned char)p[i];
		if (b < 0x80) {
			buf[k++] = (char)b;
		} else {
			buf[k++] = (char)(0xC0 | b >> 6);
			buf[k++] = (char)(0x80 | (b & 0x3F));
		}
	}
	json_t *o = json_object();
	json_object_set_new(o, "latin1", json_stringn(buf, k));
	free(buf);
	return o;
}

/* Decode a {"latin1": S} string into dst (size bytes, NUL-terminated). A
 * code point above U+00FF (not written by the encoder) becomes '?'. */
static size_t dec_latin1(const char *src, size_t len, char *dst, size_t size)
{
	size_t k = 0;
	for (size_t i = 0; i < len && k + 1 < size;) {
		unsigned char b = (unsigned char)src[i];
		unsigned cp;
		size_t need = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 1;
		if (need == 2 && i + 1 < len && ((unsigned char)src[i + 1] & 0xC0) == 0x80)
			cp = (unsigned)(b & 0x1F) << 6 | ((unsigned char)src[i + 1] & 0x3F);
		else
			cp = need == 1 && b < 0x80 ? b : '?';
		i += need;
		if (cp == 0) break;
		dst[k++] = (char)(cp > 0xFF ? '?' : cp);
	}
	dst[k] = '\0';
	return k;
}

static json_t *enc_string(const char *p, size_t size)
{
	return snapjson_string(p, strnlen(p, size));
}

size_t snapjson_string_get(const json_t *j, char *dst, size_t size)
{
	size_t n = 0;
	if (!size) return 0;
	if (json_is_string(j)) {
		n = json_string_length(j);
		if (n > size - 1) n = size - 1;
		memcpy(dst, json_string_value(j), n);
	} else if (json_is_string(json_object_get(j, "latin1"))) {
		const json_t *l = json_object_get(j, "latin1");
		return dec_latin1(json_string_value(l), json_string_length(l), dst, size);
	}
	dst[n] = '\0';
	return n;
}

/* ------------------------------------------------------------ encode */

static json_t *enc_struct(const struct sj_struct *d, const unsigned char *p, const unsigned char *def, int all);

static const unsigned char sj_zero[16];

/* The value of field f of the struct at base (def: its default, NULL = zeros). */
static json_t *enc_field(const struct sj_field *f, const unsigned char *base, const unsigned char *def)
{
	const unsigned char *p = base + f->off;
	switch (f->kind) {
	case SJ_INT:
		return json_integer((json_int_t)get_sint(p, f->size));
	case SJ_UINT:
		/* above 2^63-1: the two's complement (snapjson.h) */
		return json_integer((json_int_t)get_uint(p, f->size));
	case SJ_CHAR:
		return json_integer(*p);
	case SJ_ENUM:
		return json_integer((json_int_t)get_sint(p, f->size));
	case SJ_DOUBLE: {
		double v;
		memcpy(&v, p, sizeof v);
		return isfinite(v) ? json_real(v) : json_null();
	}
	case SJ_STR:
		return enc_string((const char *)p, f->size);
	case SJ_STRUCT:
		return enc_struct(f->sub, p, def ? def + f->off : NULL, 0);
	case SJ_VEC: {
		struct sj_vec vec;
		memcpy(&vec, p, sizeof vec);
		json_t *a = json_array();
		for (size_t i = 0; i < vec.n; i++)
			json_array_append_new(a, enc_field(f->elemf, (const unsigned char *)vec.v + i * f->elem, NULL));
		return a;
	}
	case SJ_ARR: {
		long long n = get_sint(base + f->cnt_off, f->cnt_size);
		n = clampll(n, 0, (long long)(f->size / f->elem));
		json_t *a = json_array();
		for (long long i = 0; i < n; i++)
			json_array_append_new(a, enc_field(f->elemf, p + (size_t)i * f->elem, NULL));
		return a;
	}
	case SJ_SKIP:
		break;
	}
	return NULL;
}

/* Is field f at base equal to its default (def, NULL = zeros)? */
static int is_default(const struct sj_field *f, const unsigned char *base, const unsigned char *def)
{
	const unsigned char *p = base + f->off;
	switch (f->kind) {
	case SJ_STR:
		return def ? strncmp((const char *)p, (const char *)def + f->off, f->size) == 0 : p[0] == '\0';
	case SJ_VEC: {
		struct sj_vec vec;
		memcpy(&vec, p, sizeof vec);
		return vec.n == 0;
	}
	case SJ_ARR:
		return get_sint(base + f->cnt_off, f->cnt_size) <= 0;
	case SJ_STRUCT:
		return 0;               /* decided by its encoding being empty */
	default:
		return !memcmp(p, def ? def + f->off : sj_zero, f->size);
	}
}

/* all: every member (the top level), else only those that differ from def. */
static json_t *enc_struct(const struct sj_struct *d, const unsigned char *p, const unsigned char *def, int all)
{
	json_t *o = json_object();
	for (size_t i = 0; i < d->nf; i++) {
		const struct sj_field *f = &d->f[i];
		if (f->kind == SJ_SKIP) continue;
		if (!all && is_default(f, p, def)) continue;
		json_t *v = enc_field(f, p, def);
		if (!all && f->kind == SJ_STRUCT && json_object_size(v) == 0) {
			json_decref(v);
			continue;
		}
		json_object_set_new(o, f->name, v);
	}
	return o;
}

static const struct sj_field *top_field(const char *key)
{
	for (size_t i = 0; i < t_snapshot.nf; i++)
		if (t_snapshot.f[i].kind != SJ_SKIP && !strcmp(t_snapshot.f[i].name, key)) return &t_snapshot.f[i];
	return NULL;
}

json_t *snapjson_encode(const struct gw_snapshot *s)
{
	struct gw_snapshot def;
	snapshot_init(&def);
	return enc_struct(&t_snapshot, (const unsigned char *)s, (const unsigned char *)&def, 1);
}

json_t *snapjson_encode_member(const struct gw_snapshot *s, const char *key)
{
	const struct sj_field *f = key ? top_field(key) : NULL;
	if (!f) return NULL;
	struct gw_snapshot def;
	snapshot_init(&def);
	return enc_field(f, (const unsigned char *)s, (const unsigned char *)&def);
}

/* ------------------------------------------------------------ free */

/* Free the vectors under field f of the struct at base (zeroing their headers). */
static void free_field(const struct sj_field *f, unsigned char *base)
{
	unsigned char *p = base + f->off;
	switch (f->kind) {
	case SJ_STRUCT:
		for (size_t i = 0; i < f->sub->nf; i++) free_field(&f->sub->f[i], p);
		break;
	case SJ_VEC: {
		struct sj_vec vec;
		memcpy(&vec, p, sizeof vec);
		if (f->elemf->kind == SJ_STRUCT)
			for (size_t i = 0; i < vec.n; i++) free_field(f->elemf, (unsigned char *)vec.v + i * f->elem);
		free(vec.v);
		memset(p, 0, sizeof vec);
		break;
	}
	case SJ_ARR:
		if (f->elemf->kind == SJ_STRUCT) {
			long long n = clampll(get_sint(base + f->cnt_off, f->cnt_size), 0, (long long)(f->size / f->elem));
			for (long long i = 0; i < n; i++) free_field(f->elemf, p + (size_t)i * f->elem);
		}
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------ decode */

struct dctx {
	char path[512];
	size_t plen;
	char *err;
	size_t errsz;
};

static void path_push(struct dctx *c, size_t *mark, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void path_push(struct dctx *c, size_t *mark, const char *fmt, ...)
{
	*mark = c->plen;
	if (c->plen >= sizeof c->path - 1) return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(c->path + c->plen, sizeof c->path - c->plen, fmt, ap);
	va_end(ap);
	if (k > 0) c->plen += (size_t)k < sizeof c->path - c->plen ? (size_t)k : sizeof c->path - 1 - c->plen;
}

static void path_pop(struct dctx *c, size_t mark)
{
	c->plen = mark;
	c->path[mark] = '\0';
}

static int fail(struct dctx *c, const char *what)
{
	if (c->err && c->errsz) snprintf(c->err, c->errsz, "%s: expected %s", c->path, what);
	return -1;
}

static int dec_struct(struct dctx *c, const struct sj_struct *d, unsigned char *p, const json_t *j);

/* Does j have the JSON type field f takes? Else what it should be. */
static const char *type_wrong(const struct sj_field *f, const json_t *j)
{
	switch (f->kind) {
	case SJ_INT: case SJ_UINT: case SJ_CHAR: case SJ_ENUM:
		return json_is_number(j) ? NULL : "a number";
	case SJ_DOUBLE:
		return json_is_number(j) || json_is_null(j) ? NULL : "a number";
	case SJ_STR:
		return json_is_string(j) || json_is_string(json_object_get(j, "latin1")) ? NULL : "a string";
	case SJ_STRUCT:
		return json_is_object(j) ? NULL : "an object";
	case SJ_VEC: case SJ_ARR:
		return json_is_array(j) ? NULL : "an array";
	case SJ_SKIP:
		break;
	}
	return NULL;
}

/* Decode j into field f of the struct at base. */
static int dec_field(struct dctx *c, const struct sj_field *f, unsigned char *base, const json_t *j)
{
	unsigned char *p = base + f->off;
	const char *want = type_wrong(f, j);
	if (want) return fail(c, want);
	switch (f->kind) {
	case SJ_INT: {
		long long v = num_ll(j);
		if (f->size < 8) {
			long long hi = (1LL << (f->size * 8 - 1)) - 1;
			v = clampll(v, -hi - 1, hi);
		}
		put_int(p, f->size, (unsigned long long)v);
		return 0;
	}
	case SJ_UINT: {
		long long v = num_ll(j);
		if (f->size < 8) v = clampll(v, 0, (1LL << (f->size * 8)) - 1);
		put_int(p, f->size, (unsigned long long)v);   /* 8 bytes: two's complement back */
		return 0;
	}
	case SJ_CHAR:
		*p = (unsigned char)clampll(num_ll(j), 0, 255);
		return 0;
	case SJ_ENUM: {
		long long v = num_ll(j);
		if (v < 0 || v > f->emax) v = 0;
		put_int(p, f->size, (unsigned long long)v);
		return 0;
	}
	case SJ_DOUBLE: {
		double v = 0;
		if (json_is_number(j)) v = json_number_value(j);
		if (!isfinite(v)) v = 0;
		if (v > SNAPJSON_MAX_DOUBLE) v = SNAPJSON_MAX_DOUBLE;
		if (v < -SNAPJSON_MAX_DOUBLE) v = -SNAPJSON_MAX_DOUBLE;
		memcpy(p, &v, sizeof v);
		return 0;
	}
	case SJ_STR: {
		snapjson_string_get(j, (char *)p, f->size);
		return 0;
	}
	case SJ_STRUCT:
		return dec_struct(c, f->sub, p, j);
	case SJ_VEC: {
		free_field(f, base);
		size_t n = json_array_size(j);
		if (n > SNAPJSON_MAX_VEC) n = SNAPJSON_MAX_VEC;
		if (n > SNAPJSON_MAX_VEC_BYTES / f->elem) n = SNAPJSON_MAX_VEC_BYTES / f->elem;
		if (!n) return 0;
		/* zeroed elements are valid ones: the vector is whole at once, so
		 * a failure half way leaves a free-able snapshot */
		struct sj_vec vec = { gw_xcalloc(n, f->elem), n, n };
		memcpy(p, &vec, sizeof vec);
		for (size_t i = 0; i < n; i++) {
			size_t mark;
			path_push(c, &mark, "[%zu]", i);
			int r = dec_field(c, f->elemf, (unsigned char *)vec.v + i * f->elem, json_array_get(j, i));
			path_pop(c, mark);
			if (r) return r;
		}
		return 0;
	}
	case SJ_ARR: {
		free_field(f, base);
		size_t n = json_array_size(j);
		if (n > f->size / f->elem) n = f->size / f->elem;
		memset(p, 0, f->size);
		put_int(base + f->cnt_off, f->cnt_size, n);
		for (size_t i = 0; i < n; i++) {
			size_t mark;
			path_push(c, &mark, "[%zu]", i);
			int r = dec_field(c, f->elemf, p + i * f->elem, json_array_get(j, i));
			path_pop(c, mark);
			if (r) return r;
		}
		return 0;
	}
	case SJ_SKIP:
		break;
	}
	return 0;
}

static int dec_struct(struct dctx *c, const struct sj_struct *d, unsigned char *p, const json_t *j)
{
	for (size_t i = 0; i < d->nf; i++) {
		const struct sj_field *f = &d->f[i];
		if (f->kind == SJ_SKIP) continue;
		const json_t *v = json_object_get(j, f->name);
		if (!v) continue;
		size_t mark;
		path_push(c, &mark, ".%s", f->name);
		int r = dec_field(c, f, p, v);
		path_pop(c, mark);
		if (r) return r;
	}
	return 0;
}

static int idx_ok(int i, size_t n)
{
	return i >= 0 && (size_t)i < n;
}

/* Indices into the vectors within them (or -1 / GW_VIA_NONE). */
static void fix_indices(struct gw_snapshot *s)
{
	for (size_t i = 0; i < s->targets.n; i++) {
		struct gw_target *t = &s->targets.v[i];
		if (!idx_ok(t->listener_idx, s->listeners.n)) t->listener_idx = -1;
		struct gw_container_match *m = &t->container;
		if (!idx_ok(m->container, s->containers.n)) {
			m->container = m->port = -1;
			m->how = GW_VIA_NONE;
		} else if (!idx_ok(m->port, (size_t)s->containers.v[m->container].nports)) {
			m->port = -1;
		}
	}
	for (size_t i = 0; i < s->units.n; i++)
		if (!idx_ok(s->units.v[i].target_idx, s->targets.n)) s->units.v[i].target_idx = -1;
	for (size_t i = 0; i < s->app_binds.n; i++)
		if (!idx_ok(s->app_binds.v[i].listener_idx, s->listeners.n)) s->app_binds.v[i].listener_idx = -1;
}

int snapjson_apply(struct gw_snapshot *s, const json_t *obj, char *err, size_t errsz)
{
	struct dctx c = { 0 };
	if (err && errsz) err[0] = '\0';
	if (!json_is_object(obj)) {
		if (err && errsz) snprintf(err, errsz, "not a JSON object");
		return -1;
	}
	struct gw_snapshot def;
	snapshot_init(&def);
	int r = 0;
	for (size_t i = 0; i < t_snapshot.nf; i++) {
		const struct sj_field *f = &t_snapshot.f[i];
		if (f->kind == SJ_SKIP) continue;
		const json_t *v = json_object_get(obj, f->name);
		if (!v) continue;
		/* the first error is reported; the other members still applied */
		c.err = r ? NULL : err;
		c.errsz = r ? 0 : errsz;
		size_t mark;
		path_push(&c, &mark, "%s", f->name);
		const char *want = type_wrong(f, v);
		if (want) {
			/* the wrong type at the top: the member stays as it was */
			r = fail(&c, want);
		} else {
			/* the member wholly replaced: its vectors freed, its default back */
			free_field(f, (unsigned char *)s);
			memcpy((unsigned char *)s + f->off, (const unsigned char *)&def + f->off, f->size);
			if (dec_field(&c, f, (unsigned char *)s, v)) r = -1;
		}
		path_pop(&c, mark);
	}
	fix_indices(s);
	return r;
}

/* ------------------------------------------------------------ introspection */

int snapjson_describe(const char *name, struct snapjson_member *out, size_t max, size_t *size, size_t *align)
{
	for (size_t k = 0; k < sizeof sj_all / sizeof *sj_all; k++) {
		const struct sj_struct *d = sj_all[k];
		if (strcmp(d->name, name)) continue;
		if (size) *size = d->size;
		if (align) *align = d->align;
		for (size_t i = 0; i < d->nf && i < max; i++) {
			const struct sj_field *f = &d->f[i];
			const struct sj_struct *sub = f->kind == SJ_STRUCT ? f->sub
				: (f->kind == SJ_VEC || f->kind == SJ_ARR) && f->elemf->kind == SJ_STRUCT ? f->elemf->sub : NULL;
			out[i] = (struct snapjson_member){
				.name = f->name, .off = f->off, .size = f->size, .align = f->align,
				.count_name = f->cnt_name, .count_off = f->cnt_off, .count_size = f->cnt_size,
				.sub = sub ? sub->name : NULL,
				.elem_size = f->kind == SJ_VEC || f->kind == SJ_ARR ? f->elem : 0,
				.kind = "iucedsSva-"[f->kind], .emax = f->emax,
				.elem_kind = f->elemf ? "iucedsSva-"[f->elemf->kind] : 0,
			};
		}
		return (int)d->nf;
	}
	return -1;
}
