#!/usr/bin/env python3
"""tests/fuzz/tools/capture_proxy.py: a logging TCP proxy that records real traffic as fuzz seeds.

  capture_proxy.py http LISTEN_PORT_FILE TARGET_PORT OUT_DIR
      HTTP/1.1 proxy: every request the client sends is saved as OUT_DIR/req-NNNN, in the
      format of tests/fuzz/fuzz.h ("@<now ms>" line, then the head as sent, then at most 4 KiB
      of the body), and forwarded unchanged.
  capture_proxy.py raw LISTEN_PORT_FILE TARGET_PORT OUT_DIR
      Byte proxy (cluster RPC): saves each direction of each connection as
      OUT_DIR/conn-N-c2s and OUT_DIR/conn-N-s2c (at most 64 KiB each).

Listens on a free 127.0.0.1 port and writes it to LISTEN_PORT_FILE. Runs until killed.
"""
import os
import socket
import sys
import threading
import time

mode, port_file, target, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
os.makedirs(out, exist_ok=True)
lock = threading.Lock()
counter = [0]


def next_id():
    with lock:
        counter[0] += 1
        return counter[0]


def pump(src, dst, record=None, limit=65536):
    saved = 0
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            if record is not None and saved < limit:
                record.write(b[: limit - saved])
                saved += len(b)
            dst.sendall(b)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        if record is not None:
            record.close()


def http_client_to_server(c, s):
    buf = b""
    try:
        while True:
            while b"\r\n\r\n" not in buf:
                b = c.recv(65536)
                if not b:
                    raise EOFError
                buf += b
            head, buf = buf.split(b"\r\n\r\n", 1)
            head += b"\r\n\r\n"
            clen = 0
            for line in head.split(b"\r\n")[1:]:
                if line.lower().startswith(b"content-length:"):
                    clen = int(line.split(b":", 1)[1].strip() or 0)
            body = buf[:clen]
            s.sendall(head + body)
            need = clen - len(body)
            buf = buf[clen:]
            kept = body
            while need > 0:
                b = c.recv(min(65536, need))
                if not b:
                    raise EOFError
                s.sendall(b)
                if len(kept) < 4096:
                    kept += b
                need -= len(b)
            now = int(time.time() * 1000)
            with open(os.path.join(out, "req-%04d" % next_id()), "wb") as f:
                f.write(b"@%d\n" % now + head + kept[:4096])
    except (EOFError, OSError, ValueError):
        pass
    finally:
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve(c):
    s = socket.create_connection(("127.0.0.1", target))
    if mode == "http":
        t = threading.Thread(target=http_client_to_server, args=(c, s), daemon=True)
        t.start()
        pump(s, c)
    else:
        n = next_id()
        up = open(os.path.join(out, "conn-%d-c2s" % n), "wb")
        down = open(os.path.join(out, "conn-%d-s2c" % n), "wb")
        t = threading.Thread(target=pump, args=(c, s, up), daemon=True)
        t.start()
        pump(s, c, down)
    t.join()
    c.close()
    s.close()


ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(64)
tmp = port_file + ".tmp"
with open(tmp, "w") as f:
    f.write("%d\n" % ls.getsockname()[1])
os.rename(tmp, port_file)
while True:
    conn, _ = ls.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
