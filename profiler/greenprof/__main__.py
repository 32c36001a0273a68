"""python3 -m greenprof [-o FILE] [-s SORT] [--scope default|all] [--format F] script.py [args]

Runs a script under greenprof like `python3 -m cProfile`. Prints the stats sorted by SORT,
or writes FILE in cProfile's marshal format (or callgrind / collapsed with --format).
Exits with the script's exit status; never swallows the script's exceptions silently.
"""
import argparse
import os
import runpy
import sys
import types

import greenprof

FORMATS = ("pstats", "callgrind", "collapsed")


class _SortKey(argparse.Action):
    """-s: a pstats sort key or a number, checked when read (before the script is looked
    for), with cProfile's wording so that callers checking its message see the same."""

    def __call__(self, parser, namespace, value, option_string=None):
        import pstats
        keys = sorted(pstats.Stats.sort_arg_dict_default)
        if value not in keys and not value.lstrip("-").isdigit():
            parser.error("option -s: invalid choice: %r (choose from %s)"
                         % (value, ", ".join(repr(k) for k in keys)))
        setattr(namespace, self.dest, value)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python3 -m greenprof",
        usage="python3 -m greenprof [-o FILE] [-s SORT] [--scope default|all] "
              "[--format pstats|callgrind|collapsed] [-m module | script.py] [args ...]")
    parser.add_argument("-o", "--outfile", help="write the profile to FILE instead of printing it")
    parser.add_argument("-s", "--sort", default=-1, action=_SortKey,
                        help="sort order when printing (cumulative, tottime, calls, ...)")
    parser.add_argument("--scope", default="all", choices=("default", "all"),
                        help="greenlets to profile (default here: all greenlets of the main thread)")
    parser.add_argument("--format", default="pstats", choices=FORMATS,
                        help="file format for -o (default: pstats, cProfile's marshal format)")
    parser.add_argument("-m", dest="module", action="store_true", help="run a library module as a script")
    parser.add_argument("target", help="script path or module name")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")
    opts = parser.parse_args(argv)
    if opts.outfile:
        # like cProfile: resolved now, so a script that changes directory cannot move it
        opts.outfile = os.path.abspath(opts.outfile)

    sort = opts.sort
    if isinstance(sort, str) and sort.lstrip("-").isdigit():
        sort = int(sort)
    if opts.module:
        code = "run_module(modname, run_name='__main__', alter_sys=True)"
        globs = {"run_module": runpy.run_module, "modname": opts.target}
        sys.argv = [opts.target] + opts.args
    else:
        if not os.path.exists(opts.target):
            parser.error("script not found: %s" % opts.target)
        sys.argv = [opts.target] + opts.args
        sys.path.insert(0, os.path.dirname(os.path.abspath(opts.target)))
        with open(opts.target, "rb") as f:
            code = compile(f.read(), opts.target, "exec")
        # the script runs in a module that is sys.modules["__main__"], so `import __main__`
        # in it (pickle, multiprocessing's spawn) finds its own namespace, not this file's
        main_mod = types.ModuleType("__main__")
        main_mod.__dict__.update({"__file__": opts.target, "__package__": None, "__cached__": None,
                                  "__spec__": None, "__builtins__": __builtins__})
        sys.modules["__main__"] = main_mod
        globs = main_mod.__dict__

    prof = greenprof.Profile(scope=opts.scope)
    status = 0
    try:
        prof.runctx(code, globs, None)
    except SystemExit as e:
        status = e.code
    finally:
        if opts.outfile:
            if opts.format == "callgrind":
                prof.dump_callgrind(opts.outfile)
            elif opts.format == "collapsed":
                prof.dump_collapsed(opts.outfile)
            else:
                prof.dump_stats(opts.outfile)
        else:
            prof.print_stats(sort)
    return status


if __name__ == "__main__":
    sys.exit(main())
