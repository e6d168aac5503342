#!/usr/bin/env python3
"""check-layers.py LAYERS STATIC_LIB [NM]: calls between lib/ files must go down the layers.

Reads the layer list (tests/layers.txt), then the symbols of every object in the static library:
a file "calls" another when it has an undefined ymk_/ymk__ symbol the other defines. Each such
edge must go to a lower layer, or be one of the "within" edges of its layer. Fails (exit 1) on
any other edge, on a cycle among the edges found, and on an object no layer names.
"""
import re
import subprocess
import sys


def parse_layers(path):
    rank, within, order = {}, set(), []
    for n, line in enumerate(open(path), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.match(r"(layer|within)\s+([\w-]+)\s*:\s*(.*)$", line)
        if not m:
            sys.exit(f"{path}:{n}: cannot read: {line}")
        kind, name, rest = m.groups()
        if kind == "layer":
            order.append(name)
            for f in rest.split():
                if f in rank:
                    sys.exit(f"{path}:{n}: {f} is in two layers")
                rank[f] = (len(order) - 1, name)
        else:
            for edge in filter(None, (e.strip() for e in rest.split(","))):
                a, _, b = (x.strip() for x in edge.partition("->"))
                if rank.get(a, (None, None))[1] != name or rank.get(b, (None, None))[1] != name:
                    sys.exit(f"{path}:{n}: {edge}: both ends must be files of layer {name}")
                within.add((a, b))
    return rank, within


def symbols(lib, nm):
    """{object: (defined, undefined)} for the members of the archive."""
    out = subprocess.run([nm, "-A", lib], check=True, capture_output=True, text=True).stdout
    objs = {}
    for line in out.splitlines():
        m = re.match(r"^[^:]+:([^:]+\.o):\s*(?:[0-9a-fA-F]+)?\s+([A-Za-z])\s+(\S+)$", line)
        if not m:
            continue
        obj, kind, sym = m.groups()
        if not sym.startswith("ymk_"):
            continue
        defined, undefined = objs.setdefault(obj[:-2], (set(), set()))
        if kind == "U":
            undefined.add(sym)
        elif kind in "TDBRC":
            defined.add(sym)
    return objs


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rank, within = parse_layers(sys.argv[1])
    objs = symbols(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "nm")
    owner = {s: f for f, (d, _) in objs.items() for s in d}
    bad = []
    for f in sorted(objs):
        if f not in rank:
            bad.append(f"{f}: not in any layer of {sys.argv[1]}")
    edges = {}
    for f, (_, undef) in objs.items():
        for s in undef:
            g = owner.get(s)
            if g and g != f:
                edges.setdefault((f, g), set()).add(s)
    for (f, g), syms in sorted(edges.items()):
        if f not in rank or g not in rank:
            continue
        (rf, lf), (rg, lg) = rank[f], rank[g]
        if rg > rf or (f, g) in within:
            continue
        how = "up" if rg < rf else "sideways"
        bad.append(f"{f} ({lf}) -> {g} ({lg}) goes {how}: {', '.join(sorted(syms))}")
    # A cycle among the calls actually made (only possible through "within" edges or bad ones).
    graph = {}
    for f, g in edges:
        graph.setdefault(f, set()).add(g)
    state = {}

    def visit(n, path):
        state[n] = 1
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                bad.append("cycle: " + " -> ".join(path[path.index(m):] + [m]))
            elif not state.get(m):
                visit(m, path + [m])
        state[n] = 2

    for n in sorted(graph):
        if not state.get(n):
            visit(n, [n])
    calls = sum(len(v) for v in edges.values())
    if bad:
        print("\n".join(bad))
        print(f"check-layers: {len(bad)} problem(s) in {len(edges)} file-to-file edges")
        return 1
    print(f"check-layers: {len(objs)} objects, {len(edges)} file-to-file edges ({calls} symbols), "
          f"all going down the {len(set(r[1] for r in rank.values()))} layers; no cycle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
