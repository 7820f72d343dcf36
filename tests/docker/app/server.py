"""server.py — the test app inside the gwtop-app image: an HTTP server on
argv[1]:argv[2] (default 0.0.0.0:8000). GET /health and GET / answer 200.
Access log lines go to stderr (the container log)."""
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET


host = sys.argv[1] if len(sys.argv) > 1 else "0.0.0.0"
port = int(sys.argv[2]) if len(sys.argv) > 2 else 8000
print("listening on %s:%d" % (host, port), file=sys.stderr, flush=True)
HTTPServer((host, port), Handler).serve_forever()
