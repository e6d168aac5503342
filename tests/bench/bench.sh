#!/bin/bash
# tests/bench/bench.sh [BUILD_DIR]
#
# The in-tree benchmark: ymawky-serve (event and fork models) side by side with nginx, lighttpd,
# a fixed-response ceiling and a fork-per-connection ceiling, on loopback. Each server is pinned
# to CPU 0 (taskset -c 0) and driven by wrk pinned to CPU 1. Prints medians of BENCH_REPEAT runs
# and the ratios against the faster peer and the ceilings, all from this one invocation.
#
#   BUILD_DIR       meson build directory with examples/ymawky-serve (default: SOURCE/build)
#   BENCH_SECONDS   length of each wrk run (default 5)
#   BENCH_REPEAT    runs per case; the median is reported (default 3)
#   BENCH_IDLE      connections for the idle-memory case (default 1000)
#   BENCH_RAW=FILE  also keep the raw per-run results (TSV) in FILE
#
# Needs: wrk, curl, python3, taskset, cc; nginx and lighttpd (skipped with a note if missing).
# Uses ../shared/bench/{nginx-shim,lighttpd-shim,ceiling.c} next to the source tree when present,
# else equivalent configurations and tests/bench/ceiling.c. Every server it starts runs in its own
# session and is killed (with its children) on exit.
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-$src/build}
build=$(cd "$build" 2>/dev/null && pwd) || { echo "bench.sh: no build directory ${1:-$src/build}" >&2; exit 1; }
serve=$build/examples/ymawky-serve
secs=${BENCH_SECONDS:-5}
rep=${BENCH_REPEAT:-3}
nidle=${BENCH_IDLE:-1000}
shared=$src/../shared/bench

[ -x "$serve" ] || { echo "bench.sh: $serve not built (meson setup -Dexamples=true)" >&2; exit 1; }
for t in wrk curl python3 taskset cc setsid; do
	command -v $t >/dev/null || { echo "bench.sh: needs $t" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || echo "bench.sh: warning: fewer than 2 CPUs; server and wrk share a core" >&2

work=$(mktemp -d /tmp/ymk-bench.XXXXXX)
chmod 755 "$work"               # nginx's worker runs as nobody when started as root
www=$work/www
raw=$work/raw.tsv               # server case rep rps p50_ms p99_ms MBps non2xx sockerr
idle=$work/idle.tsv             # server key=value...
mem=$work/mem.tsv               # server rep main_hwm kids_hwm main_rss
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

# --- peers and ceilings ----------------------------------------------------------------------
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

ceiling_src=$shared/ceiling.c
[ -f "$ceiling_src" ] || ceiling_src=$here/ceiling.c
cc -O2 -o "$work/ceiling" "$ceiling_src" || { echo "bench.sh: cannot build $ceiling_src" >&2; exit 1; }
cc -O2 -o "$work/fork-ceiling" "$here/fork-ceiling.c" || { echo "bench.sh: cannot build fork-ceiling.c" >&2; exit 1; }

servers=(event fork)
command -v nginx >/dev/null && servers+=(nginx) || echo "bench.sh: nginx not installed; skipped" >&2
command -v lighttpd >/dev/null && servers+=(lighttpd) || echo "bench.sh: lighttpd not installed; skipped" >&2
servers+=(ceiling fork-ceiling)

# server command line (the shims' command line); --max-conns above the idle-connection count
server_cmd() { # NAME -> array cmd
	case "$1" in
	event) cmd=("$serve" --model event --quiet --max-conns 4096);;
	fork) cmd=("$serve" --model fork --quiet --max-conns 4096);;
	nginx) cmd=("${nginx_cmd[@]}" --model event --quiet);;
	lighttpd) cmd=("${lighttpd_cmd[@]}" --model event --quiet);;
	ceiling) cmd=("$work/ceiling");;
	fork-ceiling) cmd=("$work/fork-ceiling");;
	esac
}

start_server() { # NAME [extra args] -> spid, port
	local name=$1; shift
	server_cmd "$name"
	port=$(free_port)
	setsid taskset -c 0 "${cmd[@]}" "$@" --root "$www" --listen "127.0.0.1:$port" \
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
	a=$(tr '\0 ' '\n\n' <"/proc/$spid/cmdline" 2>/dev/null | awk 'p{print; exit} /^-p$|^-f$/{p=1}')
	[ -n "$a" ] && { [ -d "$a" ] && tmpdirs[$spid]=$a || tmpdirs[$spid]=$(dirname "$a"); }
	return 0
}

descendants() { # PID -> all descendant pids
	local k
	for k in $(cat /proc/"$1"/task/*/children 2>/dev/null); do echo "$k"; descendants "$k"; done
}
kb() { awk -v k="$2:" '$1==k{print $2; f=1} END{if(!f) print 0}' "/proc/$1/status" 2>/dev/null || echo 0; }

# wrk NAME CASE REP wrk-args... : one run, one line in raw.tsv
wrk_run() {
	local name=$1 case=$2 r=$3; shift 3
	local out
	out=$(taskset -c 1 wrk --latency -t1 -d"${secs}s" "$@" 2>&1)
	echo "$out" >>"$work/wrk-$name-$case.log"
	echo "$out" | awk -v s="$name" -v c="$case" -v r="$r" '
		function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
		function mb(v) { if (v ~ /GB$/) return v*1024; if (v ~ /MB$/) return v+0; if (v ~ /KB$/) return v/1024; if (v ~ /B$/) return v/1048576; return v }
		/^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
		/Requests\/sec/ { rps = $2 } /Transfer\/sec/ { tr = mb($2) }
		/Non-2xx or 3xx/ { n2 = $NF }
		/Socket errors/ { gsub(",", ""); se = $4 + $6 + $8 + $10 }
		END { printf "%s\t%s\t%s\t%.0f\t%.3f\t%.3f\t%.1f\t%d\t%d\n", s, c, r, rps, p50, p99, tr, n2, se }' >>"$raw"
}

url() { echo "http://127.0.0.1:$port/$1"; }

sanity() { # NAME: check the answers once (status and size), report mismatches
	local name=$1 f want got
	for f in 1k.bin:1024 16k.bin:16384 1m.bin:1048576 64m.bin:67108864; do
		want=${f#*:}
		got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "$(url "${f%:*}")")
		[ "$got" = "200 $want" ] || echo "$name: GET /${f%:*}: got '$got', want '200 $want'" >>"$work/anomalies"
	done
	got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' -H 'Range: bytes=1000-1099' "$(url 1m.bin)")
	[ "$got" = "206 100" ] || echo "$name: Range bytes=1000-1099 of /1m.bin: got '$got', want '206 100'" >>"$work/anomalies"
}

: >"$raw"; : >"$idle"; : >"$mem"; : >"$work/anomalies"
echo "bench.sh: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); ${secs}s per run, median of $rep; $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '?')" >&2

# All servers run at once (each idle unless driven), and the runs are interleaved: for each
# repetition, each case is run against every server back to back, so a burst of load from other
# work on the machine hits all servers alike instead of one server's block of cases.
declare -A spids=() ports=()
for name in "${servers[@]}"; do
	start_server "$name" || continue
	spids[$name]=$spid; ports[$name]=$port
	case "$name" in ceiling|fork-ceiling) continue;; esac
	sanity "$name"
	# (f) idle connections, on the fresh server before any load
	echo "bench.sh: idle connections: $name" >&2
	echo "$name 1 $(python3 "$here/idle.py" "$port" "$spid" "$nidle" /1k.bin 2>&1 | tr '\n' ' ')" >>"$idle"
done
# CASE-ID SERVERS wrk-args (PATH last)
cases=(
	"a-1k-ka-c64|event fork nginx lighttpd ceiling|-c64|1k.bin"
	"b-1k-close-c16|event fork nginx lighttpd ceiling fork-ceiling|-c16 -H 'Connection: close'|1k.bin"
	"c-16k-ka-c64|event fork nginx lighttpd|-c64|16k.bin"
	"d-64m-c4|event fork nginx lighttpd|-c4|64m.bin"
	"e-range100-1m-ka-c64|event fork nginx lighttpd|-c64 -H 'Range: bytes=1000-1099'|1m.bin"
	"s-1k-ka-c16|event|-c16|1k.bin"
	"s-1k-ka-c256|event|-c256|1k.bin"
	"s-1m-ka-c64|event|-c64|1m.bin"
)
for r in $(seq "$rep"); do
	for c in "${cases[@]}"; do
		IFS='|' read -r cid who args path <<<"$c"
		echo "bench.sh: run $r/$rep: $cid" >&2
		for name in $who; do
			[ -n "${spids[$name]:-}" ] || continue
			port=${ports[$name]}
			eval "set -- $args"   # the quoted headers in the case table stay one argument each
			wrk_run "$name" "$cid" "$r" "$@" "$(url "$path")"
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

# 503 past the cap: more wrk connections than --max-conns 16
echo "bench.sh: cap check (--max-conns 16, 64 connections)" >&2
for m in fork event; do
	start_server "$m" --max-conns 16 || continue
	wrk_run "$m-cap16" ka-c64 1 -c64 "$(url 1k.bin)"
	wrk_run "$m-cap16" close-c64 1 -c64 -H 'Connection: close' "$(url 1k.bin)"
	kill -0 "$spid" 2>/dev/null || echo "$m --max-conns 16: exited during the cap check" >>"$work/anomalies"
	stop_server "$spid"
done
for f in "$work"/*.log; do
	grep -il -E 'segmentation|abort|assert|sanitizer' "$f" >/dev/null 2>&1 && echo "$(basename "$f"): $(grep -i -m3 -E 'segmentation|abort|assert|sanitizer' "$f")" >>"$work/anomalies"
done
[ -n "${BENCH_RAW:-}" ] && cp "$raw" "$BENCH_RAW"

python3 - "$raw" "$idle" "$mem" "$work/anomalies" "$secs" "$rep" <<'PY'
import sys, statistics as st
raw, idlef, memf, anomf, secs, rep = sys.argv[1:7]
R = {}
for line in open(raw):
    s, c, r, rps, p50, p99, mbps, n2, se = line.rstrip("\n").split("\t")
    R.setdefault((s, c), []).append((float(rps), float(p50), float(p99), float(mbps), int(n2), int(se)))
def med(s, c, i):
    v = R.get((s, c))
    return st.median(x[i] for x in v) if v else None
def tot(s, c, i):
    v = R.get((s, c)); return sum(x[i] for x in v) if v else 0
servers = [s for s in ["event", "fork", "nginx", "lighttpd", "ceiling", "fork-ceiling"] if any(k[0] == s for k in R)]
cases = [("a-1k-ka-c64", "(a) 1 KiB keep-alive, 64 conns"), ("b-1k-close-c16", "(b) 1 KiB new conn/request, 16 conns"),
         ("c-16k-ka-c64", "(c) 16 KiB keep-alive, 64 conns"), ("d-64m-c4", "(d) 64 MiB, 4 conns"),
         ("e-range100-1m-ka-c64", "(e) Range 100 B of 1 MiB, keep-alive 64")]
def f(v, fmt="{:.0f}"): return "-" if v is None else fmt.format(v)
print(f"\n== Medians of {rep} runs of {secs}s each (server on CPU 0, wrk -t1 on CPU 1); req/s, p50/p99 ms; MB/s = 2^20 B/s")
print(f"{'case':42} " + " ".join(f"{s:>22}" for s in servers))
for c, label in cases:
    cells = []
    for s in servers:
        if (s, c) not in R: cells.append(f"{'-':>22}"); continue
        if c.startswith("d-"):
            cells.append(f"{f(med(s, c, 3), '{:.0f}') + ' MB/s':>22}")
        else:
            cells.append(f"{f(med(s, c, 0)) + ' ' + f(med(s, c, 1), '{:.2f}') + '/' + f(med(s, c, 2), '{:.2f}'):>22}")
    print(f"{label:42} " + " ".join(cells))
    if c.startswith("d-"):
        print(f"{'    p50/p99 ms':42} " + " ".join(f"{(f(med(s, c, 1), '{:.1f}') + '/' + f(med(s, c, 2), '{:.1f}')) if (s, c) in R else '-':>22}" for s in servers))

# idle memory
I = {}
for line in open(idlef):
    parts = line.split()
    s = parts[0]; kv = dict(p.split("=", 1) for p in parts[2:] if "=" in p)
    if "open_main" not in kv:
        I.setdefault(s, []).append(None); print(f"idle.py failed for {s}: {line.strip()}", file=sys.stderr); continue
    kv = {k: int(v) for k, v in kv.items()}
    n = kv["n"]
    if kv["nkids_base"] > 0:   # master + workers: the workers' delta; master reported separately
        rss = (kv["open_kids"] - kv["base_kids"]) * 1024 / n
    else:                      # single process (event, lighttpd), or fork model (children appear)
        rss = (kv["open_main"] + kv["open_kids"] - kv["base_main"] - kv["base_kids"]) * 1024 / n
    pss = (kv["open_pss"] - kv["base_pss"]) * 1024 / n
    I.setdefault(s, []).append((rss, pss, kv))
print(f"\n(f) memory per idle keep-alive connection ({'/'.join(str(x[2]['n']) for x in I.get('event', []) if x)} connections after one request each; median over runs)")
print(f"{'server':14} {'B/conn (RSS)':>13} {'B/conn (PSS)':>13} {'baseline RSS KiB':>17} {'with conns KiB':>15} {'master RSS KiB':>15} {'alive':>6} {'200s':>6}")
M = {}
for line in open(memf):
    s, r, mh, kh, mr = line.split()
    M.setdefault(s, []).append((int(mh), int(kh), int(mr)))
idle_rss = {}
for s in servers:
    v = [x for x in I.get(s, []) if x]
    if not v: continue
    rss = st.median(x[0] for x in v); pss = st.median(x[1] for x in v); idle_rss[s] = rss
    kv = v[0][2]
    mw = kv["nkids_base"] > 0
    base = kv["base_kids"] if mw else kv["base_main"]
    opn = kv["open_kids"] if mw else kv["open_main"] + kv["open_kids"]
    master = str(kv["open_main"]) if mw else "-"
    print(f"{s:14} {rss:13.0f} {pss:13.0f} {base:17} {opn:15} {master:>15} {min(x[2]['alive'] for x in v):>6} {min(x[2]['ok'] for x in v):>6}")
print("\npeak RSS (VmHWM, KiB) after the run, max over runs: main process / sum over live descendants")
for s in servers:
    if s in M:
        print(f"  {s:14} main {max(x[0] for x in M[s]):>8}   descendants {max(x[1] for x in M[s]):>8}")

def best_peer(c, i):
    p = [(med(s, c, i), s) for s in ("nginx", "lighttpd") if (s, c) in R]
    return max(p) if p else (None, None)
def ratio(a, b): return None if a is None or not b else a / b
print("\n== Ratios (same run)")
for c, label in cases:
    i = 3 if c.startswith("d-") else 0
    bp, bs = best_peer(c, i)
    for s in ("event", "fork"):
        if (s, c) in R and bp:
            print(f"  {s:6} {label:42} / faster peer ({bs}): {ratio(med(s, c, i), bp):.2f}x")
checks = []
def chk(name, val, target, ge=True):
    if val is None: checks.append(f"  [n/a ] {name}"); return
    ok = val >= target if ge else val <= target
    checks.append(f"  [{'MET ' if ok else 'MISS'}] {name}: {val:.2f} (target {'>=' if ge else '<='} {target})")
bp, bs = best_peer("a-1k-ka-c64", 0)
chk(f"event 1 KiB keep-alive / faster peer ({bs})", ratio(med("event", "a-1k-ka-c64", 0), bp), 1.0)
chk("event 1 KiB keep-alive / ceiling", ratio(med("event", "a-1k-ka-c64", 0), med("ceiling", "a-1k-ka-c64", 0)), 0.9)
bp, bs = best_peer("d-64m-c4", 3)
chk(f"event 64 MiB MB/s / faster peer ({bs})", ratio(med("event", "d-64m-c4", 3), bp), 0.95)
peers = [(idle_rss[s], s) for s in ("nginx", "lighttpd") if s in idle_rss]
if "event" in idle_rss and peers:
    lean = min(peers)
    checks.append(f"  [{'MET ' if idle_rss['event'] <= lean[0] else 'MISS'}] event idle B/conn {idle_rss['event']:.0f} vs leaner peer ({lean[1]}) {lean[0]:.0f} (target <=; ratio {idle_rss['event'] / lean[0] if lean[0] > 0 else float('nan'):.2f}x)")
chk("fork 1 KiB new conn/request / fork-ceiling", ratio(med("fork", "b-1k-close-c16", 0), med("fork-ceiling", "b-1k-close-c16", 0)), 0.67)
cap = []
for m in ("fork", "event"):
    for c in ("ka-c64", "close-c64"):
        if (m + "-cap16", c) in R:
            rps, _, _, _, n2, se = R[(m + "-cap16", c)][0]
            cap.append((m, c, rps, n2, se))
for m, c, rps, n2, se in cap:
    if m == "fork":
        checks.append(f"  [{'MET ' if n2 > 0 and se == 0 else 'MISS'}] fork --max-conns 16, wrk {c}: {n2} non-2xx (503), {se} socket errors, {rps:.0f} req/s (target: 503s, no socket errors)")
print("\n== Targets")
print("\n".join(checks))
print("\n== Past the cap (--max-conns 16, 64 wrk connections, one run each)")
for m, c, rps, n2, se in cap:
    print(f"  {m:6} {c:10} {rps:9.0f} req/s  non-2xx {n2:8}  socket errors {se}")
print("\n== Scaling (event model, keep-alive): req/s  p50/p99 ms")
for c, label in [("s-1k-ka-c16", "1 KiB, 16 conns"), ("a-1k-ka-c64", "1 KiB, 64 conns"), ("s-1k-ka-c256", "1 KiB, 256 conns"),
                 ("c-16k-ka-c64", "16 KiB, 64 conns"), ("s-1m-ka-c64", "1 MiB, 64 conns")]:
    if ("event", c) in R:
        print(f"  {label:18} {med('event', c, 0):9.0f}  {med('event', c, 1):.2f}/{med('event', c, 2):.2f}  ({med('event', c, 3):.0f} MB/s)")
an = [l.rstrip() for l in open(anomf) if l.strip()]
for (s, c), v in sorted(R.items()):
    if s.endswith("-cap16"): continue
    n2 = sum(x[4] for x in v); se = sum(x[5] for x in v)
    note = (" (expected: the ceiling's answer has no 'Connection: close', so wrk counts each close as a read error)"
            if s == "ceiling" and c.startswith("b-") and not n2 else "")
    if n2 or se: an.append(f"{s} {c}: {n2} non-2xx, {se} socket errors over {len(v)} runs{note}")
for s in servers:
    v = [x for x in I.get(s, []) if x]
    for x in v:
        if x[2]["alive"] < x[2]["n"] or x[2]["ok"] < x[2]["n"]:
            an.append(f"{s} idle: {x[2]['ok']}/{x[2]['n']} answered 200, {x[2]['alive']} still open at sampling")
print("\n== Anomalies")
print("\n".join("  " + a for a in an) if an else "  none")
PY
