#!/usr/bin/python3
"""reaper.py — run one test and check that nothing of it is left.

    tests/reaper.py CMD...

Runs CMD as a child with this process as its "child subreaper"
(prctl PR_SET_CHILD_SUBREAPER): whatever CMD starts and leaves behind —
a daemonized nginx, a setsid dockerd, a tmux server, a box's unshare —
is re-parented here instead of to PID 1 (and reaped here at once, as PID 1
would, while CMD runs). When CMD has exited, the
leftovers get GRACE seconds (clock deadline, default 5; REAPER_GRACE) to
end on their own (a trap's asynchronous kill); those still alive then are
reported, one line each:

    FAIL leftover process 1234 (nginx): nginx: master process ...

and ended by PID (TERM, then KILL), children first seen first. The exit
status is CMD's, or 1 when CMD passed (0) but left processes behind, so
that a scenario whose processes survive into the next one fails.
Only our own descendants are looked at or signalled.
"""
import ctypes
import os
import signal
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def children():
    """PIDs whose parent is us (all our threads' children files)."""
    out = []
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return out
    for t in tasks:
        try:
            with open("/proc/self/task/%s/children" % t) as f:
                out += [int(p) for p in f.read().split()]
        except OSError:
            pass
    return out


def reap():
    """Collect every exited child (zombies) without blocking."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
        return s[s.rindex(")") + 2]
    except (OSError, ValueError):
        return "?"


def alive():
    reap()
    return [p for p in children() if state(p) not in ("Z", "X", "?")]


def describe(pid):
    def rd(name):
        try:
            with open("/proc/%d/%s" % (pid, name), "rb") as f:
                return f.read()
        except OSError:
            return b""
    comm = rd("comm").strip().decode("utf-8", "replace")
    cmd = rd("cmdline").replace(b"\0", b" ").strip().decode("utf-8", "replace")
    # outside strings: printable ASCII only on our output
    clean = lambda s: "".join(c if " " <= c <= "~" else "?" for c in s)[:200]
    return "%d (%s): %s" % (pid, clean(comm), clean(cmd))


def until(seconds, cond):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    grace = float(os.environ.get("REAPER_GRACE", "5"))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print("reaper: prctl(PR_SET_CHILD_SUBREAPER) failed; not checking leftovers", file=sys.stderr)
        return subprocess.call(sys.argv[1:])
    child = subprocess.Popen(sys.argv[1:])

    def forward(sig, _frame):
        try:
            child.send_signal(sig)
        except ProcessLookupError:
            pass
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    # reap everything while the test runs: its orphans are ours now, and a
    # zombie left unreaped would look alive to the test (/proc/PID exists)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            rc = 1
            break
        except InterruptedError:
            continue
        if pid == child.pid:
            child.returncode = rc = os.waitstatus_to_exitcode(status)
            if rc < 0:
                rc = 128 - rc       # killed by a signal: as a shell says it
            break

    if until(grace, lambda: not alive()):
        return rc
    left = alive()
    seen = set()
    while left:
        for p in left:
            if p not in seen:
                seen.add(p)
                print("FAIL leftover process %s" % describe(p), flush=True)
        for p in left:
            try:
                os.kill(p, signal.SIGTERM)
            except ProcessLookupError:
                pass
        if not until(3, lambda: not alive()):
            for p in alive():
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            until(3, lambda: not alive())
        left = alive()      # their orphans, re-parented here in turn
        if left and all(p in seen for p in left):
            break           # unkillable (D state): said, give up
    print("FAIL %d process(es) of this test were still alive %gs after it ended" % (len(seen), grace),
          flush=True)
    return rc if rc != 0 else 1


if __name__ == "__main__":
    sys.exit(main())
