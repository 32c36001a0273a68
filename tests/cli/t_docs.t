#!/bin/bash
# t_docs.t - the documents and the code agree, as curl's test suite checks its own:
#  1. every path README.md and harness/README.md name exists (links, `paths`, the files
#     of each part in harness/README.md's map), and every *.md named in code or docs does;
#  2. the debug-point table (base/interrupt.c) and its call sites name the same points,
#     and `run --help` and greenbench.1 list exactly those;
#  3. every public symbol of the harness objects (nm build/rel/harness/*/*.o) is used
#     outside its own file (another object, or a test);
#  4. main.c's one-line command summaries are the commands' own (--help's NAME line) and
#     the first sentence of each command's section of greenbench.1;
#  5. README's test command (set-up) is the one .ci/run runs;
#  6. tests/mutate/mutations.txt parses and every mutation still applies (so a broken or
#     stale list fails here, not only in the slower `make mutate-fast`).
# Needs the release build (make check builds it first).
cd "$(dirname "$0")/../.." || exit 1
exec "${PYTHON:-/usr/bin/python3}" - "${GB:-bin/greenbench}" <<'PYTHON'
import collections, glob, os, re, subprocess, sys

GB = sys.argv[1]
n = 0
failed = 0


def ok(cond, name, detail=""):
    global n, failed
    n += 1
    print("%s %d - %s%s" % ("ok" if cond else "not ok", n, name, "" if cond or not detail else " (%s)" % detail))
    if not cond:
        failed += 1


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


SKIP_DIRS = {".git", "build", "bin", "__pycache__"}


def tree_files():
    for d, dirs, files in os.walk("."):
        dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS and not x.endswith(".egg-info"))
        for f in sorted(files):
            yield os.path.normpath(os.path.join(d, f))


FILES = list(tree_files())
BASENAMES = collections.Counter(os.path.basename(f) for f in FILES)


def exists(path):
    if any(c in path for c in "*?["):
        return bool(glob.glob(path))
    if path.endswith("/"):
        return os.path.isdir(path)
    return os.path.exists(path)


def resolves(token, bases):
    """token exists relative to one of bases (directories)."""
    return any(exists(os.path.join(b, token)) for b in bases)


# ---- 1. documents named exist ----

PATHLIKE = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.*/-]*/[A-Za-z0-9_.*-]*$")


def named_paths(path):
    """(line number, token, extra base) for each path README-like `path` names."""
    out = []
    for i, line in enumerate(read(path).split("\n"), 1):
        ticks = re.findall(r"`([^`]+)`", line)
        first_dir = next((t for t in ticks if t.endswith("/") and PATHLIKE.match(t)), None)
        for t in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", line):
            if "://" not in t:
                out.append((i, t, None))
        for t in ticks:
            for w in t.split():
                w = w.rstrip(",;:")
                if PATHLIKE.match(w) and not w.startswith(("..", "./")) and w != first_dir:
                    out.append((i, w, first_dir))
    return out


for doc in ("README.md", "harness/README.md"):
    here = os.path.dirname(doc) or "."
    missing = []
    for line, tok, extra in named_paths(doc):
        bases = [here, "."] + ([os.path.join(here, extra), extra] if extra else [])
        if not resolves(tok, bases):
            missing.append("%s:%d: %s" % (doc, line, tok))
    ok(not missing, "%s: every path it names exists" % doc, "; ".join(missing))

# harness/README.md's map: | `part/` | file, file, ... | owns | must never |
missing, parts = [], 0
for i, line in enumerate(read("harness/README.md").split("\n"), 1):
    m = re.match(r"^\|\s*`([a-z]+)/`\s*\|([^|]*)\|", line)
    if not m:
        continue
    parts += 1
    part = os.path.join("harness", m.group(1))
    for name in (x.strip() for x in m.group(2).split(",")):
        if not name:
            continue
        if not any(glob.glob(os.path.join(part, name + ext)) for ext in ("", ".c", ".h")):
            missing.append("harness/README.md:%d: %s/%s" % (i, m.group(1), name))
ok(parts >= 11 and not missing, "harness/README.md: the %d parts of its map exist with every file it lists" % parts,
   "; ".join(missing) or "only %d parts found" % parts)
listed = {m for m in re.findall(r"^\|\s*`([a-z]+)/`", read("harness/README.md"), re.M)}
have = {os.path.basename(d.rstrip("/")) for d in glob.glob("harness/*/")}
ok(listed == have, "harness/README.md's map names every folder of harness/ and no other",
   "only in the map: %s; only on disk: %s" % (sorted(listed - have), sorted(have - listed)))

# *.md named anywhere in code or docs: relative to the naming file, to the top, or a
# bare name that is unique in the tree
MD = re.compile(r"(?<![\w/.-])((?:\.\./|[\w.-]+/)*[\w-]+\.md)\b")
missing = []
for f in FILES:
    if f.startswith("tests/data/") or "/corpus/" in f:
        continue
    try:
        text = read(f)
    except OSError:
        continue
    if "\0" in text:
        continue
    for i, line in enumerate(text.split("\n"), 1):
        for tok in MD.findall(line):
            if "/" in tok:
                good = resolves(tok, [os.path.dirname(f) or ".", "."])
            else:
                good = resolves(tok, [os.path.dirname(f) or ".", "."]) or BASENAMES[tok] == 1
            if not good:
                missing.append("%s:%d: %s" % (f, i, tok))
ok(not missing, "every *.md named in code or docs exists", "; ".join(missing[:10]))

# ---- 2. the debug points ----

src = read("harness/base/interrupt.c")
m = re.search(r"interrupt_debug_points\[\]\s*=\s*\{(.*?)\};", src, re.S)
table = re.findall(r'"([^"]+)"', m.group(1)) if m else []
sites = set()
step_sites = set()
for f in sorted(glob.glob("harness/*/*.c")):
    text = read(f)
    sites |= set(re.findall(r'interrupt_debug_point\("([^"]+)"\)', text))
    # hostchange_run_steps stops at each step's name: the steps tables
    for body in re.findall(r"struct hostchange_step \w+\[\]\s*=\s*\{(.*?)\n\t\};", text, re.S):
        step_sites |= set(re.findall(r'\{\s*"([^"]+)"\s*,', body))
ok(len(table) >= 10 and len(table) == len(set(table)),
   "the debug-point table lists %d points, each once" % len(table))
calls = sites | step_sites
ok(not calls - set(table), "every debug point the code stops at is in the table",
   "not in the table: %s" % sorted(calls - set(table)))
ok(not set(table) - calls, "every point of the table is a call site (or a step name of a run)",
   "no call site: %s" % sorted(set(table) - calls))
help_text = subprocess.run([GB, "run", "--help"], capture_output=True, text=True).stdout
m = re.search(r"GREENBENCH_DEBUG_STOP_AT=POINT\[,POINT\] \(tests: SIGSTOP at (.*?)\)\.", help_text, re.S)
in_help = [x.strip() for x in re.split(r",\s*", m.group(1))] if m else []
ok(in_help == table, "run --help lists the debug points of the table, in order",
   "help: %s" % in_help)
man = read("harness/cli/greenbench.1")
m = re.search(r"\.B GREENBENCH_DEBUG_STOP_AT\n(.*?)\n\.(?:TP|SH)", man, re.S)
body = m.group(1).replace("\\-", "-").replace("\n", " ") if m else ""
m = re.search(r"SIGSTOP \((.*?)\)", body)
in_man = [x.strip() for x in re.split(r",\s*", m.group(1))] if m else []
ok(in_man == table, "greenbench.1 lists the debug points of the table, in order", "man: %s" % in_man)

# ---- 3. public symbols have callers ----

objs = [o for o in sorted(glob.glob("build/rel/harness/*/*.o"))
        if os.path.exists(o[len("build/rel/"):-2] + ".c")]
ok(len(objs) >= 40, "nm: %d harness objects in build/rel (make builds them)" % len(objs))
defined, used = {}, collections.defaultdict(set)
for o in objs:
    out = subprocess.run(["nm", o], capture_output=True, text=True).stdout
    for line in out.split("\n"):
        p = line.split()
        if len(p) == 3 and p[1] in "TDBRGSVW":
            defined[p[2]] = o
        elif len(p) == 2 and p[0] == "U":
            used[p[1]].add(o)
tests = "\n".join(read(f) for f in FILES
                  if f.startswith("tests/") and f.endswith((".c", ".h")) and "/corpus/" not in f)
orphans, test_only = [], []
for sym, o in sorted(defined.items()):
    if sym == "main" or used[sym] - {o}:
        continue
    if re.search(r"\b%s\b" % re.escape(sym), tests):
        test_only.append(sym)
    else:
        orphans.append("%s (%s)" % (sym, o[len("build/rel/"):-2] + ".c"))
ok(not orphans, "every public symbol of the harness has a caller outside its own file",
   "none: %s; make them static or remove them" % ", ".join(orphans))
if test_only:
    print("# used only by tests (their seams): %s" % ", ".join(test_only))

# ---- 4. command summaries ----

main_c = read("harness/cli/main.c")
cmds = re.findall(r'\{ "([a-z]+)", cmd_\w+, "((?:[^"\\]|\\.)*)"', main_c)
ok(len(cmds) >= 13, "main.c's command table has %d commands" % len(cmds))
sections, cur = {}, None
for line in man.split("\n"):
    m = re.match(r"^\.SS (\S+)$", line)
    if m:
        cur = m.group(1)
        sections[cur] = []
        continue
    if line.startswith(".SH "):
        cur = None
    if cur:
        sections[cur].append(line)


def man_summary(lines):
    """The first sentence after the section's synopsis (its first .PP)."""
    if ".PP" not in lines:
        return ""
    text = []
    for line in lines[lines.index(".PP") + 1:]:
        if line.startswith("."):
            if text:
                break
            continue
        text.append(line)
        if re.search(r"\.(\s|$)", line):
            break
    t = " ".join(text).replace("\\-", "-")
    return re.split(r"(?<=\.)\s", t)[0]


for name, summary in cmds:
    out = subprocess.run([GB, name, "--help"], capture_output=True, text=True).stdout
    m = re.search(r"^NAME\n    greenbench-%s - (.*)$" % re.escape(name), out, re.M)
    own = m.group(1) if m else "(no NAME line)"
    ms = man_summary(sections.get(name, []))
    want_man = summary[:1].upper() + summary[1:] + "."
    good = own == summary and ms.lower() == want_man.lower() and ms[1:] == want_man[1:]
    ok(good, "%s: main.c's summary is its --help NAME line and its greenbench.1 sentence" % name,
       "main.c '%s', --help '%s', greenbench.1 '%s'" % (summary, own, ms))

# ---- 5. one test command ----

readme = read("README.md")
m = re.search(r"^(make check[^#\n]*?)\s+#", readme, re.M)
setup = m.group(1).strip() if m else "(none)"
ci = re.findall(r"^\s*(?:time\s+)?(make check[^\n]*?)\s*$", read(".ci/run"), re.M)
ok(ci == [setup], "README's set-up test command is the one .ci/run runs",
   "README '%s', .ci/run %s" % (setup, ci))
ok(("`%s`" % setup) in readme, "README's text names the same test command for CI ('%s')" % setup)

# ---- 6. the mutation list parses and applies ----

r = subprocess.run([sys.executable, "tests/mutate/mutate.py", "--check"], capture_output=True, text=True)
applied = len(re.findall(r"^ok ", r.stdout, re.M))
ok(r.returncode == 0 and applied >= 20,
   "tests/mutate/mutations.txt parses and its %d mutations apply to the tree" % applied,
   (r.stderr.strip() or "; ".join(re.findall(r"^not ok .*$", r.stdout, re.M)))[:300])

print("1..%d" % n)
sys.exit(1 if failed else 0)
PYTHON
