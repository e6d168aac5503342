#!/usr/bin/env python3
"""Memory per idle SSE stream, or per idle keep-alive connection, on one fresh server.

sse_idle.py PORT PID N MODE

MODE "keepalive": N connections each do one GET /1k.bin (read whole) and stay open and idle.
MODE "sse": N connections each do GET /sse (the head is read; the stream stays open, no event).
MODE "sse-browser": the same with the 14 header lines a Chromium EventSource sends (about 600
bytes), which a waiting request keeps.
After a warm-up request, samples the VmRSS of PID (and its descendants), opens the N
connections in batches, waits for the server to settle, samples again, checks that they are all
still open, and closes them. Prints one line: base_kib=.. open_kib=.. alive=.. ok=.. n=..
per_conn_bytes=.. (RSS with N open, less RSS before, over N). Uses tests/bench/idle.py's helpers.
"""
import os
import select
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import idle  # noqa: E402


def sse_head(s, deadline):
    """Reads the head of the SSE answer; returns its status (0 when it did not come)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        d = s.recv(4096)
        if not d:
            return 0
        buf += d
    return int(buf.split(b"\r\n", 1)[0].split()[1])


BROWSER = (
    "GET /sse HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: keep-alive\r\n"
    'sec-ch-ua-platform: "Linux"\r\nCache-Control: no-cache\r\n'
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/156.0.0.0 Safari/537.36\r\nAccept: text/event-stream\r\n"
    'sec-ch-ua: "Chromium";v="156", "Not-A.Brand";v="24", "HeadlessChrome";v="156"\r\n'
    "sec-ch-ua-mobile: ?0\r\nSec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: cors\r\n"
    "Sec-Fetch-Dest: empty\r\nReferer: http://127.0.0.1:{port}/\r\n"
    "Accept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: en-US,en;q=0.9\r\n\r\n")


def open_one(port, mode):
    if mode != "sse-browser":
        return idle.request(port, "/sse" if mode == "sse" else "/1k.bin")
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(BROWSER.format(port=port).encode())
    return s


def main():
    port, pid, n, mode = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    w = idle.request(port, "/1k.bin", keep=False)
    idle.read_response(w, time.monotonic() + 5)
    w.close()
    time.sleep(0.3)
    base = idle.sample(pid)
    socks, ok = [], 0
    deadline = time.monotonic() + 60
    try:
        for i in range(0, n, 100):
            cur = [open_one(port, mode) for _ in range(min(100, n - i))]
            for s in cur:
                try:
                    st = idle.read_response(s, deadline) if mode == "keepalive" else sse_head(s, deadline)
                    ok += st == 200
                except (OSError, ValueError, IndexError):
                    pass
            socks.extend(cur)
        time.sleep(0.5)
        opened = idle.sample(pid)
        alive = 0
        for s in socks:
            r, _, _ = select.select([s], [], [], 0)
            if not r:
                alive += 1
    finally:
        for s in socks:
            s.close()
    base_kib, open_kib = base[0] + base[1], opened[0] + opened[1]
    print(f"base_kib={base_kib} open_kib={open_kib} alive={alive} ok={ok} n={n} "
          f"per_conn_bytes={(open_kib - base_kib) * 1024 / n:.0f}")


if __name__ == "__main__":
    main()
