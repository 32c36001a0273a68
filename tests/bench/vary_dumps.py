#!/usr/bin/python3
"""vary_dumps.py - N variants of a real cProfile/greenprof dump, as repeated calls of the
same request would give: each time multiplied by its own log-normal noise (sigma 0.2) and
kept as whole nanoseconds (as the profilers compute them), 10% of the functions one call
more or less, and DROP (default 0.03) of the functions not called at all this time.
Written with marshal, as the profilers write them. For bench_size.

usage: vary_dumps.py DUMP OUTDIR N [DROP]"""
import marshal
import os
import random
import sys


def variant(base, seed, drop):
    rnd = random.Random(seed)
    out = {}
    for key, (cc, nc, tt, ct, callers) in base.items():
        if rnd.random() < drop:
            continue
        f = rnd.lognormvariate(0, 0.2)

        def q(v):
            return 1e-9 * round(v * f * 1e9)
        if rnd.random() < 0.1 and nc > 1:
            nc += rnd.choice((-1, 1))
            cc = min(cc, nc)
        out[key] = (cc, nc, q(tt), q(ct),
                    {k: (v[0], v[1], q(v[2]), q(v[3])) for k, v in callers.items()})
    return out


def main():
    src, outdir, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    drop = float(sys.argv[4]) if len(sys.argv) > 4 else 0.03
    with open(src, "rb") as f:
        base = marshal.load(f)
    os.makedirs(outdir, exist_ok=True)
    for i in range(n):
        with open(os.path.join(outdir, "v%04d.prof" % i), "wb") as f:
            marshal.dump(variant(base, i, drop), f)


if __name__ == "__main__":
    main()
