# gen.py - regenerates the small pstats fixtures next to it and their .expect files
# (what /usr/bin/python3's pstats says about each). Run: /usr/bin/python3 gen.py
# The committed outputs are what t_pstats checks; regenerate only on purpose.
import cProfile
import marshal
import os
import pstats

HERE = os.path.dirname(os.path.abspath(__file__))


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def héllo_wörld(k):  # a non-ASCII function name: TYPE_UNICODE in the dump
    return sum(fib(i) for i in range(k))


def workload():
    s = 0
    for i in range(50):
        s += héllo_wörld(8)
        s += len(sorted(str(j) for j in range(20)))
    return s


def expect(name):
    path = os.path.join(HERE, name)
    st = pstats.Stats(path)
    with open(path + ".expect", "w") as f:
        f.write("%d %d %d %.17g\n" % (len(st.stats), st.total_calls, st.prim_calls, st.total_tt))


# 1. a real cProfile run (recursion: cc != nc; a unicode name)
prof = cProfile.Profile()
prof.enable()
workload()
prof.disable()
prof.dump_stats(os.path.join(HERE, "small.prof"))
expect("small.prof")

# 2. synthetic: a 64-bit count (TYPE_LONG), a 300-char name (TYPE_ASCII), a non-ASCII
#    file name (TYPE_UNICODE), an integral float, a caller outside the listed keys.
big = 2**40 + 12345
long_name = "n" * 300
d = {
    ("/tmp/ünïcode.py", 7, long_name): (big, big + 1, 1.5, 2.25, {("~", 0, "<outside>"): (3, 3, 0.5, 0.75)}),
    ("~", 0, "<built-in method time.sleep>"): (1, 1, 0.125, 0.125,
                                                 {("/tmp/ünïcode.py", 7, long_name): (1, 1, 0.125, 0.125)}),
}
with open(os.path.join(HERE, "synthetic.prof"), "wb") as f:
    marshal.dump(d, f)
expect("synthetic.prof")

# 3. the same dict in marshal version 2 (no back-references, TYPE_UNICODE strings)
with open(os.path.join(HERE, "synthetic-v2.prof"), "wb") as f:
    marshal.dump(d, f, 2)
expect("synthetic-v2.prof")

# 4. the real nova dump's expectations
expect("nova26-select_destinations.prof")
