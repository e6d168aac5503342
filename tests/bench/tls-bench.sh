#!/bin/bash
# tests/bench/tls-bench.sh [OPENSSL_BUILD [MBEDTLS_BUILD]]
#
# HTTPS side by side with nginx (issue 14's table): ymawky-serve built with OpenSSL and with
# mbed TLS, and nginx, each with one worker, the same ECDSA P-256 certificate (the test PKI's,
# tests/tls/make-certs.sh), TLS 1.3 with AES-128-GCM where the backend has it (mbed TLS 2.28:
# TLS 1.2, ECDHE-ECDSA-AES128-GCM-SHA256). The server is pinned to CPU 0, wrk to CPU 1; around
# every run the server's CPU time (user + system, of it and its children) is read from /proc,
# so CPU per request is reported beside the rate (on this 2-core loopback wrk is the limit).
# Prints medians of TLS_BENCH_REPEAT runs of TLS_BENCH_SECONDS each as Markdown tables.
#
#   OPENSSL_BUILD / MBEDTLS_BUILD  meson builds (-Dtls=openssl / -Dtls=mbedtls) with
#                   examples/ymawky-serve; default SOURCE/build-tls-{openssl,mbedtls}, set up
#                   as release builds and built here
#   TLS_BENCH_SECONDS (5), TLS_BENCH_REPEAT (3), TLS_BENCH_IDLE (1000 idle connections)
#
# Cases: 1 KiB keep-alive over 64 connections; 64 MiB over 4 connections; a new TLS connection
# per request (Connection: close, 16 connections: full handshakes, wrk does not resume); the
# memory of an idle TLS connection (tests/bench/tls-idle.py). Needs wrk, nginx, openssl, python3.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
secs=${TLS_BENCH_SECONDS:-5}
rep=${TLS_BENCH_REPEAT:-3}
nidle=${TLS_BENCH_IDLE:-1000}
for t in wrk nginx openssl python3 taskset; do
	command -v $t >/dev/null || { echo "tls-bench.sh: $t missing" >&2; exit 1; }
done
build_one() { # build_one DIR BACKEND
	[ -x "$1/examples/ymawky-serve" ] && return 0
	meson setup "$1" "$src" --buildtype=release -Dtests=disabled -Dtls="$2" >/dev/null && ninja -C "$1" >/dev/null
}
ob=${1:-$src/build-tls-openssl} mb=${2:-$src/build-tls-mbedtls}
build_one "$ob" openssl && build_one "$mb" mbedtls || { echo "tls-bench.sh: build failed" >&2; exit 1; }
work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -- -"$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
"$src/tests/tls/make-certs.sh" "$work/pki"
chmod 644 "$work"/pki/*
mkdir -p "$work/www"
head -c 1024 /dev/urandom >"$work/www/1k.bin"
head -c $((64 << 20)) /dev/urandom >"$work/www/64m.bin"
chmod -R a+rX "$work/www"

cat >"$work/nginx.conf" <<CONF
daemon off; master_process on; worker_processes 1; error_log $work/nginx-error.log; pid $work/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off; open_file_cache max=1000 inactive=60s; sendfile on; tcp_nopush on;
  keepalive_requests 1000000; keepalive_timeout 60s;
  client_body_temp_path $work/b; proxy_temp_path $work/p; fastcgi_temp_path $work/f; uwsgi_temp_path $work/u; scgi_temp_path $work/s;
  server {
    listen 127.0.0.1:PORT ssl; root $work/www; location / { }
    ssl_certificate $work/pki/server.pem; ssl_certificate_key $work/pki/server.key;
    ssl_protocols TLSv1.2 TLSv1.3; ssl_prefer_server_ciphers on;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305;
    ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256;
    ssl_session_tickets on;
  }
}
CONF
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start NAME: starts a server on a free port, sets $port and $spid (the process to measure)
start() {
	port=$(free_port)
	case $1 in
	nginx)
		sed "s/PORT/$port/" "$work/nginx.conf" >"$work/nginx-$port.conf"
		setsid taskset -c 0 nginx -c "$work/nginx-$port.conf" -p "$work" 2>>"$work/nginx-error.log" &
		;;
	ymk-openssl | ymk-mbedtls)
		local b=$ob
		[ "$1" = ymk-mbedtls ] && b=$mb
		setsid taskset -c 0 "$b/examples/ymawky-serve" --quiet --root "$work/www" --listen "127.0.0.1:$port" \
			--keepalive-timeout 60000 --max-conns 4096 --tls-cert "$work/pki/server.pem" \
			--tls-key "$work/pki/server.key" 2>"$work/$1.log" &
		;;
	esac
	spid=$!
	pids+=("$spid")
	for _ in $(seq 100); do
		curl -sk -o /dev/null "https://127.0.0.1:$port/1k.bin" && return 0
		sleep 0.05
	done
	echo "tls-bench.sh: $1 did not start" >&2
	exit 1
}
stop_server() { kill -- -"$spid" 2>/dev/null; wait "$spid" 2>/dev/null; }
# CPU ticks (user + system, with reaped children) of a process and its live descendants.
ticks() {
	local all=("$1") k
	for k in $(cat /proc/"$1"/task/*/children 2>/dev/null); do all+=("$k"); done
	for k in "${all[@]}"; do cat "/proc/$k/stat" 2>/dev/null; done |
		awk '{ sub(/.*\) /, ""); t += $12 + $13 + $14 + $15 } END { print t + 0 }'
}
hz=$(getconf CLK_TCK)
# run SERVER CASE wrk-args...: one wrk run; appends "SERVER CASE rate unit cpu_us_per_unit"
run() {
	local name=$1 case=$2 out t0 t1
	shift 2
	t0=$(ticks "$spid")
	out=$(taskset -c 1 wrk -t1 -d"${secs}s" "$@" 2>&1)
	t1=$(ticks "$spid")
	local reqs bytes
	reqs=$(awk '/requests in/ { print $1 }' <<<"$out")
	bytes=$(awk '/Transfer\/sec/ { v = $2; u = substr(v, length(v) - 1); n = v + 0;
		if (u == "GB") n *= 1024; else if (u == "KB") n /= 1024; else if (u != "MB") n /= 1048576; print n }' <<<"$out")
	local errs
	errs=$(awk '/Socket errors|Non-2xx/ { print }' <<<"$out" | tr '\n' ' ')
	local cpu_us=$(((t1 - t0) * 1000000 / hz))
	if [ "$case" = big ]; then
		awk -v n="$name" -v b="$bytes" -v c="$cpu_us" -v s="$secs" -v e="$errs" \
			'BEGIN { printf "%s big %.1f MiB/s %.0f %s\n", n, b, (b > 0 ? c / (b * s) : 0), e }'
	else
		awk -v n="$name" -v k="$case" -v r="$reqs" -v c="$cpu_us" -v s="$secs" -v e="$errs" \
			'BEGIN { printf "%s %s %.0f req/s %.1f %s\n", n, k, r / s, (r > 0 ? c / r : 0), e }'
	fi
}
median() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }

servers=(nginx ymk-openssl ymk-mbedtls)
results=$work/results
: >"$results"
for s in "${servers[@]}"; do
	start "$s"
	proto=$(echo | timeout 5 openssl s_client -connect "127.0.0.1:$port" 2>/dev/null | sed -n 's/^New, \(.*\), Cipher is \(.*\)/\1 \2/p')
	echo "$s tls $proto" >>"$results"
	for r in $(seq "$rep"); do
		run "$s" ka "https://127.0.0.1:$port/1k.bin" -c64 >>"$results"
		run "$s" big "https://127.0.0.1:$port/64m.bin" -c4 >>"$results"
		run "$s" close "https://127.0.0.1:$port/1k.bin" -c16 -H 'Connection: close' >>"$results"
	done
	stop_server
	start "$s" # the idle case on a fresh server, whose heap the runs above did not grow
	idle=$(python3 "$here/tls-idle.py" "$port" "$spid" "$nidle")
	echo "$s idle $idle" >>"$results"
	stop_server
done

# The report.
rate() { awk -v s="$1" -v c="$2" '$1 == s && $2 == c { print $3 }' "$results" | median; }
cpu() { awk -v s="$1" -v c="$2" '$1 == s && $2 == c { print $5 }' "$results" | median; }
echo "## TLS, beside nginx ($(nginx -v 2>&1 | sed 's/.*: //'), $(openssl version | cut -d' ' -f1-2))"
echo
echo "medians of $rep runs of $secs s; server on CPU 0, wrk (-t1) on CPU 1; one worker each"
echo
echo "| server | protocol, cipher | 1 KiB keep-alive c64: req/s | CPU µs/req | 64 MiB c4: MiB/s | CPU µs/MiB | new connection per request c16: req/s | CPU µs/req | idle TLS connection: KiB |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
for s in "${servers[@]}"; do
	p=$(awk -v s="$s" '$1 == s && $2 == "tls" { $1 = $2 = ""; sub(/^ +/, ""); print }' "$results")
	idle=$(awk -v s="$s" -v n="$nidle" '$1 == s && $2 == "idle" {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "%.1f (%d of %d open)", (v["open_pss"] - v["base_pss"]) / n, v["alive"], n }' "$results")
	echo "| $s | $p | $(rate "$s" ka) | $(cpu "$s" ka) | $(rate "$s" big) | $(cpu "$s" big) | $(rate "$s" close) | $(cpu "$s" close) | $idle |"
done
echo
echo "ratios against nginx (rate: higher is better; CPU per unit: nginx / server, higher is better):"
echo
echo "| server | 1 KiB ka rate | 1 KiB ka CPU | 64 MiB rate | 64 MiB CPU | handshakes/s | handshake CPU | idle memory (nginx / server) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
idle_of() { awk -v s="$1" -v n="$nidle" '$1 == s && $2 == "idle" { for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } print (v["open_pss"] - v["base_pss"]) / n }' "$results"; }
for s in ymk-openssl ymk-mbedtls; do
	echo "| $s | $(ratio "$(rate "$s" ka)" "$(rate nginx ka)") | $(ratio "$(cpu nginx ka)" "$(cpu "$s" ka)") |" \
		"$(ratio "$(rate "$s" big)" "$(rate nginx big)") | $(ratio "$(cpu nginx big)" "$(cpu "$s" big)") |" \
		"$(ratio "$(rate "$s" close)" "$(rate nginx close)") | $(ratio "$(cpu nginx close)" "$(cpu "$s" close)") |" \
		"$(ratio "$(idle_of nginx)" "$(idle_of "$s")") |"
done
grep -h -E 'Socket errors|Non-2xx' "$results" | head -3 | sed 's/^/note: /'
