"""greenprof._formats - writers for pstats-style stats dicts: callgrind and folded stacks.

Input is the dict cProfile/greenprof put in Profile.stats. Pure functions of that dict and
a text stream; they never open files themselves and never import the C core.
"""
import os


def _name(func):
    filename, line, name = func
    if filename == "~":
        return name
    return "%s (%s:%d)" % (name, os.path.basename(filename), line)


def _callees(stats):
    callees = {}
    for func, (_cc, _nc, _tt, _ct, callers) in stats.items():
        for caller, edge in callers.items():
            callees.setdefault(caller, {})[func] = edge
    return callees


def _us(seconds):
    return int(round(seconds * 1e6))


def write_callgrind(stats, out):
    """callgrind format 1 with costs in microseconds (callgrind_annotate, KCachegrind)."""
    callees = _callees(stats)
    total = sum(_us(v[2]) for v in stats.values())
    out.write("# callgrind format\nversion: 1\ncreator: greenprof\npositions: line\n")
    out.write("events: Microseconds\nsummary: %d\n\n" % total)
    for func in sorted(stats, key=lambda f: (f[0], f[1], f[2])):
        _cc, _nc, tt, _ct, _callers = stats[func]
        filename, line, name = func
        out.write("fl=%s\nfn=%s\n%d %d\n" % (filename, _name(func), line, _us(tt)))
        for callee, edge in sorted(callees.get(func, {}).items()):
            nc, _ecc, _ett, ect = edge
            out.write("cfl=%s\ncfn=%s\ncalls=%d %d\n%d %d\n"
                      % (callee[0], _name(callee), nc, callee[1], line, _us(ect)))
        out.write("\n")


def write_collapsed(stats, out, max_depth=96, min_us=1):
    """Folded stacks 'root;...;leaf <microseconds of self time>'.

    A profile keeps caller->callee edges, not whole stacks, so each function's self time
    is spread over the paths that reach it in proportion to the edges' cumulative time
    (the method of gprof2dot and flameprof). Recursive edges are cut."""
    callees = _callees(stats)
    folded = {}

    def walk(func, share, path, names):
        _cc, _nc, tt, ct, _callers = stats[func]
        self_us = share * tt * 1e6
        key = ";".join(names)
        if self_us >= 0.5:
            folded[key] = folded.get(key, 0.0) + self_us
        if len(path) >= max_depth:
            return
        for callee, edge in callees.get(func, {}).items():
            if callee in path or callee not in stats:
                continue
            callee_ct = stats[callee][3]
            if callee_ct <= 0:
                continue
            sub = share * edge[3] / callee_ct
            if sub * callee_ct * 1e6 < min_us:
                continue
            path.add(callee)
            names.append(_name(callee).replace(";", ","))
            walk(callee, min(sub, 1.0), path, names)
            names.pop()
            path.discard(callee)

    roots = [f for f, v in stats.items() if not v[4] or all(c not in stats for c in v[4])]
    for root in sorted(roots):
        walk(root, 1.0, {root}, [_name(root).replace(";", ",")])
    for key in sorted(folded):
        us = int(round(folded[key]))
        if us > 0:
            out.write("%s %d\n" % (key, us))
