"""greenprof - a greenlet-aware deterministic profiler for CPython (C core in _greenprof).

Drop-in for cProfile.Profile and eventlet.green.profile.Profile: enable()/disable(),
start()/stop(), runcall(), create_stats(), print_stats(), dump_stats() (cProfile's marshal
format), plus dump_callgrind() and dump_collapsed(). Each greenlet has its own call stack;
time a greenlet spends switched out is charged to '~:0(<greenlet switch>)' under the frame
that switched out. This module imports only the C core at import time (no greenlet,
eventlet or pstats) so the start-up bootstrap stays cheap; it never writes files except
where a dump_* method is asked to.
"""
import marshal
import sys

from greenprof._greenprof import Probe as _Profiler, is_profiled

__all__ = ["Profile", "run", "runctx", "is_profiled", "SWITCH_LABEL"]

SWITCH_LABEL = ("~", 0, "<greenlet switch>")


def _label(obj):
    if obj is None:
        return SWITCH_LABEL
    if isinstance(obj, str):
        return ("~", 0, obj)
    return (obj.co_filename, obj.co_firstlineno, obj.co_name)


class Profile(_Profiler):
    """Profile(subcalls=True, builtins=True, scope='default', switch='trace', clock='wall')

    scope='default' profiles the greenlet that calls enable() and the greenlets it
    spawns while profiling; scope='all' every greenlet of the thread. switch='poll'
    detects greenlet switches by comparing getcurrent() on every event instead of
    greenlet.settrace (kept for measurement). clock='cpu' times every call with the
    thread CPU clock of its own greenlet (CLOCK_THREAD_CPUTIME_ID, CPU used while it
    was switched out excluded) instead of the wall clock: tottime and cumtime are then
    CPU seconds, '<greenlet switch>' is ~0, and each event costs a clock_gettime
    system call (see profiler/README.md for the overhead)."""

    def __init__(self, timer=None, timeunit=0.0, subcalls=True, builtins=True,
                 scope="default", switch="trace", clock="wall"):
        super().__init__(timer, timeunit, subcalls, builtins, scope, switch, clock)

    def cpu_time(self):
        """Seconds of thread CPU time the profiled code itself used (its greenlets only,
        switched-out periods excluded), summed since the last clear(); after disable()."""
        return self.times()["cpu_ns"] * 1e-9

    # eventlet.green.profile.Profile names
    def start(self):
        self.enable()

    def stop(self):
        self.disable()

    def __enter__(self):
        self.enable()
        return self

    def __exit__(self, *exc_info):
        self.disable()

    def create_stats(self):
        self.disable()
        self.snapshot_stats()

    def snapshot_stats(self):
        """Fill self.stats: {(file, line, name): (cc, nc, tt, ct, {caller: (nc, cc, tt, ct)})}."""
        entries, edges = self.getstats_raw()
        labels = [_label(e[0]) for e in entries]
        stats = {}
        callers = [None] * len(entries)
        for i, (obj, callcount, reccallcount, tt, it) in enumerate(entries):
            if callcount == 0:
                continue
            callers[i] = {}
            lab = labels[i]
            nc = callcount
            cc = nc - reccallcount
            prev = stats.get(lab)
            if prev is None:
                stats[lab] = (cc, nc, it, tt, callers[i])
            else:  # two code objects with one label: merge like pstats would
                stats[lab] = (prev[0] + cc, prev[1] + nc, prev[2] + it, prev[3] + tt, prev[4])
                callers[i] = prev[4]
        for caller_i, callee_i, callcount, reccallcount, tt, it in edges:
            d = callers[callee_i]
            if d is None:
                continue
            clab = labels[caller_i]
            val = (callcount, callcount - reccallcount, it, tt)
            old = d.get(clab)
            if old is not None:
                val = tuple(a + b for a, b in zip(old, val))
            d[clab] = val
        self.stats = stats

    def print_stats(self, sort=-1):
        """Print the stats like cProfile: sort is a key ("cumulative", -1, ...) or a tuple of keys."""
        import pstats
        keys = sort if isinstance(sort, (tuple, list)) else (sort,)
        pstats.Stats(self).strip_dirs().sort_stats(*keys).print_stats()

    def dump_stats(self, file):
        """Write cProfile's marshal format (pstats.Stats, SnakeViz, gprof2dot read it)."""
        self.create_stats()
        with open(file, "wb") as f:
            marshal.dump(self.stats, f)

    def dump_callgrind(self, file):
        """Write the callgrind format (KCachegrind, callgrind_annotate); costs in microseconds."""
        from greenprof._formats import write_callgrind
        self.create_stats()
        with open(file, "w", encoding="utf-8") as f:
            write_callgrind(self.stats, f)

    def dump_collapsed(self, file):
        """Write folded stacks ("a;b;c <microseconds>") for flamegraph.pl / speedscope.
        The stacks are reconstructed from the caller edges (as flameprof does)."""
        from greenprof._formats import write_collapsed
        self.create_stats()
        with open(file, "w", encoding="utf-8") as f:
            write_collapsed(self.stats, f)

    def run(self, cmd):
        import __main__
        dict_ = __main__.__dict__
        return self.runctx(cmd, dict_, dict_)

    def runctx(self, cmd, globals, locals):
        self.enable()
        try:
            exec(cmd, globals, locals)
        finally:
            self.disable()
        return self

    def runcall(self, func, /, *args, **kw):
        self.enable()
        try:
            return func(*args, **kw)
        finally:
            self.disable()


def _output(prof, filename, sort):
    if filename is not None:
        prof.dump_stats(filename)
    else:
        prof.print_stats(sort)


def run(statement, filename=None, sort=-1, scope="default"):
    prof = Profile(scope=scope)
    try:
        prof.run(statement)
    except SystemExit:
        pass
    _output(prof, filename, sort)


def runctx(statement, globals, locals, filename=None, sort=-1, scope="default"):
    prof = Profile(scope=scope)
    try:
        prof.runctx(statement, globals, locals)
    except SystemExit:
        pass
    _output(prof, filename, sort)


del sys
