/* trust.h — what gwtop, running as root among hostile local users, may
 * believe and may touch (see docs/SECURITY.md).
 *
 *  - A path is "safe" when no one but root can change what it names: every
 *    directory walked from / (symlinks followed, each link's directory
 *    checked too) and the object itself are owned by root and not writable
 *    by group or others. A sticky directory that others may write (/tmp) is
 *    accepted on the way only when the entry inside it is root's (the sticky
 *    bit keeps others from renaming or removing it), never as the object.
 *  - A process is trusted for what its command line or environment says
 *    when it runs as root, or in a system service (a *.service in its cgroup
 *    and no user@*.service above it), or in a container.
 *  - The nginx master is trusted when it runs as uid 0, its executable is a
 *    root-owned nginx binary at a safe path, and it is not in a user's
 *    systemd tree.
 *  - Files named by processes (log paths) are opened through O_PATH first:
 *    only a regular file outside /dev, /proc and /sys is then opened for
 *    reading, through the very inode checked.
 *
 * The checks apply when gwtop runs as root (trust_strict); unprivileged,
 * gwtop cannot gain anything another user does not already have, and keeps
 * its former behaviour. Pure where noted; the rest does only stat-like
 * system calls. */
#ifndef GW_TRUST_H
#define GW_TRUST_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "model.h"

/* 1 when the checks apply: euid 0, unless a test forced it (trust_force). */
int trust_strict(void);
/* Tests: -1 automatic (euid 0), 0 never, 1 always. */
void trust_force(int mode);

/* Is path safe (see top)? 1 yes; 0 no, with why ("/tmp/x is owned by uid
 * 65534", "/srv/conf is writable by group or others"). A relative path is
 * taken from the current directory. A missing part is safe when its
 * directory is safe and not sticky (no one else can create it). */
int trust_path_safe(const char *path, char *why, size_t whysize);

/* Pure: the cgroup path lies in a user's systemd manager (a component
 * "user@...") — everything below it is the user's to name. */
int trust_cgroup_user(const char *cgroup);
/* Pure: a system service ("*.service" component, not under user@) or a
 * container (docker, containerd, libpod, kubepods, lxc, not under user@). */
int trust_cgroup_system(const char *cgroup);

/* Pure: may gwtop (strict) use what an app server process says (its
 * command line's paths, its environment)? uid 0, or a system cgroup. */
int trust_app_process(uid_t uid, const char *cgroup);

/* The nginx master check for pid (reads /proc/PID/exe): 1 trusted; 0 not,
 * with why. uid and cgroup as the process table has them. */
int trust_nginx_master(pid_t pid, uid_t uid, const char *cgroup, char *why, size_t whysize);

/* Open path for reading (O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_NOCTTY) only if
 * it is a regular file outside /dev, /proc and /sys: first O_PATH, fstat,
 * the real path from /proc/self/fd, then the same inode reopened through
 * /proc/self/fd. st gets its stat. -1 with errno and why on refusal or
 * error: EINVAL not a regular file (st holds its stat), EXDEV a regular
 * file under /dev, /proc or /sys, else open's errno. */
int trust_open_regular(const char *path, struct stat *st, char *why, size_t whysize);

/* Resolve bin the way posix_spawnp would (no '/': the first executable of
 * $PATH, else /usr/sbin/nginx-style fallbacks are the caller's) into out.
 * 0 ok, -1 not found. */
int trust_which(const char *bin, char *out, size_t size);

/* Before `nginx -t` as root: the binary, the config, the prefix (may be
 * NULL/"") and every file of conf (may be NULL) must be safe. 1 ok; 0 with
 * why ("refused to run nginx -t: the config /tmp/x/evil.conf is owned by
 * uid 65534"). Always 1 when not strict. */
int trust_nginx_test_ok(const char *bin, const char *conf_path, const char *prefix,
			const struct gw_nginx_conf *conf, char *why, size_t whysize);

#endif
