#!/bin/bash
# manpage.sh YMAWKY_SERVE PAGE: the generated ymawky-serve(1) renders with `man -l` without a
# warning, has its sections and version, and documents exactly the options `--help` lists.
set -u
serve=$1 page=$2
fail() { echo "FAIL: $*"; exit 1; }
command -v man >/dev/null || { echo "SKIP: man missing (Debian package man-db)"; exit 77; }
"$serve" --help >/dev/null 2>&1 || { echo "SKIP: $serve does not run on this host (a cross build?)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
LC_ALL=C MANWIDTH=80 man --warnings=w -l "$page" >"$tmp/text" 2>"$tmp/err" || fail "man -l failed: $(cat "$tmp/err")"
[ -s "$tmp/err" ] && fail "man -l warns: $(cat "$tmp/err")"
for s in NAME SYNOPSIS DESCRIPTION OPTIONS 'SOCKET ACTIVATION' SIGNALS 'EXIT STATUS' FILES 'SEE ALSO'; do
	grep -qx "$s" "$tmp/text" || fail "no $s section"
done
grep -q "libymawky $(sed -n 's/.*libymawky \([0-9][0-9.]*\).*/\1/p' "$page" | head -1)" "$tmp/text" &&
	! grep -q '@[A-Z]*@' "$tmp/text" || fail "version or paths not filled in"
echo "ok: $page renders ($(wc -l <"$tmp/text") lines), no warnings, all sections"
"$serve" --help | grep -oE '^  --[a-z-]+' | sed 's/^ *//' | sort -u >"$tmp/help"
sed -n '/^OPTIONS$/,/^[A-Z]/p' "$tmp/text" | grep -oE '^       --[a-z-]+' | sed 's/^ *//' | sort -u >"$tmp/man"
[ -s "$tmp/help" ] || fail "no options in --help"
cmp -s "$tmp/help" "$tmp/man" || fail "options differ, --help (<) and the man page (>): $(diff "$tmp/help" "$tmp/man")"
echo "ok: the man page documents the $(wc -l <"$tmp/help") options of --help"
