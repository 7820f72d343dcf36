/* snapjson.h — the whole snapshot (struct gw_snapshot, model.h) as JSON
 * and back, for recording a session on one host and replaying it on
 * another. Decoding reads UNTRUSTED input: whatever it is given, the
 * snapshot it leaves is valid (strings NUL-terminated, counts within their
 * arrays, indices within the decoded vectors, enums within their range).
 *
 * The encoding (table-driven: one descriptor table per struct, snapjson.c):
 *  - the top level has one key per member of struct gw_snapshot but
 *    `timeline` (a borrowed pointer), in declaration order (snapjson_keys);
 *  - a nested struct is an object keyed by its member names; inside it a
 *    member equal to its default (zero; for the top-level members the
 *    value snapshot_init gives, e.g. ntest.exit_code -1) is left out, and an
 *    absent member decodes as that default;
 *  - GW_VEC and fixed arrays are JSON arrays of the used entries only (the
 *    count members nproblems, nports, ninside, ngroups, worker_ngroups are
 *    not written: they are the array's length);
 *  - enums and integers are JSON integers; an unsigned 64-bit value above
 *    2^63-1 (inode, cpu_ticks) is written as its two's complement (a
 *    negative integer) and read back the same way;
 *  - doubles are JSON reals (17 significant digits: exact); NaN and
 *    infinities, which JSON cannot hold, are written as null and read as 0;
 *    read back, a double is clamped to +-SNAPJSON_MAX_DOUBLE (1e15: beyond
 *    any time, duration, size or count a probe stores — the config parser
 *    caps sizes there too — and small enough that the consumers' casts of
 *    times to time_t and of minutes to long stay defined);
 *  - a string that is valid UTF-8 is a JSON string; any other (raw bytes
 *    from logs, cmdlines, HTTP) is the object {"latin1": S} where every
 *    byte of the original is one code point U+0001..U+00FF of S, so every
 *    string round-trips byte for byte.
 * No json_loads flag is needed to read it back (no "\u0000" is ever written). */
#ifndef GW_SNAPJSON_H
#define GW_SNAPJSON_H

#include <jansson.h>
#include <stddef.h>

#include "model.h"

/* Every member of *s except `timeline`: one key per top-level member,
 * named as the member. New reference (NULL only when out of memory). */
json_t *snapjson_encode(const struct gw_snapshot *s);

/* One member only (the recorder writes only the members that changed):
 * the same value snapjson_encode puts under `key`; NULL for an unknown key. */
json_t *snapjson_encode_member(const struct gw_snapshot *s, const char *key);

/* Apply obj (as made by snapjson_encode, possibly with only some keys) onto
 * s (snapshot_init'ed, possibly holding an earlier frame): each key present
 * replaces that member wholly (vectors freed and rebuilt); keys absent leave
 * the member as it is; unknown keys (at any depth) are ignored.
 * Untrusted input: strings cut to their array size and NUL-terminated,
 * numbers checked (NaN/inf -> 0, doubles clamped to +-SNAPJSON_MAX_DOUBLE,
 * integers clamped to their type's range),
 * enums outside their range -> 0, arrays cut (fixed arrays at their size,
 * vectors at SNAPJSON_MAX_VEC entries and SNAPJSON_MAX_VEC_BYTES bytes),
 * and after the whole object: indices (targets' listener_idx and
 * container.container / .port, units' target_idx, app_binds' listener_idx)
 * outside the decoded vectors set to -1 (a container match whose container
 * is out of range also to GW_VIA_NONE), so a consumer never indexes out of
 * range. Returns 0; -1 and a message in err (the first error, e.g.
 * "targets[2].port: expected a number"; err may be NULL) when obj is not an
 * object or a known key (at any depth) has the wrong JSON type. Then a
 * member whose own value has the wrong type is left as it was, one with a
 * wrong type deeper inside is partly replaced, the other members are still
 * applied, and s is a valid snapshot (free-able, indices sane). */
int snapjson_apply(struct gw_snapshot *s, const json_t *obj, char *err, size_t errsz);

/* n raw bytes as every string of a snapshot (and of a recording, src/record.c)
 * is written: a JSON string when they are UTF-8, else {"latin1": S}. New reference. */
json_t *snapjson_string(const char *p, size_t n);
/* Back from either form into dst (size bytes, cut, NUL-terminated; a NUL in
 * the string ends it). Returns the bytes kept; anything else gives "" and 0. */
size_t snapjson_string_get(const json_t *j, char *dst, size_t size);

#define SNAPJSON_MAX_DOUBLE 1e15
#define SNAPJSON_MAX_VEC 100000
#define SNAPJSON_MAX_VEC_BYTES (256u << 20)

/* The top-level keys in order (NULL-terminated), for the recorder's delta. */
extern const char *const snapjson_keys[];

/* ---- introspection, for the tests' guard that every member of model.h's
 * snapshot structs is described (tests/unit/test_snapjson.c). */
struct snapjson_member {
	const char *name;        /* the member's name in model.h */
	char kind;               /* 'i' signed, 'u' unsigned, 'c' char, 'e' enum (0..emax), 'd' double,
	                            's' string, 'S' struct, 'v' GW_VEC, 'a' fixed array, '-' skipped */
	long emax;
	size_t off, size, align; /* offsetof, sizeof, alignment of the member */
	const char *count_name;  /* fixed arrays: their count member ("nports"), else NULL */
	size_t count_off, count_size;
	const char *sub;         /* nested struct / element struct name, else NULL */
	size_t elem_size;        /* vectors and fixed arrays: the element's size, else 0 */
	char elem_kind;          /* vectors and fixed arrays: the element's kind ('S', 'u'...) */
};
/* The described structs by name: "gw_snapshot", "gw_target", ...; the
 * unnamed one inside gw_container is "gw_container.inside". Fills up to max
 * members of struct `name` into out and returns how many it has (-1 unknown
 * name); *size / *align get sizeof / alignment of the struct. */
int snapjson_describe(const char *name, struct snapjson_member *out, size_t max,
		      size_t *size, size_t *align);
/* The described struct names, NULL-terminated. */
extern const char *const snapjson_structs[];

#endif
