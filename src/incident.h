/* incident.h — the incident report (issue 19 item 3): one Markdown file
 * with the verdict, every finding (evidence, fix, commands), the per-hop
 * state, the timeline's events, the 5xx per minute, the top failing
 * paths, the last relevant log lines, the actions taken from gwtop and
 * their outcome — ready to paste into a ticket.
 *
 * incident_markdown is a pure function (no I/O, no clock: the caller
 * passes the times) of what it is given; every outside string in it is
 * sanitized (sanitize.h: controls, invalid UTF-8, bidi; secrets masked)
 * and then Markdown-escaped: inline text gets a backslash before every
 * character Markdown gives a meaning to, code spans and fenced blocks
 * (log lines, commands) get a fence longer than any backtick run inside,
 * table cells get their pipes escaped. No outside byte can open a
 * heading, a list, a link, an HTML tag or end a code block.
 *
 * incident_write writes the text to a NEW file, mode 0600, through a
 * directory fd (outfile.h): a name that exists — a file, or a symbolic
 * link another user planted — is refused, never followed or replaced. */
#ifndef GW_INCIDENT_H
#define GW_INCIDENT_H

#include <stddef.h>

#include "model.h"
#include "timeline.h"

#define INCIDENT_DIR "/var/tmp"
#define INCIDENT_LOG_LINES 40        /* the last relevant log lines shown */
#define INCIDENT_EVENTS 100          /* timeline events shown (newest kept) */
#define INCIDENT_MINUTES 30          /* minutes of the 5xx-per-minute table (newest kept) */
#define INCIDENT_PATHS 10            /* top failing paths shown */
#define INCIDENT_ACTIONS 32          /* actions kept by the dashboard */

/* One action taken from gwtop (the dashboard's r / s / R / t) and its
 * outcome, as actions_cb reported it. */
struct incident_action {
	double when;                 /* epoch of the outcome */
	char what[GW_TEXT];          /* "restart gunicorn.service" (may hold outside bytes) */
	int ok;
	char outcome[GW_LINE];       /* the outcome sentence (outside bytes: nginx's output) */
};

/* The timeline's parts the report shows, copied out of s->timeline (or,
 * without one, made from what the snapshot has: see have). */
struct incident_timeline {
	int have;                    /* 1: from the timeline; 0: from the snapshot alone */
	GW_VEC(struct timeline_event) events;      /* oldest first */
	GW_VEC(struct timeline_minute) minutes;    /* oldest first, minutes with requests */
	GW_VEC(struct timeline_path_stat) paths;   /* most 5xx first */
	int have_incident;
	struct timeline_incident incident;         /* the current one when have_incident */
	int have_access;                           /* no timeline: s->access's window counts */
	struct gw_access access;
};

struct incident_input {
	const struct gw_snapshot *s;
	const struct gw_diagnosis *d;
	const struct incident_timeline *tl;        /* NULL: sections say "not available" */
	const struct incident_action *actions;     /* oldest first */
	size_t nactions;
	double generated;            /* epoch the report is made */
	double from, to;             /* the time window it covers */
	const char *version;         /* gwtop's version */
};

/* The report, NUL-terminated, malloc'd (the caller frees). Never NULL. */
char *incident_markdown(const struct incident_input *in);

/* Fill tl from s->timeline when there is one (events, the minutes and
 * failing paths from `from` on, the current incident), else from the
 * snapshot: events from start times and classified log lines, the access
 * log's window counts. */
void incident_timeline_collect(struct incident_timeline *tl, const struct gw_snapshot *s, double from, double to);
void incident_timeline_free(struct incident_timeline *tl);

/* The window a report covers: from the diagnosis' window start (or the
 * timeline's current incident start, when earlier) to the pass. */
void incident_window(const struct gw_snapshot *s, const struct gw_diagnosis *d, double now,
		     double *from, double *to);

/* /var/tmp/gwtop-incident-YYYYmmdd-HHMMSS.md for `now` (local time). */
void incident_default_path(char *buf, size_t size, double now);

/* Write text as a new file at path (NULL or "": the default path; a
 * directory, or a path ending in '/': the default name in it), mode 0600.
 * 0 and the path written in `written`; -1 with err (a sentence). */
int incident_write(const char *path, const char *text, double now, char *written, size_t wsize,
		   char *err, size_t errsz);

/* The whole report of a snapshot + diagnosis: collect, render, write. */
int incident_report(const struct gw_snapshot *s, const struct gw_diagnosis *d,
		    const struct incident_action *actions, size_t nactions, const char *path,
		    char *written, size_t wsize, char *err, size_t errsz);

#endif
