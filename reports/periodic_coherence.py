"""periodic_coherence.py DUMP... - is a per-call profile coherent? (reports/update_available_resource.md)

For each cProfile-layout dump of one call (greenbench export RUN --format prof --profile N,
or a dump file), with ROOT the profiled function (the one named update_available_resource
with the largest cumtime):
  wall      ROOT's cumtime
  waits     tottime of greenprof's synthetic '<greenlet switch>' entries (time switched out)
  inside    tottime of functions reachable from ROOT through caller edges
  outside   tottime of functions not reachable from ROOT (other greenlets' work, the
            profiler's own frames)
  kids      ROOT's tottime plus the cumtime of its direct callees (each callee's edge from
            ROOT when the dump has per-edge times, else the callee's own cumtime)
A coherent profile has inside ~= wall and kids ~= wall (callers' times add up), and its waits
say how much of the wall the call spent switched out (RPC, database, sleeps).
Prints one line per dump and the medians. Standard library only.
"""
import marshal
import statistics
import sys


def load(path):
    with open(path, "rb") as f:
        return marshal.load(f)


def analyse(stats):
    roots = [fn for fn in stats if fn[2] == "update_available_resource"]
    if not roots:
        roots = [fn for fn in stats if fn[2].startswith("update_available_resource")]
    root = max(roots, key=lambda fn: stats[fn][3])
    callees = {}
    for fn, (_cc, _nc, _tt, _ct, callers) in stats.items():
        for c in callers:
            callees.setdefault(c, []).append(fn)
    seen, todo = {root}, [root]
    while todo:
        for k in callees.get(todo.pop(), ()):
            if k not in seen:
                seen.add(k)
                todo.append(k)
    wall = stats[root][3]
    waits = sum(v[2] for fn, v in stats.items() if "greenlet switch" in fn[2])
    inside = sum(stats[fn][2] for fn in seen)
    outside = sum(v[2] for fn, v in stats.items() if fn not in seen)
    kids = stats[root][2]
    for k in callees.get(root, ()):
        edge = stats[k][4][root]
        kids += edge[3] if isinstance(edge, tuple) and (edge[3] or edge[2]) else stats[k][3]
    return {"wall": wall, "waits": waits, "inside": inside, "outside": outside, "kids": kids,
            "nfuncs": len(stats)}


def main(paths):
    rows = []
    print("%-10s %9s %9s %9s %9s %9s %6s" % ("dump", "wall", "waits", "inside", "outside", "kids", "funcs"))
    for i, p in enumerate(paths):
        r = analyse(load(p))
        rows.append(r)
        print("%-10s %9.4f %9.4f %9.4f %9.4f %9.4f %6d" % (
            "#%d" % (i + 1), r["wall"], r["waits"], r["inside"], r["outside"], r["kids"], r["nfuncs"]))
    if rows:
        med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        print("%-10s %9.4f %9.4f %9.4f %9.4f %9.4f %6d" % (
            "median", med["wall"], med["waits"], med["inside"], med["outside"], med["kids"], med["nfuncs"]))


if __name__ == "__main__":
    main(sys.argv[1:])
