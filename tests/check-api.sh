#!/bin/sh
# check-api.sh SHARED_LIB STATIC_LIB HEADER DOCS
# Keeps the exported symbols, the header's declarations and docs/api.md in agreement, and checks
# that every global symbol of the static archive carries the library's prefix (firmware links the
# archive into one namespace with its own code, where hidden visibility protects nothing).
set -eu
so=$1 ar=$2 header=$3 docs=$4
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }' | sort -u >"$t/exported"
tr '\n' ' ' <"$header" | grep -oE 'YMK_EXPORT [^;]*;' | grep -oE 'ymk_[a-z0-9_]+ *\(' |
	tr -d ' (' | sort -u >"$t/declared"
grep -oE '^### `ymk_[a-z0-9_]+`' "$docs" | tr -d '#` ' | sort -u >"$t/documented"
nm --defined-only "$ar" | awk '$2 ~ /^[TDBR]$/ { print $3 }' | sort -u >"$t/archive"

fail=0
if ! diff -u "$t/declared" "$t/exported" >"$t/d1"; then
	echo "exported symbols differ from the header's YMK_EXPORT declarations:"; cat "$t/d1"; fail=1
fi
missing=$(comm -23 "$t/exported" "$t/documented")
if [ -n "$missing" ]; then
	echo "exported but not documented in docs/api.md (### \`name\`):"; echo "$missing"; fail=1
fi
stale=$(comm -13 "$t/exported" "$t/documented" | grep -v '^ymk_[a-z0-9_]*_fn$' | grep -vE '^ymk_(access_entry|bundle|bundle_file|config|server|request|error|model|log_level|conn|conn_end|conn_report|close_reason)$' || true)
if [ -n "$stale" ]; then
	echo "documented as functions but not exported:"; echo "$stale"; fail=1
fi
unprefixed=$(grep -v '^ymk_' "$t/archive" || true)
if [ -n "$unprefixed" ]; then
	echo "global symbols of the static archive without the ymk_ prefix:"; echo "$unprefixed"; fail=1
fi
internal=$(grep '^ymk__' "$t/exported" || true)
if [ -n "$internal" ]; then
	echo "internal ymk__ symbols exported from the shared library:"; echo "$internal"; fail=1
fi
n=$(wc -l <"$t/exported")
[ "$fail" -eq 0 ] && echo "api: $n exported functions, all declared, documented and prefixed"
exit "$fail"
