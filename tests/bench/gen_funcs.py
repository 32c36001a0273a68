# gen_funcs.py - writes a real cProfile dump of about N distinct functions (default 5000)
# for bench_store: generates modules of small functions forming a binary call tree (each
# calls its two children once; every 7th recurses once into itself), runs the root 3
# times under cProfile and dumps the stats.
# Usage: /usr/bin/python3 gen_funcs.py N OUT.prof
import cProfile
import importlib
import os
import shutil
import sys
import tempfile

n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
out = sys.argv[2] if len(sys.argv) > 2 else "funcs.prof"
per_module = 100
tmp = tempfile.mkdtemp(prefix="gb_gen_")
sys.path.insert(0, tmp)


def mod_of(i):
    return "gbmod%03d" % (i // per_module)


for lo in range(0, n, per_module):
    hi = min(n, lo + per_module)
    lines = []
    for k in sorted({mod_of(c) for i in range(lo, hi) for c in (2 * i + 1, 2 * i + 2) if c < n}):
        lines.append("import %s" % k)
    for i in range(lo, hi):
        lines.append("def f%d(d=0):" % i)
        lines.append("    s = d")
        if i % 7 == 0:
            lines.append("    if d == 0:")
            lines.append("        s += f%d(1)" % i)
            lines.append("        return s")
        for c in (2 * i + 1, 2 * i + 2):
            if c < n:
                lines.append("    s += %s.f%d()" % (mod_of(c), c))
        lines.append("    return s")
    with open(os.path.join(tmp, mod_of(lo) + ".py"), "w") as f:
        f.write("\n".join(lines) + "\n")

sys.setrecursionlimit(10000)
root = importlib.import_module(mod_of(0))
for lo in range(0, n, per_module):
    importlib.import_module(mod_of(lo))
prof = cProfile.Profile()
prof.enable()
for _ in range(3):
    root.f0()
prof.disable()
prof.dump_stats(out)
shutil.rmtree(tmp)
import pstats  # noqa: E402
st = pstats.Stats(out)
print("%s: %d functions, %d calls" % (out, len(st.stats), st.total_calls))
