"""churn.py SECONDS — fork short-lived processes as fast as possible for
SECONDS (children exit at once or after a few ms, some with long argv and
control characters in their names), reaping them; prints the count."""
import os
import sys
import time

end = time.monotonic() + float(sys.argv[1])
n = 0
live = 0
while time.monotonic() < end:
    pid = os.fork()
    if pid == 0:
        if n % 3 == 0:
            try:
                with open("/proc/self/comm", "wb") as f:
                    f.write(b"gunicorn\x1b[31m")
            except OSError:
                pass
        if n % 5 == 0:
            time.sleep(0.005)
        os._exit(0)
    n += 1
    live += 1
    while live > 64:
        os.wait()
        live -= 1
    while live:
        r, _ = os.waitpid(-1, os.WNOHANG)
        if r == 0:
            break
        live -= 1
while live:
    os.wait()
    live -= 1
print(n)
