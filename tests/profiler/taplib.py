"""taplib - a tiny TAP producer for the greenprof tests (no external libraries).

Import it from tests/profiler/t_*.py; call ok()/is_()/diag() and finally done(), which
exits non-zero when a test failed. Also puts build/profiler (or $GREENPROF_BUILD, e.g. the ASan build) on sys.path so `import
greenprof` finds the freshly built package. Never reads or writes outside a temp dir.
"""
import os
import sys
import traceback

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("GREENPROF_BUILD") or os.path.join(ROOT, "build", "profiler")
sys.path.insert(0, BUILD)

_n = 0
_failed = 0


def diag(msg):
    for line in str(msg).splitlines() or [""]:
        print("# " + line)
    sys.stdout.flush()


def ok(cond, name):
    global _n, _failed
    _n += 1
    if cond:
        print("ok %d - %s" % (_n, name))
    else:
        _failed += 1
        print("not ok %d - %s" % (_n, name))
    sys.stdout.flush()
    return bool(cond)


def is_(got, expected, name):
    if not ok(got == expected, name):
        diag("got:      %r\nexpected: %r" % (got, expected))


def between(got, lo, hi, name):
    if not ok(lo <= got <= hi, name):
        diag("got %r, expected within [%r, %r]" % (got, lo, hi))


def run_test(fn):
    """Run one test function; an exception is one failed test with its traceback."""
    try:
        fn()
    except Exception:
        ok(False, "%s raised" % fn.__name__)
        diag(traceback.format_exc())


def done():
    print("1..%d" % _n)
    sys.stdout.flush()
    sys.exit(1 if _failed else 0)
