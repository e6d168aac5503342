#!/bin/sh
# make-certs.sh OUTDIR: the test PKI of the TLS tests, made with the openssl program: a test CA,
# and certificates it signs, each an ECDSA P-256 key valid for a year:
#   server.pem/.key    localhost, 127.0.0.1 and ::1 (what the suites and testssl.sh connect to)
#   other.pem/.key     other.test (the SNI tests pick it)
#   renewed.pem/.key   localhost again, another key and serial (the reload test swaps it in)
# The CA's key is thrown away once the certificates are signed.
set -eu
out=$1
mkdir -p "$out"
cd "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
	-subj "/CN=libymawky test CA" -keyout "$tmp/ca.key" -out ca.pem \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
leaf() { # leaf NAME CN SAN
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
		-keyout "$1.key" -out "$tmp/$1.csr" 2>/dev/null
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
		"$3" >"$tmp/$1.ext"
	openssl x509 -req -in "$tmp/$1.csr" -CA ca.pem -CAkey "$tmp/ca.key" -CAcreateserial \
		-CAserial "$tmp/ca.srl" -days 365 -sha256 -extfile "$tmp/$1.ext" -out "$1.pem" 2>/dev/null
}
leaf server localhost "DNS:localhost,IP:127.0.0.1,IP:::1"
leaf other other.test "DNS:other.test"
leaf renewed localhost "DNS:localhost,IP:127.0.0.1,IP:::1"
chmod 644 ./*.key
