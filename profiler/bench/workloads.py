"""workloads - the benchmark and accuracy workloads shared by bench.py and the tests.

Each workload is a plain function of its size; the accuracy workload also returns the
truth it was built to have (known work ratios, walls measured inside the greenlets).
Imports eventlet; never profiles anything itself.
"""
import json
import time

import eventlet
import greenlet

# ---- overhead workloads ------------------------------------------------------


def _fib(n):
    return n if n < 2 else _fib(n - 1) + _fib(n - 2)


class _Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def norm2(self):
        return self.x * self.x + self.y * self.y


def call_heavy(size=1):
    """Many small Python calls (recursion, methods, builtins): ~60k calls per size."""
    total = 0
    for _ in range(size):
        total += _fib(20)
        pts = [_Point(i, i + 1) for i in range(2000)]
        total += sum(p.norm2() for p in pts)
        total += len(sorted(str(i) for i in range(2000)))
    return total


def _pinger(n):
    for _ in range(n):
        eventlet.sleep(0)


def switch_heavy(size=1):
    """10 green threads yielding to the hub 400 times each: ~8k greenlet switches per size."""
    threads = [eventlet.spawn(_pinger, 400 * size) for _ in range(10)]
    for t in threads:
        t.wait()


def _request(i):
    doc = {"id": i, "hosts": ["fake-%d" % h for h in range(20)], "spec": {"vcpus": 1, "ram": 64}}
    text = json.dumps(doc)
    eventlet.sleep(0.0005)            # a "database" round trip
    hosts = json.loads(text)["hosts"]
    weighed = sorted((_weigh(h, i) for h in hosts), reverse=True)
    eventlet.sleep(0.0005)            # a "placement" call
    return weighed[0]


def _weigh(host, i):
    return sum(ord(c) for c in host) * (i % 7 + 1)


def service_like(size=1):
    """A GreenPool of 20 workers serving 300 requests (CPU work + two waits each)."""
    pool = eventlet.GreenPool(20)
    return list(pool.imap(_request, range(300 * size)))


# ---- accuracy workload ---------------------------------------------------------

UNIT = 100000  # loop iterations of the 1x burner (~1.5 ms)


def burn_a(n):
    s = 0
    for i in range(n):
        s += i
    return s


def burn_b(n):
    s = 0
    for i in range(n):
        s += i
    return s


def worker_a(rounds, walls):
    clock = time.perf_counter
    t0 = clock()
    spent = 0.0
    for _ in range(rounds):
        t = clock()
        burn_a(UNIT)
        spent += clock() - t
        eventlet.sleep(0)
    walls["burn_a"] = spent
    walls["worker_a"] = clock() - t0


def worker_b(rounds, walls):
    clock = time.perf_counter
    t0 = clock()
    spent = 0.0
    for _ in range(rounds):
        t = clock()
        burn_b(2 * UNIT)
        spent += clock() - t
        eventlet.sleep(0)
    walls["burn_b"] = spent
    walls["worker_b"] = clock() - t0


def waiter(seconds, walls):
    t0 = time.perf_counter()
    eventlet.sleep(seconds)
    walls["waiter"] = time.perf_counter() - t0


def interleaved(rounds=10, wait=0.02):
    """worker_a burns 1x and worker_b 2x per round, yielding between rounds, while
    waiter sleeps. Truth: tottime(burn_x) is the wall the burner spent running (measured
    around each call, so CPU steal on a busy machine cancels out; its work ratio is 2);
    burn_a is only called by worker_a and burn_b only by worker_b; the cumtime of
    worker_a, worker_b and waiter is their greenlet's wall from start to end."""
    walls = {}
    threads = [eventlet.spawn(waiter, wait, walls), eventlet.spawn(worker_a, rounds, walls),
               eventlet.spawn(worker_b, rounds, walls)]
    for t in threads:
        t.wait()
    return walls


def warm_hub():
    """Start eventlet's hub outside any profile (a real service has it running)."""
    eventlet.sleep(0)
    return greenlet.getcurrent()


def _by_name(stats):
    out = {}
    for (filename, _line, name), v in stats.items():
        if filename.endswith("workloads.py") or filename == "~":
            out[name] = v
    return out


def _callers_ct(v):
    """Per caller: cumtime of the edge, or its call count where the profiler (the old
    profile module under eventlet.green.profile) keeps only counts."""
    res = {}
    for (_f, _l, name), c in v[4].items():
        res[name] = c[3] if isinstance(c, tuple) else c
    return res


def accuracy(stats, walls):
    """Errors (fractions) of a pstats-style stats dict against the interleaved truth."""
    s = _by_name(stats)
    err = {}
    a, b = s.get("burn_a"), s.get("burn_b")
    if a and b:
        err["tottime"] = max(abs(a[2] / walls["burn_a"] - 1.0), abs(b[2] / walls["burn_b"] - 1.0))
    else:
        err["tottime"] = float("nan")
    wrong = total = 0.0
    for name, right in (("burn_a", "worker_a"), ("burn_b", "worker_b")):
        ct = _callers_ct(s.get(name, (0, 0, 0, 0, {})))
        for caller, val in ct.items():
            if val is None:
                continue
            total += val
            if caller != right:
                wrong += val
    err["wrong_caller"] = wrong / total if total else float("nan")
    cum = []
    for name in ("worker_a", "worker_b", "waiter"):
        v = s.get(name)
        if v and walls.get(name):
            cum.append(abs(v[3] / walls[name] - 1.0))
    err["cumtime"] = max(cum) if cum else float("nan")
    return err
