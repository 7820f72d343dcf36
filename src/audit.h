/* audit.h — the audit trail of gwtop's actions (restart, reload, nginx -t):
 * every record goes to the journal (sd_journal_send, structured fields)
 * AND to syslog (a datagram to /dev/log, facility authpriv), or to stderr
 * when neither takes it and stderr is not a terminal (on the dashboard's
 * terminal it would scribble over the screen: the caller's status line
 * says the record is lost instead). Who: the uid, the login uid (/proc/self/loginuid:
 * the user who logged in, whatever sudo / su did since) and SUDO_USER.
 * Everything outside (unit names, nginx's output, SUDO_USER) is masked and
 * sanitized (sanitize.h) before it is written. */
#ifndef GW_AUDIT_H
#define GW_AUDIT_H

#include <stddef.h>

/* One record. priority: LOG_NOTICE / LOG_WARNING. unit, container may be
 * "" (not NULL). Returns 0 when both the journal and syslog took it, else
 * -1 with why = "journal: <error>; syslog: <error>" (+ "; written to
 * stderr" or "; record lost" when neither did). */
int audit_write(int priority, const char *action, const char *unit, const char *container,
    const char *phase, const char *msg, char *why, size_t whysz);

#endif
