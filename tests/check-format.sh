#!/bin/sh
# check-format.sh [SOURCE_ROOT]: checks that the C files under lib/, include/ and examples/
# match the tree's .clang-format. The style is pinned to clang-format 14 (Debian 12's): other
# versions lay out some constructs differently, so they are not used.
#
# Exit 0 when every file matches, 1 when one does not (each is named, with its diff and the
# command that fixes it) or clang-format fails, 77 (skipped) when clang-format 14 is missing.
# CLANG_FORMAT names the program to use; YMK_REQUIRE_CLANG_FORMAT=1 turns the skip into a
# failure, for CI, where a check must never be skipped silently.
set -u
root=${1:-$(dirname "$0")/..}
cd "$root" || exit 1

missing() {
	if [ "${YMK_REQUIRE_CLANG_FORMAT:-0}" = 1 ]; then
		echo "format: FAILED: $1 (YMK_REQUIRE_CLANG_FORMAT=1)"
		exit 1
	fi
	echo "format: SKIPPED: $1; install it with: apt-get install clang-format (Debian 12)"
	exit 77
}

cf=${CLANG_FORMAT:-}
if [ -z "$cf" ]; then
	for c in clang-format-14 clang-format; do
		if command -v "$c" >/dev/null 2>&1; then
			cf=$c
			break
		fi
	done
fi
[ -n "$cf" ] || missing "clang-format 14 is not installed"
version=$("$cf" --version 2>/dev/null | head -n 1)
case $version in
*"clang-format version 14."*) ;;
*) missing "$cf is not clang-format 14 (${version:-it does not run})" ;;
esac
[ -f .clang-format ] || { echo "format: FAILED: no .clang-format in $(pwd)"; exit 1; }
if ! err=$("$cf" --style=file --assume-filename=lib/x.c --dump-config 2>&1 >/dev/null); then
	echo "format: FAILED: $cf cannot read .clang-format:"
	echo "$err"
	exit 1
fi

t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
find lib include examples -type f \( -name '*.c' -o -name '*.h' \) | LC_ALL=C sort >"$t/files"
n=$(wc -l <"$t/files")
[ "$n" -gt 0 ] || { echo "format: FAILED: no C files under lib/, include/, examples/"; exit 1; }

: >"$t/bad"
while IFS= read -r f; do
	"$cf" --style=file --dry-run -Werror "$f" >/dev/null 2>"$t/err" && continue
	echo "$f" >>"$t/bad"
	echo "$f: does not match .clang-format; the formatter would change it so (first 40 lines):"
	if "$cf" --style=file "$f" >"$t/out" 2>>"$t/err"; then
		diff -u "$f" "$t/out" | sed -n '3,42p'
	else
		cat "$t/err"
	fi
done <"$t/files"

bad=$(wc -l <"$t/bad")
if [ "$bad" -gt 0 ]; then
	echo "format: $bad of $n files differ from .clang-format ($version); to fix them, run:"
	echo "  $cf -i" $(cat "$t/bad")
	exit 1
fi
echo "format: $n files under lib/, include/ and examples/ match .clang-format ($version)"
