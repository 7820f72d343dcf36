#!/bin/bash
# image.sh DIR — build the test image's context in DIR from host files (no
# registry): a FROM scratch rootfs with python3.11 + dash + their libraries
# and tests/docker/app/*.py, as DIR/rootfs.tar and DIR/Containerfile.
# Build it with: docker build -t gwtop-app:latest -f DIR/Containerfile DIR
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
D=$1
R=$D/rootfs
mkdir -p "$R"
cd "$R"
mkdir -p usr/bin usr/lib usr/lib64 etc tmp app proc sys dev run
chmod 1777 tmp
ln -sfn usr/bin bin; ln -sfn usr/lib lib; ln -sfn usr/lib64 lib64
cp -a /usr/bin/python3.11 /usr/bin/dash usr/bin/
ln -sf python3.11 usr/bin/python3; ln -sf dash usr/bin/sh
tar -C / --exclude=__pycache__ --exclude=usr/lib/python3.11/test --exclude=usr/lib/python3.11/idlelib \
    --exclude=usr/lib/python3.11/tkinter --exclude='usr/lib/python3.11/config-*' \
    --exclude=usr/lib/python3.11/ensurepip --exclude=usr/lib/python3.11/lib2to3 \
    -cf - usr/lib/python3.11 | tar -xf -
for f in /usr/bin/python3.11 /usr/bin/dash /usr/lib/python3.11/lib-dynload/*.so; do ldd "$f"; done 2>/dev/null |
	awk '/=> \//{print $3} /^\t\/lib64/{print $1}' | sort -u | while read -r lib; do
		d=.$(dirname "${lib#/usr}"); d=./usr/${d#./}; mkdir -p "$d"; cp -L "$lib" "$d/"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' > etc/passwd
printf 'root:x:0:\n' > etc/group
cp "$HERE/app/server.py" "$HERE/app/health.py" app/
tar -C "$R" -cf "$D/rootfs.tar" .
rm -rf "$R"
cat > "$D/Containerfile" <<'CF'
FROM scratch
ADD rootfs.tar /
WORKDIR /app
EXPOSE 8000
HEALTHCHECK --interval=3s --timeout=10s --retries=2 CMD ["python3", "/app/health.py", "8000"]
CMD ["python3", "/app/server.py", "0.0.0.0", "8000"]
CF
