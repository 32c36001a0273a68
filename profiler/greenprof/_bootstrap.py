"""greenprof._bootstrap - profile named callables of a service without editing its source.

Run from greenbench-profile.pth at interpreter start-up when GREENBENCH_PROFILE is set
(see profiler/README.md for the spec). At start-up it imports nothing beyond sys and os
and installs a sys.meta_path finder; the wrap is applied when the target's module is
executed (or at once if it is already imported). Each call of a target writes one dump.
It must never break the service: every failure is one warning and a call-through.
"""
import os
import sys

ENV = "GREENBENCH_PROFILE"
_HEX = frozenset("0123456789abcdef-")
_warned = set()
_config = None          # the parsed spec, once installed
_seq = [0]              # per-process dump counter (reset in forked children)


def _warn(msg):
    """One warning per distinct message: logging if the service configured it, else stderr."""
    if msg in _warned:
        return
    _warned.add(msg)
    try:
        logging = sys.modules.get("logging")
        if logging is not None and logging.getLogger().handlers:
            logging.getLogger("greenprof").warning("greenprof: %s", msg)
            return
        sys.stderr.write("greenprof: %s\n" % msg)
        sys.stderr.flush()
    except Exception:
        pass


def _is_ident_path(s):
    return bool(s) and all(p.isidentifier() for p in s.split("."))


class Config:
    """A parsed GREENBENCH_PROFILE: out (absolute dir), targets [(module, qualname)], scope."""

    def __init__(self, out, targets, scope):
        self.out = out
        self.targets = targets
        self.scope = scope


def parse_spec(text):
    """Parse 'out=/dir;targets=mod:Qual.name[,mod2:func];scope=default'.

    Returns (Config or None, [warnings]). None means profiling stays off."""
    warnings = []
    fields = {}
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep:
            warnings.append("%s: '%s' is not key=value; ignored" % (ENV, part))
            continue
        if key not in ("out", "targets", "scope"):
            warnings.append("%s: unknown key '%s' ignored (known: out, targets, scope)" % (ENV, key))
            continue
        fields[key] = value.strip()
    out = fields.get("out", "")
    if not out:
        warnings.append("%s: 'out' is required (out=/absolute/dir); profiling disabled" % ENV)
        return None, warnings
    if not os.path.isabs(out):
        warnings.append("%s: out='%s' is not an absolute path; profiling disabled" % (ENV, out))
        return None, warnings
    scope = fields.get("scope", "default") or "default"
    if scope not in ("default", "all"):
        warnings.append("%s: scope='%s' must be 'default' or 'all'; profiling disabled" % (ENV, scope))
        return None, warnings
    targets = []
    for t in fields.get("targets", "").split(","):
        t = t.strip()
        if not t:
            continue
        mod, sep, qual = t.partition(":")
        if not sep or not _is_ident_path(mod) or not _is_ident_path(qual):
            warnings.append("%s: target '%s' is not module:qualname (e.g. "
                            "nova.scheduler.manager:SchedulerManager.select_destinations); ignored" % (ENV, t))
            continue
        targets.append((mod, qual))
    if not targets:
        warnings.append("%s: no valid target in targets=...; profiling disabled" % ENV)
        return None, warnings
    return Config(out, targets, scope), warnings


# ---- per-call profiling ------------------------------------------------------

def request_id(args):
    """global_request_id of args[0] or args[1] (function or method), if it looks like req-<uuid>."""
    for a in args[:2]:
        try:
            rid = getattr(a, "global_request_id", None)
        except Exception:
            continue
        if isinstance(rid, str) and len(rid) == 40 and rid.startswith("req-") and set(rid[4:]) <= _HEX:
            return rid
    return None


def _begin(target, scope):
    """Start a profiler for this call, or return None to call through."""
    try:
        from greenprof import Profile, _greenprof
        if _greenprof.is_profiled():
            return None  # recursion, or a target inside a profiled call: already in a dump
        other = sys.getprofile()
        if other is not None and not isinstance(other, _greenprof.Probe):
            _warn("%s: another profiler (%r) is active in this thread; calling through" % (target, type(other)))
            return None
        mon = getattr(sys, "monitoring", None)  # 3.12+: cProfile/profile register as a PEP 669 tool
        if mon is not None and mon.get_tool(mon.PROFILER_ID) is not None:
            _warn("%s: another profiler (%s, sys.monitoring) is active; calling through"
                  % (target, mon.get_tool(mon.PROFILER_ID)))
            return None
        prof = Profile(scope=scope)
        prof.enable()
        return prof
    except Exception as e:
        _warn("%s: cannot start profiling (%s: %s); calling through" % (target, type(e).__name__, e))
        return None


def write_atomic(directory, name, data):
    """Write data to directory/name via directory/.name.tmp and rename; dir made 0700."""
    os.makedirs(directory, mode=0o700, exist_ok=True)
    tmp = os.path.join(directory, "." + name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    os.close(fd)
    os.rename(tmp, os.path.join(directory, name))


def dump_name(target, rid, pid):
    if rid is None:
        _seq[0] += 1
        rid = "seq-%d" % _seq[0]
    return "%s__%s__%d.prof" % (target.replace(":", "-"), rid, pid)


def concurrency_mode():
    """'eventlet' when eventlet has monkey-patched threads in this process, else 'threads'.
    Reads sys.modules only: never imports eventlet (nova forbids it in threading mode)."""
    patcher = sys.modules.get("eventlet.patcher")
    try:
        if patcher is not None and patcher.is_monkey_patched("thread"):
            return "eventlet"
    except Exception:
        pass
    return "threads"


def trailer(prof):
    """The dict written after the stats: the call's own CPU, wall and wait times (ns).
    marshal.load and pstats read only the first object, so the dump stays cProfile's."""
    t = prof.times()
    return {"greenprof": 1, "cpu_ns": t["cpu_ns"], "wall_ns": t["wall_ns"],
            "wait_ns": t["wait_ns"], "switches": t["switches"], "mode": concurrency_mode()}


def _end(prof, target, out, args):
    try:
        try:
            prof.disable()
        except MemoryError as e:
            _warn("%s: %s" % (target, e))
        import marshal
        prof.snapshot_stats()
        data = marshal.dumps(prof.stats) + marshal.dumps(trailer(prof))
        write_atomic(out, dump_name(target, request_id(args), os.getpid()), data)
    except Exception as e:
        _warn("%s: cannot write the profile to %s (%s: %s)" % (target, out, type(e).__name__, e))


def make_wrapper(func, target, cfg):
    def greenprof_wrapper(*args, **kwargs):
        prof = _begin(target, cfg.scope)
        if prof is None:
            return func(*args, **kwargs)
        try:
            return func(*args, **kwargs)
        finally:
            _end(prof, target, cfg.out, args)
    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        try:
            setattr(greenprof_wrapper, attr, getattr(func, attr))
        except Exception:
            pass
    try:
        greenprof_wrapper.__dict__.update(getattr(func, "__dict__", {}))
    except Exception:
        pass
    greenprof_wrapper.__wrapped__ = func
    greenprof_wrapper.__greenprof_target__ = target
    return greenprof_wrapper


def apply_wrap(module, qualname, cfg):
    """Wrap module's qualname in place (in the class dict for Class.method). True if wrapped."""
    target = "%s:%s" % (module.__name__, qualname)
    try:
        parts = qualname.split(".")
        owner = module
        for p in parts[:-1]:
            owner = getattr(owner, p)
        name = parts[-1]
        if isinstance(owner, type):
            raw = owner.__dict__.get(name)
            if raw is None:
                raw = getattr(owner, name)  # inherited: wrap it into this class
        else:
            raw = getattr(owner, name)
        inner = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
        if getattr(inner, "__greenprof_target__", None):
            return True  # already wrapped
        if not callable(inner):
            _warn("%s: not callable (%s); not profiled" % (target, type(inner).__name__))
            return False
        wrapped = make_wrapper(inner, target, cfg)
        if isinstance(raw, staticmethod):
            wrapped = staticmethod(wrapped)
        elif isinstance(raw, classmethod):
            wrapped = classmethod(wrapped)
        setattr(owner, name, wrapped)
        return True
    except Exception as e:
        _warn("%s: cannot wrap (%s: %s); not profiled" % (target, type(e).__name__, e))
        return False


# ---- import hook ------------------------------------------------------------

class _WrapLoader:
    """Delegates to the real loader; after exec_module, wraps the module's targets."""

    def __init__(self, loader, finder):
        self._loader = loader
        self._finder = finder

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._finder.module_loaded(module)

    def __getattr__(self, name):
        return getattr(self._loader, name)


class TargetFinder:
    """sys.meta_path entry that only reacts to the targets' module names."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.pending = {}
        for mod, qual in cfg.targets:
            self.pending.setdefault(mod, []).append(qual)

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.pending:
            return None
        try:
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is None:
                    continue
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _WrapLoader(spec.loader, self)
                return spec
        except Exception as e:
            _warn("%s: import hook failed (%s: %s); not profiled" % (fullname, type(e).__name__, e))
        return None

    def module_loaded(self, module):
        for qual in self.pending.get(module.__name__, ()):
            apply_wrap(module, qual, self.cfg)


def install(cfg):
    """Install the finder and wrap targets whose module is already imported."""
    global _config
    if _config is not None:
        return
    _config = cfg
    finder = TargetFinder(cfg)
    sys.meta_path.insert(0, finder)
    for mod in finder.pending:
        module = sys.modules.get(mod)
        if module is not None:
            finder.module_loaded(module)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=lambda: _seq.__setitem__(0, 0))


def install_from_env():
    """Entry point of the .pth line. Never raises."""
    try:
        text = os.environ.get(ENV, "")
        if not text:
            return
        cfg, warnings = parse_spec(text)
        for w in warnings:
            _warn(w)
        if cfg is not None:
            install(cfg)
    except Exception as e:
        _warn("bootstrap failed, profiling disabled (%s: %s)" % (type(e).__name__, e))
