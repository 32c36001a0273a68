#!/usr/bin/python3
"""mutate.py - `make mutate`: break the behaviours that matter on purpose, one at a time,
and check that the test named for each fails.

Owns: build/mutate/ (a copy of the tree per mutation). Never edits the tree it runs from.

Each mutation in tests/mutate/mutations.txt is one or more exact-text replacements in one
file. Each text to replace must occur exactly once: if a refactor moved or changed it, the mutation
is reported as STALE and the run fails, so a mutation can not silently stop mutating.
For each mutation: copy the tree (sources and the built objects, times kept) to
build/mutate/work, apply the change, rebuild only the named test (make's dependencies
recompile the changed file), run it with prove. The mutation is KILLED if the test
fails, it SURVIVED if the test passes (the guard guards nothing): exit 1.

Usage: mutate.py [--fast] [--only NAME[,NAME...]] [--list] [--no-baseline] [--keep]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIST = os.path.join(ROOT, "tests", "mutate", "mutations.txt")
WORK = os.path.join(ROOT, "build", "mutate", "work")
LOGS = os.path.join(ROOT, "build", "mutate", "logs")
TEST_TIMEOUT = 600


class Mutation:
    def __init__(self, name, line):
        self.name, self.line = name, line
        self.file = self.test = self.why = None
        self.fast = False
        self.hunks = []  # [(old lines, new lines)], applied in order


def parse(path):
    """mutations.txt -> [Mutation]; one clear line naming file:line on a bad entry."""
    out, m, mode = [], None, None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()

    def bad(i, msg):
        sys.exit("%s:%d: %s" % (os.path.relpath(path, ROOT), i, msg))

    for i, ln in enumerate(lines, 1):
        if mode in ("old", "new"):
            if ln == "====" and mode == "old":
                mode = "new"
            elif ln == ">>>>" and mode == "new":
                mode = None
            elif ln in ("====", ">>>>", "<<<<"):
                bad(i, "unexpected %s inside the %s text" % (ln, mode))
            else:
                m.hunks[-1][0 if mode == "old" else 1].append(ln)
            continue
        if not ln.strip() or ln.startswith("#"):
            continue
        if ln.startswith("mutation "):
            m = Mutation(ln.split(None, 1)[1].strip(), i)
            if any(x.name == m.name for x in out):
                bad(i, "mutation %s is listed twice" % m.name)
            out.append(m)
            continue
        if m is None:
            bad(i, "expected 'mutation NAME' first")
        key, _, val = ln.partition(":")
        val = val.strip()
        if ln == "<<<<":
            mode = "old"
            m.hunks.append(([], []))
        elif key == "file":
            m.file = val
        elif key == "test":
            m.test = val
        elif key == "why":
            m.why = val
        elif key == "fast":
            if val not in ("yes", "no"):
                bad(i, "fast: expected yes or no, got '%s'" % val)
            m.fast = val == "yes"
        else:
            bad(i, "unknown line '%s' (expected file:, test:, why:, fast:, <<<<)" % ln[:40])
    if mode:
        bad(len(lines), "mutation %s: its text is not closed with >>>>" % m.name)
    for x in out:
        for what in ("file", "test", "why"):
            if not getattr(x, what):
                bad(x.line, "mutation %s has no %s:" % (x.name, what))
        if not x.hunks or any(not old for old, _ in x.hunks):
            bad(x.line, "mutation %s has no text to replace" % x.name)
        if any(old == new for old, new in x.hunks):
            bad(x.line, "mutation %s changes nothing" % x.name)
    return out


def target_of(test):
    """'t_journal' -> (make target, prove argument) in a tree."""
    if test.endswith(".t") or test.endswith(".py"):
        return ["all"], test
    t = "build/san/tests/unit/" + test
    return [t], t


def copy_tree(dst):
    if os.path.exists(dst):
        shutil.rmtree(dst)
    os.makedirs(dst)
    # sources and the built objects, with their times, so that make rebuilds only what the
    # mutation touched; not the other copies, fuzz or valgrind builds, nor .git
    excl = ["./build/mutate", "./build/fuzz", "./build/vg", "./.git"]
    tar1 = subprocess.Popen(["tar", "-C", ROOT] + ["--exclude=" + e for e in excl] +
                            ["-cf", "-", "."], stdout=subprocess.PIPE)
    tar2 = subprocess.run(["tar", "-C", dst, "-xf", "-"], stdin=tar1.stdout)
    tar1.stdout.close()
    if tar1.wait() or tar2.returncode:
        sys.exit("mutate: copying the tree to %s failed" % dst)


def apply(m, tree):
    """Replace m.old by m.new in tree/m.file; None, or why it could not."""
    p = os.path.join(tree, m.file)
    try:
        with open(p, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        return "%s: %s" % (m.file, e.strerror)
    for k, (old_l, new_l) in enumerate(m.hunks, 1):
        old, new = "\n".join(old_l) + "\n", "\n".join(new_l) + ("\n" if new_l else "")
        n = text.count(old)
        if n != 1:
            return "%s: the text to replace (part %d, '%s') occurs %d times (expected once); " \
                   "update the mutation" % (m.file, k, old_l[0].strip()[:50], n)
        text = text.replace(old, new)
    with open(p, "w", encoding="utf-8") as f:
        f.write(text)
    st = os.stat(p)  # strictly newer than every copied object
    os.utime(p, (st.st_atime, time.time() + 2))
    return None


def run(cmd, cwd, log, timeout):
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1")
    env.pop("MAKEFLAGS", None)
    env.pop("MFLAGS", None)
    with open(log, "a") as f:
        f.write("$ %s\n" % " ".join(cmd))
        f.flush()
        try:
            return subprocess.run(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT, env=env,
                                  stdin=subprocess.DEVNULL, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            f.write("mutate: timed out after %d s\n" % timeout)
            return 124


def build_and_test(tree, test, log):
    """0: built and the test passed; 1: built and the test failed; 2: did not build."""
    targets, arg = target_of(test)
    if run(["make", "-j2", "-s"] + targets, tree, log, 900) != 0:
        return 2
    return 0 if run(["prove", "-f", "-e", "tests/lib/exec", arg], tree, log, TEST_TIMEOUT) == 0 else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fast", action="store_true", help="only the mutations marked fast: yes")
    ap.add_argument("--only", help="comma-separated mutation names")
    ap.add_argument("--list", action="store_true", help="print the mutations and exit")
    ap.add_argument("--check", action="store_true",
                    help="only check that every mutation parses and applies to the tree (TAP)")
    ap.add_argument("--no-baseline", action="store_true",
                    help="do not first check that each named test passes unmutated")
    ap.add_argument("--keep", action="store_true", help="keep build/mutate/work of the last one")
    a = ap.parse_args()
    ms = parse(LIST)
    if a.fast:
        ms = [m for m in ms if m.fast]
    if a.only:
        want = a.only.split(",")
        unknown = [w for w in want if w not in {m.name for m in ms}]
        if unknown:
            sys.exit("mutate: no mutation named %s in %s" % (", ".join(unknown), LIST))
        ms = [m for m in ms if m.name in want]
    if a.list:
        for m in ms:
            print("%-28s %-16s %s%s" % (m.name, m.test, m.why, "  [fast]" if m.fast else ""))
        return 0
    if a.check:
        tmp = tempfile.mkdtemp(prefix="mutate-check.")
        try:
            print("1..%d" % len(ms))
            bad = 0
            for i, m in enumerate(ms, 1):
                d = os.path.join(tmp, m.name)
                os.makedirs(os.path.dirname(os.path.join(d, m.file)), exist_ok=True)
                why = "%s does not exist" % m.file
                if os.path.exists(os.path.join(ROOT, m.file)):
                    shutil.copy(os.path.join(ROOT, m.file), os.path.join(d, m.file))
                    why = apply(m, d)
                print("%s %d - %s applies to %s%s" % ("not ok" if why else "ok", i, m.name, m.file,
                                                      ": " + why if why else ""))
                bad += bool(why)
            return 1 if bad else 0
        finally:
            shutil.rmtree(tmp)
    for m in ms:
        if not os.path.exists(os.path.join(ROOT, m.file)):
            sys.exit("mutate: %s: %s does not exist (moved? update %s)" % (m.name, m.file, LIST))
    os.makedirs(LOGS, exist_ok=True)
    t_start = time.time()
    print("1..%d" % len(ms))
    sys.stdout.flush()
    failures = 0
    if not a.no_baseline:
        copy_tree(WORK)
        for test in sorted({m.test for m in ms}):
            log = os.path.join(LOGS, "baseline-%s.log" % test.replace("/", "_"))
            open(log, "w").close()
            rc = build_and_test(WORK, test, log)
            if rc:
                print("Bail out! %s %s without any mutation (see %s); fix that first" %
                      (test, "does not build" if rc == 2 else "fails", os.path.relpath(log, ROOT)))
                return 1
    for i, m in enumerate(ms, 1):
        t0 = time.time()
        log = os.path.join(LOGS, m.name + ".log")
        open(log, "w").close()
        copy_tree(WORK)
        why = apply(m, WORK)
        if why:
            print("not ok %d - %s: STALE: %s" % (i, m.name, why))
            failures += 1
        else:
            rc = build_and_test(WORK, m.test, log)
            dt = time.time() - t0
            if rc == 1:
                print("ok %d - %s: killed by %s (%.0f s)" % (i, m.name, m.test, dt))
            elif rc == 0:
                print("not ok %d - %s: SURVIVED: %s still passes with %s (%s)" %
                      (i, m.name, m.test, m.why, os.path.relpath(log, ROOT)))
                failures += 1
            else:
                print("not ok %d - %s: the mutated tree does not build (%s)" %
                      (i, m.name, os.path.relpath(log, ROOT)))
                failures += 1
        sys.stdout.flush()
    if not a.keep and os.path.exists(WORK):
        shutil.rmtree(WORK)
    print("# %d mutation(s), %d survived, stale or broken, %.0f s" %
          (len(ms), failures, time.time() - t_start))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
