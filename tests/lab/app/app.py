"""Lab app for gwtop's integration tests: a tiny Flask app served by gunicorn.

Routes: /  and /health answer 200 at once; /slow sleeps LAB_SLEEP seconds
(default 10) before answering, to reproduce worker and read timeouts;
/bighdr answers with an 8 KiB Set-Cookie header, more than a small
proxy_buffer_size holds.
"""
import os
import time

from flask import Flask, make_response

app = Flask(__name__)


@app.route("/", methods=["GET", "POST"])
@app.route("/health")
def index():
    return "ok\n"


@app.route("/slow")
def slow():
    time.sleep(float(os.environ.get("LAB_SLEEP", "10")))
    return "slow ok\n"


@app.route("/bighdr")
def bighdr():
    resp = make_response("big header\n")
    resp.headers["Set-Cookie"] = "session=" + "x" * 8192
    return resp
