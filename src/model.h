/* model.h — the snapshot: plain data that probes fill and that diagnose,
 * the UI and the reports only read. No behaviour here.
 *
 * Strings are fixed-size arrays inside the structs (no ownership questions);
 * tables are GW_VEC arrays owned by the snapshot (freed by snapshot_free).
 * Every string that came from outside (config, logs, cmdlines, HTTP) is
 * stored raw: sanitize it at output time (sanitize.h), never here. */
#ifndef GW_MODEL_H
#define GW_MODEL_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "util.h"

#define GW_PATH 512          /* paths we keep (truncated beyond, flagged) */
#define GW_TEXT 512          /* one line of text / a summary */
#define GW_LINE 1024         /* a log line or a cmdline */
#define GW_NAME 128

/* Where a config item came from. */
struct gw_srcloc {
	char file[GW_PATH];
	int line;            /* 1-based; 0 = unknown */
};

/* An endpoint as nginx would connect to it. */
enum gw_addr_kind {
	GW_ADDR_NONE = 0,
	GW_ADDR_INET,        /* host = dotted IPv4 literal */
	GW_ADDR_INET6,       /* host = IPv6 literal without brackets */
	GW_ADDR_HOST,        /* host = a name to resolve ("localhost", "app") */
	GW_ADDR_UNIX,        /* path = socket path */
	GW_ADDR_UPSTREAM,    /* host = name of an upstream{} block */
	GW_ADDR_VARIABLE,    /* contains $variables: not statically known */
};

struct gw_addr {
	enum gw_addr_kind kind;
	char host[256];
	int port;            /* 0 when not given / unix */
	char path[GW_PATH];
};

/* ---------------------------------------------------------------- nginx config */

struct gw_conf_listen {
	char raw[GW_NAME];           /* the listen argument as written */
	struct gw_addr addr;         /* kind INET/INET6/UNIX; host "" = any */
	char server_name[GW_NAME];   /* first server_name of its server{} */
	int ssl;                     /* the listen line has the `ssl` parameter */
	struct gw_srcloc loc;
};

/* One proxy_pass / fastcgi_pass / uwsgi_pass / scgi_pass / grpc_pass. */
struct gw_conf_pass {
	char directive[32];          /* "proxy_pass", ... */
	char arg[GW_TEXT];           /* argument as written (after unquoting) */
	char scheme[16];             /* "http", "https", "grpc", "" for fastcgi & co */
	struct gw_addr addr;         /* GW_ADDR_UPSTREAM when host names an upstream{} */
	char server_name[GW_NAME];   /* context: first server_name of the server{} */
	char location[GW_NAME];      /* context: location argument ("/", "/api/") */
	int server_port;             /* context: first listen port of the server{} (0 unknown) */
	struct gw_srcloc loc;
};

struct gw_conf_upstream_server {
	char raw[GW_NAME];           /* address as written */
	struct gw_addr addr;
	int down, backup;
	int max_fails;               /* max_fails=N as written, -1 when not given (nginx: 1) */
	double fail_timeout;         /* fail_timeout= in seconds, -1 when not given (nginx: 10s) */
	struct gw_srcloc loc;
};

struct gw_conf_upstream {
	char name[GW_NAME];
	struct gw_srcloc loc;
	int keepalive;               /* keepalive N: idle connections cached per worker, 0 none */
	struct gw_srcloc keepalive_loc;
	double keepalive_timeout;    /* keepalive_timeout in seconds, -1 not set (nginx: 60s) */
	struct gw_srcloc keepalive_timeout_loc;
	GW_VEC(struct gw_conf_upstream_server) servers;
};

/* Timeouts and sizes: proxy_connect_timeout, proxy_read_timeout,
 * proxy_send_timeout, send_timeout, client_max_body_size (+ fastcgi_/uwsgi_
 * read timeouts), the header buffers (proxy_buffer_size, fastcgi_buffer_size,
 * ...) and the worker limits (worker_processes, worker_connections,
 * worker_rlimit_nofile: value_num a count, -1 for "auto"), and the upstream
 * TLS words (proxy_ssl_verify, proxy_ssl_name, proxy_ssl_server_name,
 * proxy_ssl_trusted_certificate: value_num -1). */
struct gw_conf_setting {
	char directive[48];
	char value[64];              /* as written */
	double value_num;            /* seconds for timeouts, bytes for sizes; -1 unparsable */
	char context[GW_NAME];       /* "http", "server <name>", "location <arg>" */
	struct gw_srcloc loc;
};

struct gw_conf_log {
	int is_access;               /* 0 error_log, 1 access_log */
	char path[GW_PATH];          /* resolved against the prefix; "off", "syslog:..", "stderr" kept as is */
	char level[16];              /* error_log level if given */
	char format[GW_NAME];        /* access_log: the log_format name ("" = combined) */
	struct gw_srcloc loc;
};

/* log_format NAME [escape=..] 'string' ...: the strings joined (timeline). */
struct gw_conf_log_format {
	char name[GW_NAME];
	char format[2048];
};

struct gw_conf_file {
	char path[GW_PATH];
	time_t mtime;
};

struct gw_conf_warning {
	char text[GW_TEXT];
	struct gw_srcloc loc;
};

struct gw_nginx_conf {
	int parsed;                  /* parse attempted */
	int ok;                      /* parsed without a fatal error */
	char conf_path[GW_PATH];     /* main file */
	char prefix[GW_PATH];        /* -p prefix (relative paths in logs etc.) */
	char conf_source[64];        /* "--nginx-conf", "master cmdline", "nginx -V", "default" */
	char error[GW_TEXT];         /* first parse error, "" if none */
	struct gw_srcloc error_loc;
	GW_VEC(struct gw_conf_warning) warnings;   /* non-fatal: unreadable include, glob truncated, ... */

	char user[64], group[64];    /* `user` directive ("" = not set: nginx default "nobody") */
	struct gw_srcloc user_loc;

	GW_VEC(struct gw_conf_file) files;        /* main + every included file */
	GW_VEC(struct gw_conf_listen) listens;
	GW_VEC(struct gw_conf_pass) passes;
	GW_VEC(struct gw_conf_upstream) upstreams;
	GW_VEC(struct gw_conf_setting) settings;
	GW_VEC(struct gw_conf_log) logs;
	GW_VEC(struct gw_conf_log_format) log_formats;
};

/* nginx -t, run as a child process. */
struct gw_nginx_test {
	int ran;                     /* finished (or failed to start) */
	int ok;                      /* exit 0 */
	int exit_code;               /* -1 if killed / not started */
	char output[4096];           /* stderr+stdout, raw */
	char error_file[GW_PATH];    /* from "... in FILE:LINE" when it failed */
	int error_line;
	double duration;             /* seconds */
	double when;                 /* epoch when it finished */
};

/* ---------------------------------------------------------------- processes */

enum gw_role {
	GW_ROLE_OTHER = 0,
	GW_ROLE_NGINX_MASTER,
	GW_ROLE_NGINX_WORKER,        /* also cache manager/loader */
	GW_ROLE_GUNICORN_MASTER,
	GW_ROLE_GUNICORN_WORKER,
	GW_ROLE_UVICORN_MASTER,
	GW_ROLE_UVICORN_WORKER,
	GW_ROLE_APP_SERVER,          /* uwsgi, php-fpm, node, python app servers, waitress, hypercorn... */
	GW_ROLE_DOCKER_PROXY,        /* docker-proxy, conmon, dockerd */
	GW_ROLE_DB,                  /* postgres, mysqld, mariadbd, redis-server, memcached, mongod */
};
const char *gw_role_name(enum gw_role r);

struct gw_proc {
	pid_t pid, ppid;
	uid_t uid;
	gid_t gid;
	char user[32];
	char state;                  /* R S D Z T ... */
	char comm[64];
	char cmdline[GW_LINE];       /* args joined by spaces, raw */
	unsigned long rss_kb;
	double start_time;           /* epoch seconds */
	double cpu_pct;              /* since the previous refresh; 0 on first */
	unsigned long long cpu_ticks;/* utime+stime, for cpu_pct */
	char cgroup[GW_PATH];        /* unified (0::) path or name=systemd path */
	char unit[GW_NAME];          /* systemd unit from the cgroup ("" none) */
	enum gw_role role;
	int ngroups;                 /* supplementary groups (from /proc/PID/status) */
	gid_t groups[32];
};

/* ---------------------------------------------------------------- listeners */

/* Where an app server process says it listens (its command line,
 * appbind_parse) and whether something does: the app masters only
 * (gunicorn / uvicorn masters, other app servers). Filled by the
 * listeners probe. */
struct gw_app_bind {
	pid_t pid;
	struct gw_addr addr;
	int listener_idx;            /* the listener that takes it (listeners_find), -1 none */
};

struct gw_listener {
	int family;                  /* AF_INET, AF_INET6, AF_UNIX */
	char addr[64];               /* numeric, no brackets; "" for unix */
	int port;
	char path[GW_PATH];          /* unix: bound path ("@name" abstract) */
	int v6only;                  /* AF_INET6: IPV6_V6ONLY known set (-1 unknown) */
	unsigned long inode;
	unsigned queue;              /* current accept queue length */
	unsigned backlog;            /* max */
	pid_t pid;                   /* owner, 0 unknown (needs root for others' fds) */
	char comm[64];
};

/* ---------------------------------------------------------------- upstream targets */

/* How an nginx target leads to a container (the docker probe's match). */
enum gw_via {
	GW_VIA_NONE = 0,
	GW_VIA_PUBLISHED,            /* target host:port is a published binding */
	GW_VIA_ADDRESS,              /* target is the container's own network address */
	GW_VIA_NAME,                 /* target host is the container's name */
	GW_VIA_NEAR,                 /* nothing serves the target; the container publishes
	                                a nearby host port or the target's port inside */
};

struct gw_container_match {
	enum gw_via how;             /* GW_VIA_NONE: the rest means nothing */
	int container;               /* index into s->containers */
	int port;                    /* index into its ports[] (PUBLISHED, NEAR), -1 else */
	int container_port;          /* the port inside the container nginx reaches */
};

/* A concrete endpoint nginx connects to: one per direct *_pass and one per
 * server of a referenced upstream{} block. Built from the config, then the
 * upstream / listener / permission probes fill the result fields. */
struct gw_target {
	struct gw_addr addr;         /* never GW_ADDR_UPSTREAM here */
	char display[GW_PATH + 16];  /* "127.0.0.1:8000", "[::1]:8000", "unix:/run/x.sock" */
	char directive[32];          /* the *_pass that leads here */
	char scheme[16];
	char upstream_name[GW_NAME]; /* "" when direct */
	int down, backup;            /* upstream server flags */
	struct gw_srcloc pass_loc;   /* the *_pass line */
	struct gw_srcloc server_loc; /* the upstream server line (if any) */
	char location[GW_NAME];
	char server_name[GW_NAME];

	/* listener match (listeners probe) */
	int listener_idx;            /* index into snapshot listeners, -1 none */
	/* the container that serves it (docker probe, docker_match_target) */
	struct gw_container_match container;

	/* direct probe (upstream probe, libcurl) */
	int probed;                  /* a result is present */
	int reachable;               /* TCP/unix connect succeeded */
	int http_ok;                 /* got an HTTP response (any status) */
	long http_status;
	int err;                     /* errno of the failed connect, 0 none */
	int timed_out;
	double connect_ms, total_ms;
	char error[GW_TEXT];         /* curl's message */
	int not_http;                /* fastcgi/uwsgi/scgi/grpc: connect-only probe */
	/* an https target whose TLS handshake failed or hung is asked again in
	 * plain HTTP: what it really speaks */
	int plain_probed;            /* the plain-HTTP probe ran */
	long plain_status;           /* its HTTP status, 0 no HTTP answer */

	/* TCP connections of this host to the target (sock_diag, listeners.c) */
	int conns_counted;           /* the counts below were taken */
	int conns_timewait;          /* in TIME-WAIT */
	int conns_open;              /* in any other state (established, closing, SYN-SENT) */

	/* unix socket permission walk as the worker user */
	int perm_checked;
	int perm_ok;
	int exists;                  /* the socket path exists (unix only) */
	char perm_path[GW_PATH];     /* the component that denies */
	char perm_detail[GW_TEXT];   /* "drwx------ root root /run/app: no search (x) for www-data" */
};

/* ---------------------------------------------------------------- through nginx */

/* The query gwtop's requests through nginx carry: its own lines in
 * error.log and access.log are told apart by it (and by the User-Agent). */
#define THROUGH_MARK "gwtop=through"

/* One request sent through nginx itself (probes/through.c): the client hop.
 * One per distinct (listen address, server_name) of the config. */
struct gw_through {
	char url[GW_PATH];           /* "http://127.0.0.1:8080/api/" (the listen address) */
	char host[GW_NAME];          /* the Host header sent */
	char path[GW_PATH];          /* the request path */
	struct gw_srcloc listen_loc; /* the listen line */
	int probed;                  /* a result is present */
	int answered;                /* nginx sent an HTTP response */
	long status;                 /* its status, 0 none */
	int timed_out;
	double total_ms;
	double when;                 /* epoch when the answer came */
	char error[GW_TEXT];         /* curl's message when no answer */
};

/* What nginx did to the last requests, from the tails of its access logs
 * (probes/accesstail.c). Requests gwtop sent itself (User-Agent gwtop/...)
 * and 499 (the client went away) are counted apart, never as failures. */
struct gw_access {
	int read;                    /* at least one access log was read */
	char path[GW_PATH];          /* the (first) access log read */
	double since;                /* the window's start */
	unsigned total, n2xx, n3xx, n4xx, n5xx, n499, own;
	unsigned n502, n503, n504, n500;
	double last_ok;              /* newest 1xx-4xx answer (not our own), 0 none */
	double first_5xx, last_5xx;  /* the window's 5xx, 0 none */
	char last_5xx_line[GW_LINE]; /* the newest 5xx line, raw */
	unsigned ok_after_5xx;       /* answered requests after the newest 5xx */
	double recovered_at;         /* the first of them, 0 none */
	int interleaved;             /* some request answered between the window's first and last 5xx */
};

/* ---------------------------------------------------------------- logs */

enum gw_log_kind {
	GW_LOG_OTHER = 0,
	/* nginx error.log */
	GW_LOG_CONNECT_REFUSED,      /* (111: Connection refused) */
	GW_LOG_SOCKET_NOENT,         /* connect() to unix:... failed (2: ...) */
	GW_LOG_SOCKET_EACCES,        /* (13: Permission denied) */
	GW_LOG_AGAIN,                /* (11: Resource temporarily unavailable) */
	GW_LOG_RESET,                /* recv() failed (104: Connection reset by peer) */
	GW_LOG_PREMATURE_CLOSE,      /* upstream prematurely closed connection */
	GW_LOG_TIMEOUT,              /* upstream timed out (110: ...) */
	GW_LOG_NO_LIVE,              /* no live upstreams */
	GW_LOG_BIG_HEADER,           /* upstream sent too big header */
	GW_LOG_INVALID_HEADER,       /* upstream sent invalid header / invalid response */
	GW_LOG_RESOLVE,              /* could not be resolved / host not found in upstream */
	GW_LOG_TLS,                  /* SSL_do_handshake() failed / upstream SSL certificate ... / while SSL handshaking to upstream */
	GW_LOG_WORKER_CONNECTIONS,   /* N worker_connections are not enough */
	GW_LOG_FD_LIMIT,             /* (24: Too many open files), (23: ... in system) */
	GW_LOG_ADDR_NOTAVAIL,        /* connect() ... (99: Cannot assign requested address) ... upstream */
	GW_LOG_NGINX_EMERG,          /* [emerg] lines (bind() failed, config errors) */
	/* app logs (journal, files) */
	GW_LOG_APP_TRACEBACK,
	GW_LOG_APP_MODULE_NOT_FOUND, /* ModuleNotFoundError / ImportError */
	GW_LOG_APP_CONFIG,           /* ImproperlyConfigured, KeyError env var, missing secret */
	GW_LOG_APP_DB,               /* OperationalError, could not connect to server */
	GW_LOG_APP_WORKER_BOOT,      /* Worker failed to boot / App failed to load / Error loading ASGI app */
	GW_LOG_APP_WORKER_TIMEOUT,   /* WORKER TIMEOUT */
	GW_LOG_APP_WORKER_KILLED,    /* was sent SIGKILL! Perhaps out of memory? */
	GW_LOG_APP_EXCEPTION,        /* other exception line ("XError: ...") */
	/* kernel */
	GW_LOG_OOM_KILL,             /* Out of memory: Killed process N (name) / Memory cgroup out of memory */
	GW_LOG_KIND_MAX
};
const char *gw_log_kind_name(enum gw_log_kind k);

enum gw_level { GW_LV_DEBUG, GW_LV_INFO, GW_LV_NOTICE, GW_LV_WARN, GW_LV_ERROR, GW_LV_CRIT, GW_LV_ALERT, GW_LV_EMERG };

struct gw_log_event {
	enum gw_log_kind kind;
	enum gw_level level;
	double time;                 /* epoch; 0 = unknown */
	int err;                     /* errno in the message, 0 none */
	pid_t pid;                   /* OOM: killed pid; nginx: worker pid */
	char source[GW_NAME];        /* "nginx-error:/var/log/nginx/error.log", "app:/path", "journal:gunicorn.service", "kernel" */
	char upstream[GW_PATH];      /* nginx: upstream: "..." value */
	char request[GW_TEXT];       /* nginx: request: "..." value */
	char detail[GW_TEXT];        /* app: the key message, e.g. "No module named 'psycopg2'"; OOM: process name */
	char line[GW_LINE];          /* the raw line (truncated) */
};

/* One log source's reading state. */
struct gw_log_source {
	char path[GW_PATH];          /* file path or "unit:NAME" */
	char tag[GW_NAME];           /* "nginx-error", "app", ... */
	int readable;
	char error[GW_TEXT];         /* why not ("Permission denied", "No such file") */
	off_t size;
	off_t offset;                /* how far we read */
	ino_t inode;
	size_t lines_read;
};

/* ---------------------------------------------------------------- memory */

struct gw_memory {
	int ok;
	unsigned long total_kb, available_kb, swap_total_kb, swap_free_kb;
	double psi_some10, psi_full10;   /* /proc/pressure/memory avg10, -1 unavailable */
	int kernel_log_readable;         /* could read /dev/kmsg or the journal's kernel transport */
	char kernel_log_error[GW_TEXT];
};

/* ---------------------------------------------------------------- runtime nginx */

struct gw_nginx_runtime {
	pid_t master_pid;                /* 0 none */
	int nworkers;
	double master_start;
	double last_reload;              /* youngest worker start (epoch), 0 unknown */
	uid_t worker_uid;                /* from running workers, else from `user` */
	gid_t worker_gid;
	int worker_ngroups;
	gid_t worker_groups[32];
	char worker_user[32];
	int worker_ids_known;
	/* the first worker's open files: its limit (/proc/PID/limits, readable
	 * by anyone) and how many it holds (/proc/PID/fd: root or its user) */
	pid_t limits_pid;                /* the worker read, 0 none */
	long nofile_soft, nofile_hard;   /* "Max open files", -1 unlimited / unknown */
	int nfds;                        /* open fds, -1 not readable (needs root) */
	/* staleness */
	int stale;
	char stale_file[GW_PATH];
	time_t stale_mtime;
};


/* ---------------------------------------------------------------- systemd units (probes/units.c) */

/* A unit-file mistake the probe found (units_check_file). */
enum gw_unit_problem_kind {
	UP_WORKDIR_MISSING, UP_WORKDIR_UNREADABLE, UP_EXEC_MISSING, UP_EXEC_NOT_EXEC,
	UP_ENVFILE_MISSING, UP_ENVFILE_UNREADABLE, UP_USER_MISSING, UP_GROUP_MISSING,
	UP_RUNTIME_DIR, UP_MODULE_MISSING,
};

struct gw_unit {
	char name[GW_NAME];          /* "gunicorn.service" */
	int loaded;                  /* properties were read */
	char active_state[32], sub_state[32], result[32];
	char restart[32];            /* Restart= policy */
	unsigned nrestarts;
	pid_t main_pid;
	int exec_main_code, exec_main_status;
	double exec_main_start;      /* epoch */
	double active_enter;         /* epoch */
	double inactive_enter;       /* epoch: InactiveEnterTimestamp (it stopped / failed), 0 none */
	char fragment_path[GW_PATH];
	char exec_start[GW_LINE];    /* argv of the first ExecStart, space-joined */
	char working_dir[GW_PATH];
	char env_files[GW_TEXT];     /* EnvironmentFiles, space-joined ("-" prefix = optional) */
	char environment[GW_LINE];   /* Environment=, space-joined, secrets NOT masked here */
	char user[64], group[64];
	int runtime_directory;       /* RuntimeDirectory= set */
	int is_app;                  /* an app server unit (not nginx) */
	int is_nginx;
	/* history across ticks (kept by the probe) */
	double restarts_per_min;
	int main_pid_changes;        /* main PID changed this many times in the last minutes */
	char error[GW_TEXT];         /* why properties could not be read */
	/* unit-file mistakes found by the probe (missing WorkingDirectory,
	 * EnvironmentFile, ExecStart binary, User...) */
	int nproblems;
	struct gw_unit_problem {
		enum gw_unit_problem_kind kind;
		int fatal;           /* the unit cannot start with it */
		char path[GW_PATH];
		char text[GW_TEXT];
	} problems[8];
	/* the bind in ExecStart (appbind_parse) and the nginx target it is
	 * meant to serve (addr_bind_matches, loose): filled by the probe */
	int has_bind;                /* a bind was found (explicit or the server's default) */
	struct gw_addr bind;
	int target_idx;              /* index into s->targets, -1 none (only with has_bind) */
};

/* A database / service the app needs, from its environment. */
struct gw_db_target {
	char kind[16];               /* "postgres", "mysql", "redis", "db" */
	char source[GW_TEXT];        /* "DATABASE_URL in /etc/app.env (EnvironmentFile of app.service)" */
	char display[GW_TEXT];       /* masked: "postgres://app:***@127.0.0.1:5432/app" */
	struct gw_addr addr;
	int probed, reachable, err;
	double connect_ms;
};

/* ---------------------------------------------------------------- containers (probes/docker.c) */

/* proto GW_PROTO_ADDRESS: not a port but the container's own network
 * address (in host_ip; the ports are 0). */
#define GW_PROTO_ADDRESS "ip"

struct gw_port_map {
	int container_port;
	char proto[8];               /* "tcp", "udp", GW_PROTO_ADDRESS */
	char host_ip[64];
	int host_port;               /* 0 = exposed, not published */
};

struct gw_container {
	char id[72];
	char name[GW_NAME];
	char image[GW_NAME];
	char state[32];              /* running, restarting, exited, created */
	char status[GW_NAME];        /* "Up 20 seconds (unhealthy)" */
	char health[32];             /* healthy, unhealthy, starting, "" */
	int failing_streak;
	char health_log[GW_TEXT];    /* last health check output */
	int exit_code;
	unsigned restart_count;
	int restarts_rising;         /* RestartCount rose across ticks */
	pid_t pid;                   /* State.Pid (host view) */
	double started_at, finished_at;
	double created_at;           /* epoch: Created (inspect), 0 unknown */
	char image_id[80];           /* the inspect's Image ("sha256:..."), "" unknown */
	int nports;
	struct gw_port_map ports[16];
	/* what the app really listens on inside (from /proc/PID/net/tcp*, root) */
	int inside_known;
	int ninside;
	struct { char addr[64]; int port; } inside[16];
	char last_log[GW_TEXT];      /* last log line (raw) */
};

/* ---------------------------------------------------------------- the snapshot */

/* What a probe could not do, shown to the user ("reading /proc/1234/fd needs root"). */
struct gw_note {
	char probe[32];
	char text[GW_TEXT];
};

struct gw_probe_status {
	char name[32];
	double last_ok;              /* epoch of last success, 0 never */
	double duration;             /* seconds of the last run */
	char error[GW_TEXT];
};

struct gw_options;               /* options.h */
struct timeline;                 /* timeline.h */

struct gw_snapshot {
	double taken;                /* epoch when the pass started */
	double finished;             /* epoch when all probes of the pass were in */
	int is_root;
	char hostname[64];
	int port_range_lo, port_range_hi;   /* net.ipv4.ip_local_port_range, 0 unknown */

	struct gw_nginx_conf conf;
	struct gw_nginx_test ntest;
	struct gw_nginx_runtime nginx;

	GW_VEC(struct gw_proc) procs;
	GW_VEC(struct gw_listener) listeners;
	GW_VEC(struct gw_app_bind) app_binds;   /* app masters' cmdline binds, in procs order */
	GW_VEC(struct gw_target) targets;
	GW_VEC(struct gw_through) through;      /* requests through nginx (client hop) */
	struct gw_access access;                /* nginx's access-log testimony */
	GW_VEC(struct gw_log_event) events;     /* classified log events, oldest first */
	GW_VEC(struct gw_log_source) log_sources;
	struct gw_memory mem;

	int systemd_available;       /* PID 1 is systemd and the bus answered */
	char systemd_error[GW_TEXT];
	GW_VEC(struct gw_unit) units;
	GW_VEC(struct gw_db_target) dbs;

	int docker_available;        /* an engine socket answered */
	char docker_socket[GW_PATH];
	char docker_error[GW_TEXT];
	GW_VEC(struct gw_container) containers;

	GW_VEC(struct gw_note) notes;
	GW_VEC(struct gw_probe_status) probes;

	/* the timeline (src/timeline.h): owned by the controller's feeder
	 * (probes/tlfeed.c), outlives the snapshot; NULL when there is none */
	const struct timeline *timeline;

	double http_reused;          /* the HTTP probe results are those of this earlier pass (epoch), 0 fresh */
	int unknown;                 /* could not inspect what was asked (missing --nginx-conf...) */
	char unknown_reason[GW_TEXT];
};

void snapshot_init(struct gw_snapshot *s);
void snapshot_free(struct gw_snapshot *s);
void snapshot_note(struct gw_snapshot *s, const char *probe, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void nginx_conf_free(struct gw_nginx_conf *c);
/* Format an address for display: "127.0.0.1:8000", "[::1]:8000", "unix:/p", "name". */
void gw_addr_str(const struct gw_addr *a, char *buf, size_t size);

/* ---------------------------------------------------------------- diagnosis */

enum gw_severity { GW_SEV_OK = 0, GW_SEV_INFO, GW_SEV_WARN, GW_SEV_CRIT };
enum gw_hop { GW_HOP_CLIENT = 0, GW_HOP_NGINX, GW_HOP_UPSTREAM, GW_HOP_APP, GW_HOP_DB, GW_HOP_MAX };
enum gw_hop_status { GW_HS_UNKNOWN = 0, GW_HS_OK, GW_HS_WARN, GW_HS_FAIL };

const char *gw_hop_id(enum gw_hop h);               /* "nginx", "upstream", ... */
const char *gw_severity_name(enum gw_severity s);   /* "ok", "info", "warn", "crit" */
const char *gw_hop_status_name(enum gw_hop_status s); /* "unknown", "ok", "warn", "fail" */

#include "causes.h"           /* the cause registry (needs the enums above) */

/* What a finding is about, so rules find each other's findings without
 * reading their text: an index into the snapshot's targets / units /
 * containers. */
enum gw_subject_kind { GW_SUBJ_NONE = 0, GW_SUBJ_TARGET, GW_SUBJ_UNIT, GW_SUBJ_CONTAINER };
struct gw_subject {
	enum gw_subject_kind kind;
	int index;                   /* into s->targets / s->units / s->containers */
};

#define GW_MAX_EVIDENCE 8
#define GW_MAX_FIX 6

struct gw_finding {
	enum gw_cause cause;         /* a row of the registry (causes.h): gw_cause_id() names it */
	struct gw_subject subject;   /* the target / unit / container it is about */
	enum gw_severity severity;
	enum gw_hop hop;
	int rank;                    /* internal: root-cause specificity, higher wins */
	char summary[GW_TEXT];
	int nevidence, nfix, ncommands;
	char evidence[GW_MAX_EVIDENCE][GW_TEXT];
	char fix[GW_MAX_FIX][GW_TEXT];
	char commands[GW_MAX_FIX][GW_TEXT];
};

struct gw_hop_state {
	enum gw_hop_status status;
	char detail[GW_TEXT];
};

/* What the direct probe of a target got (the report's "result", the
 * upstream hop's count, the rules' starting point). */
enum gw_probe_outcome {
	GW_PROBE_NOT_RUN = 0,
	GW_PROBE_HTTP,               /* connected, answered HTTP (any status) */
	GW_PROBE_CONNECT_OK,         /* connected; not an HTTP target (fastcgi, uwsgi, ...) */
	GW_PROBE_ANSWER_TIMEOUT,     /* connected, no answer in time */
	GW_PROBE_NO_HTTP,            /* connected, then reset / closed / garbage */
	GW_PROBE_CONNECT_TIMEOUT,    /* the connect itself timed out */
	GW_PROBE_CONNECT_FAILED,     /* refused, no such socket, permission, resolve, ... */
};

/* Why a target is in its state (the first that applies, in this order). */
enum gw_target_why {
	GW_TW_SOCKET_MISSING = 0,    /* unix socket path does not exist */
	GW_TW_PERMISSION,            /* nginx's worker user may not connect (perm walk) */
	GW_TW_MARKED_DOWN,           /* not probed: `down` in its upstream block */
	GW_TW_NOT_PROBED,            /* not probed yet */
	GW_TW_TIMED_OUT,
	GW_TW_CONNECT_FAILED,
	GW_TW_CONNECT_OK,            /* not an HTTP target: connecting is all we check */
	GW_TW_NO_VALID_HTTP,
	GW_TW_HTTP,                  /* answered HTTP (5xx: state warn) */
};

/* Diagnose's judgment of one target (d->targets.v[i] is s->targets.v[i]'s). */
struct gw_target_state {
	enum gw_hop_status state;    /* as the path pane marks it; down/backup servers never fail */
	enum gw_target_why why;
	enum gw_probe_outcome probe;
	int nothing_listens;         /* probed, unreachable, and no listener at its address */
};

/* The checklist a healthy stack satisfies (the tour's last step), answered by diagnose. */
enum gw_check {
	GW_CHECK_CONFIG_VALID = 0,   /* nginx -t */
	GW_CHECK_TARGET_BIND,        /* every target = a real bind */
	GW_CHECK_APP_RUNNING,
	GW_CHECK_DIRECT_PROBE,
	GW_CHECK_NO_LOG_ERRORS,      /* no current error lines */
	GW_CHECK_SOCKET,             /* socket exists with the right permissions */
	GW_CHECK_DB,
	GW_CHECK_ENVIRONMENT,        /* not checked yet: always unknown */
	GW_CHECK_CONTAINERS,         /* not checked yet: always unknown */
	GW_CHECK_TIMEOUTS,           /* not checked yet: always unknown */
	GW_CHECK_RESOURCES,          /* memory, OOM kills */
	GW_CHECK_HEALTH_ENDPOINT,    /* a target answered 2xx/3xx */
	GW_CHECK_MAX
};

struct gw_diagnosis {
	GW_VEC(struct gw_finding) findings;  /* sorted: verdict first */
	GW_VEC(struct gw_target_state) targets;   /* one per snapshot target, same order */
	double window;               /* its length (s): the --window option */
	double since;                /* the window: events at or after this are current */
	double since_nginx;          /* the same for nginx's own lines (also after its last reload) */
	enum gw_hop_status checklist[GW_CHECK_MAX];
	int verdict;                 /* index into findings, -1 = healthy */
	enum gw_severity status;     /* overall: ok / warn / crit */
	int unknown;                 /* overall unknown (exit 3) */
	char unknown_reason[GW_TEXT];
	struct gw_hop_state hops[GW_HOP_MAX];
};

#endif
