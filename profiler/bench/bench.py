"""bench.py - `make bench` for greenprof: overhead ratios, accuracy and memory.

Runs every workload unprofiled and under greenprof (trace and poll switch detection),
cProfile, eventlet.green.profile and yappi (greenlet context backend), interleaved in one
process, and prints median(profiled)/median(unprofiled). Then the accuracy errors on the
interleaved-greenlets workload, then memory per 10k distinct functions (subprocesses).
Also the cost of a custom timer (Profile(time.perf_counter)) for greenprof and cProfile;
BENCH_ONLY=timer prints only that table. Writes nothing but stdout; never needs the network.
"""
import gc
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "build", "profiler"))
sys.path.insert(0, HERE)

import cProfile  # noqa: E402

import eventlet  # noqa: E402
from eventlet.green import profile as eventlet_profile  # noqa: E402
import yappi  # noqa: E402

import greenprof  # noqa: E402
import workloads  # noqa: E402

REPEATS = int(os.environ.get("BENCH_REPEATS", "7"))


class Runner:
    """start()/stop()/stats() around one profiler kind."""

    def __init__(self, kind):
        self.kind = kind
        self.prof = None

    def start(self):
        k = self.kind
        if k == "none":
            return
        if k == "greenprof":
            self.prof = greenprof.Profile(scope="all")
            self.prof.enable()
        elif k == "greenprof-poll":
            self.prof = greenprof.Profile(scope="all", switch="poll")
            self.prof.enable()
        elif k == "cProfile":
            self.prof = cProfile.Profile()
            self.prof.enable()
        elif k == "greenprof-timer":
            self.prof = greenprof.Profile(time.perf_counter, scope="all")
            self.prof.enable()
        elif k == "cProfile-timer":
            self.prof = cProfile.Profile(time.perf_counter)
            self.prof.enable()
        elif k == "eventlet":
            self.prof = eventlet_profile.Profile()
            self.prof.start()
        elif k == "yappi":
            yappi.clear_stats()
            yappi.set_context_backend("greenlet")
            yappi.set_clock_type("wall")
            yappi.start(builtins=True)

    def stop(self):
        k = self.kind
        if k in ("greenprof", "greenprof-poll", "cProfile", "greenprof-timer", "cProfile-timer"):
            self.prof.disable()
        elif k == "eventlet":
            self.prof.stop()
        elif k == "yappi":
            yappi.stop()

    def stats(self):
        k = self.kind
        if k == "yappi":
            return yappi.convert2pstats(yappi.get_func_stats()).stats
        self.prof.create_stats()
        return self.prof.stats


KINDS = ["none", "greenprof", "greenprof-poll", "cProfile", "eventlet", "yappi"]
WORKLOADS = [
    ("call-heavy", workloads.call_heavy, 40),
    ("switch-heavy", workloads.switch_heavy, 6),
    ("service-like", workloads.service_like, 2),
]


def time_once(kind, fn, size):
    """CPU seconds of one run: on a shared machine the process's CPU time is what the
    profiler adds; wall time would also count other processes' use of the CPUs."""
    r = Runner(kind)
    t0 = time.process_time()
    r.start()
    fn(size)
    r.stop()
    return time.process_time() - t0


def overhead(kinds=KINDS, title="overhead"):
    print("== %s: median of %d runs, ratio = profiled / unprofiled CPU time (lower is better)" % (title, REPEATS))
    head = "%-14s %9s" % ("workload", "base cpu ms") + "".join(" %15s" % k for k in kinds[1:])
    print(head)
    results = {}
    for name, fn, size in WORKLOADS:
        fn(size)  # warm up imports and the hub
        times = {k: [] for k in kinds}
        for rep in range(REPEATS):
            order = kinds[rep % len(kinds):] + kinds[:rep % len(kinds)]  # rotate: no order bias
            for k in order:
                gc.collect()
                times[k].append(time_once(k, fn, size))
        base = statistics.median(times["none"])
        ratios = {k: statistics.median(times[k]) / base for k in kinds[1:]}
        results[name] = ratios
        print("%-14s %9.1f" % (name, base * 1e3) + "".join(" %15.2f" % ratios[k] for k in kinds[1:]))
    return results


# a custom timer (a Python-level callable, time.perf_counter) against the built-in clock
TIMER_KINDS = ["none", "greenprof", "greenprof-timer", "cProfile", "cProfile-timer"]


def accuracy():
    print()
    print("== accuracy on interleaved greenlets (worker_a 1x, worker_b 2x CPU, waiter sleeping)")
    print("   error = |measured/truth - 1|, worst function, median of 5 runs. Truth: tottime(burn_x) =")
    print("   wall measured around each burner call; callers of burn_a/burn_b = worker_a/worker_b only")
    print("   (wrong caller = share of their cumtime charged to another caller); cumtime of")
    print("   worker_a, worker_b, waiter = their greenlet's wall")
    print("%-14s %14s %14s %14s" % ("profiler", "tottime", "wrong caller", "cumtime"))
    workloads.warm_hub()
    for k in KINDS[1:]:
        errs = []
        for _ in range(5):
            r = Runner(k)
            r.start()
            walls = workloads.interleaved()
            r.stop()
            errs.append(workloads.accuracy(r.stats(), walls))
        med = {m: statistics.median(e[m] for e in errs) for m in errs[0]}
        print("%-14s %13.1f%% %13.1f%% %13.1f%%" % (k, 100 * med["tottime"], 100 * med["wrong_caller"],
                                                  100 * med["cumtime"]))


MEMORY_CHILD = r"""
import ctypes, sys
sys.path.insert(0, sys.argv[2])
class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                                               "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
def rss_kb():  # bytes in use on the malloc heap (PYTHONMALLOC=malloc), in KiB
    m = libc.mallinfo2()
    return (m.uordblks + m.hblkhd) // 1024
kind = sys.argv[1]
ns = {}
src = "\n".join("def f%d(x):\n    return x + %d\n" % (i, i) for i in range(10000))
exec(compile(src, "many.py", "exec"), ns)
fns = [ns["f%d" % i] for i in range(10000)]
import greenlet, greenprof, cProfile, yappi  # imports are not the profiler's data
import gc; gc.collect()
before = rss_kb()
if kind == "greenprof":
    import greenprof; p = greenprof.Profile(); p.enable()
elif kind == "cProfile":
    import cProfile; p = cProfile.Profile(); p.enable()
elif kind == "yappi":
    import yappi; yappi.start(builtins=True)
def caller():
    for f in fns:
        f(1)
caller()
if kind == "yappi":
    yappi.stop()
elif kind != "none":
    p.disable()
after = rss_kb()
own = p.memory_usage() if kind == "greenprof" else -1
print(after - before, own)
"""


def memory():
    print()
    print("== memory for 10,000 distinct functions called once each from one caller")
    print("   (malloc heap growth with PYTHONMALLOC=malloc, mallinfo2 in-use bytes)")
    for k in ("none", "greenprof", "cProfile", "yappi"):
        env = dict(os.environ, PYTHONMALLOC="malloc")  # one allocator for every profiler
        out = subprocess.run([sys.executable, "-c", MEMORY_CHILD, k, os.path.join(ROOT, "build", "profiler")],
                             capture_output=True, text=True, check=True, env=env).stdout.split()
        rss_kb, own = int(out[0]), int(out[1])
        extra = "  (greenprof's own tables: %.0f KiB)" % (own / 1024.0) if own >= 0 else ""
        print("%-14s %8d KiB%s" % (k, rss_kb, extra))


def main():
    print("greenprof bench: python %s, greenlet %s, eventlet %s, yappi %s, %d CPUs, load %.2f"
          % (sys.version.split()[0], workloads.greenlet.__version__, eventlet.__version__,
             getattr(yappi, "__version__", "1.4"), os.cpu_count(),
             os.getloadavg()[0]))
    if os.environ.get("BENCH_ONLY") == "timer":
        overhead(TIMER_KINDS, "custom timer (time.perf_counter) overhead")
        return
    overhead()
    overhead(TIMER_KINDS, "custom timer (time.perf_counter) overhead")
    accuracy()
    memory()


if __name__ == "__main__":
    main()
