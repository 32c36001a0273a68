"""t_bootstrap.py - the GREENBENCH_PROFILE bootstrap, run as at interpreter start-up.

Each case runs /usr/bin/python3 (or $PYTHON) in a subprocess whose site directory holds
greenbench-profile.pth and the built greenprof package; site.addsitedir() processes the
.pth with the same code as start-up. A throwaway package gbapp provides the targets.
TAP under prove; everything lives in a temp dir removed at the end.
"""
import os
import pstats
import shutil
import subprocess
import sys
import tempfile

from taplib import ok, is_, diag, run_test, done, BUILD, ROOT

TMP = tempfile.mkdtemp(prefix="t_bootstrap.")
SITE = os.path.join(TMP, "site")
APP = os.path.join(TMP, "app")
PY = sys.executable
RID1 = "req-11111111-2222-3333-4444-555555555555"
RID2 = "req-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"

os.makedirs(os.path.join(APP, "gbapp"))
os.makedirs(SITE)
os.symlink(os.path.join(BUILD, "greenprof"), os.path.join(SITE, "greenprof"))
shutil.copy(os.path.join(ROOT, "profiler", "greenbench-profile.pth"), SITE)
with open(os.path.join(APP, "gbapp", "__init__.py"), "w") as f:
    f.write("")
with open(os.path.join(APP, "gbapp", "early.py"), "w") as f:
    f.write("def early(ctx):\n    return sum(range(100))\n")
with open(os.path.join(APP, "gbapp", "svc.py"), "w") as f:
    f.write('''
class Ctx:
    def __init__(self, rid):
        self.global_request_id = rid

def work(n):
    return sum(range(n))

class Manager:
    def select(self, ctx, n):
        return work(n)

    @staticmethod
    def static(ctx):
        return work(5)

def handle(ctx, n):
    return work(n)

def recurse(ctx, n):
    return 0 if n == 0 else 1 + recurse(ctx, n - 1)

def boom(ctx):
    raise ValueError("boom from the service")

def waits(ctx, t):
    import eventlet
    eventlet.sleep(t)
    return work(10)
''')

# The child runs with -S, then adds the interpreter's site dirs itself, skipping any
# that hold an installed greenbench-profile.pth: a greenprof installed on this host
# must not stand in for the one under test.
PRELUDE = ("import sys, site, os\n"
           "for _d in site.getsitepackages():\n"
           "    if not os.path.exists(os.path.join(_d, 'greenbench-profile.pth')):\n"
           "        site.addsitedir(_d)\n"
           "sys.path.insert(0, %r)\n" % APP)
ADD_SITE = "site.addsitedir(%r)\n" % SITE


def run(code, spec, out=None):
    env = {k: v for k, v in os.environ.items() if k != "GREENBENCH_PROFILE"}
    if spec is not None:
        env["GREENBENCH_PROFILE"] = spec
    r = subprocess.run([PY, "-S", "-c", PRELUDE + code], capture_output=True, text=True, env=env, timeout=60)
    return r


def dumps(out):
    if not os.path.isdir(out):
        return []
    return sorted(os.listdir(out))


def spec_for(out, targets, extra=""):
    return "out=%s;targets=%s%s" % (out, ",".join(targets), extra)


def test_inert_without_env():
    r = run(ADD_SITE + "print('greenprof' in sys.modules)\n", None)
    is_(r.stdout.strip(), "False", ".pth without GREENBENCH_PROFILE imports nothing")
    with open(os.path.join(ROOT, "profiler", "greenbench-profile.pth")) as f:
        lines = f.read().splitlines()
    ok(len(lines) == 1 and lines[0].startswith("import os, sys;"), ".pth is one 'import' line (executed by site)")


def test_startup_imports_little():
    out = os.path.join(TMP, "o0")
    code = ADD_SITE + ("bad = [m for m in ('greenlet', 'eventlet', 'threading', 'logging', 'pstats') if m in sys.modules]\n"
                       "print('loaded', 'greenprof._bootstrap' in sys.modules, bad)\n")
    r = run(code, spec_for(out, ["gbapp.svc:handle"]))
    is_(r.stdout.strip(), "loaded True []", "bootstrap at start-up imports no greenlet/eventlet/threading/logging")
    ok(not os.path.exists(out), "the out dir is only created when a dump is written")


def test_targets_before_and_after():
    out = os.path.join(TMP, "o1")
    code = ("import gbapp.early\n" + ADD_SITE +
            "import gbapp.svc as s\n"
            "print(gbapp.early.early(s.Ctx(%r)))\n"
            "print(s.Manager().select(s.Ctx(%r), 1000))\n"
            "print(s.handle(None, 10))\n"
            "print(s.Manager.static(None))\n"
            "print(s.Manager.select.__name__, s.Manager.select.__wrapped__.__name__)\n" % (RID1, RID2))
    r = run(code, spec_for(out, ["gbapp.early:early", "gbapp.svc:Manager.select", "gbapp.svc:handle",
                                 "gbapp.svc:Manager.static"]))
    is_(r.stdout.split(), ["4950", "499500", "45", "10", "select", "select"], "wrapped targets return their results")
    is_(r.stderr, "", "no warning for a valid spec")
    pid = r.stdout and None
    names = dumps(out)
    ok(any(n.startswith("gbapp.early-early__%s__" % RID1) for n in names),
       "target imported before the bootstrap is wrapped; dump named by args[0].global_request_id")
    ok(any(n.startswith("gbapp.svc-Manager.select__%s__" % RID2) for n in names),
       "method target: request id found on args[1] (self is args[0])")
    ok(any(n.startswith("gbapp.svc-handle__seq-") for n in names), "no context: seq-N name")
    ok(any(n.startswith("gbapp.svc-Manager.static__seq-") for n in names), "staticmethod target wrapped")
    ok(all(n.endswith(".prof") and not n.startswith(".") for n in names), "no temp files left: %s" % names)
    is_(oct(os.stat(out).st_mode & 0o777), "0o700", "out dir created with mode 0700")
    sel = [n for n in names if "Manager.select" in n][0]
    st = pstats.Stats(os.path.join(out, sel))
    funcs = {k[2] for k in st.stats}
    ok("select" in funcs and "work" in funcs, "the dump loads in pstats and holds the target's call tree")
    ok("greenprof_wrapper" not in funcs, "the wrapper itself is not in the dump")
    pids = {n.rsplit("__", 1)[1][:-5] for n in names}
    ok(len(pids) == 1 and pids.pop().isdigit(), "dump names end with the pid")


def test_recursion_and_exceptions():
    out = os.path.join(TMP, "o2")
    code = (ADD_SITE + "import gbapp.svc as s\n"
            "print(s.recurse(s.Ctx(%r), 20))\n"
            "try:\n    s.boom(None)\nexcept ValueError as e:\n    print('caught', e)\n" % RID1)
    r = run(code, spec_for(out, ["gbapp.svc:recurse", "gbapp.svc:boom"]))
    ok("20" in r.stdout and "caught boom from the service" in r.stdout, "exceptions from a target propagate unchanged")
    names = dumps(out)
    is_(len([n for n in names if "recurse" in n]), 1, "a recursive target writes one dump (no nested profiler)")
    st = pstats.Stats(os.path.join(out, [n for n in names if "recurse" in n][0]))
    rec = [v for k, v in st.stats.items() if k[2] == "recurse"][0]
    is_((rec[0], rec[1]), (1, 21), "the recursion is inside the one dump (21/1 calls)")
    is_(len([n for n in names if "boom" in n]), 1, "a target that raises still writes its dump")


def test_concurrent_green_calls():
    out = os.path.join(TMP, "o3")
    code = (ADD_SITE + "import eventlet\nimport gbapp.svc as s\n"
            "ts = [eventlet.spawn(s.waits, s.Ctx(r), 0.01) for r in (%r, %r)]\n"
            "print([t.wait() for t in ts])\n" % (RID1, RID2))
    r = run(code, spec_for(out, ["gbapp.svc:waits"]))
    names = dumps(out)
    ok(r.returncode == 0 and len(names) == 2 and RID1 in names[0] + names[1] and RID2 in names[0] + names[1],
       "two overlapping calls in two green threads write two dumps (a session each)")
    if len(names) != 2:
        diag(r.stdout + r.stderr + repr(names))


def test_dump_trailer():
    out = os.path.join(TMP, "o3t")
    code = (ADD_SITE + "import eventlet\nimport gbapp.svc as s\n"
            "eventlet.sleep(0)\nprint(s.waits(s.Ctx(%r), 0.05))\n" % RID1)
    r = run(code, spec_for(out, ["gbapp.svc:waits"]))
    names = dumps(out)
    if not ok(r.returncode == 0 and len(names) == 1, "a green call writes one dump"):
        diag(r.stdout + r.stderr)
        return
    import marshal
    with open(os.path.join(out, names[0]), "rb") as f:
        stats = marshal.load(f)
        tr = marshal.load(f)
        rest = f.read()
    ok(isinstance(stats, dict) and any(k[2] == "waits" for k in stats), "first object: cProfile's stats")
    ok(isinstance(tr, dict) and tr.get("greenprof") == 1 and rest == b"", "second object: the greenprof trailer, then EOF")
    ok(tr["wait_ns"] >= 45e6 and tr["cpu_ns"] < tr["wall_ns"] - tr["wait_ns"] + 1e6 and tr["switches"] >= 1,
       "trailer: the 50 ms sleep is wait, CPU within the running time (%r)" % tr)
    is_(tr["mode"], "threads", "trailer: mode 'threads' (eventlet imported but not monkey-patched)")
    ok(len(pstats.Stats(os.path.join(out, names[0])).stats) == len(stats), "pstats.Stats reads the dump as before")


def test_fork():
    out = os.path.join(TMP, "o4")
    code = (ADD_SITE + "import os\nimport gbapp.svc as s\n"
            "s.handle(s.Ctx(%r), 10)\n"
            "pid = os.fork()\n"
            "if pid == 0:\n    s.handle(s.Ctx(%r), 10)\n    os._exit(0)\n"
            "os.waitpid(pid, 0)\nprint(os.getpid(), pid)\n" % (RID1, RID2))
    r = run(code, spec_for(out, ["gbapp.svc:handle"]))
    parent, child = r.stdout.split()
    names = dumps(out)
    ok("gbapp.svc-handle__%s__%s.prof" % (RID1, parent) in names, "parent's dump carries the parent's pid")
    ok("gbapp.svc-handle__%s__%s.prof" % (RID2, child) in names, "a forked child writes its own dump with its own pid")


def test_bad_specs():
    code = ADD_SITE + "import gbapp.svc as s\nprint(s.handle(None, 10))\n"
    out = os.path.join(TMP, "o5")
    r = run(code, "targets=gbapp.svc:handle")
    ok(r.stdout.strip() == "45" and "'out' is required" in r.stderr, "missing out: one clear warning, service runs")
    r = run(code, "out=relative/dir;targets=gbapp.svc:handle")
    ok(r.stdout.strip() == "45" and "not an absolute path" in r.stderr, "relative out: clear warning")
    r = run(code, "out=%s;targets=gbapp.svc.handle" % out)
    ok(r.stdout.strip() == "45" and "is not module:qualname" in r.stderr and not dumps(out),
       "target without ':' rejected by name, no dump")
    r = run(code, "out=%s;targets=gbapp.svc:handle;colour=blue" % out)
    ok(r.stdout.strip() == "45" and "unknown key 'colour'" in r.stderr and len(dumps(out)) == 1,
       "unknown key: warning, profiling still works")
    is_(r.stderr.count("greenprof:"), 1, "exactly one warning line")
    r = run(code, "out=%s;targets=gbapp.svc:nosuch" % out)
    ok(r.stdout.strip() == "45" and "gbapp.svc:nosuch: cannot wrap" in r.stderr, "missing attribute: warning names the target")
    r = run(code, "out=/proc/greenprof-cannot-exist;targets=gbapp.svc:handle")
    ok(r.stdout.strip() == "45" and "cannot write the profile" in r.stderr and r.returncode == 0,
       "unwritable out dir: the call still returns, one warning")
    code2 = ADD_SITE + "import gbapp.svc as s\nfor i in range(3):\n    s.handle(None, 10)\nprint('done')\n"
    r = run(code2, "out=/proc/greenprof-cannot-exist;targets=gbapp.svc:handle")
    is_(r.stderr.count("cannot write"), 1, "repeated failures warn once")
    r = run(code, "out=%s;targets=gbapp.svc:handle;scope=everything" % out)
    ok(r.stdout.strip() == "45" and "scope='everything'" in r.stderr, "bad scope: clear warning")


def test_other_profiler_active():
    out = os.path.join(TMP, "o6")
    code = (ADD_SITE + "import cProfile\nimport gbapp.svc as s\n"
            "p = cProfile.Profile(); p.enable(); print(s.handle(None, 10)); p.disable()\n")
    r = run(code, spec_for(out, ["gbapp.svc:handle"]))
    ok(r.stdout.strip() == "45" and not dumps(out) and "another profiler" in r.stderr,
       "a foreign profiler active in the thread: call through with a warning")


def test_make_install_layout():
    dest = os.path.join(TMP, "dest")
    site_dir = "/usr/local/lib/python3.11/dist-packages"
    r = subprocess.run(["make", "-s", "-C", ROOT, "install-profiler", "DESTDIR=" + dest, "PYTHON=" + PY,
                        "PYTHON_SITE=" + site_dir], capture_output=True, text=True)
    root = dest + site_dir
    want = ["greenbench-profile.pth", "greenprof/__init__.py", "greenprof/_bootstrap.py", "greenprof/__main__.py"]
    ok(r.returncode == 0 and all(os.path.exists(os.path.join(root, w)) for w in want),
       "make install-profiler DESTDIR=... installs the package and the .pth into the site dir")
    if r.returncode:
        diag(r.stderr)
    out = os.path.join(TMP, "o7")
    code = ("site.addsitedir(%r)\nimport gbapp.svc as s\nprint(s.handle(s.Ctx(%r), 10), "
            "sys.modules['greenprof'].__file__.startswith(%r))\n" % (root, RID1, root))
    r = run(code, spec_for(out, ["gbapp.svc:handle"]))
    ok(r.stdout.split() == ["45", "True"] and len(dumps(out)) == 1, "the installed .pth profiles a target from the installed package")


for t in (test_make_install_layout, test_inert_without_env, test_startup_imports_little, test_targets_before_and_after,
          test_recursion_and_exceptions, test_concurrent_green_calls, test_dump_trailer, test_fork, test_bad_specs,
          test_other_profiler_active):
    run_test(t)
shutil.rmtree(TMP, ignore_errors=True)
done()
