#!/bin/bash
# s_client.sh BUILD_DIR PKI_DIR: the protocol floor and ALPN of ymawky-serve over TLS, as
# `openssl s_client` sees them: TLS 1.0 and 1.1 refused, 1.2 accepted, 1.3 accepted where the
# backend has it, --tls-min 1.3 refusing 1.2; ALPN http/1.1 chosen from "h2,http/1.1" and a
# client offering only h2 refused; the certificate verified against the test CA by name; a GET.
set -u
build=$1 pki=$2
serve=$build/examples/ymawky-serve
backend=$("$build/tests/tls-backend")
t=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$t"; }
trap cleanup EXIT
mkdir "$t/www" && echo hello >"$t/www/index.html"
fails=0
check() { # check LABEL COMMAND...
	if "${@:2}"; then echo "ok: $1"; else echo "FAIL: $1"; fails=$((fails + 1)); fi
}
start() { # start NAME ARGS...: a server; its port in $port
	"$serve" --quiet --root "$t/www" --listen 127.0.0.1:0 --tls-cert "$pki/server.pem" \
		--tls-key "$pki/server.key" "${@:2}" 2>"$t/$1.log" &
	pids+=($!)
	port=
	for _ in $(seq 200); do
		port=$(sed -n 's/.*serving .* on port \([0-9]*\) over TLS.*/\1/p' "$t/$1.log" | head -1)
		[ -n "$port" ] && return 0
		sleep 0.05
	done
	echo "FAIL: ymawky-serve $* did not start: $(cat "$t/$1.log")"
	exit 1
}
sc() { # sc PORT ARGS...: s_client's output for a handshake (stdin closed at once)
	timeout 10 openssl s_client -connect "127.0.0.1:$1" -servername localhost -CAfile "$pki/ca.pem" \
		-verify_hostname localhost "${@:2}" </dev/null 2>&1
}
# "New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256" after a handshake; "(NONE)" when it failed.
handshakes() { sc "$@" | grep -q '^New, TLSv[0-9.]*, Cipher is [A-Z]'; }
refused() { ! handshakes "$@"; }
speaks() { sc "${@:1:1}" "${@:3}" | grep -q "^New, $2, Cipher is [A-Z]"; }

echo "s_client: $(openssl version), server: ymawky-serve on $backend"
start default
check "TLS 1.0 refused" refused "$port" -tls1
check "TLS 1.1 refused" refused "$port" -tls1_1
check "TLS 1.2 accepted" speaks "$port" TLSv1.2 -tls1_2
case $backend in
OpenSSL*) check "TLS 1.3 accepted, and the default" speaks "$port" TLSv1.3 ;;
*) check "TLS 1.3 refused ($backend has TLS 1.2 only)" refused "$port" -tls1_3 ;;
esac
check "ALPN h2,http/1.1 selects http/1.1" bash -c 'grep -q "^ALPN protocol: http/1.1$" <<<"$1"' _ "$(sc "$port" -alpn h2,http/1.1)"
check "ALPN h2 alone is refused" refused "$port" -alpn h2
check "the certificate verifies against the test CA as localhost" \
	bash -c 'grep -q "Verify return code: 0 (ok)" <<<"$1"' _ "$(sc "$port" -verify_return_error)"
check "a GET over s_client is answered 200" bash -c 'printf "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" |
	timeout 10 openssl s_client -quiet -connect "127.0.0.1:$1" -servername localhost -CAfile "$2/ca.pem" 2>/dev/null |
	head -1 | grep -q "^HTTP/1.1 200"' _ "$port" "$pki"
check "secure renegotiation (RFC 5746) indicated" \
	bash -c 'grep -q "Secure Renegotiation IS supported" <<<"$1"' _ "$(sc "$port" -tls1_2)"
case $backend in
OpenSSL*)
	start min13 --tls-min 1.3
	check "--tls-min 1.3: TLS 1.2 refused" refused "$port" -tls1_2
	check "--tls-min 1.3: TLS 1.3 accepted" speaks "$port" TLSv1.3 -tls1_3
	;;
*)
	check "--tls-min 1.3 is refused at start with mbed TLS" bash -c '! "$1" --root "$2" --listen 127.0.0.1:0 --tls-min 1.3 --tls-cert "$3/server.pem" --tls-key "$3/server.key" 2>&1 | grep -q "TLS 1.2 at most" && exit 1; exit 0' _ "$serve" "$t/www" "$pki"
	;;
esac
echo "s_client: $fails failed"
[ "$fails" -eq 0 ]
