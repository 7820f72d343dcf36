#!/usr/bin/python3
"""Benchmark traffic: RATE requests a second to nginx on 127.0.0.1:PORT for
SECS seconds (bounded: it stops by itself), keep-alive, paths like a real
site's (ids in them, ~5 % unknown -> 404). Usage: traffic.py PORT RATE SECS"""
import http.client
import random
import sys
import time

port, rate, secs = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
paths = ["/", "/items/%d", "/api/users/%d/orders", "/health", "/static/app.%d.js", "/nope/%d"]
weights = [30, 30, 20, 10, 5, 5]
end = time.monotonic() + secs
conn = None
n = 0
while time.monotonic() < end:
    t = time.monotonic()
    p = random.choices(paths, weights)[0]
    if "%d" in p:
        p = p % random.randint(1, 100000)
    try:
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", p, headers={"User-Agent": "recbench/1"})
        conn.getresponse().read()
    except Exception:
        conn = None
    n += 1
    left = 1.0 / rate - (time.monotonic() - t)
    if left > 0:
        time.sleep(left)
print("traffic: %d requests" % n, file=sys.stderr)
