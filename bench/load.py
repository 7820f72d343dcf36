#!/usr/bin/python3
"""Benchmark load: N extra processes and M TCP listeners on 127.0.0.1.

Usage: load.py NPROCS NLISTENERS READYFILE
Forks NPROCS children that sleep, opens NLISTENERS listening sockets on
127.0.0.1 (ephemeral ports), writes READYFILE, then waits. SIGTERM ends the
children (by PID) and itself. Bounded: exits by itself after 15 minutes."""
import os
import signal
import socket
import sys
import time

nprocs, nlisten, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
children = []
socks = []


def stop(*_):
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for pid in children:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    sys.exit(0)


os.setpgrp()          # its own group: the bench ends it with kill -- -PGID
signal.signal(signal.SIGTERM, stop)
for _ in range(nprocs):
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        time.sleep(900)
        os._exit(0)
    children.append(pid)
for _ in range(nlisten):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    socks.append(s)
with open(ready, "w") as f:
    f.write("%d %d\n" % (len(children), len(socks)))
deadline = time.time() + 900
while time.time() < deadline:
    time.sleep(1)
stop()
