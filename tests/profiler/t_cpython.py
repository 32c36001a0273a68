"""t_cpython.py - CPython's own cProfile test suite run against greenprof (a drop-in check).

Runs Lib/test/test_cprofile.py (with test_profile.py and profilee.py, from Debian's
libpython3.X-testsuite, where Debian installs them: never copied into this project) with
profilerclass = greenprof.Profile and profilermodule = greenprof. Its subprocess tests run
`python -m greenprof` from the fresh build (PYTHONPATH), also where the suite names
`-m cProfile` literally. One TAP line per test; a test that checks cProfile's own
implementation rather than the Profile API is a SKIP with the reason. TAP under prove.
Set GREENPROF_CPYTHON_TESTS to CPython's test package directory to use another copy.
"""
import os
import shutil
import sys
import sysconfig
import tempfile
import unittest

from taplib import BUILD

TESTS = os.environ.get("GREENPROF_CPYTHON_TESTS") or os.path.join(sysconfig.get_paths()["stdlib"], "test")
NEEDED = ("test_cprofile.py", "test_profile.py", "profilee.py")
PYVER = "%d.%d" % sys.version_info[:2]

missing = [f for f in NEEDED if not os.path.isfile(os.path.join(TESTS, f))]
if missing:
    print("1..0 # SKIP %s not in %s: install libpython%s-testsuite" % (", ".join(missing), TESTS, PYVER))
    sys.exit(0)
sys.path.insert(1, os.path.dirname(os.path.abspath(TESTS)))  # after BUILD: the package `test`

import greenprof  # noqa: E402
import test.test_profile as test_profile  # noqa: E402
import test.test_cprofile as test_cprofile  # noqa: E402

if not os.path.abspath(test_cprofile.__file__).startswith(os.path.abspath(TESTS)):
    print("not ok 1 - test.test_cprofile imported from %s, not %s" % (test_cprofile.__file__, TESTS))
    print("1..1")
    sys.exit(1)

LSPROF = "builds _lsprof.Profiler (cProfile's C module) itself, not profilerclass; " \
         "greenprof's counterpart is in t_timer.py"
MONITORING = "asserts cProfile's sys.monitoring tool name; greenprof uses the C profile hook, " \
             "where sys.getprofile() is the Profile (t_timer.py checks it)"
SKIPS = {
    "test_bad_counter_during_dealloc": LSPROF,
    "test_evil_external_timer": LSPROF,
    "test_enable_in_external_timer": LSPROF,
    "test_crash_with_not_enough_args": "calls _lsprof's sys.monitoring callbacks (_pystart_callback ...), "
                                       "which greenprof does not have",
    "test_second_profiler": "expects sys.monitoring's ValueError 'tool 2 is already in use'; greenprof "
                            "refuses a second Profile in one greenlet with RuntimeError (t_api.py)",
}
if sys.version_info >= (3, 12):  # before 3.12 these two assert sys.getprofile() is prof: they run
    SKIPS["test_profile_enable_disable"] = MONITORING
    SKIPS["test_profile_as_context_manager"] = MONITORING


def to_greenprof(fn):
    """The suite's assert_python_ok/_failure, running greenprof where it says cProfile, with
    the build first on the child's path (an installed greenprof must not be tested)."""
    def run(*args, **env):
        args = list(args)
        for i in range(len(args) - 1):
            if args[i] == "-m" and args[i + 1] == "cProfile":
                args[i + 1] = "greenprof"
        env["PYTHONPATH"] = os.pathsep.join([os.path.abspath(BUILD)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
        return fn(*args, **env)
    return run


for mod in (test_profile, test_cprofile):
    for name in ("assert_python_ok", "assert_python_failure"):
        if hasattr(mod, name):
            setattr(mod, name, to_greenprof(getattr(mod, name)))


class GreenprofTest(test_cprofile.CProfileTest):
    profilerclass = greenprof.Profile
    profilermodule = greenprof


for _name, _reason in SKIPS.items():
    if hasattr(GreenprofTest, _name):
        setattr(GreenprofTest, _name, unittest.skip(_reason)(getattr(GreenprofTest, _name)))


class TapResult(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.n = 0
        self.counts = {"pass": 0, "fail": 0, "skip": 0}

    def _line(self, test, verdict, note=""):
        self.n += 1
        print("%s %d - %s%s" % ("ok" if verdict != "fail" else "not ok", self.n, test.id(), note))
        self.counts[verdict] += 1
        sys.stdout.flush()

    def _diag(self, test, err):
        for line in self._exc_info_to_string(err, test).splitlines():
            print("# " + line)

    def addSuccess(self, test):
        self._line(test, "pass")

    def addFailure(self, test, err):
        self._line(test, "fail")
        self._diag(test, err)

    def addError(self, test, err):
        self._line(test, "fail")
        self._diag(test, err)

    def addSkip(self, test, reason):
        self.skipped.append((test, reason))
        self._line(test, "skip", " # SKIP " + reason)

    def addExpectedFailure(self, test, err):
        self._line(test, "fail", " (expected failure in CPython's suite: not for a drop-in)")

    def addUnexpectedSuccess(self, test):
        self._line(test, "pass")

    def addSubTest(self, test, subtest, err):
        if err is not None:
            self._line(subtest, "fail")
            self._diag(subtest, err)


def main():
    loader = unittest.defaultTestLoader
    suite = unittest.TestSuite([loader.loadTestsFromTestCase(GreenprofTest),
                                loader.loadTestsFromTestCase(test_cprofile.TestCommandLine)])
    res = TapResult()
    tmp = tempfile.mkdtemp(prefix="t_cpython.")
    here = os.getcwd()
    os.chdir(tmp)  # the suite writes TESTFN into the current directory
    try:
        suite.run(res)
    finally:
        os.chdir(here)
        shutil.rmtree(tmp, ignore_errors=True)
    # on stderr so that prove (and profiler/matrix.sh's summary) show it without -v
    print("CPython %s test_cprofile (%s) against greenprof: %d passed, %d skipped (%s), %d failed"
          % (sys.version.split()[0], TESTS, res.counts["pass"], res.counts["skip"],
             ", ".join(t.id().rsplit(".", 1)[1] for t, _ in res.skipped) or "none", res.counts["fail"]),
          file=sys.stderr)
    print("1..%d" % res.n)
    sys.exit(1 if res.counts["fail"] or not res.counts["pass"] else 0)


if __name__ == "__main__":
    main()
