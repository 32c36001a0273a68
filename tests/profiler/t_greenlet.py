"""t_greenlet.py - greenprof's per-greenlet stacks: attribution against known truth,
cProfile's failure on the same workload, scope, concurrent sessions, greenlet death,
throw, garbage collection and greenlet.settrace chaining.

TAP under prove. Tolerances compare ratios and in-run walls, robust to a busy machine.
"""
import cProfile
import gc
import os
import sys
import time

from taplib import ok, is_, diag, between, run_test, done, ROOT

sys.path.insert(0, os.path.join(ROOT, "profiler", "bench"))
import eventlet  # noqa: E402
import greenlet  # noqa: E402

import greenprof  # noqa: E402
import workloads  # noqa: E402

workloads.warm_hub()


def by_name(stats):
    return {k[2]: v for k, v in stats.items()}


def profile(fn, *args, cls=greenprof.Profile, **kw):
    p = cls(**kw)
    p.enable()
    try:
        res = fn(*args)
    finally:
        p.disable()
    p.create_stats()
    return p.stats, res


def test_attribution_against_truth():
    errs = []
    ratios = []
    for _ in range(3):
        stats, walls = profile(workloads.interleaved, 6)
        errs.append(workloads.accuracy(stats, walls))
        s = workloads._by_name(stats)
        ratios.append(s["burn_b"][2] / s["burn_a"][2])
    med = {k: sorted(e[k] for e in errs)[1] for k in errs[0]}
    ratio = sorted(ratios)[1]
    ok(med["tottime"] < 0.10, "greenprof: burners' tottime within 10%% of their in-run wall (%.2f%%)" % (100 * med["tottime"]))
    between(ratio, 1.25, 3.2, "greenprof: tottime(burn_b)/tottime(burn_a) near the 2x work (loose: CPU steal)")
    is_(med["wrong_caller"], 0.0, "greenprof: burn_a charged only to worker_a, burn_b only to worker_b")
    ok(med["cumtime"] < 0.05, "greenprof: cumtime of workers and waiter = their wall (%.2f%% off)" % (100 * med["cumtime"]))

    cerrs = []
    for _ in range(3):
        stats, walls = profile(workloads.interleaved, 6, cls=cProfile.Profile)
        cerrs.append(workloads.accuracy(stats, walls))
    cmed = {k: sorted(e[k] for e in cerrs)[1] for k in cerrs[0]}
    ok(cmed["wrong_caller"] > 0.2, "cProfile on the same run charges %.0f%% of the burners to the other greenlet"
       % (100 * cmed["wrong_caller"]))


def test_waits_visible_where_they_happen():
    def sleeper():
        eventlet.sleep(0.03)

    walls = {}

    def burner():
        t0 = time.perf_counter()
        workloads.burn_a(workloads.UNIT * 4)
        walls["burner"] = time.perf_counter() - t0

    def scene():
        a = eventlet.spawn(sleeper)
        b = eventlet.spawn(burner)
        a.wait()
        b.wait()

    stats, _ = profile(scene)
    s = by_name(stats)
    sw = stats.get(greenprof.SWITCH_LABEL)
    ok(sw is not None, "the synthetic '<greenlet switch>' entry exists")
    sleeper_ct = s["sleeper"][3]
    ok(sleeper_ct >= 0.025, "sleeper's cumtime is its wall (%.3f s >= 0.025)" % sleeper_ct)
    ok(s["sleeper"][2] < 0.1 * sleeper_ct, "sleeper's tottime excludes the wait (%.4f s)" % s["sleeper"][2])
    sleep_key = [k for k in stats if k[2] == "sleep" and "greenthread" in k[0]][0]
    ok(stats[sleep_key][2] < 0.1 * stats[sleep_key][3], "eventlet.sleep's tottime excludes the wait")
    callers = {k[2] for k in sw[4]}
    ok(any("switch" in c for c in callers), "the wait is charged under the frame that switched out (%s)"
       % sorted(callers)[:3])
    burner_ct = s["burner"][3]
    ok(abs(burner_ct / walls["burner"] - 1) < 0.1,
       "burner's cumtime is its own run (%.4f s vs wall %.4f s)" % (burner_ct, walls["burner"]))
    ok(s["burn_a"][2] > 0.5 * burner_ct, "burn_a's tottime is most of burner's cumtime")


def test_scope_default_and_all():
    stop = []

    def background():
        while not stop:
            workloads.burn_b(1000)
            eventlet.sleep(0)

    def child():
        workloads.burn_a(1000)

    def raw_child():
        workloads.burn_a(500)

    def scene():
        eventlet.spawn(child).wait()
        greenlet.greenlet(raw_child).switch()
        for _ in range(5):
            eventlet.sleep(0)

    bg = eventlet.spawn(background)
    eventlet.sleep(0)
    stats, _ = profile(scene)
    s = by_name(stats)
    ok("child" in s, "default scope: a green thread spawned while profiling is profiled")
    ok("raw_child" in s, "default scope: a raw greenlet started from the profiled greenlet is profiled")
    ok("burn_b" not in s and "background" not in s, "default scope: an unrelated green thread is not profiled")
    stats, _ = profile(scene, scope="all")
    s = by_name(stats)
    ok("burn_b" in s and "child" in s, "scope='all': every greenlet of the thread is profiled")
    stop.append(1)
    bg.wait()


def test_concurrent_sessions():
    results = {}

    def request(name, n):
        p = greenprof.Profile()
        p.enable()
        for _ in range(3):
            (workloads.burn_a if name == "a" else workloads.burn_b)(n)
            eventlet.sleep(0)
        p.disable()
        p.create_stats()
        results[name] = by_name(p.stats)

    ts = [eventlet.spawn(request, "a", 5000), eventlet.spawn(request, "b", 5000)]
    for t in ts:
        t.wait()
    ok("burn_a" in results["a"] and "burn_b" not in results["a"], "two concurrent sessions: the first sees only its greenlet")
    ok("burn_b" in results["b"] and "burn_a" not in results["b"], "two concurrent sessions: the second sees only its greenlet")
    is_(greenprof._greenprof._hub_stats(), (0, 0), "after both disable, no hub is left")
    ok(sys.getprofile() is None, "after both disable, no profile hook is left")


def test_death_throw_gc():
    def victim():
        try:
            workloads.burn_a(100)
            greenlet.getcurrent().parent.switch()
            workloads.burn_a(100)
        except ValueError:
            return "caught"

    def suspended_forever():
        workloads.burn_b(100)
        greenlet.getcurrent().parent.switch()
        workloads.burn_b(100)  # never reached: killed by GC

    def scene():
        g = greenlet.greenlet(victim)
        g.switch()
        r = g.throw(ValueError)
        dead = []
        for _ in range(300):
            k = greenlet.greenlet(suspended_forever)
            k.switch()
            del k
            gc.collect(0) if _ % 50 == 0 else None
        gc.collect()
        for _ in range(300):  # finished greenlets, addresses reused
            d = greenlet.greenlet(workloads.burn_a)
            d.switch(10)
            dead.append(d.dead)
        h = greenlet.greenlet(suspended_forever)
        h.switch()
        h.throw(greenlet.GreenletExit)
        return r, all(dead), greenprof._greenprof._hub_stats()[0]

    p = greenprof.Profile()
    p.enable()
    r, all_dead, n_stacks = scene()
    p.disable()
    p.create_stats()
    s = by_name(p.stats)
    is_(r, "caught", "throw() into a profiled greenlet reaches its handler")
    ok(all_dead, "greenlets that finished are dead")
    is_(s["victim"][1], 1, "victim counted once across its switch and throw")
    is_(s["suspended_forever"][1], 301, "GC-killed and GreenletExit-killed greenlets' frames are closed (301 calls)")
    is_(s["burn_b"][1], 301, "code after the kill point never ran")
    ok(n_stacks < 200, "stacks of dead greenlets are swept (%d tracked after 900 greenlets)" % n_stacks)
    is_(s["scene"][1], 1, "the profiled greenlet's own stack is intact after all that")
    is_(greenprof._greenprof._hub_stats(), (0, 0), "disable() frees every greenlet stack")


def test_settrace_chaining_and_poll():
    seen = []

    def tracer(event, args):
        seen.append(event)

    old = greenlet.settrace(tracer)
    stats, walls = profile(workloads.interleaved, 2)
    ok(len(seen) > 4, "a greenlet tracer installed before enable() keeps receiving switches (%d)" % len(seen))
    ok(greenlet.gettrace() is tracer, "disable() restores the previous greenlet tracer")
    greenlet.settrace(old)
    stats, walls = profile(workloads.interleaved, 4, switch="poll")
    e = workloads.accuracy(stats, walls)
    ok(e["wrong_caller"] == 0.0 and e["cumtime"] < 0.05, "switch='poll' attributes like the tracer (%r)" % e)


for t in (test_attribution_against_truth, test_waits_visible_where_they_happen, test_scope_default_and_all,
          test_concurrent_sessions, test_death_throw_gc, test_settrace_chaining_and_poll):
    run_test(t)
done()
