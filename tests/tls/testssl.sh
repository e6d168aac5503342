#!/bin/bash
# testssl.sh BUILD_DIR PKI_DIR: scans ymawky-serve over TLS with testssl.sh --fast (Debian package
# testssl.sh) and fails on any HIGH or CRITICAL finding about what the server decides: protocols,
# ciphers and their order, renegotiation, the known vulnerabilities. The certificate is the test
# PKI's (tests/tls/make-certs.sh), trusted with --add-ca and scanned by name ("localhost" at
# 127.0.0.1), so findings about it mean the server presented it wrongly. The one listed exception
# is revocation: a test CA has no CRL or OCSP responder. The scan's summary goes to the test log.
# Exit 77 (skipped) without testssl.sh, and where YMK_TESTSSL=no says so (.ci/run scans once per
# backend, in its plain builds, and requires that those scans ran; the sanitizer and portable
# builds run every other TLS test).
set -u
build=$1 pki=$2
if [ "${YMK_TESTSSL:-}" = no ]; then
	echo "SKIP: YMK_TESTSSL=no: this build's scan is left to the plain build of the same backend"
	exit 77
fi
serve=$build/examples/ymawky-serve
scanner=$(command -v testssl || command -v testssl.sh) || { echo "SKIP: testssl.sh missing (apt-get install testssl.sh)"; exit 77; }
t=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$t"; }
trap cleanup EXIT
mkdir "$t/www" && echo hello >"$t/www/index.html"
"$serve" --quiet --root "$t/www" --listen 127.0.0.1:0 --tls-cert "$pki/server.pem" --tls-key "$pki/server.key" \
	2>"$t/serve.log" &
pid=$!
port=
for _ in $(seq 200); do
	port=$(sed -n 's/.*serving .* on port \([0-9]*\) over TLS.*/\1/p' "$t/serve.log" | head -1)
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || { echo "FAIL: ymawky-serve did not start: $(cat "$t/serve.log")"; exit 1; }
backend=$("$build/tests/tls-backend" 2>/dev/null || echo "?")
echo "testssl: $($scanner --version 2>/dev/null | grep -o 'testssl *[0-9.]*' | head -1), server: ymawky-serve on $backend, port $port"
start=$(date +%s)
# The scan's exit status counts findings; the JSON is what is judged.
"$scanner" --fast --quiet --color 0 --warnings off --nodns min --add-ca "$pki/ca.pem" --ip 127.0.0.1 \
	--jsonfile "$t/scan.json" "https://localhost:$port/" >"$t/scan.txt" 2>&1
echo "testssl: scan took $(($(date +%s) - start)) s"
[ -s "$t/scan.json" ] || { tail -30 "$t/scan.txt"; echo "FAIL: testssl.sh wrote no JSON"; exit 1; }
python3 - "$t/scan.json" <<'PY'
import json, re, sys
findings = json.load(open(sys.argv[1]))
if isinstance(findings, dict):
    findings = findings.get("scanResult", [])
# Revocation cannot be had from a test CA (no CRL distribution point, no OCSP responder).
exception = re.compile(r"^(cert_crlDistributionPoints|cert_ocspURL|OCSP_stapling|cert_revocation|cert_mustStapleExtension)", re.I)
counts, bad, excepted, notable = {}, [], [], []
for f in findings:
    sev = f.get("severity", "")
    counts[sev] = counts.get(sev, 0) + 1
    line = f"{sev:8} {f.get('id')}: {f.get('finding')}"
    if sev in ("HIGH", "CRITICAL"):
        (excepted if exception.match(f.get("id", "")) else bad).append(line)
    elif sev in ("MEDIUM", "LOW", "WARN"):
        notable.append(line)
print("testssl summary: " + ", ".join(f"{k or 'none'} {v}" for k, v in sorted(counts.items())))
for line in notable:
    print("  noted    " + line)
for line in excepted:
    print("  excepted " + line + " (revocation: the test CA has none)")
for line in bad:
    print("  FAILED   " + line)
for want in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
    got = [f for f in findings if f.get("id") == want]
    if got and "not offered" not in got[0].get("finding", ""):
        print(f"  FAILED   {want} is offered: {got[0].get('finding')}")
        bad.append(want)
print(f"testssl: {len(bad)} HIGH or CRITICAL finding(s) about the server")
sys.exit(1 if bad else 0)
PY
