"""badserver.py — a misbehaving HTTP upstream on 127.0.0.1 for fault tests.

  badserver.py MODE PORT      MODE: silent   accept, read, never answer
                                    drip     answer one byte per second
                                    flood    200 with a 1 GiB body, sent as fast as read
                                    reset    accept, then RST (SO_LINGER 0)
                                    garbage  answer binary non-HTTP bytes and close
Runs until killed (SIGTERM). Serves any number of connections (threads).
"""
import socket
import struct
import sys
import threading
import time

MODE, PORT = sys.argv[1], int(sys.argv[2])


def serve(c):
    try:
        c.settimeout(30)
        if MODE != "reset":
            try:
                c.recv(65536)
            except OSError:
                pass
        if MODE == "silent":
            time.sleep(3600)
        elif MODE == "drip":
            for b in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok":
                c.sendall(bytes([b]))
                time.sleep(1)
        elif MODE == "flood":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % (1 << 30))
            chunk = b"\0" * (1 << 20)
            for _ in range(1024):
                c.sendall(chunk)
        elif MODE == "reset":
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif MODE == "garbage":
            c.sendall(b"\x00\xff\x1b[31m\x9bgarbage\r\n\r\n" * 100)
    except OSError:
        pass
    finally:
        c.close()


def main():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", PORT))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
