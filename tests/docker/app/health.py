"""health.py — the image's health check: GET http://127.0.0.1:<argv[1]>/health,
exit 1 (with the reason on stdout) when it fails."""
import sys
import urllib.request

port = sys.argv[1] if len(sys.argv) > 1 else "8000"
try:
    urllib.request.urlopen("http://127.0.0.1:%s/health" % port, timeout=2).read()
except Exception as e:  # noqa: BLE001 - any failure is unhealthy
    print("health check failed: %s" % e)
    sys.exit(1)
print("ok")
