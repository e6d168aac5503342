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
"$build/examples/ymawky-serve" --help >/dev/null 2>&1 ||
	{ echo "SKIP: $build/examples/ymawky-serve does not run on this host (a cross build?)"; exit 77; }

start() { # start PROGRAM ARGS...: runs it on a free port, sets $pid, $url and $srvlog (its stderr)
	local log=$tmp/log.$RANDOM
	srvlog=$log
	: >"$log" # exists before the first look at it
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

	# The same with --token-file: PUT and DELETE need the Bearer token, refusals say why.
	printf 'tok-123.abc~\n' >"$tmp/token"
	start "$build/examples/upload-policy" --root "$root" --model "$model" --token-file "$tmp/token"
	h=$tmp/up-head
	want_challenge() { # want_challenge LABEL VALUE: the last answer's WWW-Authenticate
		grep -qix "WWW-Authenticate: $2"$'\r' "$h" || fail "$1: challenge: $(grep -i '^WWW-Auth' "$h")"
	}
	[ "$(curl -s -D "$h" -o "$tmp/up-body" -w '%{http_code}' -T "$tmp/notes.txt" "$url/uploads/t.txt")" = 401 ] ||
		fail "$model: PUT without a token: $(head -1 "$h")"
	want_challenge "$model: PUT without a token" 'Bearer realm="uploads"'
	grep -qi '^Content-Type: application/json' "$h" || fail "$model: 401 type"
	[ "$(cat "$tmp/up-body")" = '{"error":"a token is required"}' ] || fail "$model: 401 body: $(cat "$tmp/up-body")"
	[ ! -e "$root/uploads/t.txt" ] || fail "$model: upload without a token was stored"
	ok
	[ "$(status -D "$h" -H 'Authorization: Bearer tok-123.abd~' -T "$tmp/notes.txt" "$url/uploads/t.txt")" = 401 ] ||
		fail "$model: wrong token"
	want_challenge "$model: wrong token" 'Bearer realm="uploads", error="invalid_token"'
	[ "$(status -D "$h" -H 'Authorization: Bearer tok-123.abc' -T "$tmp/notes.txt" "$url/uploads/t.txt")" = 401 ] ||
		fail "$model: token prefix"
	[ "$(status -D "$h" -H 'Authorization: Bearer tok 123' -T "$tmp/notes.txt" "$url/uploads/t.txt")" = 400 ] ||
		fail "$model: malformed Authorization"
	want_challenge "$model: malformed Authorization" 'Bearer realm="uploads", error="invalid_request"'
	[ "$(status -D "$h" -u 'user:tok-123.abc~' -T "$tmp/notes.txt" "$url/uploads/t.txt")" = 401 ] ||
		fail "$model: Basic instead of Bearer"
	want_challenge "$model: Basic instead of Bearer" 'Bearer realm="uploads"'
	[ ! -e "$root/uploads/t.txt" ] || fail "$model: refused upload was stored"
	ok
	[ "$(status -D "$h" -X OPTIONS "$url/uploads/t.txt")" = 204 ] || fail "$model: OPTIONS"
	grep -qx $'Allow: GET, HEAD, OPTIONS, PUT, DELETE\r' "$h" || fail "$model: OPTIONS Allow: $(grep -i '^Allow' "$h")"
	grep -qi '^WWW-Authenticate' "$h" && fail "$model: OPTIONS with a challenge"
	ok
	expect 201 "$model: PUT with the token" -H 'Authorization: Bearer tok-123.abc~' -T "$tmp/notes.txt" "$url/uploads/t.txt"
	expect 201 "$model: curl --oauth2-bearer" --oauth2-bearer 'tok-123.abc~' -T "$tmp/notes.txt" "$url/uploads/t2.txt"
	expect 200 "$model: GET needs no token" "$url/uploads/t.txt"
	expect 401 "$model: DELETE without a token" -X DELETE "$url/uploads/t.txt"
	expect 204 "$model: DELETE with the token" -H 'Authorization: bearer   tok-123.abc~' -X DELETE "$url/uploads/t.txt"
	expect 403 "$model: the token does not open other paths" -H 'Authorization: Bearer tok-123.abc~' -T "$tmp/notes.txt" "$url/elsewhere.txt"
	stop
done
# ymawky-serve's access log: a target with an 8-bit CSI (0x9B), a quote, a backslash and a high
# byte is written escaped, so it can neither shift the line's fields nor drive a terminal.
for model in event fork; do
	root=$tmp/serve-$model
	mkdir -p "$root"
	echo "served" >"$root/index.html"
	start "$build/examples/ymawky-serve" --root "$root" --model "$model"
	exec 5<>"/dev/tcp/127.0.0.1/$port" || fail "$model: connect to ymawky-serve"
	printf 'GET /a\x9b1m"b\\c\xff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&5
	head -1 <&5 | grep -q '^HTTP/1.1 404 ' || fail "$model: ymawky-serve did not answer 404"
	exec 5<&-
	want='"GET /a\x9B1m\"b\\c\xFF HTTP/1.1" 404 '
	for _ in $(seq 100); do grep -qF "$want" "$srvlog" && break; sleep 0.05; done
	grep -qF "$want" "$srvlog" || fail "$model: access log line not escaped: $(cat -v "$srvlog")"
	LC_ALL=C grep -q $'[\x80-\xff]' "$srvlog" && fail "$model: raw high bytes in the access log"
	ok
	stop
done

printf 'not a token\n' >"$tmp/badtoken"
timeout 10 "$build/examples/upload-policy" --root "$tmp" --listen 127.0.0.1:0 --token-file "$tmp/badtoken" 2>"$tmp/bt.err" &&
	fail "upload-policy: a malformed token file was accepted"
grep -q 'must be a token' "$tmp/bt.err" || fail "upload-policy: token file error: $(cat "$tmp/bt.err")"
ok
# event-loop: HTTP served from the program's own poll() loop, which also reads stdin.
mkdir -p "$tmp/www" && echo "loop" >"$tmp/www/index.html"
mkfifo "$tmp/in"
exec 3<>"$tmp/in"
log=$tmp/evlog
: >"$log"
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

# glib-loop and uv-loop: the GSource and uv_poll adapters (docs/event-loops.md). meson names the
# ones it built in YMK_LOOP_EXAMPLES; CI builds both, and a missing one is said here.
loopwww=$tmp/loop-www
mkdir -p "$loopwww"
echo "adapter" >"$loopwww/index.html"
head -c 100000 /dev/urandom >"$loopwww/blob.bin"
for prog in glib-loop uv-loop; do
	case " ${YMK_LOOP_EXAMPLES:-} " in
	*" $prog "*) ;;
	*) echo "SKIP: $prog not built (its library is missing, or its meson option disabled)"; continue ;;
	esac
	for sig in TERM INT; do
		# stdout is a file, so the program's own timer lines can be read while it serves.
		out=$tmp/$prog.$sig.out
		: >"$out"
		start "$build/examples/$prog" --root "$loopwww" --keepalive-timeout 300 >"$out"
		[ "$(curl -s "$url/")" = adapter ] || fail "$prog: GET /"
		ok
		expect 404 "$prog: missing" "$url/nope"
		curl -s -D "$tmp/lh" -o "$tmp/lpart" -r 1000-1999 "$url/blob.bin"
		head -1 "$tmp/lh" | grep -q ' 206 ' || fail "$prog: Range: $(head -1 "$tmp/lh")"
		grep -qi '^Content-Range: bytes 1000-1999/100000' "$tmp/lh" || fail "$prog: Content-Range"
		cmp -s "$tmp/lpart" <(tail -c +1001 "$loopwww/blob.bin" | head -c 1000) || fail "$prog: Range bytes"
		ok
		conns=$(curl -s -o /dev/null -o /dev/null -w '%{num_connects} ' "$url/" "$url/blob.bin")
		[ "$conns" = "1 0 " ] || fail "$prog: keep-alive: connects per request: $conns"
		ok
		# A kept-alive connection left idle is closed at the keep-alive deadline: only the timer
		# the adapter arms from ymk_server_timeout() can make that happen (nothing is readable).
		exec 4<>"/dev/tcp/127.0.0.1/$port"
		printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' >&4
		timeout 20 cat <&4 >"$tmp/lidle" || fail "$prog: idle connection not closed at the deadline ($?)"
		exec 4<&-
		grep -q '^adapter' "$tmp/lidle" || fail "$prog: answer before the idle close"
		ok
		# A deferred request answered by the program's own timer between the server's steps: the
		# answer wakes the server's fd, so it leaves at once (no wait for an old timeout).
		t0=$(date +%s%N)
		[ "$(curl -s --max-time 5 "$url/later")" = later ] || fail "$prog: GET /later"
		ms=$((($(date +%s%N) - t0) / 1000000))
		[ "$ms" -ge 190 ] && [ "$ms" -lt 3000 ] || fail "$prog: GET /later took $ms ms (want 200 and a little)"
		ok
		# The program's own one-second timer shares the loop: it reports the count.
		for _ in $(seq 100); do grep -q '^hits [6-9]' "$out" && break; sleep 0.05; done
		grep -q '^hits [6-9]' "$out" || fail "$prog: own timer: $(cat "$out")"
		ok
		exec 4<>"/dev/tcp/127.0.0.1/$port" # still open when the signal comes
		kill -"$sig" "$pid"
		wait "$pid" || fail "$prog: exit status $? after SIG$sig"
		exec 4<&-
		grep -q '^bye after [0-9]* hits' "$out" || fail "$prog: no clean exit on SIG$sig: $(cat "$out")"
		ok
	done
done


# ymawky-bundle: a tiny tree whose bytes are known, compiled with a test program against the
# library; order, sizes, bytes, MIME types, entity-tags, gzip variants, determinism, refusals.
src=$(cd "$(dirname "$0")/.." && pwd)
bundle=$build/examples/ymawky-bundle
gen=$tmp/gen
mkdir -p "$gen/sub" "$gen/.hidden"
printf 'hello' >"$gen/a.txt"
: >"$gen/empty.bin"
printf 'dash' >"$gen/a-b"
printf 'secret' >"$gen/.env"
printf 'hidden' >"$gen/.hidden/x.txt"
printf 'odd' >"$gen/q\"uo\\te? x.txt"
for _ in $(seq 200); do echo 'body { margin: 0; padding: 0; }'; done >"$gen/sub/site.css"
gz=1
"$bundle" --gzip "$gen" "$tmp/probe.c" 2>"$tmp/probe.err" || {
	grep -q zlib "$tmp/probe.err" || fail "bundle: --gzip failed: $(cat "$tmp/probe.err")"
	gz=0 # built without zlib: the refusal names it; gzip checks are skipped
}
gzopt=$([ $gz = 1 ] && echo --gzip)
"$bundle" $gzopt --name t_assets --mtime 1234 "$gen" "$tmp/b1.c" || fail "bundle: generator failed"
"$bundle" $gzopt --name t_assets --mtime 1234 "$gen" "$tmp/b2.c" || fail "bundle: generator failed"
cmp -s "$tmp/b1.c" "$tmp/b2.c" || fail "bundle: two runs differ"
ok
# The same tree created in the opposite order (so another directory order) gives the same bytes.
gen2=$tmp/gen2
mkdir -p "$gen2/sub"
cp "$gen/sub/site.css" "$gen2/sub/"
for f in "q\"uo\\te? x.txt" a-b empty.bin a.txt; do cp "$gen/$f" "$gen2/$f"; done
"$bundle" $gzopt --name t_assets --mtime 1234 "$gen2" "$tmp/b3.c" || fail "bundle: generator failed"
cmp -s "$tmp/b1.c" "$tmp/b3.c" || fail "bundle: output depends on directory order"
ok
SOURCE_DATE_EPOCH=1000 "$bundle" "$gen" "$tmp/sde.c" || fail "bundle: SOURCE_DATE_EPOCH run"
[ "$(grep -c '\.mtime = 1000ll' "$tmp/sde.c")" = 5 ] || fail "bundle: SOURCE_DATE_EPOCH not applied"
ok
ln -s a.txt "$gen2/link.txt"
"$bundle" "$gen2" "$tmp/link.c" 2>"$tmp/link.err" && fail "bundle: symlink accepted"
grep -q symlink "$tmp/link.err" || fail "bundle: symlink error unclear: $(cat "$tmp/link.err")"
[ ! -e "$tmp/link.c" ] && ! ls "$tmp" | grep -q '^link\.c\.tmp' || fail "bundle: output left after an error"
ok
"$bundle" --name 9bad "$gen" "$tmp/bad.c" 2>/dev/null && fail "bundle: bad symbol accepted"
ok
cat >"$tmp/bmain.c" <<'EOF'
#include <ymawky.h>
#include <stdio.h>
#include <string.h>
extern const ymk_bundle t_assets;
static int dump(const char *dir, size_t i, const char *ext, const unsigned char *p, uint64_t n)
{
	char name[4096];
	snprintf(name, sizeof name, "%s/%zu.%s", dir, i, ext);
	FILE *f = fopen(name, "wb");
	return !f || fwrite(p, 1, (size_t)n, f) != (size_t)n || fclose(f);
}
int main(int argc, char **argv)
{
	ymk_config *cfg;
	if (argc != 2 || ymk_config_new(&cfg) || ymk_config_set_bundle(cfg, &t_assets))
		return 1;
	ymk_config_free(cfg);
	for (size_t i = 0; i < t_assets.count; i++) {
		const ymk_bundle_file *f = &t_assets.files[i];
		if (!f->data || (i && strcmp(f[-1].path, f->path) >= 0) || dump(argv[1], i, "raw", f->data, f->size))
			return 2;
		if (f->gzip_data && (!f->gzip_etag || f->gzip_size >= f->size || dump(argv[1], i, "gz", f->gzip_data, f->gzip_size)))
			return 3;
		printf("%s|%llu|%s|%s|%lld|%s\n", f->path, (unsigned long long)f->size, f->content_type,
		       f->etag, (long long)f->mtime, f->gzip_data ? "gz" : "-");
	}
	return 0;
}
EOF
mkdir -p "$tmp/dump"
# A sanitizer build of the library needs its runtime linked into the program first.
san=$(ldd "$build/lib/libymawky.so" 2>/dev/null | grep -qE 'libasan|libubsan' && echo -fsanitize=address,undefined)
${CC:-cc} $san -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror \
	-I"$src/include" "$tmp/b1.c" "$tmp/bmain.c" -L"$build/lib" -lymawky -Wl,-rpath,"$build/lib" \
	-o "$tmp/bmain" 2>"$tmp/cc.err" || fail "bundle: generated C does not compile cleanly: $(cat "$tmp/cc.err")"
ok
"$tmp/bmain" "$tmp/dump" >"$tmp/listing" || fail "bundle: test program failed ($?)"
cut -d'|' -f1,2,3,5 "$tmp/listing" >"$tmp/got"
cat >"$tmp/want" <<'EOF'
/a-b|4|application/octet-stream|1234
/a.txt|5|text/plain; charset=utf-8|1234
/empty.bin|0|application/octet-stream|1234
/q"uo\te? x.txt|3|text/plain; charset=utf-8|1234
/sub/site.css|6400|text/css; charset=utf-8|1234
EOF
cmp -s "$tmp/got" "$tmp/want" || fail "bundle: listing differs: $(diff "$tmp/want" "$tmp/got")"
ok
grep -q '^/a.txt|.*|"a430d84680aabd0b"|' "$tmp/listing" || fail "bundle: entity-tag of /a.txt"
[ "$(cut -d'|' -f4 "$tmp/listing" | sort -u | wc -l)" = 5 ] || fail "bundle: entity-tags not distinct"
ok
i=0
for f in a-b a.txt empty.bin "q\"uo\\te? x.txt" sub/site.css; do
	cmp -s "$tmp/dump/$i.raw" "$gen/$f" || fail "bundle: bytes of $f"
	if [ -e "$tmp/dump/$i.gz" ]; then
		gzip -dc "$tmp/dump/$i.gz" | cmp -s - "$gen/$f" || fail "bundle: gzip variant of $f"
	fi
	i=$((i + 1))
done
ok
if [ $gz = 1 ]; then
	grep -q '^/sub/site.css|.*|gz$' "$tmp/listing" || fail "bundle: no gzip variant for compressible css"
	grep -q '^/a.txt|.*|-$' "$tmp/listing" || fail "bundle: gzip variant kept though larger"
	ok
fi

# firmware-ui: the page rendered from the compiled-in template, the rest of the UI from the bundle,
# the JSON API, and firmware uploads checked by the path policy (413, 403) and the upload verdict
# (magic and CRC-32: 422), whose refusals carry a JSON reason. Over HTTPS when the library has TLS,
# with the self-signed certificate the program made in its data directory at its first start,
# trusted by curl as the only CA (CURL_CA_BUNDLE) and checked for "localhost".
www=$src/examples/firmware-ui/www
data=$tmp/fw-data
start "$build/examples/firmware-ui" --data "$data"
if grep -q 'listening on port .* (https)' "$srvlog"; then
	[ -s "$data/tls-cert.pem" ] && [ "$(stat -c %a "$data/tls-key.pem")" = 600 ] ||
		fail "firmware-ui: no certificate (or a readable key) in its data directory"
	grep -q 'made a self-signed certificate for localhost' "$srvlog" || fail "firmware-ui: first start not logged"
	export CURL_CA_BUNDLE=$data/tls-cert.pem
	url=https://localhost:$port
	[ "$(curl -s -o /dev/null -w '%{ssl_verify_result}' "$url/")" = 0 ] || fail "firmware-ui: certificate not verified"
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")" = 000 ] || fail "firmware-ui: plain HTTP answered"
	ok
fi
h=$tmp/fw-head
header() { sed -n "s/^$1: *\\(.*\\)\\r\$/\\1/Ip" "$h"; }
[ "$(curl -s -D "$h" -o "$tmp/fw-index" -w '%{http_code}' "$url/")" = 200 ] || fail "firmware-ui: GET /"
header Content-Type | grep -q '^text/html' || fail "firmware-ui: index type: $(header Content-Type)"
header Cache-Control | grep -qx no-cache || fail "firmware-ui: index Cache-Control: $(header Cache-Control)"
etag=$(header ETag)
[ -n "$etag" ] || fail "firmware-ui: no ETag"
ok
# Rendered without JavaScript: the current settings in the form, no placeholder left, no
# download link while no image is installed.
for want in 'name="name" value="ymk-device"' 'name="ntp" value="pool.ntp.org"' \
	'<input type="checkbox" name="led" value="on">' '<dd id="st-firmware">none</dd>' \
	'<dd id="st-version">1.0.0</dd>' '<link rel="icon" href="/favicon.svg"'; do
	grep -qF "$want" "$tmp/fw-index" || fail "firmware-ui: page lacks $want"
done
grep -q '{{' "$tmp/fw-index" && fail "firmware-ui: a placeholder was left: $(grep -o '{{[^}]*}}' "$tmp/fw-index")"
grep -q 'href="/firmware.bin"' "$tmp/fw-index" && fail "firmware-ui: download link without an image"
ok
curl -s "$url/index.html" | cmp -s - "$tmp/fw-index" || fail "firmware-ui: /index.html differs from /"
expect 304 "firmware-ui: If-None-Match" -H "If-None-Match: $etag" "$url/"
expect 304 "firmware-ui: If-None-Match (weak, in a list)" -H "If-None-Match: \"x\", W/$etag" "$url/"
[ "$(curl -s -I -o /dev/null -w '%{http_code} %header{content-length}' "$url/")" = "200 $(stat -c %s "$tmp/fw-index")" ] ||
	fail "firmware-ui: HEAD /"
ok
[ "$(curl -s -D "$h" -o "$tmp/fw-icon" -w '%{http_code}' "$url/favicon.svg")" = 200 ] || fail "firmware-ui: favicon"
header Content-Type | grep -qE '^image/(svg\+xml|x-icon)' || fail "firmware-ui: favicon type: $(header Content-Type)"
cmp -s "$tmp/fw-icon" "$www/favicon.svg" || fail "firmware-ui: favicon bytes"
ok
if [ $gz = 1 ]; then
	curl -s -D "$h" -o "$tmp/fw-app.gz" -H 'Accept-Encoding: gzip' "$url/app.js"
	header Content-Encoding | grep -qx gzip || fail "firmware-ui: no Content-Encoding: gzip"
	header Vary | grep -qi 'accept-encoding' || fail "firmware-ui: gzip answer without Vary"
	gzip -dc "$tmp/fw-app.gz" | cmp -s - "$www/app.js" || fail "firmware-ui: gzip body"
	ok
fi
for f in app.js style.css; do
	curl -s "$url/$f" | cmp -s - "$www/$f" || fail "firmware-ui: /$f"
done
ok
expect 404 "firmware-ui: not in the bundle" "$url/nope.html"
expect 404 "firmware-ui: unknown API" "$url/api/nope"
curl -s -D "$h" -o "$tmp/fw-status" "$url/api/status"
header Content-Type | grep -q '^application/json' || fail "firmware-ui: status type"
for field in '"version":"1.0.0"' '"uptime_s":[0-9]' '"requests":[0-9]' '"hostname":"' \
	'"firmware":{"present":false,"size":0}'; do
	grep -q "$field" "$tmp/fw-status" || fail "firmware-ui: status lacks $field: $(cat "$tmp/fw-status")"
done
ok
# The live status: Server-Sent Events, one at once and one a second (curl ends the stream).
curl -sN --max-time 2.5 -D "$h" -o "$tmp/fw-events" "$url/api/events"
header Content-Type | grep -qx 'text/event-stream; charset=utf-8' || fail "firmware-ui: events type"
[ "$(grep -c '^event: status$' "$tmp/fw-events")" -ge 2 ] &&
	grep -q '^data: {"version":"1.0.0","uptime_s":[0-9]' "$tmp/fw-events" ||
	fail "firmware-ui: events: $(cat "$tmp/fw-events")"
ok
curl -s -D "$h" -o /dev/null -d 'name=Lab+device%21&ntp=time.example.org&led=on' "$url/api/settings"
head -1 "$h" | grep -q ' 303 ' || fail "firmware-ui: settings post: $(head -1 "$h")"
[ "$(header Location)" = / ] || fail "firmware-ui: settings Location"
curl -s "$url/api/settings" >"$tmp/fw-settings"
grep -q '"name":"Lab device!"' "$tmp/fw-settings" && grep -q '"ntp":"time.example.org"' "$tmp/fw-settings" &&
	grep -q '"led":true' "$tmp/fw-settings" || fail "firmware-ui: settings not applied: $(cat "$tmp/fw-settings")"
ok
curl -s "$url/" >"$tmp/fw-index2"
grep -qF 'name="name" value="Lab device!"' "$tmp/fw-index2" && grep -qF 'name="ntp" value="time.example.org"' "$tmp/fw-index2" &&
	grep -qF '<input type="checkbox" name="led" value="on" checked>' "$tmp/fw-index2" &&
	grep -qF '<dd id="st-name">Lab device!</dd>' "$tmp/fw-index2" || fail "firmware-ui: page without the saved settings"
expect 200 "firmware-ui: the old ETag after a change" -H "If-None-Match: $etag" "$url/"
ok
[ "$(curl -s -H 'Accept: application/json' -d 'led=off' "$url/api/settings")" = \
	'{"name":"Lab device!","ntp":"time.example.org","led":false}' ] || fail "firmware-ui: JSON settings answer"
ok
# Every value is HTML-escaped where the page shows it.
expect 200 "firmware-ui: markup in the name" -H 'Accept: application/json' \
	--data-urlencode "name=<b>\"x\" & 'y'</b>" "$url/api/settings"
curl -s "$url/" >"$tmp/fw-index3"
grep -qF 'value="&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"' "$tmp/fw-index3" &&
	grep -qF '<dd id="st-name">&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;</dd>' "$tmp/fw-index3" ||
	fail "firmware-ui: name not escaped: $(grep -F 'st-name' "$tmp/fw-index3")"
grep -qF '<b>"x"' "$tmp/fw-index3" && fail "firmware-ui: raw markup in the page"
expect 303 "firmware-ui: name back" -d 'name=Lab+device%21' "$url/api/settings"
ok
expect 400 "firmware-ui: name too long" -d "name=$(printf 'x%.0s' $(seq 33))" "$url/api/settings"
expect 400 "firmware-ui: empty name" -d 'name=' "$url/api/settings"
expect 400 "firmware-ui: bad ntp" -d 'name=ok&ntp=bad+host' "$url/api/settings"
expect 400 "firmware-ui: bad escape" -d 'name=%zz' "$url/api/settings"
expect 400 "firmware-ui: unknown field" -d 'colour=red' "$url/api/settings"
expect 413 "firmware-ui: settings body over 4 KiB" -d "name=$(head -c 5000 /dev/zero | tr '\0' x)" "$url/api/settings"
grep -q '"name":"Lab device!"' <(curl -s "$url/api/settings") || fail "firmware-ui: refused form changed settings"
ok
mkfw() { # mkfw FILE MAGIC PAYLOAD-BYTES: the image with its CRC-32 (gzip's trailer holds it, LE)
	{ printf '%s\n' "$2"; head -c "$3" /dev/urandom; } >"$1.body"
	{ cat "$1.body"; gzip -c "$1.body" | tail -c 8 | head -c 4; } >"$1"
}
mkfw "$tmp/fw1" YMKFW01 3000
mkfw "$tmp/fw2" YMKFW01 70000
expect 201 "firmware-ui: first image" -T "$tmp/fw1" "$url/firmware.bin"
cmp -s "$data/firmware.bin" "$tmp/fw1" || fail "firmware-ui: stored image"
curl -s "$url/" >"$tmp/fw-index4"
grep -qF '<a href="/firmware.bin" download="firmware.bin">Download the installed image</a> (3012 bytes)' "$tmp/fw-index4" &&
	grep -qF '<dd id="st-firmware">3012 bytes</dd>' "$tmp/fw-index4" ||
	fail "firmware-ui: no download link once an image is installed: $(grep -F 'fw-download' "$tmp/fw-index4")"
ok
expect 204 "firmware-ui: replaced image" -T "$tmp/fw2" "$url/firmware.bin"
curl -s "$url/firmware.bin" | cmp -s - "$tmp/fw2" || fail "firmware-ui: GET /firmware.bin"
grep -qF '(70012 bytes)' <(curl -s "$url/") || fail "firmware-ui: the page after a replaced image"
ok
mkfw "$tmp/fw-magic" YMKFW02 100
[ "$(curl -s -D "$h" -o "$tmp/fw-why" -w '%{http_code}' -T "$tmp/fw-magic" "$url/firmware.bin")" = 422 ] ||
	fail "firmware-ui: bad magic"
header Content-Type | grep -q '^application/json' || fail "firmware-ui: 422 type: $(header Content-Type)"
[ "$(cat "$tmp/fw-why")" = '{"error":"not a firmware image (no YMKFW01 magic)"}' ] || fail "firmware-ui: 422 reason: $(cat "$tmp/fw-why")"
ok
cp "$tmp/fw1" "$tmp/fw-crc"
printf '\x00\x00\x00\x00' | dd of="$tmp/fw-crc" bs=1 seek=$(($(stat -c %s "$tmp/fw1") - 4)) conv=notrunc 2>/dev/null
expect 422 "firmware-ui: bad CRC" -T "$tmp/fw-crc" "$url/firmware.bin"
printf 'YMKFW01\n' >"$tmp/fw-short"
expect 422 "firmware-ui: no CRC" -T "$tmp/fw-short" "$url/firmware.bin"
mkfw "$tmp/fw-big" YMKFW01 $((9 << 20))
[ "$(curl -s -o "$tmp/fw-why" -w '%{http_code}' -T "$tmp/fw-big" "$url/firmware.bin")" = 413 ] || fail "firmware-ui: 9 MiB image"
[ "$(cat "$tmp/fw-why")" = '{"error":"larger than 8 MiB"}' ] || fail "firmware-ui: 413 reason: $(cat "$tmp/fw-why")"
cmp -s "$data/firmware.bin" "$tmp/fw2" || fail "firmware-ui: refused image changed the stored one"
ok
got=$(status -T "$tmp/fw1" "$url/other.bin")
[ "$got" = 403 ] || [ "$got" = 405 ] || fail "firmware-ui: PUT /other.bin: $got"
[ ! -e "$data/other.bin" ] || fail "firmware-ui: /other.bin stored"
ok
expect 405 "firmware-ui: DELETE" -X DELETE "$url/firmware.bin"
[ "$(ls -A "$data" | grep -v '^tls-')" = firmware.bin ] || fail "firmware-ui: data dir holds $(ls -A "$data")"
ok
grep -q "\"firmware\":{\"present\":true,\"size\":$(stat -c %s "$tmp/fw2")}" <(curl -s "$url/api/status") ||
	fail "firmware-ui: status after upload"
ok
stop
if [ -n "${CURL_CA_BUNDLE:-}" ]; then
	# A second start keeps the certificate it made (a browser's exception stays valid).
	before=$(cat "$data/tls-cert.pem")
	start "$build/examples/firmware-ui" --data "$data"
	url=https://localhost:$port
	[ "$(status "$url/api/status")" = 200 ] && [ "$before" = "$(cat "$data/tls-cert.pem")" ] &&
		! grep -q 'made a self-signed' "$srvlog" || fail "firmware-ui: the certificate changed on a restart"
	ok
	stop
	unset CURL_CA_BUNDLE
fi

echo "examples: $pass checks passed"
