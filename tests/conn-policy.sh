#!/bin/bash
# conn-policy.sh BUILD_DIR: ymawky-serve's connection decisions, driven with curl from two loopback
# addresses (127.0.0.1 and 127.0.0.2), in both process models:
#   --allow / --deny (IPv4 and IPv6): a refused client's connection closes with no byte sent, and
#     the refusals are logged, at most ten lines a second;
#   --max-conns-per-client: past it that client gets 503, the other is unaffected;
#   --proxy-protocol: curl's own PROXY v1 header, and HAProxy (send-proxy and send-proxy-v2) in
#     front of ymawky-serve, whose log and --deny then see the client behind the proxy;
# and examples/conn-login: a login token checked once per connection, a status page of the
# connected clients.
# HAProxy is required where YMK_REQUIRE_HAPROXY=1 (CI); elsewhere its part is skipped, and says so.
set -u
build=$1
serve=$build/examples/ymawky-serve
pass=0
fail() { echo "FAIL: $*"; [ -n "${srvlog:-}" ] && sed 's/^/  log: /' "$srvlog" | tail -20; exit 1; }
ok() { pass=$((pass + 1)); }
command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
"$serve" --help >/dev/null 2>&1 || { echo "SKIP: $serve does not run on this host"; exit 77; }

tmp=$(mktemp -d)
pid= hapid=
trap 'kill $pid $hapid 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/www"
printf hello >"$tmp/www/index.txt"

start() { # start LISTEN ARGS...: ymawky-serve on LISTEN (port 0), sets $pid, $port and $srvlog
	local listen=$1
	shift
	srvlog=$tmp/log.$RANDOM
	: >"$srvlog"
	"$serve" --root "$tmp/www" --listen "$listen" "$@" 2>"$srvlog" &
	pid=$!
	port=
	for _ in $(seq 200); do
		port=$(sed -n 's/.*serving .* on port \([0-9]*\).*/\1/p' "$srvlog" | head -1)
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || fail "ymawky-serve did not start: $(cat "$srvlog")"
}
stop() { kill "$pid"; wait "$pid" || fail "ymawky-serve exited with $?"; pid=; }

# fetch FROM URL: sets $got to "CODE BODY" of a GET from local address FROM (CODE 000 when no
# answer came) and $rc to curl's exit status (52: the server closed with no byte; 56: reset).
fetch() {
	local out
	out=$(curl -s -g --max-time 10 --interface "$1" -w ' %{http_code}' "$2")
	rc=$?
	got="${out##* } ${out% *}"
}
expect_ok() { # expect_ok LABEL FROM URL
	fetch "$2" "$3"
	[ "$got" = "200 hello" ] || fail "$1: expected 200 hello, got '$got' (curl $rc)"
	ok
}
expect_refused() { # expect_refused LABEL FROM URL: closed (or reset) with no byte
	fetch "$2" "$3"
	[ "${got%% *}" = "000" ] && { [ "$rc" = 52 ] || [ "$rc" = 56 ]; } ||
		fail "$1: expected a close with no byte, got '$got' (curl $rc)"
	ok
}
wait_log() { # wait_log PATTERN: the server's log gets a line matching PATTERN
	for _ in $(seq 100); do
		grep -q -- "$1" "$srvlog" && return 0
		sleep 0.05
	done
	fail "no log line matching '$1'"
}

have_v6=0
python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null && have_v6=1

for model in event fork; do
	# --allow: only 127.0.0.1.
	start 127.0.0.1:0 --model $model --allow 127.0.0.1
	expect_ok "$model --allow 127.0.0.1: from .1" 127.0.0.1 "http://127.0.0.1:$port/index.txt"
	expect_refused "$model --allow 127.0.0.1: from .2" 127.0.0.2 "http://127.0.0.1:$port/index.txt"
	wait_log "connection from 127.0.0.2:[0-9]* refused by the accept hook"
	ok
	grep -q '127.0.0.2 .*GET' "$srvlog" && fail "$model: a refused client reached the access log"
	stop

	# --deny wins over --allow; prefixes.
	start 127.0.0.1:0 --model $model --allow 127.0.0.0/8 --deny 127.0.0.2/32
	expect_ok "$model --deny 127.0.0.2: from .1" 127.0.0.1 "http://127.0.0.1:$port/index.txt"
	expect_refused "$model --deny 127.0.0.2: from .2" 127.0.0.2 "http://127.0.0.1:$port/index.txt"

	# A flood of refusals is logged at most ten lines a second, then counted.
	for _ in $(seq 40); do
		curl -s -o /dev/null --max-time 5 --interface 127.0.0.2 "http://127.0.0.1:$port/" 
	done
	n=$(grep -c 'refused by the accept hook' "$srvlog")
	[ "$n" -ge 1 ] && [ "$n" -lt 40 ] || fail "$model: $n refusal lines for 41 refusals"
	ok
	for _ in $(seq 40); do # a refusal in a later second says how many went unlogged
		grep -q 'more refused or dropped connections were not logged' "$srvlog" && break
		curl -s -o /dev/null --max-time 5 --interface 127.0.0.2 "http://127.0.0.1:$port/"
		sleep 0.1
	done
	grep -q 'more refused or dropped connections were not logged' "$srvlog" ||
		fail "$model: no count of the refusals left out of the log"
	ok
	stop

	# IPv6, and IPv4 clients of a dual-stack listener matched as IPv4.
	if [ $have_v6 = 1 ]; then
		start '[::1]:0' --model $model --deny ::1
		expect_refused "$model --deny ::1" ::1 "http://[::1]:$port/index.txt"
		stop
		start '[::1]:0' --model $model --allow ::1/128
		expect_ok "$model --allow ::1/128" ::1 "http://[::1]:$port/index.txt"
		stop
		if start '[::]:0' --model $model --deny 127.0.0.2 2>/dev/null; then
			expect_ok "$model dual-stack: .1" 127.0.0.1 "http://127.0.0.1:$port/index.txt"
			expect_refused "$model dual-stack --deny 127.0.0.2" 127.0.0.2 "http://127.0.0.1:$port/index.txt"
			expect_ok "$model dual-stack: ::1" ::1 "http://[::1]:$port/index.txt"
			stop
		fi
	else
		echo "conn-policy: no IPv6 loopback here: the IPv6 rules are not checked"
	fi

	# --max-conns-per-client 2: the third connection of 127.0.0.1 gets 503, 127.0.0.2 does not.
	start 127.0.0.1:0 --model $model --max-conns-per-client 2
	python3 - "$port" "$model" <<'PY' || fail "$model --max-conns-per-client"
import socket, sys
port, model = int(sys.argv[1]), sys.argv[2]
def conn(src):
    s = socket.socket()
    s.settimeout(10)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /index.txt HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return s, data.split(b"\r\n", 1)[0].decode()
held = [conn("127.0.0.1")[0] for _ in range(2)]
_, third = conn("127.0.0.1")
_, other = conn("127.0.0.2")
assert third == "HTTP/1.1 503 Service Unavailable", (model, third)
assert other == "HTTP/1.1 200 OK", (model, other)
PY
	ok
	wait_log "over the per-client connection limit"
	ok
	stop

	# curl's own PROXY v1 header: the log shows the address curl put in it (its own: 127.0.0.2).
	start 127.0.0.1:0 --model $model --proxy-protocol
	got=$(curl -s --max-time 10 --haproxy-protocol --interface 127.0.0.2 "http://127.0.0.1:$port/index.txt")
	[ "$got" = hello ] || fail "$model --proxy-protocol with curl --haproxy-protocol: '$got'"
	wait_log '^127.0.0.2 - - .*"GET /index.txt HTTP/1.1" 200'
	ok
	expect_refused "$model --proxy-protocol without a header" 127.0.0.1 "http://127.0.0.1:$port/index.txt"
	wait_log 'sent no valid PROXY header'
	ok
	stop
done

# conn-login: the token is asked for once per connection.
for model in event fork; do
	srvlog=$tmp/login.$model
	"$build/examples/conn-login" --root "$tmp/www" --listen 127.0.0.1:0 --model $model 2>"$srvlog" &
	pid=$!
	port=
	for _ in $(seq 200); do
		port=$(sed -n 's/.*serving .* on port \([0-9]*\).*/\1/p' "$srvlog" | head -1)
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || fail "conn-login did not start"
	tok=$(sed -n 's/.*login token \([0-9a-f]*\) .*/\1/p' "$srvlog")
	url=http://127.0.0.1:$port
	# One curl, one connection: the token on the first request only.
	got=$(curl -s --max-time 10 -H "Authorization: Bearer $tok" "$url/index.txt" --next -w '%{num_connects} %{http_code}' "$url/status")
	case $got in
	hello*"0 200") ;;
	*) fail "$model conn-login: second request on the logged-in connection: $got" ;;
	esac
	echo "$got" | grep -q '^127.0.0.1 (this one) requests=2 logged-in$' || fail "$model conn-login: status: $got"
	ok
	# A new connection is not logged in.
	code=$(curl -s -o /dev/null -D "$tmp/h" -w '%{http_code}' --max-time 10 "$url/index.txt")
	[ "$code" = 401 ] && grep -qi '^WWW-Authenticate: Bearer realm="conn-login"' "$tmp/h" ||
		fail "$model conn-login: a new connection without the token: $code"
	ok
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer 00' "$url/")" = 401 ] ||
		fail "$model conn-login: a wrong token"
	ok
	wait_log 'closed (end [0-9]): 2 requests, logged in'
	ok
	stop
done

# HAProxy in front of ymawky-serve: the backend sees 127.0.0.1 (HAProxy), the log and --deny see
# the client behind it.
if ! command -v haproxy >/dev/null; then
	[ "${YMK_REQUIRE_HAPROXY:-0}" = 1 ] && fail "haproxy is not installed (apt-get install haproxy)"
	echo "conn-policy: $pass checks passed; haproxy not installed: the HAProxy part is SKIPPED"
	exit 0
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
for model in event fork; do
	for send in send-proxy send-proxy-v2; do
		start 127.0.0.1:0 --model $model --proxy-protocol --deny 127.0.0.2
		front=$(free_port)
		cat >"$tmp/haproxy.cfg" <<EOF
global
	maxconn 64
defaults
	mode tcp
	timeout connect 5s
	timeout client 10s
	timeout server 10s
frontend front
	bind 127.0.0.1:$front
	default_backend back
backend back
	server ymawky 127.0.0.1:$port $send
EOF
		haproxy -db -f "$tmp/haproxy.cfg" >"$tmp/haproxy.log" 2>&1 &
		hapid=$!
		up=0
		for _ in $(seq 100); do
			python3 -c "import socket; socket.create_connection(('127.0.0.1', $front), 1)" 2>/dev/null && { up=1; break; }
			sleep 0.05
		done
		[ $up = 1 ] || fail "haproxy did not start: $(cat "$tmp/haproxy.log")"
		expect_ok "$model haproxy $send: from .1" 127.0.0.1 "http://127.0.0.1:$front/index.txt"
		wait_log '^127.0.0.1 - - .*"GET /index.txt HTTP/1.1" 200'
		expect_refused "$model haproxy $send: --deny 127.0.0.2 behind the proxy" 127.0.0.2 \
			"http://127.0.0.1:$front/index.txt"
		wait_log 'connection from 127.0.0.2:[0-9]* (via 127.0.0.1:[0-9]*) refused by the accept hook'
		ok
		kill $hapid
		wait $hapid 2>/dev/null
		hapid=
		stop
	done
done
echo "conn-policy: $pass checks passed (HAProxy $(haproxy -v | head -1 | awk '{print $3}'))"
