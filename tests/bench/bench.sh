#!/bin/bash
# tests/bench/bench.sh [BUILD_DIR]
#
# The in-tree benchmark: ymawky-serve (event and fork models) side by side with nginx, lighttpd
# and four reference programs (a fixed answer from memory at 1 KiB and at 16 KiB, a bare fork per
# connection, a bare sendfile loop), on loopback. Each server is pinned to CPU 0 (taskset -c 0)
# and driven by a client pinned to CPU 1: wrk, and for the large files also bulk-client.c, which
# reads into 256 KiB buffers and so is not the limit that wrk is. Around every run it reads the
# server's CPU time (user + system, of the server and of all its children, live or reaped), the
# client's, and the CPU 0 / CPU 1 counters in /proc/stat, so it reports CPU per request and the
# kernel's softirq share beside requests/s. Prints medians of BENCH_REPEAT runs, the ratios and
# the target table, all from this one invocation, as Markdown tables.
#
#   BUILD_DIR       meson build directory with examples/ymawky-serve. Default: SOURCE/build-release,
#                   set up (-Dbuildtype=release -Dtests=disabled) and built by this script.
#   BENCH_SECONDS   length of each run (default 5)
#   BENCH_REPEAT    runs per case; the median is reported (default 3)
#   BENCH_IDLE      connections for the idle-memory case (default 1000)
#   BENCH_CASES     only these cases, by letter (see the case table below; "s" is the scaling
#                   runs, "w" the --workers runs, "cap" the cap check), e.g. 'c g'; default all
#   BENCH_SERVERS   only these servers (e.g. 'event nginx lighttpd ceiling16k'); default all
#   BENCH_CANDIDATE=BUILD_DIR  a second build (say, of a change to lib/) run as the server
#                   "candidate" beside "event", in every case and with the same settings, so that
#                   before and after come from one interleaved run (BENCH_CANDIDATE_NAME: its
#                   name in the report, default the directory and its commit)
#   BENCH_SHARED    the shared bench directory (default: SOURCE/../shared/bench)
#   BENCH_RAW=FILE  also keep the raw per-run results (TSV) in FILE
#   BENCH_KEEP=DIR  keep everything report.py needs in DIR: `tests/bench/report.py DIR` prints
#                   the same report again (to refresh docs/performance.md)
#
# Needs: wrk, curl, python3, taskset, setsid, cc (and meson and ninja to build); nginx and
# lighttpd are skipped with a note if missing. Uses ../shared/bench/{nginx-shim,lighttpd-shim}
# next to the source tree when present, else equivalent configurations, and the io_uring fixed
# answer ../shared/bench/uring-limit.c when it is there and builds (liburing-dev). Every server
# it starts runs in its own session and is killed (with its children) on exit.
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
secs=${BENCH_SECONDS:-5}
rep=${BENCH_REPEAT:-3}
nidle=${BENCH_IDLE:-1000}
only=" ${BENCH_CASES:-} "
wanted() { [ "$only" = "  " ] || [[ $only == *" ${1%%-*} "* ]]; } # CASE-ID
shared=${BENCH_SHARED:-$src/../shared/bench}

# --- tools: say everything that is missing at once, with the package that has it --------------
need=(wrk:wrk curl:curl python3:python3 taskset:util-linux setsid:util-linux cc:gcc awk:mawk)
[ $# -eq 0 ] && need+=(meson:meson ninja:ninja-build)
missing=() pkgs=()
for t in "${need[@]}"; do
	command -v "${t%%:*}" >/dev/null || { missing+=("${t%%:*}"); pkgs+=("${t#*:}"); }
done
for t in nginx:nginx-light lighttpd:lighttpd; do
	command -v "${t%%:*}" >/dev/null ||
		echo "bench.sh: ${t%%:*} not installed (apt-get install ${t#*:}); its columns stay empty" >&2
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "bench.sh: missing: ${missing[*]}; install with: apt-get install ${pkgs[*]}" >&2
	exit 1
fi

# --- the build: the given directory, or a release build of this tree --------------------------
if [ $# -gt 0 ]; then
	build=$(cd "$1" 2>/dev/null && pwd) || { echo "bench.sh: no build directory $1" >&2; exit 1; }
else
	build=$src/build-release
	if [ ! -f "$build/build.ninja" ]; then
		echo "bench.sh: setting up $build (release, no tests)" >&2
		meson setup "$build" "$src" -Dbuildtype=release -Dtests=disabled >/dev/null ||
			{ echo "bench.sh: meson setup failed" >&2; exit 1; }
	fi
	ninja -C "$build" -j2 examples/ymawky-serve >/dev/null || { echo "bench.sh: build failed" >&2; exit 1; }
fi
serve=$build/examples/ymawky-serve
[ -x "$serve" ] || { echo "bench.sh: $serve not built (meson setup -Dexamples=true)" >&2; exit 1; }
cand=
if [ -n "${BENCH_CANDIDATE:-}" ]; then
	cand=$(cd "$BENCH_CANDIDATE" 2>/dev/null && pwd)/examples/ymawky-serve
	[ -x "$cand" ] || { echo "bench.sh: BENCH_CANDIDATE: no examples/ymawky-serve in $BENCH_CANDIDATE" >&2; exit 1; }
fi
[ "$(nproc)" -ge 2 ] || echo "bench.sh: warning: fewer than 2 CPUs; server and client share a core" >&2
hz=$(getconf CLK_TCK)

work=$(mktemp -d /tmp/ymk-bench.XXXXXX)
chmod 755 "$work"               # nginx's worker runs as nobody when started as root
www=$work/www
raw=$work/raw.tsv               # one line per run: see measure()
idle=$work/idle.tsv             # server key=value...
mem=$work/mem.tsv               # server rep main_hwm kids_hwm main_rss
meta=$work/meta                 # key=value: the machine and the run
live=()                         # session ids (= pids) of servers still running
declare -A tmpdirs=()

stop_server() { # PID
	local p=$1 i d
	kill -TERM -- -"$p" 2>/dev/null
	for i in $(seq 50); do kill -0 -- -"$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL -- -"$p" 2>/dev/null
	wait "$p" 2>/dev/null
	d=${tmpdirs[$p]:-}
	[ -n "$d" ] && case "$d" in /tmp/nginx-shim.*|/tmp/lighttpd-shim.*|"$work"/*) rm -rf "$d";; esac
	local keep=()
	for i in "${live[@]}"; do [ "$i" = "$p" ] || keep+=("$i"); done
	live=("${keep[@]}")
}
cleanup() {
	local p
	for p in "${live[@]}"; do stop_server "$p"; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}

# --- docroot ---------------------------------------------------------------------------------
mkdir -p "$www"
head -c 1024 /dev/urandom >"$www/1k.bin"
head -c 16384 /dev/urandom >"$www/16k.bin"
head -c 1048576 /dev/urandom >"$www/1m.bin"
head -c 67108864 /dev/urandom >"$www/64m.bin"
chmod 755 "$www"; chmod 644 "$www"/*

# --- peers and reference programs ------------------------------------------------------------
if [ -x "$shared/nginx-shim" ]; then nginx_cmd=("$shared/nginx-shim"); else nginx_cmd=("$work/nginx-eq"); fi
if [ -x "$shared/lighttpd-shim" ]; then lighttpd_cmd=("$shared/lighttpd-shim"); else lighttpd_cmd=("$work/lighttpd-eq"); fi
# Equivalents of the shims (used when ../shared/bench is absent): same command line.
cat >"$work/nginx-eq" <<'EOF'
#!/bin/bash
root=www; listen=127.0.0.1:8080
while [ $# -gt 0 ]; do case "$1" in --root) root=$2; shift 2;; --listen) listen=$2; shift 2;; *) shift;; esac; done
d=$(mktemp -d "$(dirname "$0")/nginx.XXXXXX")
cat >"$d/nginx.conf" <<CONF
daemon off; master_process on; worker_processes 1; error_log $d/error.log; pid $d/nginx.pid;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types; access_log off; open_file_cache max=1000 inactive=60s; open_file_cache_valid 60s;
  sendfile on; tcp_nopush on; keepalive_requests 1000000;
  client_body_temp_path $d/body; proxy_temp_path $d/p; fastcgi_temp_path $d/f; uwsgi_temp_path $d/u; scgi_temp_path $d/s;
  server { listen $listen; root $root; location / { } }
}
CONF
exec nginx -c "$d/nginx.conf" -p "$d"
EOF
cat >"$work/lighttpd-eq" <<'EOF'
#!/bin/bash
root=www; listen=127.0.0.1:8080
while [ $# -gt 0 ]; do case "$1" in --root) root=$2; shift 2;; --listen) listen=$2; shift 2;; *) shift;; esac; done
d=$(mktemp -d "$(dirname "$0")/lighttpd.XXXXXX")
cat >"$d/l.conf" <<CONF
server.document-root = "$root"
server.bind = "${listen%:*}"
server.port = ${listen##*:}
server.max-connections = 2000
server.max-fds = 4096
server.max-keep-alive-requests = 1000000
server.errorlog = "$d/error.log"
include_shell "/usr/share/lighttpd/create-mime.conf.pl"
index-file.names = ("index.html")
CONF
exec lighttpd -D -f "$d/l.conf"
EOF
chmod 755 "$work/nginx-eq" "$work/lighttpd-eq"

for p in ceiling fork-ceiling sendfile-ref bulk-client; do
	cc -O2 -o "$work/$p" "$here/$p.c" || { echo "bench.sh: cannot build $here/$p.c" >&2; exit 1; }
done
# The io_uring reference (../shared/bench/uring-limit.c, liburing) when it is there and builds,
# with the others' command line.
uring=
if [ -f "$shared/uring-limit.c" ]; then
	if cc -O2 -o "$work/uring-limit" "$shared/uring-limit.c" -luring 2>/dev/null; then
		uring=1
		cat >"$work/uring-eq" <<'EOF'
#!/bin/bash
listen=127.0.0.1:8080
while [ $# -gt 0 ]; do case "$1" in --listen) listen=$2; shift 2;; *) shift;; esac; done
exec "$(dirname "$0")/uring-limit" "${listen##*:}" 1024
EOF
		chmod 755 "$work/uring-eq"
	else
		echo "bench.sh: $shared/uring-limit.c does not build (apt-get install liburing-dev); no io_uring column" >&2
	fi
fi

all_servers=(event)
[ -n "$cand" ] && all_servers+=(candidate)
all_servers+=(fork)
command -v nginx >/dev/null && all_servers+=(nginx)
command -v lighttpd >/dev/null && all_servers+=(lighttpd)
all_servers+=(ceiling ceiling16k fork-ceiling sendfile-ref)
[ -n "$uring" ] && all_servers+=(uring)
servers=()
for s in "${all_servers[@]}"; do
	case " ${BENCH_SERVERS:-${all_servers[*]}} " in *" $s "*) servers+=("$s");; esac
done

# server command line (the shims' command line); --max-conns above the idle-connection count
server_cmd() { # NAME -> array cmd
	case "$1" in
	event) cmd=("$serve" --model event --quiet --max-conns 4096);;
	candidate) cmd=("$cand" --model event --quiet --max-conns 4096);;
	fork) cmd=("$serve" --model fork --quiet --max-conns 4096);;
	nginx) cmd=("${nginx_cmd[@]}" --model event --quiet);;
	lighttpd) cmd=("${lighttpd_cmd[@]}" --model event --quiet);;
	ceiling) cmd=("$work/ceiling" --body 1024);;
	ceiling16k) cmd=("$work/ceiling" --body 16384);;
	fork-ceiling) cmd=("$work/fork-ceiling");;
	sendfile-ref) cmd=("$work/sendfile-ref");;
	uring) cmd=("$work/uring-eq");;
	w[0-9]*-*) local n=${1%%-*}; cmd=("$serve" --model event --quiet --max-conns 4096 --workers "${n#w}");;
	esac
}

spin=0 cpin=1 wthreads=1 # the server's and the client's CPUs, wrk's threads
start_server() { # NAME [extra args] -> spid, port
	local name=$1; shift
	server_cmd "$name"
	port=$(free_port)
	setsid taskset -c "$spin" "${cmd[@]}" "$@" --root "$www" --listen "127.0.0.1:$port" \
		>"$work/$name.log" 2>&1 </dev/null &
	spid=$!
	live+=("$spid")
	local i
	for i in $(seq 100); do
		curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/1k.bin" && break
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.1
	done
	if ! kill -0 "$spid" 2>/dev/null; then
		echo "bench.sh: $name did not start:" >&2; cat "$work/$name.log" >&2; return 1
	fi
	# remember the shim's temporary directory (nginx -p DIR / lighttpd -f DIR/l.conf) to remove it
	local a
	a=$(tr '\0 ' '\n' <"/proc/$spid/cmdline" 2>/dev/null | awk 'p{print; exit} /^-p$|^-f$/{p=1}')
	[ -n "$a" ] && { [ -d "$a" ] && tmpdirs[$spid]=$a || tmpdirs[$spid]=$(dirname "$a"); }
	return 0
}

descendants() { # PID -> all descendant pids
	local t k kids
	for t in /proc/"$1"/task/*/children; do
		kids=()
		{ read -r -a kids <"$t"; } 2>/dev/null
		for k in "${kids[@]}"; do echo "$k"; descendants "$k"; done
	done
}
kb() { awk -v k="$2:" '$1==k{print $2; f=1} END{if(!f) print 0}' "/proc/$1/status" 2>/dev/null || echo 0; }

# CPU time of a server in nanoseconds: the on-CPU time (user + system) of every thread of the
# process and of its live descendants, from /proc/PID/task/TID/schedstat (nanoseconds: utime and
# stime are whole clock ticks per process, which would drop up to a tick for every short-lived
# fork-model child), plus cutime + cstime of each, where the time of children already reaped has
# gone (summed exactly by the kernel, rounded down to a tick once). The server itself is read
# last: a child reaped meanwhile is then counted twice at worst, never lost. Without schedstat,
# utime + stime from /proc/PID/stat (ticks) stand in. In /proc/PID/stat, after the ") " that
# ends the command name, utime is $12, stime $13, cutime $14 and cstime $15.
if [ -r /proc/self/schedstat ]; then
	cpu_ns() { # PID...
		local k ss=() st=()
		for k in "$@"; do ss+=(/proc/"$k"/task/*/schedstat); st+=("/proc/$k/stat"); done
		{ cat "${ss[@]}" 2>/dev/null | awk '{ t += $1 } END { printf "%.0f ", t }'
		  cat "${st[@]}" 2>/dev/null | awk '{ sub(/^.*\) /, ""); t += $14 + $15 } END { printf "%.0f\n", t }'
		} | awk -v hz="$hz" '{ printf "%.0f\n", $1 + $2 * 1e9 / hz }'
	}
else
	cpu_ns() { # PID...
		local k st=()
		for k in "$@"; do st+=("/proc/$k/stat"); done
		cat "${st[@]}" 2>/dev/null |
			awk -v hz="$hz" '{ sub(/^.*\) /, ""); t += $12 + $13 + $14 + $15 } END { printf "%.0f\n", t * 1e9 / hz }'
	}
fi
tree_ns() { # PID: cpu_ns of the server's whole tree, children first and the server last
	local t
	mapfile -t t < <(descendants "$1")
	cpu_ns "${t[@]}" "$1"
}
# CPU 0 (the server's) and CPU 1 (the client's) from /proc/stat: busy, softirq and total ticks.
cpu_stat() {
	awk '$1 == "cpu0" || $1 == "cpu1" { busy = $2 + $3 + $4 + $7 + $8 + $9
		printf "%.0f %.0f %.0f ", busy, $8, busy + $5 + $6 } END { print "" }' /proc/stat
}

# The client, in a subshell of its own: its output, then its CPU time (user + system of wrk or
# bulk-client, from the shell's `times`, milliseconds) in microseconds in $work/client-us.
run_client() { # TOOL args...
	local tool=$1 rc=0; shift
	if [ "$tool" = wrk ]; then
		taskset -c "$cpin" wrk --latency -t"$wthreads" -d"${secs}s" "$@" 2>&1 || rc=$?
	else
		taskset -c "$cpin" "$work/bulk-client" -d "$secs" "$@" 2>&1 || rc=$?
	fi
	times >"$work/times"
	awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); t += a[1] * 60 + a[2] }
		printf "%.0f\n", t * 1e6 }' "$work/times" >"$work/client-us"
	return $rc
}

# measure NAME CASE REP TOOL client-args... : one run of wrk or bulk-client, one line in raw.tsv:
#   server case rep tool rps p50_ms p99_ms MBps non2xx sockerr requests server_cpu_ns
#   cpu0_busy cpu0_softirq cpu0_total cpu1_busy cpu1_total (clock ticks) load1 client_cpu_us
# and the CPU nanoseconds of each process of the server (main first) in procs.tsv.
measure() {
	local name=$1 case=$2 r=$3 tool=$4; shift 4
	local out t0 t1 s0 s1 rc=0 load p
	load=$(cut -d' ' -f1 /proc/loadavg)
	declare -A p0=()
	for p in "$spid" $(descendants "$spid"); do p0[$p]=$(cpu_ns "$p"); done
	s0=$(cpu_stat); t0=$(tree_ns "$spid")
	out=$(run_client "$tool" "$@") || rc=$?
	t1=$(tree_ns "$spid"); s1=$(cpu_stat)
	{
		printf '%s\t%s\t%s' "$name" "$case" "$r"
		for p in "$spid" $(descendants "$spid"); do printf '\t%s' $(($(cpu_ns "$p") - ${p0[$p]:-0})); done
		echo
	} >>"$work/procs.tsv"
	echo "$out" >>"$work/$tool-$name-$case.log"
	if [ $rc -ne 0 ]; then
		echo "$name $case run $r: $tool failed (exit $rc): $(echo "$out" | tail -n 3 | tr '\n' ' ')" >>"$work/anomalies"
		return
	fi
	local extra
	extra=$(printf '%s\t' "$((t1 - t0))"; echo "$s0 $s1" | awk '{
		printf "%.0f\t%.0f\t%.0f\t%.0f\t%.0f", $7 - $1, $8 - $2, $9 - $3, $10 - $4, $12 - $6 }')
	extra="$extra	$load	$(cat "$work/client-us")"
	if [ "$tool" = wrk ]; then
		echo "$out" | awk -v s="$name" -v c="$case" -v r="$r" -v x="$extra" '
			function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
			function mb(v) { if (v ~ /GB$/) return v*1024; if (v ~ /MB$/) return v+0; if (v ~ /KB$/) return v/1024; if (v ~ /B$/) return v/1048576; return v }
			/^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
			/requests in/ { n = $1 }
			/Requests\/sec/ { rps = $2 } /Transfer\/sec/ { tr = mb($2) }
			/Non-2xx or 3xx/ { n2 = $NF }
			/Socket errors/ { gsub(",", ""); se = $4 + $6 + $8 + $10 }
			END { printf "%s\t%s\t%s\twrk\t%.0f\t%.3f\t%.3f\t%.1f\t%d\t%d\t%d\t%s\n",
				s, c, r, rps, p50, p99, tr, n2, se, n, x }' >>"$raw"
	else
		echo "$out" | tr ' ' '\n' | awk -F= -v s="$name" -v c="$case" -v r="$r" -v x="$extra" '
			{ v[$1] = $2 }
			END { printf "%s\t%s\t%s\tbulk\t%.0f\t%.3f\t%.3f\t%.1f\t0\t0\t%d\t%s\n",
				s, c, r, v["rps"], v["p50_ms"], v["p99_ms"], v["MBps"], v["requests"], x }' >>"$raw"
	fi
}

url() { echo "http://127.0.0.1:$port/$1"; }

sanity() { # NAME: check the answers once (status and size), report mismatches
	local name=$1 f want got
	for f in 1k.bin:1024 16k.bin:16384 1m.bin:1048576 64m.bin:67108864; do
		want=${f#*:}
		got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "$(url "${f%:*}")")
		[ "$got" = "200 $want" ] || echo "$name: GET /${f%:*}: got '$got', want '200 $want'" >>"$work/anomalies"
	done
	[ "$name" = sendfile-ref ] && return # no ranges: it is the bare limit
	got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' -H 'Range: bytes=1000-1099' "$(url 1m.bin)")
	[ "$got" = "206 100" ] || echo "$name: Range bytes=1000-1099 of /1m.bin: got '$got', want '206 100'" >>"$work/anomalies"
}

: >"$raw"; : >"$idle"; : >"$mem"; : >"$work/procs.tsv"; : >"$work/anomalies"
commit=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '?')
git -C "$src" diff --quiet HEAD -- lib include examples 2>/dev/null || commit="$commit+uncommitted"
{
	echo "commit=$commit"
	echo "code=$(git -C "$src" log -1 --format=%h -- lib include examples 2>/dev/null || echo '?')"
	[ -n "$cand" ] && echo "candidate=${BENCH_CANDIDATE_NAME:-$BENCH_CANDIDATE ($(git -C "$BENCH_CANDIDATE" rev-parse --short HEAD 2>/dev/null || echo 'not a git tree'))}"
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "nproc=$(nproc)"
	echo "cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "kernel=$(uname -r)"
	echo "secs=$secs"
	echo "rep=$rep"
	echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
	command -v nginx >/dev/null && echo "nginx=$(nginx -v 2>&1 | sed 's/.*nginx\///')"
	command -v lighttpd >/dev/null && echo "lighttpd=$(lighttpd -v 2>/dev/null | sed -n 's/^lighttpd\/\([^ ]*\).*/\1/p')"
	echo "wrk=$(wrk -v 2>&1 | awk 'NR==1 { print $2 }')"
} >"$meta"
# the build type, from the build's own record of its options
python3 - "$build" >>"$meta" 2>/dev/null <<'PY'
import json, sys
for o in json.load(open(sys.argv[1] + "/meson-info/intro-buildoptions.json")):
    if o["name"] == "buildtype":
        print("buildtype=" + o["value"])
PY
echo "bench.sh: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); ${secs}s per run, median of $rep; $commit" >&2

# All servers run at once (each idle unless driven), and the runs are interleaved: for each
# repetition, each case is run against every server back to back (in an order that rotates from
# one repetition to the next), so a burst of load from other work on the machine hits all
# servers alike instead of one server's block of cases.
declare -A spids=() ports=()
for name in "${servers[@]}"; do
	start_server "$name" || continue
	spids[$name]=$spid; ports[$name]=$port
	case "$name" in ceiling*|fork-ceiling|uring) continue;; esac
	sanity "$name"
	[ "$name" = sendfile-ref ] && continue
	[ "$nidle" -gt 0 ] || continue
	# (f) idle connections, on the fresh server before any load
	echo "bench.sh: idle connections: $name" >&2
	echo "$name 1 $(python3 "$here/idle.py" "$port" "$spid" "$nidle" /1k.bin 2>&1 | tr '\n' ' ')" >>"$idle"
done
# CASE-ID|SERVERS|TOOL|client args (PATH last)
cases=(
	"a-1k-ka-c64|event fork nginx lighttpd ceiling uring|wrk|-c64|1k.bin"
	"b-1k-close-c16|event fork nginx lighttpd ceiling fork-ceiling|wrk|-c16 -H 'Connection: close'|1k.bin"
	"c-16k-ka-c64|event fork nginx lighttpd ceiling16k sendfile-ref|wrk|-c64|16k.bin"
	"d-64m-c4|event fork nginx lighttpd sendfile-ref|wrk|-c4|64m.bin"
	"e-range100-1m-ka-c64|event fork nginx lighttpd|wrk|-c64 -H 'Range: bytes=1000-1099'|1m.bin"
	"g-16k-bulk-c64|event nginx lighttpd ceiling16k sendfile-ref|bulk|-c64 -l 16384|16k.bin"
	"h-64m-bulk-c4|event fork nginx lighttpd sendfile-ref|bulk|-c4 -l 67108864|64m.bin"
	"i-1m-ka-c16|event fork nginx lighttpd sendfile-ref|wrk|-c16|1m.bin"
	"j-1m-bulk-c16|event fork nginx lighttpd sendfile-ref|bulk|-c16 -l 1048576|1m.bin"
	"s-1k-ka-c16|event|wrk|-c16|1k.bin"
	"k-1k-ka-c256|event nginx lighttpd ceiling uring|wrk|-c256|1k.bin"
)
for r in $(seq "$rep"); do
	for c in "${cases[@]}"; do
		IFS='|' read -r cid who tool args path <<<"$c"
		wanted "$cid" || continue
		echo "bench.sh: run $r/$rep: $cid" >&2
		[ -n "$cand" ] && who=${who/event/event candidate}
		read -r -a order <<<"$who"
		n=${#order[@]}
		for k in $(seq 0 $((n - 1))); do
			name=${order[$(((k + r - 1) % n))]}
			[ -n "${spids[$name]:-}" ] || continue
			port=${ports[$name]}; spid=${spids[$name]}
			eval "set -- $args"   # the quoted headers in the case table stay one argument each
			measure "$name" "$cid" "$r" "$tool" "$@" "$(url "$path")"
		done
	done
done
for name in "${servers[@]}"; do
	spid=${spids[$name]:-}
	[ -n "$spid" ] || continue
	# peak RSS after the run: the main process, and the sum over its live descendants
	ksum=0; for k in $(descendants "$spid"); do ksum=$((ksum + $(kb "$k" VmHWM))); done
	printf '%s\t%s\t%s\t%s\t%s\n' "$name" 1 "$(kb "$spid" VmHWM)" "$ksum" "$(kb "$spid" VmRSS)" >>"$mem"
	kill -0 "$spid" 2>/dev/null || echo "$name: exited during the run (see log)" >>"$work/anomalies"
	stop_server "$spid"
done

# ymk_config_set_workers: 1 and 2 event-model processes, first all on CPU 0 with the client on
# CPU 1 (does splitting the work cost anything?), then server and a two-thread wrk free to use
# both cores (what a second process buys when the client shares the machine).
if wanted w; then
	echo "bench.sh: workers (--workers 1 and 2)" >&2
	variants=(w1-1core w2-1core w1-2cores w2-2cores)
	declare -A wpid=() wport=()
	for v in "${variants[@]}"; do
		case $v in *-1core) spin=0;; *) spin=0,1;; esac
		start_server "$v" || continue
		wpid[$v]=$spid; wport[$v]=$port
	done
	for r in $(seq "$rep"); do
		echo "bench.sh: run $r/$rep: w-1k-ka-c64" >&2
		for v in "${variants[@]}"; do
			[ -n "${wpid[$v]:-}" ] || continue
			case $v in *-1core) cpin=1 wthreads=1;; *) cpin=0,1 wthreads=2;; esac
			spid=${wpid[$v]}; port=${wport[$v]}
			measure "$v" w-1k-ka-c64 "$r" wrk -c64 "$(url 1k.bin)"
		done
	done
	for v in "${variants[@]}"; do [ -n "${wpid[$v]:-}" ] && stop_server "${wpid[$v]}"; done
	spin=0 cpin=1 wthreads=1
fi

# 503 past the cap: more wrk connections than --max-conns 16
if wanted cap; then
	echo "bench.sh: cap check (--max-conns 16, 64 connections)" >&2
	for m in fork event; do
		case " ${servers[*]} " in *" $m "*) ;; *) continue;; esac
		start_server "$m" --max-conns 16 || continue
		measure "$m-cap16" ka-c64 1 wrk -c64 "$(url 1k.bin)"
		measure "$m-cap16" close-c64 1 wrk -c64 -H 'Connection: close' "$(url 1k.bin)"
		kill -0 "$spid" 2>/dev/null || echo "$m --max-conns 16: exited during the cap check" >>"$work/anomalies"
		stop_server "$spid"
	done
fi
for f in "$work"/*.log; do
	grep -il -E 'segmentation|abort|assert|sanitizer' "$f" >/dev/null 2>&1 && echo "$(basename "$f"): $(grep -i -m3 -E 'segmentation|abort|assert|sanitizer' "$f")" >>"$work/anomalies"
done
echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$meta"
echo "hz=$hz" >>"$meta"
[ -n "${BENCH_RAW:-}" ] && cp "$raw" "$BENCH_RAW"
if [ -n "${BENCH_KEEP:-}" ]; then
	mkdir -p "$BENCH_KEEP" && cp "$raw" "$idle" "$mem" "$meta" "$work/procs.tsv" "$work/anomalies" "$BENCH_KEEP"/
fi
python3 "$here/report.py" "$work"
