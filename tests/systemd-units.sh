#!/bin/bash
# systemd-units.sh BUILD_EXAMPLES_DIR SOURCE_DIR BINDIR: the example units of examples/systemd/ as
# the build wrote them. The service must name the install's ymawky-serve; both units must pass
# `systemd-analyze verify` without a word; the service's hardening must keep an exposure of at
# most 1.5 in `systemd-analyze security`; the socket must give exactly one stream socket with
# Accept=no, and the service no --listen (ymawky-serve refuses both otherwise). The units
# themselves are exercised by tests/socket-activation.py, which starts ymawky-serve as they do.
set -u
dir=$1 src=$2 bindir=$3
fail() { echo "FAIL: $*"; exit 1; }
command -v systemd-analyze >/dev/null ||
	{ echo "SKIP: systemd-analyze missing (Debian package systemd)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
service=$dir/ymawky.service socket=$src/examples/systemd/ymawky.socket
grep -qx "ExecStart=$bindir/ymawky-serve --root /srv/www" "$service" ||
	fail "ExecStart does not name $bindir/ymawky-serve: $(grep ExecStart "$service")"
grep -q '@[A-Z]*@' "$service" && fail "unsubstituted: $(grep '@[A-Z]*@' "$service")"
[ "$(grep -c '^ListenStream=' "$socket")" = 1 ] || fail "the socket must have one ListenStream="
grep -qx 'Accept=no' "$socket" || fail "the socket must say Accept=no"
grep -q '^ExecStart=.*--listen' "$service" && fail "the service must not pass --listen"
echo "ok: $service names $bindir/ymawky-serve; one ListenStream=, Accept=no, no --listen"
# verify wants the program to exist: the copies point at the one just built.
sed "s|^ExecStart=[^ ]*|ExecStart=$dir/ymawky-serve|" "$service" >"$tmp/ymawky.service"
cp "$socket" "$tmp/ymawky.socket"
systemd-analyze verify --man=no "$tmp/ymawky.socket" "$tmp/ymawky.service" >"$tmp/out" 2>&1 ||
	fail "systemd-analyze verify: $(cat "$tmp/out")"
[ -s "$tmp/out" ] && fail "systemd-analyze verify has remarks: $(cat "$tmp/out")"
echo "ok: systemd-analyze verify: no remarks"
systemd-analyze security --offline=true --threshold=15 "$tmp/ymawky.service" >"$tmp/sec" 2>&1 ||
	fail "systemd-analyze security: exposure over 1.5: $(grep -E '✗|Overall' "$tmp/sec")"
echo "ok: $(grep 'Overall exposure' "$tmp/sec")"
