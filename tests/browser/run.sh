#!/bin/sh
# run.sh BUILD_DIR SOURCE_DIR: the browser test (browser.js), or a skip (exit 77) that says what is
# missing: node, Debian's /usr/bin/chromium, playwright-core (looked for in $YMK_NODE_MODULES, by
# default SOURCE_DIR/tests/browser/node_modules, where `npm install --prefix tests/browser` puts
# it) or ffmpeg. .ci/run installs all four and fails when the test was skipped.
set -u
build=$1 src=$2
modules=${YMK_NODE_MODULES:-$src/tests/browser/node_modules}
skip() { echo "SKIP: $*"; exit 77; }
command -v node >/dev/null 2>&1 || skip "node is not installed (Debian: apt-get install nodejs npm)"
[ -x /usr/bin/chromium ] || skip "/usr/bin/chromium is missing (Debian: apt-get install chromium)"
[ -f "$modules/playwright-core/package.json" ] ||
	skip "playwright-core is not in $modules (npm install --prefix tests/browser, or set YMK_NODE_MODULES)"
command -v ffmpeg >/dev/null 2>&1 || skip "ffmpeg is missing (Debian: apt-get install ffmpeg)"
"$build/examples/ymawky-serve" --help >/dev/null 2>&1 ||
	skip "$build/examples/ymawky-serve does not run on this host (a cross build?)"
export YMK_NODE_MODULES="$modules"
# browser.js bounds itself (every wait, and the run); timeout is the last resort.
exec timeout -k 10 280 node "$src/tests/browser/browser.js" "$build" "$src"
