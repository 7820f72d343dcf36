/* summarize.h — `gwtop --summarize FILE...`: the fleet view. Reads the
 * `gwtop --check --json` outputs a fan-out tool (parallel-ssh -o DIR,
 * clush --outdir, a loop over ssh) collected, one file per host, and prints
 * one line per host: host, status, cause, summary. */
#ifndef GW_SUMMARIZE_H
#define GW_SUMMARIZE_H

#include <stdio.h>

/* The host is the file's base name without a ".json" suffix (fan-out tools
 * name the files after the host), followed by "(NAME)" when the JSON "host"
 * differs. A file that is missing (pssh -o writes none for a host that
 * printed nothing), empty, unreadable or not gwtop JSON (version 1) counts
 * as unknown with the reason as its summary: name the files from the host
 * list, not from a glob, so that a dead host still gets its line. Outside text is
 * sanitized for the terminal. Returns the worst status as an exit code:
 * 0 ok, 1 warn, 2 crit, 3 unknown (also when nfiles is 0). */
int summarize_files(FILE *out, int nfiles, char *const files[]);

#endif
