"""t_api.py - greenprof's cProfile/eventlet-compatible API, file formats and CLI.

TAP under prove (tests/lib/exec runs it with $PYTHON). Works in a temp dir it removes.
"""
import cProfile
import io
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
from contextlib import redirect_stdout

from taplib import ok, is_, diag, run_test, done, BUILD, ROOT

import greenlet  # noqa: F401 - greenprof follows greenlets once the program has imported greenlet
import greenprof

TMP = tempfile.mkdtemp(prefix="t_api.")
PY = sys.executable


def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)


def inner(x):
    return x + 1


def outer(n):
    return sum(inner(i) for i in range(n))


def by_name(stats):
    return {k[2]: v for k, v in stats.items()}


def test_basic_api():
    p = greenprof.Profile()
    is_(p.runcall(outer, 10), 55, "runcall returns the function's result")
    p.create_stats()
    s = by_name(p.stats)
    is_(s["inner"][1], 10, "runcall: inner called 10 times")
    is_(list(s["inner"][4].keys())[0][2], "<genexpr>", "inner's caller is the generator expression")
    with greenprof.Profile() as q:
        outer(3)
    q.create_stats()
    is_(by_name(q.stats)["outer"][1], 1, "context manager profiles the block")
    r = greenprof.Profile()
    r.start()
    outer(4)
    r.stop()
    r.create_stats()
    is_(by_name(r.stats)["inner"][1], 4, "eventlet names start()/stop() work")
    ok(isinstance(r, cProfile.Profile) is False and hasattr(r, "dump_stats"), "Profile has dump_stats")


def test_errors():
    p = greenprof.Profile()
    p.enable()
    try:
        p.enable()
        ok(False, "double enable raises")
    except RuntimeError as e:
        p.disable()
        ok("already enabled" in str(e), "double enable raises RuntimeError: %s" % e)
    p.enable()
    q = greenprof.Profile()
    try:
        q.enable()
        ok(False, "a second Profile in the same greenlet raises")
    except RuntimeError as e:
        ok("already profiled" in str(e), "second Profile in the same greenlet: %s" % e)
    try:
        p.clear()
        ok(False, "clear() while enabled raises")
    except RuntimeError as e:
        ok("disable" in str(e), "clear() while enabled: %s" % e)
    p.disable()
    try:
        p.disable()
    except Exception as e:  # noqa: BLE001 - any exception is the failure
        ok(False, "disable() twice is harmless (as in cProfile): raised %r" % e)
    else:
        ok(not p.is_enabled and sys.getprofile() is None,
           "disable() twice is harmless (as in cProfile): still disabled, no hook")
    a = greenprof.Profile(scope="all")
    b = greenprof.Profile()
    a.enable()
    try:
        b.enable()
        ok(False, "enable while a scope='all' Profile is active raises")
    except RuntimeError as e:
        ok("scope='all'" in str(e), "enable beside scope='all': %s" % e)
    a.disable()
    try:
        greenprof.Profile(scope="some")
        ok(False, "bad scope rejected")
    except ValueError as e:
        ok("scope must be" in str(e), "bad scope rejected: %s" % e)
    ok(sys.getprofile() is None, "no profile hook left behind")


def test_exceptions():
    def raiser():
        raise ValueError("x")

    def catcher():
        for _ in range(3):
            try:
                raiser()
            except ValueError:
                pass
        return inner(1)

    p = greenprof.Profile()
    p.runcall(catcher)
    p.create_stats()
    s = by_name(p.stats)
    is_(s["raiser"][1], 3, "raising function counted 3 times")
    is_(sorted(k[2] for k in s["inner"][4]), ["catcher"], "after exceptions the stack is intact (inner called by catcher)")
    p2 = greenprof.Profile()
    try:
        p2.runcall(raiser)
    except ValueError as e:
        ok(str(e) == "x", "exception propagates out of runcall (ValueError('x'))")
    else:
        ok(False, "exception propagates out of runcall: runcall returned normally")
    ok(not p2.is_enabled, "runcall disables on exception")


def test_generators_and_coroutines():
    def gen(n):
        for i in range(n):
            yield i

    async def coro():
        return inner(2)

    def use():
        total = sum(gen(3))
        c = coro()
        try:
            c.send(None)
        except StopIteration as e:
            total += e.value
        return total

    counts = {}
    for cls in (greenprof.Profile, cProfile.Profile):
        p = cls()
        p.runcall(use)
        p.create_stats()
        s = by_name(p.stats)
        counts[cls.__module__] = (s["gen"][1], s["coro"][1], s["inner"][1])
    is_(counts["greenprof"], counts["cProfile"], "generator resumes and coroutine calls counted like cProfile")


def test_recursion():
    import time
    p = greenprof.Profile()
    t0 = time.perf_counter()
    p.runcall(fact, 60)
    wall = time.perf_counter() - t0
    p.create_stats()
    cc, nc, tt, ct, callers = by_name(p.stats)["fact"]
    is_((cc, nc), (1, 60), "recursion: 60 calls, 1 primitive (shown 60/1)")
    ok(0 < ct <= wall, "recursion: cumtime counted once (%.6f s <= wall %.6f s), not per level" % (ct, wall))
    c = cProfile.Profile()
    c.runcall(fact, 60)
    c.create_stats()
    key = (fact.__code__.co_filename, fact.__code__.co_firstlineno, "fact")
    is_(callers[key][:2], by_name(c.stats)["fact"][4][key][:2],
        "recursion: the fact->fact edge counts match cProfile's")


def test_same_counts_as_cprofile():
    sys.path.insert(0, os.path.join(ROOT, "profiler", "bench"))
    import workloads
    res = {}
    for cls in (greenprof.Profile, cProfile.Profile):
        p = cls()
        p.runcall(workloads.call_heavy, 1)
        p.create_stats()
        res[cls.__module__] = {k: v[:2] for k, v in p.stats.items() if "disable" not in k[2]}
    is_(len(res["greenprof"]), len(res["cProfile"]), "call-heavy: same number of functions as cProfile")
    diff = [k for k in res["cProfile"] if res["greenprof"].get(k) != res["cProfile"][k]]
    ok(not diff, "call-heavy: identical call counts for every function")
    if diff:
        diag("differ: %r" % diff[:5])


def test_formats():
    p = greenprof.Profile()
    p.runcall(outer, 50)
    path = os.path.join(TMP, "out.prof")
    p.dump_stats(path)
    st = pstats.Stats(path)
    ok(any(k[2] == "outer" for k in st.stats), "dump_stats: pstats.Stats loads it and finds outer")
    out = subprocess.run([PY, "-m", "pstats", path], input="sort cumulative\nstats 5\nquit\n",
                         capture_output=True, text=True)
    ok(out.returncode == 0 and "outer" in out.stdout, "python3 -m pstats reads the dump")
    buf = io.StringIO()
    with redirect_stdout(buf):
        p.print_stats("cumulative")
    ok("inner" in buf.getvalue() and "Ordered by: cumulative time" in buf.getvalue(), "print_stats(sort) prints sorted stats")

    cg = os.path.join(TMP, "callgrind.out.1")
    p.dump_callgrind(cg)
    if shutil.which("callgrind_annotate"):
        out = subprocess.run(["callgrind_annotate", "--inclusive=yes", cg], capture_output=True, text=True)
        ok(out.returncode == 0 and "outer" in out.stdout and "Microseconds" in out.stdout,
           "callgrind_annotate reads dump_callgrind output")
        if out.returncode or "outer" not in out.stdout:
            diag(out.stdout[-1500:] + out.stderr)
    else:
        ok(False, "callgrind_annotate installed (valgrind package)")

    col = os.path.join(TMP, "stacks.folded")
    p.dump_collapsed(col)
    with open(col) as f:
        lines = f.read().splitlines()
    ok(lines and all(l.rsplit(" ", 1)[1].isdigit() for l in lines), "dump_collapsed writes 'stack count' lines")
    if not ok(any(";inner (" in l and "outer (" in l for l in lines), "collapsed stacks contain outer;...;inner"):
        diag("\n".join(lines[:10]))


def test_builtins_flag():
    p = greenprof.Profile(builtins=False)
    p.runcall(outer, 5)
    p.create_stats()
    ok(not any(k[0] == "~" for k in p.stats), "builtins=False records no builtins")
    q = greenprof.Profile()
    q.runcall(outer, 5)
    q.create_stats()
    ok(any(k[2] == "<built-in method builtins.sum>" for k in q.stats), "builtins labelled like cProfile")


def test_cli():
    script = os.path.join(TMP, "script.py")
    with open(script, "w") as f:
        f.write("import sys\ndef work(n):\n    return sum(range(n))\nwork(1000)\n"
                "print('args', sys.argv[1:])\nsys.exit(3)\n")
    env = dict(os.environ, PYTHONPATH=BUILD)
    out = os.path.join(TMP, "cli.prof")
    r = subprocess.run([PY, "-m", "greenprof", "-o", out, script, "a", "b"], capture_output=True, text=True, env=env)
    is_(r.returncode, 3, "python3 -m greenprof exits with the script's status")
    ok("args ['a', 'b']" in r.stdout, "the script sees its own argv")
    ok(os.path.exists(out) and any(k[2] == "work" for k in pstats.Stats(out).stats), "-o writes a pstats dump")
    sub = os.path.join(TMP, "clisub")
    os.makedirs(sub, exist_ok=True)
    chdir = os.path.join(TMP, "chdir.py")
    with open(chdir, "w") as f:
        f.write("import os\nos.chdir(%r)\nsum(range(10))\n" % sub)
    r = subprocess.run([PY, "-m", "greenprof", "-o", "rel.prof", chdir], capture_output=True, text=True,
                       env=env, cwd=TMP)
    ok(r.returncode == 0 and os.path.exists(os.path.join(TMP, "rel.prof"))
       and not os.path.exists(os.path.join(sub, "rel.prof")),
       "-o is resolved before the script runs (a chdir in the script does not move it)")
    r = subprocess.run([PY, "-m", "greenprof", "-s", "tottime", script], capture_output=True, text=True, env=env)
    ok("Ordered by: internal time" in r.stdout and "work" in r.stdout, "-s tottime prints sorted stats")
    r = subprocess.run([PY, "-m", "greenprof", os.path.join(TMP, "missing.py")], capture_output=True, text=True, env=env)
    ok(r.returncode == 2 and "script not found" in r.stderr, "missing script: clear error, exit 2")


def test_without_greenlet():
    code = ("import sys; sys.modules['greenlet'] = None\n"
            "import greenprof, cProfile\n"
            "def f(n):\n    return n if n < 2 else f(n-1) + f(n-2)\n"
            "res = []\n"
            "for cls in (greenprof.Profile, cProfile.Profile):\n"
            "    p = cls(); p.runcall(f, 15); p.create_stats()\n"
            "    res.append(sorted((k[2], v[0], v[1]) for k, v in p.stats.items() if 'disable' not in k[2]))\n"
            "print('same' if res[0] == res[1] else 'differ %r' % res)\n"
            "print('greenlet' if sys.modules.get('greenlet') else 'no greenlet')\n")
    r = subprocess.run([PY, "-c", code], capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=BUILD))
    ok(r.returncode == 0 and "same" in r.stdout and "no greenlet" in r.stdout,
       "without greenlet it behaves like cProfile (same counts)")
    if r.returncode or "same" not in r.stdout:
        diag(r.stdout + r.stderr)


for t in (test_basic_api, test_errors, test_exceptions, test_generators_and_coroutines, test_recursion,
          test_same_counts_as_cprofile, test_formats, test_builtins_flag, test_cli, test_without_greenlet):
    run_test(t)
shutil.rmtree(TMP, ignore_errors=True)
done()
