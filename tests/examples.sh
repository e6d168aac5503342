#!/bin/bash
# examples.sh BUILD_DIR: drives the example programs over loopback with curl, the way their
# documentation shows, in both process models. Prints one line per check and exits non-zero on the
# first failure.
set -u
build=$1
pass=0
fail() { echo "FAIL: $*"; exit 1; }
ok() { pass=$((pass + 1)); }
command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }

start() { # start PROGRAM ARGS...: runs it on a free port, sets $pid and $url
	local log=$tmp/log.$RANDOM
	"$@" --listen 127.0.0.1:0 2>"$log" &
	pid=$!
	for _ in $(seq 100); do
		port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p; s/.*serving .* on port \([0-9]*\).*/\1/p' "$log" | head -1)
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || fail "$1 did not start: $(cat "$log")"
	url=http://127.0.0.1:$port
}
stop() { kill "$pid"; wait "$pid" || fail "server exited with $?"; }
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
expect() { # expect WANT LABEL CURL-ARGS...
	local want=$1 label=$2 got
	shift 2
	got=$(status "$@")
	[ "$got" = "$want" ] || fail "$label: expected $want, got $got"
	ok
}

tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT

for model in event fork; do
	root=$tmp/site-$model
	mkdir -p "$root/uploads"
	echo "public" >"$root/index.txt"
	start "$build/examples/upload-policy" --root "$root" --model "$model"

	printf 'first\n' >"$tmp/notes.txt"
	expect 201 "$model: new upload" -T "$tmp/notes.txt" "$url/uploads/notes.txt"
	cmp -s "$root/uploads/notes.txt" "$tmp/notes.txt" || fail "$model: stored bytes differ"
	printf 'second\n' >"$tmp/notes.txt"
	expect 204 "$model: replace" -T "$tmp/notes.txt" "$url/uploads/notes.txt"
	[ "$(curl -s "$url/uploads/notes.txt")" = "second" ] || fail "$model: replaced bytes"
	ok
	expect 403 "$model: outside /uploads/" -T "$tmp/notes.txt" "$url/elsewhere.txt"
	[ ! -e "$root/elsewhere.txt" ] || fail "$model: refused upload was stored"
	ok
	expect 415 "$model: extension" -T "$tmp/notes.txt" "$url/uploads/tool.exe"
	head -c $((5 << 20)) /dev/zero >"$tmp/big.txt"
	expect 413 "$model: over 4 MiB" -T "$tmp/big.txt" "$url/uploads/big.txt"
	[ ! -e "$root/uploads/big.txt" ] || fail "$model: oversized upload was stored"
	ok
	printf 'not a png' >"$tmp/fake.png"
	expect 422 "$model: png magic" -T "$tmp/fake.png" "$url/uploads/fake.png"
	printf '\x89PNG\r\n\x1a\nrest' >"$tmp/real.png"
	expect 201 "$model: real png" -T "$tmp/real.png" "$url/uploads/real.png"
	sum=$(sha256sum "$tmp/notes.txt" | cut -d' ' -f1)
	expect 204 "$model: matching sha256" -H "X-Content-SHA256: $sum" -T "$tmp/notes.txt" "$url/uploads/notes.txt"
	printf 'tampered\n' >"$tmp/other.txt"
	expect 422 "$model: wrong sha256" -H "X-Content-SHA256: $sum" -T "$tmp/other.txt" "$url/uploads/notes.txt"
	[ "$(cat "$root/uploads/notes.txt")" = "second" ] || fail "$model: rejected upload changed the file"
	ok
	ls -A "$root/uploads" | grep -q '^\.ymk-upload-' && fail "$model: temporary file left behind"
	ok
	expect 200 "$model: read elsewhere" "$url/index.txt"
	expect 403 "$model: delete outside" -X DELETE "$url/index.txt"
	expect 204 "$model: delete" -X DELETE "$url/uploads/real.png"
	expect 404 "$model: deleted" "$url/uploads/real.png"
	stop
done
# event-loop: HTTP served from the program's own poll() loop, which also reads stdin.
mkdir -p "$tmp/www" && echo "loop" >"$tmp/www/index.html"
mkfifo "$tmp/in"
exec 3<>"$tmp/in"
log=$tmp/evlog
"$build/examples/event-loop" --root "$tmp/www" --listen 127.0.0.1:0 <&3 >"$tmp/evout" 2>"$log" &
pid=$!
for _ in $(seq 100); do
	port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$log")
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || fail "event-loop did not start"
[ "$(curl -s "http://127.0.0.1:$port/")" = "loop" ] || fail "event-loop: GET /"
ok
expect 404 "event-loop: missing" "http://127.0.0.1:$port/nope"
echo hits >&3
for _ in $(seq 100); do grep -q '^hits' "$tmp/evout" && break; sleep 0.05; done
grep -qx 'hits 2' "$tmp/evout" || fail "event-loop: stdin command while serving: $(cat "$tmp/evout")"
ok
echo quit >&3
wait "$pid" || fail "event-loop exited with $?"
grep -q '^bye after' "$tmp/evout" || fail "event-loop: no clean exit"
ok
exec 3>&-

echo "examples: $pass checks passed"
