/* audit.c — action records to the journal and syslog (see audit.h). */
#include "audit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "sanitize.h"
#include "util.h"

static const char audit_syslog_path[] = "/dev/log";

/* /proc/self/loginuid: "1000", or "unset" (4294967295, no login session). */
static void audit_loginuid(char *buf, size_t size)
{
	char raw[32] = "";
	FILE *f = fopen("/proc/self/loginuid", "re");
	if (f) {
		if (!fgets(raw, sizeof raw, f)) raw[0] = '\0';
		fclose(f);
	}
	raw[strcspn(raw, "\n")] = '\0';
	if (!raw[0] || !strcmp(raw, "4294967295") || strspn(raw, "0123456789") != strlen(raw))
		gw_strlcpy(buf, "unset", size);
	else
		gw_strlcpy(buf, raw, size);
}

/* One RFC 3164 datagram to the syslog socket. 0 or -errno. */
static int audit_syslog(int priority, const char *text)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[3072], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int fd, r = 0;

	if (strlen(audit_syslog_path) >= sizeof sa.sun_path) return -ENAMETOOLONG;
	memcpy(sa.sun_path, audit_syslog_path, strlen(audit_syslog_path) + 1);
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm);
	int n = snprintf(line, sizeof line, "<%d>%s gwtop[%d]: %s", LOG_AUTHPRIV | priority, stamp,
	    (int)getpid(), text);
	if (n < 0) return -EINVAL;
	if ((size_t)n >= sizeof line) n = sizeof line - 1;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) return -errno;
	if (sendto(fd, line, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof sa) < 0) r = -errno;
	close(fd);
	return r;
}

int audit_write(int priority, const char *action, const char *unit, const char *container,
    const char *phase, const char *msg, char *why, size_t whysz)
{
	char sunit[512], smsg[2048], ssudo[128], scont[128], login[32], text[3072];
	const char *sudo = getenv("SUDO_USER");
	int jr, sr;

	/* outside text: masked (sanitize_* mask first), no control bytes */
	sanitize_text(sunit, sizeof sunit, unit, strlen(unit));
	sanitize_text(smsg, sizeof smsg, msg, strlen(msg));
	sanitize_ascii(scont, sizeof scont, container, strlen(container));
	sanitize_ascii(ssudo, sizeof ssudo, sudo ? sudo : "", sudo ? strnlen(sudo, 64) : 0);
	audit_loginuid(login, sizeof login);
	gw_fmt(text, sizeof text, "%s %s: %s (%s; uid %d, login uid %s, sudo user %s)", action,
	    sunit[0] ? sunit : "nginx", smsg, phase, (int)getuid(), login, ssudo[0] ? ssudo : "-");

	/* sd_journal_send succeeds silently when journald's socket is
	 * missing (no systemd): that is no record, say so */
	if (access("/run/systemd/journal/socket", W_OK) < 0)
		jr = -errno;
	else
		jr = sd_journal_send("MESSAGE=gwtop: %s", text, "SYSLOG_IDENTIFIER=gwtop", "PRIORITY=%d", priority,
		    "GWTOP_ACTION=%s", action, "GWTOP_UNIT=%s", sunit, "GWTOP_PHASE=%s", phase,
		    "GWTOP_UID=%d", (int)getuid(), "GWTOP_LOGINUID=%s", login, "GWTOP_SUDO_USER=%s", ssudo,
		    "GWTOP_CONTAINER=%s", scont, NULL);
	sr = audit_syslog(priority, text);
	if (jr >= 0 && sr >= 0) {
		if (why && whysz) why[0] = '\0';
		return 0;
	}
	/* neither: stderr keeps it (a file, the service's journal stream),
	 * unless it is the dashboard's terminal, where the status line says
	 * the record is lost (the caller shows why) */
	int to_stderr = jr < 0 && sr < 0 && !isatty(STDERR_FILENO);
	if (to_stderr)
		fprintf(stderr, "gwtop: audit: %s\n", text);
	if (why && whysz) {
		char j[128] = "", s[128] = "";
		if (jr < 0) gw_fmt(j, sizeof j, "journal: %s", strerror(-jr));
		if (sr < 0) gw_fmt(s, sizeof s, "syslog %s: %s", audit_syslog_path, strerror(-sr));
		gw_fmt(why, whysz, "%s%s%s%s", j, j[0] && s[0] ? "; " : "", s,
		    to_stderr ? "; written to stderr" : jr < 0 && sr < 0 ? "; record lost" : "");
	}
	return -1;
}
