#!/bin/bash
# Issue 17 finding 4: root runs gwtop with a HOME / XDG_CONFIG_HOME that
# belongs to another user (`sudo -E`, `su` without `-`). That user's
# gwtop/config names an nginx-bin= script (and an nginx-conf= so that
# nginx -t runs). gwtop must ignore the file with a note, and the script
# must never run as root (no pwned.0 marker). Control: the same settings
# in a root-owned 0644 file ARE used (pwned.0 appears), so the check can
# fail. Also: --config FILE owned by the user, and a group-writable one.
set -u
# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source-path=SCRIPTDIR source=seclib.sh
. "$(dirname "$0")/seclib.sh"
it_init
it_require_root
it_require_gwtop
sec_init

MARKS=$SEC_DIR/marks
mkdir -m 1777 "$MARKS"
printf 'events {}\nhttp { server { listen 127.0.0.1:9; } }\n' >"$SEC_DIR/nginx.conf"
chmod 0644 "$SEC_DIR/nginx.conf"
# the attacker's home: its files, its script
H=$SEC_DIR/home
mkdir -p "$H/.config/gwtop" "$H/xdg/gwtop"
# shellcheck disable=SC2016  # $(id -u) runs in the script, not here
printf '#!/bin/sh\ntouch %s/pwned.$(id -u)\nexit 0\n' "$MARKS" >"$H/evil.sh"
chmod 0755 "$H/evil.sh"
for f in "$H/.config/gwtop/config" "$H/xdg/gwtop/config"; do
	printf 'nginx-bin = %s\nnginx-conf = %s\n' "$H/evil.sh" "$SEC_DIR/nginx.conf" >"$f"
done
chown -R "$SEC_USER:" "$H"
chmod 0711 "$H"

pwned() { [ -e "$MARKS/pwned.0" ]; }
note_in() {   # FILE: the note names the file, the owner and the rule
	grep -qF "gwtop: note: ignoring the config file $1: owned by $SEC_USER, not root" "$GW_ERR"
}

# 1. HOME of another user
HOME=$H it_gwtop --check --json
t_result "HOME: the attacker's nginx-bin did not run as root" "$(pwned && echo 1 || echo 0)"
t_check "HOME: a note says the file is ignored and why" note_in "$H/.config/gwtop/config"
t_check "HOME: gwtop still reports (valid JSON)" "$PY" "$JCHECK" valid "$GW_OUT"

# 2. XDG_CONFIG_HOME of another user
HOME=/root XDG_CONFIG_HOME=$H/xdg it_gwtop --check --json
t_result "XDG_CONFIG_HOME: the attacker's nginx-bin did not run as root" "$(pwned && echo 1 || echo 0)"
t_check "XDG_CONFIG_HOME: a note says the file is ignored" note_in "$H/xdg/gwtop/config"

# 3. --config FILE owned by the attacker
it_gwtop --check --json --config "$H/xdg/gwtop/config"
t_result "--config: the attacker's nginx-bin did not run as root" "$(pwned && echo 1 || echo 0)"
t_check "--config: a note says the file is ignored" note_in "$H/xdg/gwtop/config"

# 4. a root-owned file the attacker's group may write
cp "$H/evil.sh" "$SEC_DIR/evil-root.sh"
chmod 0755 "$SEC_DIR/evil-root.sh"
printf 'nginx-bin = %s\nnginx-conf = %s\n' "$SEC_DIR/evil-root.sh" "$SEC_DIR/nginx.conf" >"$SEC_DIR/gw.conf"
chgrp "$SEC_USER" "$SEC_DIR/gw.conf"
chmod 0664 "$SEC_DIR/gw.conf"
it_gwtop --check --json --config "$SEC_DIR/gw.conf"
t_result "group-writable --config: nginx-bin did not run" "$(pwned && echo 1 || echo 0)"
t_check "group-writable --config: the note says so" \
	grep -qF "ignoring the config file $SEC_DIR/gw.conf: writable by its group (mode 0664)" "$GW_ERR"

# 5. control: the same settings in root's own 0644 file are used
chgrp root "$SEC_DIR/gw.conf"
chmod 0644 "$SEC_DIR/gw.conf"
it_gwtop --check --json --config "$SEC_DIR/gw.conf"
t_result "control: root's own config's nginx-bin runs (the check above can fail)" "$(pwned && echo 0 || echo 1)"
t_result "control: no note for root's own file" "$(grep -q 'ignoring the config file' "$GW_ERR" && echo 1 || echo 0)"
