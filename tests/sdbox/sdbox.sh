#!/bin/bash
# sdbox.sh up|in|down WORKDIR [CMD...]
#   up    boot systemd (+ dbus, nginx, gunicorn) in an overlay of /, wait for HTTP 200; prints the box's PID 1
#   in    run CMD inside the box (all its namespaces; cwd is /)
#   down  power the box off, remove WORKDIR and our cgroups
# WORKDIR: absent or empty dir on the host, not under /tmp (e.g. /var/tmp/sdbox.XXXX).
# SDBOX_CGROUPV2=1: pure cgroup v2 inside the box (default: nspawn's choice, hybrid on this host).
# SDBOX_INJECT=DIR: copy DIR's tree over the box's / before boot (unit files, app files, site files).
# SDBOX_SETUP=FILE: bash script run on the host before boot with R=<box root> (edits in the overlay only).
# SDBOX_WAIT=http|boot: `up` waits for a 200 through nginx (default) or only for systemd to finish
#   booting (for scenarios whose app is broken from the start).
# gwtop's harness (from ../shared/TESTING-SYSTEMD.md): docker/containerd are masked in the box; the
# lab is a flask app under gunicorn.service (unix:/run/gunicorn/gunicorn.sock) behind nginx on
# 127.0.0.1:8080, pulled in by gwlab.target. Never start systemd any other way.
set -euo pipefail
op=$1; W=$(realpath -m "$2"); shift 2
leader() { pgrep -P "$(cat "$W/pid")" -x systemd | head -n1; }   # the box's PID 1, host view
alive() { local s; s=$(ps -o stat= -p "$1") || return 1; [[ $s != Z* ]]; }
# waits run on the wall clock (each poll forks nsenter / curl / ps: a count
# of polls stretches without bound on a busy machine)
ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }
before() { [ "$(ms)" -lt "$1" ]; }   # before DEADLINE_MS

case $op in
up)
  [ ! -e "$W" ] || [ -z "$(ls -A "$W")" ] || { echo "sdbox: $W not empty" >&2; exit 2; }
  mkdir -p "$W/root"; : > "$W/log"
  cat > "$W/boot.sh" <<'INNER'
set -euo pipefail
W=$1; T=$W/root
mount -t tmpfs -o size=2g,mode=755 sdbox "$T"          # upper+work in RAM, gone with the ns
mkdir "$T/upper" "$T/work" "$T/merged"
mount -t overlay sdbox -o "lowerdir=/,upperdir=$T/upper,workdir=$T/work" "$T/merged"
R=$T/merged
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"             # never the host's /tmp, /run
mount -t tmpfs -o mode=755 tmpfs "$R/run"
# --- the lab: flask app, gunicorn unit, nginx site, a target that pulls them in
mkdir -p "$R/srv/app"
cat > "$R/srv/app/app.py" <<'PY'
from flask import Flask
app = Flask(__name__)
@app.route("/")
def index():
    return "ok\n"
PY
cat > "$R/etc/systemd/system/gunicorn.service" <<'UNIT'
[Unit]
Description=gunicorn daemon
After=network.target
[Service]
WorkingDirectory=/srv/app
RuntimeDirectory=gunicorn
ExecStart=/usr/bin/python3 /usr/bin/gunicorn --workers 2 --graceful-timeout 5 --bind unix:/run/gunicorn/gunicorn.sock --umask 007 --group www-data app:app
Restart=on-failure
UNIT
rm -f "$R"/etc/nginx/sites-enabled/*
cat > "$R/etc/nginx/sites-enabled/app" <<'SITE'
server {
    listen 127.0.0.1:8080;
    location / { proxy_pass http://unix:/run/gunicorn/gunicorn.sock; }
}
SITE
: > "$R/var/log/nginx/error.log"; : > "$R/var/log/nginx/access.log"
cat > "$R/etc/systemd/system/gwlab.target" <<'TGT'
[Unit]
Description=gwtop lab
Requires=basic.target
Wants=dbus.service nginx.service gunicorn.service
After=basic.target
TGT
# no Docker inside the box unless a test wants it (socket activation would start a dockerd)
for u in docker.socket docker.service containerd.service; do ln -sf /dev/null "$R/etc/systemd/system/$u"; done
# the test's own files and setup, last so they win
if [ -n "${SDBOX_INJECT:-}" ]; then cp -a "$SDBOX_INJECT/." "$R/"; fi
if [ -n "${SDBOX_SETUP:-}" ]; then R=$R bash "$SDBOX_SETUP"; fi
mount -t tmpfs -o mode=755 tmpfs /run    # nspawn's own state (/run/systemd/nspawn) off the host disk
# nspawn needs a cgroup of its own, else it creates payload/ supervisor/ in the host's root cgroup
for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
  [ -f "$h/cgroup.procs" ] || continue
  mkdir "$h/sdbox.$$"; echo $$ > "$h/sdbox.$$/cgroup.procs"
done
if [ "${SDBOX_CGROUPV2:-0}" = 1 ]; then export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1; fi
exec systemd-nspawn -q -D "$R" --register=no --keep-unit --link-journal=no \
     --private-network --console=read-only -b systemd.unit=gwlab.target
INNER
  setsid unshare -m --propagation private bash "$W/boot.sh" "$W" </dev/null >>"$W/log" 2>&1 &
  echo $! > "$W/pid"                      # unshare -> bash -> nspawn exec in turn: one PID
  end=$(( $(ms) + 30000 ))
  while before "$end"; do L=$(leader || true); [ -n "$L" ] && break; sleep 0.05; done
  [ -n "${L:-}" ] || { cat "$W/log" >&2; exit 1; }
  if [ "${SDBOX_WAIT:-http}" = boot ]; then
    end=$(( $(ms) + 60000 ))
    while before "$end"; do
      st=$(nsenter -t "$L" -a systemctl is-system-running 2>/dev/null || true)
      case $st in running|degraded) echo "$L"; exit 0 ;; esac
      sleep 0.1
    done
    echo "sdbox: systemd did not finish booting (last: ${st:-?})" >&2; exit 1
  fi
  end=$(( $(ms) + 90000 ))
  while before "$end"; do                 # up to 90 s for a 200 through nginx -> gunicorn
    c=$(nsenter -t "$L" -a curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://127.0.0.1:8080/ || true)
    [ "$c" = 200 ] && { echo "$L"; exit 0; }
    sleep 0.1
  done
  echo "sdbox: no 200 (last: $c)" >&2; exit 1 ;;
in)
  L=$(leader) || true
  [ -n "$L" ] || { echo "sdbox: no box running in $W" >&2; exit 1; }
  exec nsenter -t "$L" -a -- "$@" ;;
down)
  [ -f "$W/pid" ] || exit 0
  P=$(cat "$W/pid")
  if alive "$P"; then
    kill -TERM "$P"                       # nspawn powers the box off cleanly
    end=$(( $(ms) + 15000 ))
    while alive "$P" && before "$end"; do sleep 0.1; done
    if alive "$P"; then kill -KILL "$P"; fi   # last resort: the PID ns and the mounts die with it
    while alive "$P"; do sleep 0.1; done
  fi
  # The box's processes die with its PID namespace, but may take a moment
  # to leave their cgroups; any left in OUR sdbox.$P cgroups are the box's
  # (a stuck graceful stop): end them by PID, then remove the cgroups.
  end=$(( $(ms) + 10000 ))
  while :; do
    left=0
    for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
      [ -d "$h/sdbox.$P" ] || continue
      while read -r pid; do
        [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
      done < <(find "$h/sdbox.$P" -name cgroup.procs -exec cat {} + 2>/dev/null)
      find "$h/sdbox.$P" -depth -type d -exec rmdir {} + 2>/dev/null || true
      [ ! -d "$h/sdbox.$P" ] || left=1
    done
    [ "$left" = 0 ] && break
    before "$end" || break
    sleep 0.1
  done
  [ "${left:-0}" = 0 ] || echo "sdbox: cgroups sdbox.$P still busy" >&2
  rm -f "$W/pid" "$W/log" "$W/boot.sh"; rmdir "$W/root" "$W" 2>/dev/null || true ;;   # no rm -rf, on purpose
*) echo "usage: $0 up|in|down WORKDIR [CMD...]" >&2; exit 2 ;;
esac
