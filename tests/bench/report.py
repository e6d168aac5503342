#!/usr/bin/env python3
"""The benchmark's report, from the files that tests/bench/bench.sh writes.

report.py DIR

DIR holds raw.tsv (one line per run), procs.tsv, idle.tsv, mem.tsv, anomalies and meta, as
bench.sh leaves them in its work directory or, with BENCH_KEEP=DIR, keeps them. Prints Markdown
(headings from level 2, to paste into docs/performance.md): the medians per case and server
(requests/s, latency, MB/s, the server's and the client's CPU per request, the CPU counters),
the ratios, the target table with PASS/MISS (and again with a candidate build in the event
model's place, if the run had one), the cap check, the event model's scaling, the workers,
memory per idle connection and the anomalies. Everything printed comes from the one run in DIR.
"""
import statistics as st
import sys

COLS = ["event", "candidate", "fork", "nginx", "lighttpd", "ceiling", "uring", "fork-ceiling", "sendfile-ref"]
PEERS = ("nginx", "lighttpd")
# (id, label, reference program for the case or None)
CASES = [
    ("a-1k-ka-c64", "(a) 1 KiB keep-alive, 64 conns", "ceiling"),
    ("b-1k-close-c16", "(b) 1 KiB new conn/request, 16 conns", "fork-ceiling"),
    ("c-16k-ka-c64", "(c) 16 KiB keep-alive, 64 conns", "ceiling16k"),
    ("d-64m-c4", "(d) 64 MiB, 4 conns", "sendfile-ref"),
    ("e-range100-1m-ka-c64", "(e) Range 100 B of 1 MiB, keep-alive 64", None),
    ("g-16k-bulk-c64", "(g) 16 KiB keep-alive, 64 conns, bulk-client", "ceiling16k"),
    ("h-64m-bulk-c4", "(h) 64 MiB, 4 conns, bulk-client", "sendfile-ref"),
    ("i-1m-ka-c16", "(i) 1 MiB keep-alive, 16 conns", "sendfile-ref"),
    ("j-1m-bulk-c16", "(j) 1 MiB keep-alive, 16 conns, bulk-client", "sendfile-ref"),
    ("k-1k-ka-c256", "(k) 1 KiB keep-alive, 256 conns", "ceiling"),
]
LARGE = ("d-", "h-", "i-", "j-")
FIELDS = ["server", "case", "rep", "tool", "rps", "p50", "p99", "mbps", "non2xx", "sockerr", "requests",
          "cpu_ns", "c0_busy", "c0_soft", "c0_total", "c1_busy", "c1_total", "load1", "client_us"]


def load(d):
    meta = {}
    for line in open(f"{d}/meta"):
        k, _, v = line.rstrip("\n").partition("=")
        meta[k] = v
    runs = {}
    for line in open(f"{d}/raw.tsv"):
        v = dict(zip(FIELDS, line.rstrip("\n").split("\t")))
        if len(v) < len(FIELDS):
            continue
        run = {k: float(v[k]) for k in ("rps", "p50", "p99", "mbps")}
        for k in ("non2xx", "sockerr", "requests", "cpu_ns", "c0_busy", "c0_soft", "c0_total", "c1_busy", "c1_total",
                  "client_us"):
            run[k] = int(v[k])
        run["load1"] = float(v["load1"])
        run["tool"] = v["tool"]
        n = run["requests"]
        run["client_cpu_us"] = run["client_us"] / n if n else None
        run["cpu_us"] = run["cpu_ns"] / 1e3 / n if n else None
        run["soft"] = run["c0_soft"] / run["c0_busy"] if run["c0_busy"] else None
        run["c0"] = run["c0_busy"] / run["c0_total"] if run["c0_total"] else None
        run["c1"] = run["c1_busy"] / run["c1_total"] if run["c1_total"] else None
        runs.setdefault((v["server"], v["case"]), []).append(run)
    return meta, runs


def server_for(col, case):
    """The server shown in a column for a case: the fixed-answer column holds the 16 KiB
    program in the 16 KiB cases."""
    if col == "ceiling" and case.startswith(("c-", "g-")):
        return "ceiling16k"
    return col


class Report:
    def __init__(self, d):
        self.meta, self.R = load(d)
        self.d = d

    def med(self, s, c, k):
        v = [r[k] for r in self.R.get((s, c), []) if r[k] is not None]
        return st.median(v) if v else None

    def has(self, s, c):
        return (s, c) in self.R

    def faster_peer(self, c, k="rps"):
        p = [(self.med(s, c, k), s) for s in PEERS if self.has(s, c)]
        return max(p) if p else (None, None)

    def leaner_peer(self, c):
        p = [(self.med(s, c, "cpu_us"), s) for s in PEERS if self.has(s, c) and self.med(s, c, "cpu_us")]
        return min(p) if p else (None, None)


def ratio(a, b):
    return None if a is None or not b else a / b


def fx(v):
    return "-" if v is None else f"{v:.2f}x"


def fcpu(us):
    if us is None:
        return "-"
    if us >= 10000:
        return f"{us / 1000:.1f} ms"
    return f"{us:.1f} µs" if us < 100 else f"{us:.0f} µs"


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def main():
    rp = Report(sys.argv[1])
    R, m = rp.R, rp.meta
    cases = [c for c in CASES if any(k[1] == c[0] for k in R)]
    cols = [s for s in COLS if any(server_for(s, c[0]) == k[0] for c in cases for k in R)]
    loads = [r["load1"] for v in R.values() for r in v]
    print(f"## Benchmark run: {m.get('commit', '?')} ({m.get('date', '?')})\n")
    print(f"The library and the examples as of commit {m.get('code', '?')} (the last to change lib/, include/ or "
          "examples/).\n")
    print(f"{m.get('nproc', '?')} CPUs ({m.get('cpu', '?')}), kernel {m.get('kernel', '?')}; "
          f"{m.get('buildtype', '?')} build; nginx {m.get('nginx', '-')}, lighttpd {m.get('lighttpd', '-')}, "
          f"wrk {m.get('wrk', '?')}. Medians of {m.get('rep')} runs of {m.get('secs')} s; servers on CPU 0, "
          f"the client (wrk -t1 or bulk-client) on CPU 1. Load average (1, 5, 15 min) "
          f"{m.get('load_start', '?')} at the start, {m.get('load_end', '?')} at the end"
          + (f"; 1-minute load {min(loads):.2f} to {max(loads):.2f} over the runs." if loads else "."))
    print("The fixed-answer column is the 1 KiB program in (a)/(b) and the 16 KiB one in (c)/(g).")

    def grid(title, cell):
        rows = []
        for c, label, _ in cases:
            rows.append([label] + [cell(server_for(s, c), c) if rp.has(server_for(s, c), c) else "-" for s in cols])
        print(f"\n### {title}\n")
        print(table(["case"] + cols, rows))

    grid("Requests/s", lambda s, c: f"{rp.med(s, c, 'rps'):.0f}")
    grid("Latency p50 / p99 (ms)", lambda s, c: f"{rp.med(s, c, 'p50'):.2f} / {rp.med(s, c, 'p99'):.2f}")
    print("\n### MB/s (2^20 bytes/s, all bytes received)\n")
    rows = [[label] + [f"{rp.med(s, c, 'mbps'):.0f}" if rp.has(s, c) else "-" for s in cols]
            for c, label, _ in cases if c.startswith(LARGE) or c.startswith("g-")]
    print(table(["case"] + cols, rows))
    grid("Server CPU per request (user + system time of the server and its children, live or reaped)",
         lambda s, c: fcpu(rp.med(s, c, "cpu_us")))

    def pct(v):
        return "-" if v is None else f"{100 * v:.0f}"
    grid("CPU counters (%): softirq share of CPU 0's busy time / CPU 0 busy / CPU 1 (client) busy",
         lambda s, c: f"{pct(rp.med(s, c, 'soft'))} / {pct(rp.med(s, c, 'c0'))} / {pct(rp.med(s, c, 'c1'))}")
    grid("Client CPU per request (user + system of wrk or bulk-client)", lambda s, c: fcpu(rp.med(s, c, "client_cpu_us")))

    # ratios
    print("\n### Ratios (same run): event and fork against the faster peer (req/s), the leaner peer "
          "(CPU per request) and the case's reference program\n")
    rows = []
    for c, label, ref in cases:
        bp, bs = rp.faster_peer(c)
        lp, ls = rp.leaner_peer(c)
        row = [label, f"{bs or '-'}", f"{ls or '-'}"]
        for s in ("event", "fork"):
            if not rp.has(s, c):
                row += ["-", "-", "-"]
                continue
            row.append(fx(ratio(rp.med(s, c, "rps"), bp)))
            row.append(fx(ratio(rp.med(s, c, "cpu_us"), lp)))
            if ref and rp.has(ref, c):
                row.append(f"{fx(ratio(rp.med(s, c, 'rps'), rp.med(ref, c, 'rps')))} / "
                           f"{fx(ratio(rp.med(s, c, 'cpu_us'), rp.med(ref, c, 'cpu_us')))}")
            else:
                row.append("-")
        rows.append(row)
    print(table(["case", "faster peer", "leaner peer", "event req/s ÷ faster", "event CPU ÷ leaner",
                 "event ÷ reference (req/s / CPU)", "fork req/s ÷ faster", "fork CPU ÷ leaner",
                 "fork ÷ reference (req/s / CPU)"], rows))

    # targets
    idle = idle_memory(rp)
    cap = []
    for mdl in ("fork", "event"):
        for cc in ("ka-c64", "close-c64"):
            for r in R.get((mdl + "-cap16", cc), [])[:1]:
                cap.append((mdl, cc, r))
    print("\n### Targets\n")
    print_targets(rp, cases, "event", idle, cap)
    if any(k[0] == "candidate" for k in R):
        print(f"\n### Candidate build ({m.get('candidate', '?')}) against the event model, same run\n")
        rows = []
        for c, label, _ in cases:
            if rp.has("candidate", c) and rp.has("event", c):
                rows.append([label, fx(ratio(rp.med("candidate", c, "rps"), rp.med("event", c, "rps"))),
                             fx(ratio(rp.med("candidate", c, "cpu_us"), rp.med("event", c, "cpu_us"))),
                             f"{rp.med('event', c, 'p50'):.2f} → {rp.med('candidate', c, 'p50'):.2f}"])
        print(table(["case", "req/s candidate ÷ event", "CPU/request candidate ÷ event", "p50 ms event → candidate"],
                    rows))
        print("\nThe targets with the candidate in the event model's place:\n")
        print_targets(rp, cases, "candidate", idle, [])

    if cap:
        print("\n### Past the cap (--max-conns 16, 64 wrk connections, one run each)\n")
        print(table(["model", "case", "req/s", "non-2xx", "socket errors"],
                    [[mdl, cc, f"{r['rps']:.0f}", str(r["non2xx"]), str(r["sockerr"])] for mdl, cc, r in cap]))

    rows = []
    for c, label in [("s-1k-ka-c16", "1 KiB, 16 conns"), ("a-1k-ka-c64", "1 KiB, 64 conns"),
                     ("k-1k-ka-c256", "1 KiB, 256 conns"), ("c-16k-ka-c64", "16 KiB, 64 conns"),
                     ("i-1m-ka-c16", "1 MiB, 16 conns")]:
        if rp.has("event", c):
            rows.append([label, f"{rp.med('event', c, 'rps'):.0f}",
                         f"{rp.med('event', c, 'p50'):.2f} / {rp.med('event', c, 'p99'):.2f}",
                         f"{rp.med('event', c, 'mbps'):.0f}", fcpu(rp.med("event", c, "cpu_us"))])
    if rows:
        print("\n### Scaling (event model, keep-alive, wrk)\n")
        print(table(["case", "req/s", "p50 / p99 ms", "MB/s", "CPU/request"], rows))

    workers(rp)

    if idle:
        print(f"\n### (f) Memory per idle keep-alive connection ({idle_n(rp)} connections after one request each)\n")
        rows = []
        for s in cols:
            if s in idle:
                rss, pss, base, opn, master, alive, ok = idle[s]
                rows.append([s, f"{rss:.0f}", f"{pss:.0f}", str(base), str(opn), master, str(alive), str(ok)])
        print(table(["server", "B/conn (RSS)", "B/conn (PSS)", "RSS before (KiB)", "with conns (KiB)",
                     "master RSS (KiB)", "alive", "200s"], rows))
    M = {}
    for line in open(f"{rp.d}/mem.tsv"):
        s, _, mh, kh, _ = line.split()
        M.setdefault(s, []).append((int(mh), int(kh)))
    if M:
        print("\nPeak RSS (VmHWM, KiB) after the run, main process / sum over live descendants: "
              + "; ".join(f"{s} {max(x[0] for x in M[s])} / {max(x[1] for x in M[s])}" for s in cols if s in M))

    an = [ln.rstrip() for ln in open(f"{rp.d}/anomalies") if ln.strip()]
    for (s, c), v in sorted(R.items()):
        if s.endswith("-cap16"):
            continue
        n2 = sum(x["non2xx"] for x in v)
        se = sum(x["sockerr"] for x in v)
        note = (" (expected: the fixed answer has no 'Connection: close', so wrk counts each close as a read error)"
                if s == "ceiling" and c.startswith("b-") and not n2 else "")
        if n2 or se:
            an.append(f"{s} {c}: {n2} non-2xx, {se} socket errors over {len(v)} runs{note}")
    for s, v in idle_rows(rp).items():
        for kv in v:
            if kv["alive"] < kv["n"] or kv["ok"] < kv["n"]:
                an.append(f"{s} idle: {kv['ok']}/{kv['n']} answered 200, {kv['alive']} still open at sampling")
    print("\n### Anomalies\n")
    print("\n".join("- " + a for a in an) if an else "none")


def print_targets(rp, cases, subj, idle, cap):
    """The target table for SUBJ (the event model, or a candidate build in its place)."""
    T = []

    def target(name, measured, val, limit, ge):
        if val is None:
            T.append([name, measured or "not measured", "-", "n/a"])
            return
        ok = val >= limit if ge else val <= limit
        T.append([name, measured, f"{val:.2f}x", "PASS" if ok else "MISS"])

    labels = dict((x[0], x[1]) for x in CASES)
    for c in ("a-1k-ka-c64", "c-16k-ka-c64"):
        short = labels[c].split(",")[0]
        ev = rp.med(subj, c, "cpu_us")
        lp, ls = rp.leaner_peer(c)
        target(f"{subj} CPU/request {short} ≤ 0.9x the leaner of nginx and lighttpd",
               f"{fcpu(ev)} vs {ls} {fcpu(lp)}" if ev and lp else None, ratio(ev, lp), 0.9, False)
        ref = "ceiling" if c.startswith("a-") else "ceiling16k"
        rc = rp.med(ref, c, "cpu_us")
        target(f"{subj} CPU/request {short} ≤ 1.1x the fixed-answer program",
               f"{fcpu(ev)} vs {fcpu(rc)}" if ev and rc else None, ratio(ev, rc), 1.1, False)
    c = "h-64m-bulk-c4"
    ev, sf = rp.med(subj, c, "mbps"), rp.med("sendfile-ref", c, "mbps")
    target(f"{subj} (h) 64 MiB with bulk-client ≥ 0.9x the raw sendfile reference (MB/s)",
           f"{ev:.0f} vs {sf:.0f} MB/s" if ev and sf else None, ratio(ev, sf), 0.9, True)
    for c, label, _ in cases:
        bp, bs = rp.faster_peer(c)
        ev = rp.med(subj, c, "rps")
        target(f"{subj} req/s {label} ≥ 1.0x the faster peer", f"{ev:.0f} vs {bs} {bp:.0f}" if ev and bp else None,
               ratio(ev, bp), 1.0, True)
    if subj == "event":
        c = "b-1k-close-c16"
        fk, fc = rp.med("fork", c, "cpu_us"), rp.med("fork-ceiling", c, "cpu_us")
        target("fork CPU per connection (b), parent + children ≤ 1.5x the bare fork per connection",
               f"{fcpu(fk)} vs {fcpu(fc)}" if fk and fc else None, ratio(fk, fc), 1.5, False)
    peers = [(idle[s][0], s) for s in PEERS if s in idle]
    if subj in idle and peers:
        lean = min(peers)
        target(f"{subj} memory per idle connection ≤ the leaner peer's", f"{idle[subj][0]:.0f} B vs {lean[1]} "
               f"{lean[0]:.0f} B", ratio(idle[subj][0], lean[0]) if lean[0] > 0 else None, 1.0, False)
    for mdl, cc, r in cap:
        if mdl == "fork":
            ok = r["non2xx"] > 0 and r["sockerr"] == 0
            T.append([f"fork --max-conns 16, 64 conns ({cc}): 503s, no socket errors",
                      f"{r['non2xx']} non-2xx, {r['sockerr']} socket errors", "-", "PASS" if ok else "MISS"])
    print(table(["target", "measured", "ratio", "verdict"], T))
    print(f"\n{sum(t[3] == 'PASS' for t in T)} PASS, {sum(t[3] == 'MISS' for t in T)} MISS, "
          f"{sum(t[3] == 'n/a' for t in T)} not measured.")


def workers(rp):
    """The --workers runs: 1 or 2 processes, on CPU 0 only or free on both cores."""
    c = "w-1k-ka-c64"
    vs = [v for v in ("w1-1core", "w2-1core", "w1-2cores", "w2-2cores") if rp.has(v, c)]
    if not vs:
        return
    split = {}
    for line in open(f"{rp.d}/procs.tsv"):
        f = line.rstrip("\n").split("\t")
        if f[1] == c and len(f) > 4:
            t = [int(x) for x in f[3:]]
            if sum(t):
                split.setdefault(f[0], []).append(max(t) / sum(t))
    rows = []
    for v in vs:
        srv, cl = rp.med(v, c, "cpu_us"), rp.med(v, c, "client_cpu_us")
        rows.append([v, f"{rp.med(v, c, 'rps'):.0f}", f"{rp.med(v, c, 'p50'):.2f} / {rp.med(v, c, 'p99'):.2f}",
                     fcpu(srv), fcpu(cl), fcpu(srv + cl) if srv and cl else "-",
                     f"{100 * rp.med(v, c, 'c0'):.0f} / {100 * rp.med(v, c, 'c1'):.0f}",
                     f"{100 * st.median(split[v]):.0f}%" if v in split else "-"])
    print("\n### Workers (ymk_config_set_workers), 1 KiB keep-alive, 64 conns\n")
    print("`-1core`: every server process on CPU 0, wrk -t1 on CPU 1; `-2cores`: server and wrk -t2 both free "
          "to use CPUs 0 and 1.\n")
    print(table(["variant", "req/s", "p50 / p99 ms", "server CPU/request", "client CPU/request", "sum",
                 "CPU 0 / CPU 1 busy %", "busiest process's share of server CPU"], rows))


def idle_rows(rp):
    rows = {}
    for line in open(f"{rp.d}/idle.tsv"):
        parts = line.split()
        kv = dict(p.split("=", 1) for p in parts[2:] if "=" in p)
        if "open_main" not in kv:
            print(f"idle.py failed for {parts[0]}: {line.strip()}", file=sys.stderr)
            continue
        rows.setdefault(parts[0], []).append({k: int(v) for k, v in kv.items()})
    return rows


def idle_n(rp):
    rows = idle_rows(rp)
    return "/".join(sorted({str(kv["n"]) for v in rows.values() for kv in v}))


def idle_memory(rp):
    """server -> (B/conn RSS, B/conn PSS, baseline KiB, with conns KiB, master KiB, alive, ok)."""
    out = {}
    for s, v in idle_rows(rp).items():
        rss, pss = [], []
        for kv in v:
            n = kv["n"]
            if kv["nkids_base"] > 0:  # master + workers: the workers' delta; master reported separately
                rss.append((kv["open_kids"] - kv["base_kids"]) * 1024 / n)
            else:  # single process (event, lighttpd), or fork model (children appear)
                rss.append((kv["open_main"] + kv["open_kids"] - kv["base_main"] - kv["base_kids"]) * 1024 / n)
            pss.append((kv["open_pss"] - kv["base_pss"]) * 1024 / n)
        kv = v[0]
        mw = kv["nkids_base"] > 0
        base = kv["base_kids"] if mw else kv["base_main"]
        opn = kv["open_kids"] if mw else kv["open_main"] + kv["open_kids"]
        out[s] = (st.median(rss), st.median(pss), base, opn, str(kv["open_main"]) if mw else "-",
                  min(x["alive"] for x in v), min(x["ok"] for x in v))
    return out


if __name__ == "__main__":
    main()
