#!/usr/bin/env python3
"""Memory per idle TLS keep-alive connection.

tls-idle.py PORT PID [N] [PATH]

Opens N (default 1000) TLS connections to 127.0.0.1:PORT (no certificate check: the benchmark's
own certificate), sends one GET PATH (default /1k.bin) on each and reads the response, then,
with all of them open and idle, reads the memory of server process PID and its descendants.
Prints: base_pss open_pss alive ok (KiB, Pss from smaps_rollup over PID and its descendants).
"""
import socket
import ssl
import sys
import time


def children(pid):
    out = []
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = [int(x) for x in f.read().split()]
    except OSError:
        return out
    for k in kids:
        out.append(k)
        out.extend(children(k))
    return out


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def sample(pid):
    return pss_kb(pid) + sum(pss_kb(k) for k in children(pid))


def get(ctx, port, path, keep=True):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10))
    conn = "" if keep else "Connection: close\r\n"
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n{conn}\r\n".encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            return s, 0
        buf += d
    head, body = buf.split(b"\r\n\r\n", 1)
    clen = 0
    for ln in head.split(b"\r\n")[1:]:
        k, _, v = ln.partition(b":")
        if k.strip().lower() == b"content-length":
            clen = int(v.strip())
    while len(body) < clen:
        d = s.recv(65536)
        if not d:
            return s, 0
        body += d
    return s, int(head.split()[1])


def main():
    port, pid = int(sys.argv[1]), int(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    path = sys.argv[4] if len(sys.argv) > 4 else "/1k.bin"
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    w, _ = get(ctx, port, path, keep=False)
    w.close()
    time.sleep(0.3)
    base = sample(pid)
    socks, ok = [], 0
    for _ in range(n):
        s, st = get(ctx, port, path)
        socks.append(s)
        ok += st == 200
    time.sleep(0.5)
    opened = sample(pid)
    alive = 0
    for s in socks:
        s.setblocking(False)
        try:
            alive += s.recv(1) != b""
        except (BlockingIOError, ssl.SSLWantReadError):
            alive += 1
        except OSError:
            pass
    for s in socks:
        s.close()
    print(f"base_pss={base} open_pss={opened} alive={alive} ok={ok}")


main()
