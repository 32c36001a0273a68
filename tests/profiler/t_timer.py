"""t_timer.py - Profile(timer, timeunit): a custom timer like cProfile's, and what a timer
may do wrong (raise, return garbage, disable or enable a profiler from inside itself).

Also greenprof's answers where CPython's test_cprofile checks _lsprof itself (t_cpython.py
skips those): sys.getprofile() is the Profile while enabled, and methods are named by the
type that defines them. Timers here count ticks the test advances, so times are exact.
TAP under prove.
"""
import sys
import time

from taplib import ok, is_, diag, between, run_test, done

import greenprof

TICKS = [0]


def ticks():
    return TICKS[0]


def work(n):  # 10 ticks of its own, then n calls of step()
    TICKS[0] += 10
    for _ in range(n):
        step()


def step():  # 3 ticks each
    TICKS[0] += 3


def by_name(stats):
    return {k[2]: v for k, v in stats.items()}


class Unraisable:
    """Collects sys.unraisablehook reports while active."""

    def __enter__(self):
        self.seen = []
        self.prev = sys.unraisablehook
        sys.unraisablehook = self.seen.append
        return self

    def __exit__(self, *exc):
        sys.unraisablehook = self.prev


def test_ticks_timer():
    p = greenprof.Profile(ticks, 0.001)
    is_(p.clock, "timer", "clock is 'timer' with a custom timer")
    p.runcall(work, 4)
    p.create_stats()
    s = by_name(p.stats)
    is_(s["work"][1], 1, "work called once")
    is_(round(s["work"][2], 9), 0.010, "work's tottime: its own 10 ticks of 1 ms")
    is_(round(s["work"][3], 9), 0.022, "work's cumtime: 10 + 4 x 3 ticks")
    is_(s["step"][1], 4, "step called 4 times")
    is_(round(s["step"][3], 9), 0.012, "step's cumtime: 4 x 3 ticks")
    ok("ticks" not in s, "the timer's own calls are not profiled")


def test_seconds_timer():
    p = greenprof.Profile(time.perf_counter)
    t0 = time.perf_counter()
    p.runcall(time.sleep, 0.05)
    wall = time.perf_counter() - t0
    p.create_stats()
    sl = by_name(p.stats)["<built-in method time.sleep>"]
    between(sl[3], 0.045, wall, "a timer in float seconds: sleep(0.05)'s cumtime within [0.045, the call's wall]")
    q = greenprof.Profile(lambda: TICKS[0])  # int seconds, timeunit 0
    q.runcall(work, 1)
    q.create_stats()
    is_(round(by_name(q.stats)["work"][3], 9), 13.0, "a timer in int seconds (timeunit 0): 13 ticks are 13 s")


def test_bad_arguments():
    for args, kw, exc, what in (((1,), {}, TypeError, "a non-callable timer"),
                                ((ticks, -1.0), {}, ValueError, "a negative timeunit"),
                                ((ticks,), {"clock": "cpu"}, ValueError, "a timer with clock='cpu'")):
        try:
            greenprof.Profile(*args, **kw)
            ok(False, "%s is refused" % what)
        except exc as e:
            ok(True, "%s is refused: %s" % (what, e))
    is_(greenprof.Profile(None).clock, "wall", "timer=None is the built-in clock")


def test_timer_fails():
    calls = [0]

    def flaky():
        calls[0] += 1
        if calls[0] == 3:
            raise ValueError("timer broke")
        return TICKS[0]

    with Unraisable() as u:
        p = greenprof.Profile(flaky, 0.001)
        p.runcall(work, 3)
        p.create_stats()
    is_([type(x.exc_value).__name__ for x in u.seen], ["ValueError"], "a raising timer is reported as unraisable once")
    is_(by_name(p.stats)["step"][1], 3, "profiling goes on after the timer raised")
    ok(all(v[2] >= 0 and v[3] >= 0 for v in p.stats.values()), "no negative times after a failed read")
    with Unraisable() as u:
        p = greenprof.Profile(lambda: int, 0.001)  # returns a type, not a number
        p.runcall(work, 1)
    ok(u.seen and all(isinstance(x.exc_value, TypeError) for x in u.seen),
       "a timer returning a non-number: TypeError, unraisable (%d reports)" % len(u.seen))
    with Unraisable() as u:
        p = greenprof.Profile(lambda: float("inf"))
        p.runcall(work, 1)
    ok(u.seen and all(isinstance(x.exc_value, OverflowError) for x in u.seen),
       "a timer returning inf seconds: OverflowError, unraisable")


def test_timer_touches_profiler():
    state = {"n": 0, "errors": []}

    def evil():
        state["n"] += 1
        if state["n"] == 2:
            try:
                prof.disable()
            except RuntimeError as e:
                state["errors"].append(str(e))
            try:
                other.enable()
            except RuntimeError as e:
                state["errors"].append(str(e))
        return state["n"]

    prof = greenprof.Profile(evil, 1.0)
    other = greenprof.Profile()
    prof.enable()
    work(2)
    still = prof.is_enabled
    prof.disable()
    is_(len(state["errors"]), 2, "disable() and enable() from inside a timer are refused")
    ok(all("inside a profiler's timer" in e for e in state["errors"]), "... saying why: %s" % state["errors"][:1])
    ok(still and not other.is_enabled, "the profiler stays enabled, the other one was not enabled")
    prof.create_stats()
    is_(by_name(prof.stats)["step"][1], 2, "the profile is whole")


def test_exception_state_kept():
    def noisy():
        try:
            raise KeyError("inside the timer")
        except KeyError:
            pass
        return TICKS[0]

    def raiser():
        raise LookupError("profiled")

    def catcher():
        try:
            raiser()
        except LookupError as e:
            return str(e)

    p = greenprof.Profile(noisy, 1.0)
    is_(p.runcall(catcher), "profiled", "the profiled code's exception survives a timer that raises and catches")


def test_getprofile_and_labels():
    p = greenprof.Profile()
    p.enable()
    cur = sys.getprofile()
    p.disable()
    ok(cur is p, "sys.getprofile() is the Profile while it is enabled")
    ok(sys.getprofile() is None, "and None after disable()")

    class MyList(list):
        pass

    q = greenprof.Profile()
    q.enable()
    MyList().append(1)
    q.disable()
    q.create_stats()
    names = [k[2] for k in q.stats]
    ok("<method 'append' of 'list' objects>" in names,
       "a subclass's inherited method is named by the type that defines it, as cProfile does")
    ok(not any("MyList" in n for n in names), "no label names the subclass")
    if not ok(any(n == "<method 'disable' of '_greenprof.Probe' objects>" for n in names),
              "the core's own disable() is labelled like _lsprof's (16-character type name)"):
        diag(names)


def test_timer_with_greenlets():
    try:
        import greenlet
    except ImportError:
        ok(True, "# SKIP greenlet not installed")
        return

    def other():
        TICKS[0] += 100  # another greenlet's work
        main.switch()

    def mine():
        TICKS[0] += 5
        g.switch()
        TICKS[0] += 7

    main = greenlet.getcurrent()
    g = greenlet.greenlet(other)
    p = greenprof.Profile(ticks, 0.001, scope="default")
    p.runcall(mine)
    p.create_stats()
    s = by_name(p.stats)
    is_(round(s["mine"][2], 9), 0.012, "with a custom timer, a greenlet's tottime excludes its switched-out time")
    is_(round(s["other"][2], 9), 0.100, "the spawned greenlet's own 100 ticks are its tottime")
    # waits: mine's 100 ticks while other ran, and other's 7 from its switch back until disable()
    is_(round(s["<greenlet switch>"][3], 9), 0.107, "the switch entry holds both greenlets' waits (100 + 7 ticks)")


for t in (test_ticks_timer, test_seconds_timer, test_bad_arguments, test_timer_fails,
          test_timer_touches_profiler, test_exception_state_kept, test_getprofile_and_labels,
          test_timer_with_greenlets):
    run_test(t)
done()
