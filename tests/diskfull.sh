#!/bin/bash
# diskfull.sh BUILD_DIR: a PUT larger than the free space must get 507 and leave the old file and
# the file system as they were, in both process models. Needs a small file system: it runs in a
# private mount namespace (unshare -m) with a 1 MiB tmpfs, so it needs root; elsewhere it skips.
set -u
build=$1
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null || ! command -v curl >/dev/null; then
	echo "SKIP: needs root, unshare and curl"
	exit 77
fi
if ! "$build/examples/ymawky-serve" --help >/dev/null 2>&1; then
	echo "SKIP: $build/examples/ymawky-serve does not run on this host (a cross build?)"
	exit 77
fi
unshare -m --propagation private bash -s "$build" <<'INNER'
set -u
build=$1
dir=$(mktemp -d)
trap 'umount "$dir" 2>/dev/null; rm -rf "$dir" "$big"' EXIT
mount -t tmpfs -o size=1m tmpfs "$dir" || { echo "SKIP: cannot mount a tmpfs here"; exit 77; }
big=$(mktemp)
head -c 3000000 /dev/urandom >"$big"
echo original >"$dir/keep.txt"
for model in event fork; do
	log=$(mktemp)
	"$build/examples/ymawky-serve" --root "$dir" --listen 127.0.0.1:0 --model "$model" --writable --quiet 2>"$log" &
	pid=$!
	port=""
	for _ in $(seq 100); do
		port=$(sed -n 's/.*on port \([0-9]*\).*/\1/p' "$log")
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || { echo "FAIL: server did not start"; exit 1; }
	code=$(curl -s -o /dev/null -w '%{http_code}' -T "$big" "http://127.0.0.1:$port/keep.txt")
	kill "$pid"; wait "$pid"; rm -f "$log"
	[ "$code" = 507 ] || { echo "FAIL: $model: PUT past the free space answered $code, not 507"; exit 1; }
	[ "$(cat "$dir/keep.txt")" = original ] || { echo "FAIL: $model: the old file changed"; exit 1; }
	[ "$(ls -A "$dir")" = keep.txt ] || { echo "FAIL: $model: left behind: $(ls -A "$dir")"; exit 1; }
	used=$(df --output=used -k "$dir" | tail -1 | tr -d ' ')
	[ "$used" -lt 64 ] || { echo "FAIL: $model: ${used} KiB still used after the refused upload"; exit 1; }
	echo "ok: $model: 507, old file intact, nothing left, ${used} KiB used"
done
INNER
