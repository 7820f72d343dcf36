"""inject.py — append hostile lines to a log file, stamped "now".

  inject.py nginx FILE TARGET MARKER   nginx error.log lines (connect() failed
                                       to TARGET) whose server/request/upstream/
                                       host carry ESC/CSI/OSC/DCS, BEL, BS, C1
                                       (raw and UTF-8), DEL, invalid UTF-8,
                                       RLO/LRI overrides, NUL and a 1 MiB line
  inject.py app FILE MARKER            gunicorn/Python lines with the same bytes
MARKER is put before any NUL so the visible part can be found in the output.
"""
import sys
import time

NASTY = (b"\x1b[31mRED\x1b[0m \x1b]0;pwned\x07 \x1b]52;c;ZWNobyBoaQ==\x07 \x1bP+q\x1b\\ "
         b"bel\x07 bs\x08\x08 cr\rX c1raw\x9b31m c1utf8\xc2\x9b32m del\x7f "
         b"bad\xff\xfe\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80 rlo\xe2\x80\xaeevil\xe2\x80\xac "
         b"lri\xe2\x81\xa6x\xe2\x81\xa9 tab\there")


def nginx(path, target, marker):
    t = time.strftime("%Y/%m/%d %H:%M:%S").encode()
    m = marker.encode()
    head = t + b" [error] 99#99: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: "
    with open(path, "ab") as f:
        # the 1 MiB line first: the reader must cope and go on
        f.write(t + b" [error] 99#99: *2 upstream timed out (110: Connection timed out) while reading upstream, request: \"GET /"
                + b"A" * (1 << 20) + b" HTTP/1.1\", upstream: \"" + target.encode() + b"/\"\n")
        f.write(b"\x00\x00\x00 binary junk \xff\xff\n")
        f.write(head + m + b" " + NASTY + b" nul\x00after, request: \"GET /" + NASTY + b" HTTP/1.1\", upstream: \""
                + target.encode() + b"/" + NASTY + b"\", host: \"" + NASTY + b"\"\n")
        f.write(head + m + b"-2 " + NASTY + b", request: \"GET /\", upstream: \"" + target.encode() + b"/\", host: \"x\"\n")


def app(path, marker):
    t = time.strftime("[%Y-%m-%d %H:%M:%S +0000]").encode()
    m = marker.encode()
    with open(path, "ab") as f:
        f.write(t + b" [4242] [ERROR] Exception in worker process " + m + b" " + NASTY + b"\n")
        f.write(b"Traceback (most recent call last):\n  File \"/app/x.py\", line 1, in <module>\n")
        f.write(b"ModuleNotFoundError: No module named '" + m + NASTY + b"'\n")
        f.write(t + b" [4242] [ERROR] " + b"B" * (1 << 20) + b"\n")
        f.write(t + b" [4242] [INFO] Worker exiting (pid: 4242) " + m + b"\x00nul\n")


if __name__ == "__main__":
    if sys.argv[1] == "nginx":
        nginx(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "app":
        app(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
