#!/bin/bash
# tests/bench/stream.sh [BUILD_DIR]
#
# The benchmark of answers that take time (issue 13), separate from bench.sh. It drives
# tests/bench/stream-server (the public API: producers, ymk_respond_buffer, SSE, static files)
# pinned to CPU 0, with the clients (curl, wrk, python3) pinned to CPU 1, and prints four figures
# against their targets:
#
#   (1) a 100 MiB produced answer: the server's peak RSS (VmHWM, reset before through
#       /proc/PID/clear_refs) above its idle RSS; target at most 1 MiB. The same 100 MiB made
#       into a buffer and answered with ymk_respond_buffer() is shown beside it.
#   (2) a 1 KiB GET (wrk, one connection) while 4 produced answers stream to 4 other clients
#       (curl) as fast as they read: p50 and p99; target p99 under 10 ms. Beside it: without the
#       streams, and with the same readers fetching a file the static handler sends with sendfile
#       (the peer, in the same run), and what the readers received per second. wrk runs
#       SCHED_FIFO (chrt) where allowed, so that the readers and other work on its CPU do not
#       pass for the server's latency.
#   (3) memory per idle SSE stream against an idle keep-alive connection (N of each, each on a
#       fresh server, RSS delta over N); target at most 1 KiB more. Also with the headers a
#       browser's EventSource sends, which a waiting request keeps.
#   (4) produced-answer throughput in MB/s (2^20 bytes/s, with Content-Length), beside sendfile
#       of a file of the same size (the static handler), medians of BENCH_REPEAT downloads.
#
#   BUILD_DIR        meson build directory with tests/bench-stream-server (default: SOURCE/build)
#   BENCH_SECONDS    length of the wrk runs (default 5)
#   BENCH_REPEAT     downloads per throughput figure, median reported (default 3)
#   BENCH_IDLE       connections for (3) (default 1000)
#   BENCH_STREAM_MB  size of the throughput download and its file (default 512)
#
# Needs curl, wrk, python3, taskset, setsid. Every server runs in its own session and is killed
# on exit; everything it writes is under one temporary directory.
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-$src/build}
build=$(cd "$build" 2>/dev/null && pwd) || { echo "stream.sh: no build directory ${1:-$src/build}" >&2; exit 1; }
server=$build/tests/bench-stream-server
secs=${BENCH_SECONDS:-5}
rep=${BENCH_REPEAT:-3}
nidle=${BENCH_IDLE:-1000}
mb=${BENCH_STREAM_MB:-512}

[ -x "$server" ] || { echo "stream.sh: $server not built" >&2; exit 1; }
for t in curl wrk python3 taskset setsid; do
	command -v $t >/dev/null || { echo "stream.sh: needs $t" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || echo "stream.sh: warning: fewer than 2 CPUs; server and clients share a core" >&2
ulimit -n 8192 2>/dev/null || ulimit -n 4096 2>/dev/null

work=$(mktemp -d /tmp/ymk-stream-bench.XXXXXX)
live=()
cleanup() {
	local p
	for p in "${live[@]}"; do kill -KILL -- -"$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$work/www"
head -c 1024 /dev/urandom >"$work/www/1k.bin"
# The file for the sendfile comparison holds the bytes the producer makes.
python3 - "$work/www/same.bin" "$mb" <<'PY'
import sys
block = bytes(i * 7 % 251 for i in range(65536))
with open(sys.argv[1], "wb") as f:
    for _ in range(int(sys.argv[2]) * 16):
        f.write(block)
PY

port=0 pid=0
start_server() { # start_server: a fresh stream-server on CPU 0; sets port and pid
	local log=$work/server.log i
	: >"$log"
	setsid taskset -c 0 "$server" --root "$work/www" --listen 127.0.0.1:0 2>"$log" &
	pid=$!
	live+=("$pid")
	for i in $(seq 100); do
		port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$log")
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || { echo "stream.sh: the server did not start: $(cat "$log")" >&2; exit 1; }
	curl -s -o /dev/null "http://127.0.0.1:$port/1k.bin" # warm: lazily made state in the baseline
}
stop_server() {
	kill -TERM -- -"$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	live=("${live[@]/$pid/}")
}
kib() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status"; }
url() { echo "http://127.0.0.1:$port$1"; }

# (1) Peak RSS of a 100 MiB answer over the idle server.
peak() { # peak PATH: KiB of VmHWM above VmRSS before, for one download of PATH
	start_server
	local idle
	idle=$(kib "$pid" VmRSS)
	echo 5 >"/proc/$pid/clear_refs" # VmHWM := VmRSS
	taskset -c 1 curl -sS -o /dev/null "$(url "$1")" || echo "stream.sh: download of $1 failed" >&2
	echo $(($(kib "$pid" VmHWM) - idle))
	stop_server
}
n100=$((100 << 20))
peak_prod=$(peak "/produce?n=$n100")
peak_len=$(peak "/produce-len?n=$n100")
peak_buf=$(peak "/buffer?n=$n100")

# (2) 1 KiB GET latency beside 4 produced answers.
fifo=()
chrt -f 10 true 2>/dev/null && fifo=(chrt -f 10)
latency() { # latency: "p50 p99" in ms of wrk -c1 on /1k.bin
	"${fifo[@]}" taskset -c 1 wrk -t1 -c1 -d"${secs}s" --latency "$(url /1k.bin)" | python3 -c '
import re, sys
t = sys.stdin.read()
def ms(p):
    m = re.search(r"^\s*" + re.escape(p) + r"%\s+([\d.]+)(us|ms|s)\s*$", t, re.M)
    if not m:
        return float("nan")
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
print("%.3f %.3f" % (ms("50"), ms("99")))'
}
reader() { # reader URL SECONDS: fetches URL again and again for SECONDS; prints the byte counts
	local end=$((SECONDS + $2)) left
	while left=$((end - SECONDS)) && [ "$left" -gt 0 ]; do
		taskset -c 1 curl -sS -o /dev/null --max-time "$left" -w '%{size_download}\n' "$1" 2>/dev/null
	done
}
beside() { # beside URL: "p50 p99 MB/s": wrk while 4 readers fetch URL as fast as they can
	local streams=() i
	for i in 1 2 3 4; do
		reader "$1" $((secs + 2)) >"$work/stream$i" &
		streams+=($!)
	done
	sleep 1
	local l
	l=$(latency)
	wait "${streams[@]}" 2>/dev/null # each ends at its --max-time
	echo "$l $(cat "$work"/stream[1-4] | awk -v s=$((secs + 2)) '{ t += $1 } END { printf "%.0f", t / s / 1048576 }')"
}
median3() { # median3 CMD...: the run (of BENCH_REPEAT) with the median p99
	local i
	for i in $(seq "$rep"); do "$@"; done | sort -g -k2 | awk '{ v[NR] = $0 } END { print v[int((NR + 1) / 2)] }'
}
start_server
lat_alone=$(median3 latency)
lat_streams=$(median3 beside "$(url "/produce?n=$((1 << 40))")")
# The peer in the same run: the same readers on a file (in the page cache) that the static handler
# sends with sendfile.
cat "$work/www/same.bin" >/dev/null
lat_files=$(median3 beside "$(url /same.bin)")
stop_server

# (3) Idle SSE streams against idle keep-alive connections, each on a fresh server.
idle_case() { # idle_case MODE: sse_idle.py's line
	start_server
	taskset -c 1 python3 "$here/sse_idle.py" "$port" "$pid" "$nidle" "$1"
	stop_server
}
ka_line=$(idle_case keepalive)
sse_line=$(idle_case sse)
browser_line=$(idle_case sse-browser)

# (4) Throughput: produced (Content-Length) against sendfile of the same bytes.
start_server
speeds() { # speeds PATH: the median MB/s of BENCH_REPEAT downloads
	local i
	for i in $(seq "$rep"); do
		taskset -c 1 curl -sS -o /dev/null -w '%{speed_download}\n' "$(url "$1")"
	done | sort -n | awk '{ v[NR] = $1 } END { printf "%.0f\n", v[int((NR + 1) / 2)] / 1048576 }'
}
mbps_prod=$(speeds "/produce-len?n=$((mb << 20))")
mbps_file=$(speeds /same.bin)
stop_server

python3 - "$peak_prod" "$peak_len" "$peak_buf" "$lat_alone" "$lat_streams" "$ka_line" "$sse_line" \
	"$mbps_prod" "$mbps_file" "$mb" "$nidle" "$secs" "$rep" "$lat_files" "${fifo[*]:-none}" "$browser_line" <<'PY'
import sys
(pp, pl, pb, alone, streams, ka, sse, mp, mf, mb, nidle, secs, rep, files, fifo, br) = sys.argv[1:]
kv = lambda line: dict(x.split("=", 1) for x in line.split())
ka, sse, br = kv(ka), kv(sse), kv(br)
a50, a99 = map(float, alone.split())
s50, s99, smb = streams.split()
s50, s99 = float(s50), float(s99)
f50, f99, fmb = files.split()
f50, f99 = float(f50), float(f99)
per_ka, per_sse, per_br = float(ka["per_conn_bytes"]), float(sse["per_conn_bytes"]), float(br["per_conn_bytes"])
mark = lambda ok: "MET " if ok else "MISS"
print("answers that take time (tests/bench/stream.sh; server on CPU 0, clients on CPU 1)\n")
print("(1) peak RSS above the idle server, one 100 MiB answer (KiB)")
print(f"    producer, chunked          {int(pp):8d}")
print(f"    producer, Content-Length   {int(pl):8d}")
print(f"    ymk_respond_buffer (copy)  {int(pb):8d}")
print(f"(2) 1 KiB GET, wrk -c1 {secs} s ({fifo}), the run with the median p99 of {rep}: p50 / p99 ms")
print(f"    alone                      {a50:8.3f} / {a99:.3f}")
print(f"    beside 4 produced answers  {s50:8.3f} / {s99:.3f}   (the 4 readers got {smb} MB/s)")
print(f"    beside 4 sendfile answers  {f50:8.3f} / {f99:.3f}   (the 4 readers got {fmb} MB/s; the peer)")
print(f"(3) {nidle} idle connections: bytes per connection (RSS delta / N)")
print(f"    keep-alive (after a GET)   {per_ka:8.0f}   alive {ka['alive']}/{ka['n']}, ok {ka['ok']}")
print(f"    SSE stream                 {per_sse:8.0f}   alive {sse['alive']}/{sse['n']}, ok {sse['ok']}")
print(f"    SSE above keep-alive       {per_sse - per_ka:8.0f}")
print(f"    SSE, a browser's 14 headers {per_br:7.0f}   alive {br['alive']}/{br['n']}, ok {br['ok']}; above keep-alive {per_br - per_ka:.0f}")
print(f"(4) throughput, {mb} MiB, median of {rep} (MB/s)")
print(f"    producer, Content-Length   {int(mp):8d}")
print(f"    sendfile of the same bytes {int(mf):8d}   (producer / sendfile {int(mp) / max(1, int(mf)):.2f})")
print("\ntargets")
print(f"  [{mark(int(pp) <= 1024 and int(pl) <= 1024)}] 100 MiB produced answer: peak RSS at most 1 MiB above idle ({max(int(pp), int(pl))} KiB)")
print(f"  [{mark(s99 < 10)}] 1 KiB GET beside 4 produced answers: p99 under 10 ms ({s99:.3f} ms)")
print(f"  [{mark(per_sse - per_ka <= 1024 and sse['alive'] == sse['n'])}] idle SSE client at most 1 KiB above an idle keep-alive connection ({per_sse - per_ka:.0f} B)")
print(f"  [info] produced-answer throughput {mp} MB/s beside sendfile {mf} MB/s")
PY
