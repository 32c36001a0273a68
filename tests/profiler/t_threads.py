"""t_threads.py - greenprof in native threads (nova 34's thread-pool RPC executor).

Ground truth: three calls run at once in a thread pool, each profiled by its own Profile in
its own thread: burner A spins 0.15 s of CPU, burner B 0.30 s, a sleeper sleeps 0.3 s.
Truth is what each thread measures of itself around its own call (perf_counter for wall,
thread_time for CPU). Each profile must hold only its own thread's frames; the errors of
cumtime against the wall truth and of the profile's CPU against the CPU truth are printed
(stderr) and held to fixed limits. Then the bootstrap in a subprocess that never imports
greenlet or eventlet: two overlapping calls of a target in two pool threads write two
dumps, and neither module gets imported. TAP under prove; files only in a temp dir.
"""
import marshal
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from taplib import ok, is_, diag, between, run_test, done, BUILD, ROOT

import greenprof

TMP = tempfile.mkdtemp(prefix="t_threads.")
RID1 = "req-11111111-2222-3333-4444-555555555555"
RID2 = "req-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def spin():
    x = 0
    for i in range(2000):
        x += i * i
    return x


def burn(seconds_cpu):
    t0 = time.thread_time()
    while time.thread_time() - t0 < seconds_cpu:
        spin()


def burner_a():
    burn(0.15)


def burner_b():
    burn(0.30)


def sleeper():
    time.sleep(0.3)


def profiled_in_thread(fn, barrier):
    barrier.wait()  # the three calls overlap
    p = greenprof.Profile()
    p.enable()
    w0, c0 = time.perf_counter(), time.thread_time()
    fn()
    wall, cpu = time.perf_counter() - w0, time.thread_time() - c0
    p.disable()
    p.create_stats()
    return {k[2]: v for k, v in p.stats.items()}, p.times(), wall, cpu, threading.get_ident()


def test_ground_truth():
    fns = (burner_a, burner_b, sleeper)
    barrier = threading.Barrier(len(fns))
    with ThreadPoolExecutor(max_workers=len(fns)) as pool:
        res = dict(zip((f.__name__ for f in fns), pool.map(lambda f: profiled_in_thread(f, barrier), fns)))
    is_(len({r[4] for r in res.values()}), 3, "three calls ran in three threads")
    errs = []
    for name, (stats, times, wall, cpu, _) in res.items():
        others = {f.__name__ for f in fns} - {name}
        ok(name in stats and not (others & set(stats)), "%s's profile holds its own call and none of the others'" % name)
        ct = stats[name][3]
        err = abs(ct / wall - 1)
        errs.append("%s cumtime %.1f ms vs wall %.1f ms (%.2f%%)" % (name, ct * 1e3, wall * 1e3, err * 100))
        between(err, 0, 0.05, "%s: cumtime within 5%% of the thread's own wall time" % name)
        pcpu = times["cpu_ns"] / 1e9
        errs.append("%s CPU %.1f ms vs thread_time %.1f ms" % (name, pcpu * 1e3, cpu * 1e3))
        is_(times["wait_ns"], 0, "%s: no greenlet waits in a native thread" % name)
        if name == "sleeper":
            sl = stats["<built-in method time.sleep>"]
            between(abs(sl[3] / wall - 1), 0, 0.05, "sleeper: the blocking sleep is shown where it happens (cumtime ~ wall)")
            between(pcpu, 0, 0.010, "sleeper: its profile's CPU is < 10 ms")
        else:
            between(pcpu / cpu, 0.95, 1.10, "%s: its profile's CPU within [0.95, 1.10] of its own thread_time" % name)
            callers = {c[2] for c in stats["burn"][4]}
            is_(callers, {name}, "%s: burn's only caller is %s (no other thread's caller)" % (name, name))
    a_cpu = res["burner_a"][1]["cpu_ns"]
    b_cpu = res["burner_b"][1]["cpu_ns"]
    between(b_cpu / a_cpu, 1.8, 2.3, "B's CPU share is twice A's (%.2f)" % (b_cpu / a_cpu))
    diag("\n".join(errs))
    print("threads ground truth: " + "; ".join(errs), file=sys.stderr)


APP = os.path.join(TMP, "app")
SITE = os.path.join(TMP, "site")
OUT = os.path.join(TMP, "out")


def test_bootstrap_thread_pool():
    os.makedirs(os.path.join(APP, "tapp"))
    os.makedirs(SITE)
    os.symlink(os.path.join(BUILD, "greenprof"), os.path.join(SITE, "greenprof"))
    shutil.copy(os.path.join(ROOT, "profiler", "greenbench-profile.pth"), SITE)
    with open(os.path.join(APP, "tapp", "__init__.py"), "w") as f:
        f.write("")
    with open(os.path.join(APP, "tapp", "rpc.py"), "w") as f:
        f.write("import time\n\nclass Ctx:\n    def __init__(self, rid):\n        self.global_request_id = rid\n\n"
                "def work(n):\n    return sum(range(n))\n\n"
                "def handle(ctx, barrier, n):\n    barrier.wait()\n    time.sleep(0.05)\n    return work(n)\n")
    # -S, then the interpreter's site dirs minus any with an installed greenprof .pth, then ours
    code = ("import sys, site, os\n"
            "for _d in site.getsitepackages():\n"
            "    if not os.path.exists(os.path.join(_d, 'greenbench-profile.pth')):\n"
            "        site.addsitedir(_d)\n"
            "sys.path.insert(0, %r)\nsite.addsitedir(%r)\n"
            "import threading\nfrom concurrent.futures import ThreadPoolExecutor\nimport tapp.rpc as r\n"
            "b = threading.Barrier(2)\n"
            "with ThreadPoolExecutor(2) as pool:\n"
            "    fs = [pool.submit(r.handle, r.Ctx(rid), b, 1000) for rid in (%r, %r)]\n"
            "    print([f.result() for f in fs])\n"
            "print(sorted(m for m in ('greenlet', 'eventlet') if m in sys.modules))\n" % (APP, SITE, RID1, RID2))
    env = dict(os.environ, GREENBENCH_PROFILE="out=%s;targets=tapp.rpc:handle" % OUT)
    r = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, env=env, timeout=60)
    is_(r.stdout.split("\n")[:2], ["[499500, 499500]", "[]"],
        "two calls in two pool threads return, and neither greenlet nor eventlet got imported")
    if r.returncode or r.stderr:
        diag(r.stderr)
    names = sorted(n for n in os.listdir(OUT) if not n.startswith(".")) if os.path.isdir(OUT) else []
    ok(len(names) == 2 and any(RID1 in n for n in names) and any(RID2 in n for n in names),
       "two overlapping calls in two threads write two dumps: %s" % names)
    for n in names:
        with open(os.path.join(OUT, n), "rb") as f:
            stats = marshal.load(f)
            trailer = marshal.load(f)
        funcs = {k[2]: v for k, v in stats.items()}
        is_((funcs.get("handle", (0, 0))[1], funcs.get("work", (0, 0))[1]), (1, 1),
            "%s: one call of the target and of its callee (only its own thread's frames)" % n[:40])
        is_(trailer.get("mode"), "threads", "%s: trailer mode 'threads'" % n[:40])
        sl = funcs.get("<built-in method time.sleep>")
        ok(sl and sl[3] >= 0.045 and trailer["cpu_ns"] < 0.5 * trailer["wall_ns"],
           "%s: the sleep is in the dump, the call's CPU well below its wall" % n[:40])


for t in (test_ground_truth, test_bootstrap_thread_pool):
    run_test(t)
shutil.rmtree(TMP, ignore_errors=True)
done()
