#!/usr/bin/env python3
"""socket-activation.py BUILD_DIR: ymawky-serve started the way systemd starts a socket-activated
service, in both process models, and checked with curl.

The launcher does what systemd does for a .socket unit with Accept=no: it binds and listens
itself, forks, moves the socket to fd 3 in the child, sets LISTEN_FDS=1 and LISTEN_PID to the
child's own pid (the pid of the program it execs), and execs ymawky-serve. It keeps its own copy
of the socket open, as systemd does, so a connection made while no server runs waits in the
backlog and is answered by the next one started on the same socket.

Also checked: a LISTEN_PID naming another process is ignored (the server binds --listen);
two sockets, --listen together with a passed socket, and a passed fd that is no listening socket
are refused with a clear message; a passed Unix socket is served and its file left in place."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

build = sys.argv[1]
serve = os.path.join(build, "examples", "ymawky-serve")
src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
www = os.path.join(src, "examples", "www")
index = open(os.path.join(www, "index.html"), "rb").read()
checks = 0

if not shutil.which("curl"):
    print("SKIP: curl missing")
    sys.exit(77)
try:
    subprocess.run([serve, "--help"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
except (OSError, subprocess.CalledProcessError):
    print(f"SKIP: {serve} does not run on this host (a cross build?)")
    sys.exit(77)

tmp = tempfile.mkdtemp(prefix="ymk-activation-")
children = []


def fail(msg):
    print(f"FAIL: {msg}")
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1)


def ok(label):
    global checks
    checks += 1
    print(f"ok {checks} - {label}")


def launch(args, fds=(), env_extra=None, pid_of=None):
    """fork + exec ymawky-serve with fds moved to 3, 4, ...; LISTEN_PID is the child's pid unless
    pid_of gives another; env_extra overrides the LISTEN_ variables. Returns (pid, log path)."""
    log = os.path.join(tmp, f"log.{len(children)}")
    logfd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    pid = os.fork()
    if pid == 0:
        try:
            # Out of the way first, so that no dup2 below lands on a descriptor still needed.
            moved = [os.dup(fd) for fd in fds]
            moved_log = os.dup(logfd)
            for i, fd in enumerate(moved):
                os.dup2(fd, 3 + i, inheritable=True)
            os.dup2(moved_log, 2, inheritable=True)
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0, inheritable=True)
            os.closerange(3 + len(fds), 1024)
            env = {k: v for k, v in os.environ.items() if not k.startswith("LISTEN_")}
            if fds or env_extra:
                env["LISTEN_FDS"] = str(len(fds))
                env["LISTEN_PID"] = str(os.getpid() if pid_of is None else pid_of)
                env["LISTEN_FDNAMES"] = ":".join(["http"] * len(fds))
            env.update(env_extra or {})
            os.execve(serve, [serve, "--root", www] + args, env)
        finally:
            os._exit(127)
    os.close(logfd)
    children.append(pid)
    return pid, log


def wait_exit(pid, deadline=20):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            children.remove(pid)
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    fail(f"pid {pid} did not exit within {deadline} s")


def wait_port(pid, log, label):
    """The port from the "serving ... on port N" line, and whether it names systemd's socket."""
    end = time.monotonic() + 20
    while time.monotonic() < end:
        text = open(log).read()
        m = re.search(r"serving .* on port (\d+)( \(socket from systemd\))?", text)
        if m:
            return int(m.group(1)), bool(m.group(2))
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            children.remove(pid)
            fail(f"{label}: exited with {os.waitstatus_to_exitcode(status)}: {text.strip()}")
        time.sleep(0.02)
    fail(f"{label}: did not start: {open(log).read().strip()}")


def curl(*args):
    r = subprocess.run(["curl", "-s", "--max-time", "20"] + list(args), stdout=subprocess.PIPE)
    return r.stdout


def status(*args):
    return curl("-o", "/dev/null", "-w", "%{http_code}", *args).decode()


def tcp_listener():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    return s


def stop(pid, label, sig=signal.SIGTERM):
    os.kill(pid, sig)
    code = wait_exit(pid)
    if code != 0:
        fail(f"{label}: exit status {code} after {signal.Signals(sig).name}")


def refused(args, fds, want, label, env_extra=None):
    pid, log = launch(args, fds, env_extra)
    code = wait_exit(pid)
    text = open(log).read()
    if code == 0 or want not in text:
        fail(f"{label}: exit {code}, message {text.strip()!r}, wanted {want!r}")
    ok(f"{label}: exit {code}, {text.strip()}")


for model in ("event", "fork"):
    lsock = tcp_listener()
    lport = lsock.getsockname()[1]
    url = f"http://127.0.0.1:{lport}"
    pid, log = launch(["--model", model], [lsock.fileno()])
    port, from_systemd = wait_port(pid, log, f"{model}: activated")
    if port != lport or not from_systemd:
        fail(f"{model}: serves port {port} (systemd: {from_systemd}), the launcher bound {lport}")
    ok(f"{model}: serves the socket on fd 3 (port {port})")
    if curl(f"{url}/") != index:
        fail(f"{model}: GET / is not examples/www/index.html")
    ok(f"{model}: GET /")
    if status(f"{url}/nope.html") != "404":
        fail(f"{model}: GET /nope.html is not 404")
    ok(f"{model}: 404")
    got = curl("-o", "/dev/null", "-o", "/dev/null", "-w", "%{num_connects}\n", f"{url}/", f"{url}/style.css")
    if got.split() != [b"1", b"0"]:
        fail(f"{model}: keep-alive: connects per request {got!r}")
    ok(f"{model}: keep-alive reuses the connection")
    stop(pid, f"{model}: activated")
    ok(f"{model}: clean exit on SIGTERM")

    # Between two runs the launcher's copy keeps the socket listening: a request made now waits
    # in the backlog, and the next server started on the socket answers it.
    c = socket.create_connection(("127.0.0.1", lport), timeout=20)
    c.sendall(b"GET /ohwell...txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    pid, log = launch(["--model", model], [lsock.fileno()])
    wait_port(pid, log, f"{model}: restarted")
    answer = b""
    while True:
        b = c.recv(65536)
        if not b:
            break
        answer += b
    c.close()
    want = open(os.path.join(www, "ohwell...txt"), "rb").read()
    if not answer.startswith(b"HTTP/1.1 200 ") or not answer.endswith(b"\r\n\r\n" + want):
        fail(f"{model}: request queued between runs: {answer[:200]!r}")
    ok(f"{model}: a request queued while no server ran is answered by the next")
    stop(pid, f"{model}: restarted", signal.SIGINT)
    ok(f"{model}: clean exit on SIGINT")

    # LISTEN_PID names the launcher, not the program: the socket is not ours; --listen is used.
    pid, log = launch(["--model", model, "--listen", "127.0.0.1:0"], [lsock.fileno()], pid_of=os.getpid())
    port, from_systemd = wait_port(pid, log, f"{model}: foreign LISTEN_PID")
    if port == lport or from_systemd:
        fail(f"{model}: foreign LISTEN_PID: took the passed socket")
    if curl(f"http://127.0.0.1:{port}/") != index:
        fail(f"{model}: foreign LISTEN_PID: GET / on its own port {port}")
    stop(pid, f"{model}: foreign LISTEN_PID")
    ok(f"{model}: LISTEN_PID of another process is ignored; --listen is served")
    lsock.close()

# Workers share the passed socket (it cannot be bound again).
lsock = tcp_listener()
lport = lsock.getsockname()[1]
pid, log = launch(["--workers", "2"], [lsock.fileno()])
wait_port(pid, log, "workers")
for i in range(8):
    if curl("-H", "Connection: close", f"http://127.0.0.1:{lport}/") != index:
        fail(f"workers: GET / number {i + 1}")
stop(pid, "workers")
ok("event, 2 workers: serve the passed socket, clean exit")

# A Unix socket, as ListenStream=/run/ymawky/http.sock gives it.
path = os.path.join(tmp, "http.sock")
usock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
usock.bind(path)
usock.listen(16)
for model in ("event", "fork"):
    pid, log = launch(["--model", model], [usock.fileno()])
    wait_port(pid, log, f"{model}: unix socket")
    if curl("--unix-socket", path, "http://localhost/") != index:
        fail(f"{model}: GET / over the passed Unix socket")
    stop(pid, f"{model}: unix socket")
    if not os.path.exists(path):
        fail(f"{model}: the passed socket's file was removed")
    ok(f"{model}: a passed Unix socket is served and its file left to its owner")
usock.close()

# The same through systemd's own launcher, where it is installed (CI installs systemd).
ssa = shutil.which("systemd-socket-activate")
if ssa:
    path = os.path.join(tmp, "ssa.sock")
    log = os.path.join(tmp, "ssa.log")
    with open(log, "w") as lf:
        p = subprocess.Popen([ssa, "-l", path, serve, "--root", www, "--model", "fork"],
                             stdin=subprocess.DEVNULL, stdout=lf, stderr=lf)
    children.append(p.pid)
    end = time.monotonic() + 20
    while "Listening on" not in open(log).read() and time.monotonic() < end:
        time.sleep(0.02)
    # It execs ymawky-serve on the first connection; that one is served once the program runs.
    if curl("--unix-socket", path, "http://localhost/") != index:
        fail(f"systemd-socket-activate: GET /: {open(log).read().strip()}")
    if "(socket from systemd)" not in open(log).read():
        fail(f"systemd-socket-activate: {open(log).read().strip()}")
    p.send_signal(signal.SIGTERM)
    if p.wait(timeout=20) != 0:
        fail(f"systemd-socket-activate: exit {p.returncode}")
    children.remove(p.pid)
    ok("systemd-socket-activate starts ymawky-serve (fork model) on a Unix socket")
else:
    print("SKIP: systemd-socket-activate missing (Debian package systemd): the real launcher is not tried")

lsock2 = tcp_listener()
refused(["--listen", "127.0.0.1:0"], [lsock.fileno()], "--listen given, but systemd passed a socket",
        "--listen with a passed socket")
refused([], [lsock.fileno(), lsock2.fileno()], "systemd passed 2 sockets", "two sockets")
with open(os.path.join(tmp, "plain"), "w") as f:
    refused([], [f.fileno()], "not a listening stream socket", "fd 3 a regular file")
unbound = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
refused([], [unbound.fileno()], "not a listening stream socket", "fd 3 a socket that does not listen")
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
refused([], [udp.fileno()], "not a listening stream socket", "fd 3 a datagram socket (ListenDatagram=)")
refused([], [lsock.fileno()], "LISTEN_FDS is not a count", "LISTEN_FDS malformed", {"LISTEN_FDS": "1x"})
refused([], [], "not open", "LISTEN_FDS=1 with fd 3 closed", {"LISTEN_FDS": "1"})
refused([], [lsock.fileno()], "LISTEN_PID is not a process id", "LISTEN_PID malformed", {"LISTEN_PID": "-5"})

print(f"socket-activation: {checks} checks passed")
shutil.rmtree(tmp, ignore_errors=True)
