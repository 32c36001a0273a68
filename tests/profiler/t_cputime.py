"""t_cputime.py - a profile's own CPU time (Profile.times(), cpu_time()) against truth,
under a background load the test starts itself, and the dump trailer the bootstrap writes.

Truth is what the profiled code measures of itself with time.thread_time() around its
own work. The load is 2 CPU-bound processes per core, bounded to 120 s, killed at the
end. TAP under prove; limits are fixed and generous enough for a loaded 2-core machine.
"""
import marshal
import os
import pstats
import subprocess
import sys
import tempfile
import threading
import time

from taplib import ok, is_, diag, between, run_test, done

import eventlet  # noqa: E402
import greenprof  # noqa: E402
from greenprof import _bootstrap  # noqa: E402

TMP = tempfile.mkdtemp(prefix="t_cputime.")
HOG = "import time\nend = time.monotonic() + 120\nwhile time.monotonic() < end:\n    pass\n"


def start_load():
    return [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(2 * (os.cpu_count() or 1))]


def stop_load(hogs):
    for h in hogs:
        h.kill()
    for h in hogs:
        h.wait()


def burn(seconds_cpu):
    """Spin until this thread has used seconds_cpu of CPU; returns the CPU it used."""
    t0 = time.thread_time()
    x = 0
    while time.thread_time() - t0 < seconds_cpu:
        for i in range(2000):
            x += i * i
    return time.thread_time() - t0


def profiled(fn, *args):
    p = greenprof.Profile()
    p.enable()
    try:
        res = fn(*args)
    finally:
        p.disable()
    return p.times(), res


def ms(ns):
    return ns / 1e6


def test_threads_burner_and_sleeper():
    out = {}

    def burner():
        t0 = time.perf_counter()
        out["burner"] = profiled(burn, 0.15) + (time.perf_counter() - t0,)

    def sleeper():
        out["sleeper"] = profiled(time.sleep, 0.3)

    ts = [threading.Thread(target=burner), threading.Thread(target=sleeper)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    (bt, truth, bwall), (st, _) = out["burner"], out["sleeper"]
    diag("burner: cpu %.1f ms (own thread_time %.1f ms), wall %.1f ms; sleeper: cpu %.2f ms, wall %.1f ms"
         % (ms(bt["cpu_ns"]), truth * 1e3, ms(bt["wall_ns"]), ms(st["cpu_ns"]), ms(st["wall_ns"])))
    ok(st["cpu_ns"] < 10e6, "threads: the sleeper's call used near-zero CPU (%.2f ms < 10 ms) under load"
       % ms(st["cpu_ns"]))
    ok(st["wall_ns"] >= 0.3e9, "threads: the sleeper's wall covers its 300 ms sleep (%.1f ms)" % ms(st["wall_ns"]))
    between(bt["cpu_ns"] / 1e9 / truth, 0.95, 1.10,
            "threads: the burner's CPU is its own thread CPU time (ratio to its thread_time)")
    ok(bt["cpu_ns"] <= bt["wall_ns"] * 1.01, "threads: CPU never exceeds wall (%.1f <= %.1f ms)"
       % (ms(bt["cpu_ns"]), ms(bt["wall_ns"])))
    between(bt["wall_ns"] / 1e9 / bwall, 0.9, 1.01, "threads: the profile's wall is the call's wall")
    is_((bt["wait_ns"], bt["switches"]), (0, 0), "threads: no greenlet, so no wait and no switch")


def test_cpu_steady_under_load():
    """The same work costs about the same CPU quiet and loaded; its wall grows with the load."""
    quiet = sorted(profiled(burn, 0.08)[0]["cpu_ns"] for _ in range(3))[1]
    hogs = start_load()
    try:
        time.sleep(0.2)
        runs = [profiled(burn, 0.08)[0] for _ in range(3)]
    finally:
        stop_load(hogs)
    cpu = sorted(r["cpu_ns"] for r in runs)[1]
    wall = sorted(r["wall_ns"] for r in runs)[1]
    diag("quiet cpu %.1f ms; loaded cpu %.1f ms, wall %.1f ms" % (ms(quiet), ms(cpu), ms(wall)))
    between(cpu / quiet, 0.8, 1.3, "loaded: CPU of a fixed work stays within 0.8..1.3 of quiet")


def test_greenlet_yields_to_burner():
    """A call that yields to a burner greenlet (not its own) is not charged the burner's CPU."""
    own = {"cpu": 0.0, "spent": 0.0}

    def other_burner():
        for _ in range(20):
            own["spent"] += burn(0.008)
            eventlet.sleep(0)

    def call():
        for _ in range(20):
            t0 = time.thread_time()
            burn(0.002)
            own["cpu"] += time.thread_time() - t0
            eventlet.sleep(0)

    g = eventlet.spawn(other_burner)
    eventlet.sleep(0)  # the burner is running before the call starts
    t, _ = profiled(call)
    g.wait()
    diag("call: cpu %.1f ms (its own %.1f ms), wall %.1f ms, wait %.1f ms, %d switches; burner %.1f ms"
         % (ms(t["cpu_ns"]), own["cpu"] * 1e3, ms(t["wall_ns"]), ms(t["wait_ns"]), t["switches"],
            own["spent"] * 1e3))
    between(t["cpu_ns"] / 1e9 / own["cpu"], 0.9, 1.35,
            "eventlet: the call's CPU is its own work only (ratio to its own thread_time)")
    ok(t["cpu_ns"] / 1e9 < 0.5 * own["spent"], "eventlet: the burner greenlet's %.0f ms are not counted"
       % (own["spent"] * 1e3))
    ok(t["wait_ns"] / 1e9 >= 0.8 * own["spent"], "eventlet: the burner's turns are the call's wait time")
    ok(t["switches"] >= 20, "eventlet: every eventlet.sleep(0) is a switch out (%d)" % t["switches"])
    between(t["wall_ns"] - t["wait_ns"] - t["run_ns"], -1000, 1000, "wall = run + wait")


def test_green_sleeper():
    done_ = []

    def other_burner():
        while not done_:
            burn(0.005)
            eventlet.sleep(0)

    g = eventlet.spawn(other_burner)
    eventlet.sleep(0)
    t, _ = profiled(eventlet.sleep, 0.2)
    done_.append(1)
    g.wait()
    diag("green sleeper: cpu %.2f ms, wall %.1f ms, wait %.1f ms" % (ms(t["cpu_ns"]), ms(t["wall_ns"]), ms(t["wait_ns"])))
    ok(t["cpu_ns"] < 10e6, "eventlet: a sleeping call beside a burner greenlet used near-zero CPU (%.2f ms)"
       % ms(t["cpu_ns"]))
    ok(t["wait_ns"] >= 0.18e9, "eventlet: its sleep is wait time (%.1f ms)" % ms(t["wait_ns"]))


def test_times_api():
    p = greenprof.Profile()
    p.enable()
    try:
        p.times()
        ok(False, "times() while enabled raises")
    except RuntimeError as e:
        ok("after disable" in str(e), "times() while enabled: RuntimeError saying so")
    burn(0.01)
    p.disable()
    first = p.cpu_time()
    p.enable()
    burn(0.01)
    p.disable()
    ok(p.cpu_time() > first >= 0.009, "cpu_time() sums enable()..disable() periods (%.1f, %.1f ms)"
       % (first * 1e3, p.cpu_time() * 1e3))
    p.clear()
    is_(p.times(), {"cpu_ns": 0, "wall_ns": 0, "run_ns": 0, "wait_ns": 0, "switches": 0}, "clear() zeroes the times")


def test_trailer_keeps_cprofile_format():
    p = greenprof.Profile()
    p.enable()
    burn(0.005)
    p.disable()
    p.snapshot_stats()
    tr = _bootstrap.trailer(p)
    path = os.path.join(TMP, "with-trailer.prof")
    with open(path, "wb") as f:
        f.write(marshal.dumps(p.stats) + marshal.dumps(tr))
    is_(sorted(tr), ["cpu_ns", "greenprof", "mode", "switches", "wait_ns", "wall_ns"], "trailer keys")
    ok(all(type(tr[k]) is int for k in ("cpu_ns", "wall_ns", "wait_ns", "switches", "greenprof")),
       "trailer numbers are ints")
    is_(tr["mode"], "threads", "mode: 'threads' when eventlet has not patched the process")
    st = pstats.Stats(path)
    ok(any(k[2] == "burn" for k in st.stats), "pstats.Stats loads a dump with a trailer unchanged")
    with open(path, "rb") as f:
        first = marshal.load(f)
        second = marshal.load(f)
        rest = f.read()
    ok(first == p.stats and second == tr and rest == b"", "marshal.load reads the stats, then the trailer")
    r = subprocess.run([sys.executable, "-m", "pstats", path], input="sort tottime\nstats 3\nquit\n",
                       capture_output=True, text=True, timeout=60)
    ok(r.returncode == 0 and "burn" in r.stdout and "function calls" in r.stdout,
       "python3 -m pstats reads it (%s)" % sys.version.split()[0])
    if r.returncode != 0 or "burn" not in r.stdout:
        diag(r.stdout[-2000:] + r.stderr[-2000:])


def test_mode_eventlet():
    code = ("import eventlet; eventlet.monkey_patch()\n"
            "import sys; sys.path.insert(0, %r)\n"
            "from greenprof import Profile, _bootstrap\n"
            "eventlet.sleep(0)  # the hub is running, as in a service\n"
            "p = Profile(); p.enable(); eventlet.sleep(0.01); p.disable()\n"
            "t = _bootstrap.trailer(p); print(t['mode'], t['switches'] >= 1, t['wait_ns'] > 5000000)\n"
            % sys.path[0])
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    is_(r.stdout.split(), ["eventlet", "True", "True"], "monkey-patched process: mode 'eventlet', sleep is wait")
    if r.returncode:
        diag(r.stderr[-2000:])


def test_cpu_clock():
    """Profile(clock='cpu'): the statistics are the greenlet's own CPU seconds."""
    own = {"cpu": 0.0, "spent": 0.0}

    def other_burner():
        for _ in range(10):
            own["spent"] += burn(0.008)
            eventlet.sleep(0)

    def cpu_call():
        for _ in range(10):
            t0 = time.thread_time()
            burn(0.002)
            own["cpu"] += time.thread_time() - t0
            eventlet.sleep(0)
        time.sleep(0.05)  # blocking, not a switch: wall time, no CPU

    g = eventlet.spawn(other_burner)
    eventlet.sleep(0)
    p = greenprof.Profile(clock="cpu")
    is_(p.clock, "cpu", "Profile(clock='cpu').clock")
    p.enable()
    cpu_call()
    p.disable()
    g.wait()
    p.create_stats()
    st = {k[2]: v for k, v in p.stats.items()}
    ct = st["cpu_call"][3]
    sw = st.get("<greenlet switch>", (0, 0, 0.0, 0.0))[2]
    diag("clock=cpu: cumtime(cpu_call) %.1f ms, own CPU %.1f ms, burner %.1f ms, switch entry %.2f ms"
         % (ct * 1e3, own["cpu"] * 1e3, own["spent"] * 1e3, sw * 1e3))
    between(ct / own["cpu"], 0.9, 1.4, "clock=cpu: the call's cumtime is its own CPU (no sleep, no burner)")
    ok(sw < 0.002, "clock=cpu: '<greenlet switch>' is ~0 (%.3f ms): the burner's CPU is not the call's" % (sw * 1e3))
    between(ct / (p.times()["cpu_ns"] * 1e-9), 0.95, 1.05, "clock=cpu: cumtime agrees with times()['cpu_ns']")
    try:
        greenprof.Profile(clock="tsc")
        ok(False, "clock='tsc' refused")
    except ValueError as e:
        ok("clock must be 'wall' or 'cpu'" in str(e), "clock='tsc' refused with a clear error")


HOGS = start_load()
try:
    time.sleep(0.2)
    for t in (test_threads_burner_and_sleeper, test_greenlet_yields_to_burner, test_green_sleeper, test_cpu_clock):
        run_test(t)
finally:
    stop_load(HOGS)
for t in (test_cpu_steady_under_load, test_times_api, test_trailer_keeps_cprofile_format, test_mode_eventlet):
    run_test(t)
done()
