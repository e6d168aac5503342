#!/usr/bin/env python3
"""Memory per idle keep-alive connection.

idle.py PORT PID [N] [PATH]

Opens N (default 1000) keep-alive connections to 127.0.0.1:PORT, sends one GET PATH
(default /1k.bin) on each and reads the whole response, then, with all of them still open and
idle, reads the memory of server process PID and its descendants from /proc. Then closes them.

Prints one line of key=value pairs (sizes in KiB, as /proc reports them):
  base_main, base_kids, base_pss   before any connection (after one warm-up request)
  open_main, open_kids, open_pss   with the N idle connections open
  alive                            connections still open (not closed by the server) at sampling
  ok                               responses with status 200
  nkids_base, nkids_open           number of descendant processes
main = VmRSS of PID, kids = sum of VmRSS of all descendants (nginx worker, fork-model children),
pss = sum of Pss (smaps_rollup) over PID and its descendants.
"""
import select
import socket
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


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


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
    kids = children(pid)
    main = status_kb(pid, "VmRSS")
    ksum = sum(status_kb(k, "VmRSS") for k in kids)
    pss = pss_kb(pid) + sum(pss_kb(k) for k in kids)
    return main, ksum, pss, len(kids)


def request(port, path, keep=True):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn = "" if keep else "Connection: close\r\n"
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{conn}\r\n".encode())
    return s


def read_response(s, deadline):
    """Reads one response (Content-Length framed). Returns the status code, or 0."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        d = s.recv(65536)
        if not d:
            return 0
        buf += d
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    clen = 0
    for ln in lines[1:]:
        k, _, v = ln.partition(b":")
        if k.strip().lower() == b"content-length":
            clen = int(v.strip())
    while len(body) < clen:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        d = s.recv(65536)
        if not d:
            return 0
        body += d
    return status


def main():
    port, pid = int(sys.argv[1]), int(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    path = sys.argv[4] if len(sys.argv) > 4 else "/1k.bin"

    # warm-up: one request on a closed connection, so lazily set-up state is in the baseline
    w = request(port, path, keep=False)
    read_response(w, time.monotonic() + 5)
    w.close()
    time.sleep(0.3)
    base = sample(pid)

    socks = []
    ok = 0
    deadline = time.monotonic() + 30
    try:
        # open and request in batches so the listen backlog never overflows
        batch = 100
        for i in range(0, n, batch):
            cur = [request(port, path) for _ in range(min(batch, n - i))]
            for s in cur:
                try:
                    if read_response(s, deadline) == 200:
                        ok += 1
                except (OSError, ValueError, IndexError):
                    pass
            socks.extend(cur)
        time.sleep(0.3)  # let the server settle (buffers released after the response, etc.)
        opened = sample(pid)
        # connections the server has closed meanwhile are readable (EOF); idle open ones are not
        alive = 0
        for s in socks:
            r, _, _ = select.select([s], [], [], 0)
            if not r:
                alive += 1
            else:
                try:
                    s.setblocking(False)
                    if s.recv(1, socket.MSG_PEEK):
                        alive += 1
                except BlockingIOError:
                    alive += 1
                except OSError:
                    pass
    finally:
        for s in socks:
            s.close()
    print(f"base_main={base[0]} base_kids={base[1]} base_pss={base[2]} nkids_base={base[3]} "
          f"open_main={opened[0]} open_kids={opened[1]} open_pss={opened[2]} nkids_open={opened[3]} "
          f"alive={alive} ok={ok} n={n}")


if __name__ == "__main__":
    main()
