#!/bin/sh
# Install build + test dependencies (Debian 12). Idempotent; uses sudo when not root.
set -eu
PKGS="build-essential pkg-config libncurses-dev libcurl4-gnutls-dev libsystemd-dev
libproc2-dev libjansson-dev zlib1g-dev libcmocka-dev nginx-light gunicorn python3-flask
python3-uvicorn tmux curl procps iproute2 systemd systemd-container dbus
systemd-journal-remote prometheus prometheus-node-exporter openssh-server
openssh-client openssl pssh debhelper devscripts lintian fakeroot bash-completion
docker.io podman lnav goaccess shellcheck clang libclang-rt-14-dev cppcheck clang-tidy
htop btop stress-ng libcmark-gfm-dev libcmark-gfm-extensions-dev cmark-gfm"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all installed"
	exit 0
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
