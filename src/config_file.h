/* config_file.h — the optional config file (/etc/gwtop.conf,
 * ~/.config/gwtop/config, or --config FILE): the same settings as the
 * long options, one `key = value` per line.
 *
 * Syntax: blank lines and lines whose first non-blank character is '#' are
 * ignored; otherwise `key = value`, key = a long option name without the
 * dashes (nginx-conf, nginx-bin, error-log, access-log, app-log, unit,
 * upstream, interval, window, timeout, read-only, no-color, docker-socket
 * (an absolute path), theme (default|colorblind)). Blanks around key and value are dropped; a value may be wrapped in
 * double quotes (to keep leading/trailing blanks). '#' inside a value is part
 * of the value (paths may hold it). Booleans take yes/no, true/false, on/off,
 * 1/0. Repeatable keys (error-log, access-log, app-log, unit, upstream)
 * append one value per line.
 *
 * Precedence: main loads /etc/gwtop.conf, then the user file (both when both
 * exist: the user file's scalars win, list values add up), or only --config
 * FILE; then parses the flags, which win: a scalar flag overwrites, and the
 * first flag of a repeatable option drops the list the config files built
 * (config_file_list_flag), so `--upstream X` means exactly X.
 *
 * Ownership: every string this module stores into a gw_options (and the
 * values config_file_value returns) is a copy owned by this module; it stays
 * valid until config_file_free(), which main calls after options_free(). */
#ifndef GW_CONFIG_FILE_H
#define GW_CONFIG_FILE_H

#include <stddef.h>

#include "options.h"

/* Trust: running as root (euid 0), a file that is a symlink, not a
 * regular file, not owned by root or writable by group/others is IGNORED
 * (the caller's HOME / XDG_CONFIG_HOME survive `sudo -E` and `su`; its
 * nginx-bin= would run as root): a note on stderr says which file and why,
 * the load returns 0 and no value of it is used. The file is checked and
 * read through one fd. Values, keys and paths in messages are sanitized
 * and masked (sanitize.h).
 *
 * Load one file into o. Returns 0, or -1 with err = "FILE:LINE: message"
 * (or "FILE: strerror" when it cannot be read); o may then hold the values
 * of the lines before the bad one. */
int config_file_load(const char *path, struct gw_options *o, char *err, size_t errsz);

/* Load the default files that exist: /etc/gwtop.conf, then
 * $XDG_CONFIG_HOME/gwtop/config (or ~/.config/gwtop/config). A missing file
 * is skipped; any other problem is an error as above. Returns the number of
 * files loaded (0..2) or -1. sys_path overrides /etc/gwtop.conf (NULL =
 * default; for tests). */
int config_file_load_default(const char *sys_path, struct gw_options *o, char *err, size_t errsz);

/* The user file path by the rule above into buf; "" when neither
 * XDG_CONFIG_HOME nor HOME is set. */
void config_file_user_path(char *buf, size_t size);

/* Call before pushing a repeatable flag's value (key = its long name, e.g.
 * "upstream"): the first call per key empties the list the config files
 * filled, later calls do nothing. */
void config_file_list_flag(struct gw_options *o, const char *key);

/* Last value of a setting gw_options has no field for ("theme": main puts
 * it in GWTOP_THEME unless the environment has one), or NULL. Owned by this
 * module. */
const char *config_file_value(const char *key);

/* Free every string this module stored; reset its state. */
void config_file_free(void);

#endif
