#!/usr/bin/python3
# stats_ref.py - how the reference values hard-coded in tests/unit/t_stats.c were produced
# (Debian 12: python3-scipy 1.10.1, python3-numpy 1.24.2). Run once by hand:
#   /usr/bin/python3 tests/data/stats_ref.py
# The Moses interval is computed here by brute force over all rank assignments
# (itertools.combinations), independently of the C code's Gaussian-binomial counts.
import itertools, math
import numpy as np
from scipy import stats

def show(name, v):
    print(f"{name} = {v!r}")

x = [1.1, 2.3, 0.5, 4.2, 3.3]
y = [5.1, 6.0, 2.9, 7.7]
r = stats.mannwhitneyu(x, y, method='exact', alternative='two-sided')
show("exact 5v4 U,p", (r.statistic, r.pvalue))

a = [1, 2, 2, 3, 4, 4, 5]
b = [3, 4, 5, 5, 6, 7, 7, 8]
r = stats.mannwhitneyu(a, b, method='asymptotic', use_continuity=True, alternative='two-sided')
show("ties 7v8 U,p", (r.statistic, r.pvalue))

rng = np.random.default_rng(7)
big_a = [round(v, 3) for v in rng.lognormal(0.0, 0.2, 25)]
big_b = [round(v, 3) for v in rng.lognormal(0.1, 0.2, 30)]
show("big_a", big_a)
show("big_b", big_b)
r = stats.mannwhitneyu(big_a, big_b, method='asymptotic', use_continuity=True, alternative='two-sided')
show("asym 25v30 U,p", (r.statistic, r.pvalue))

q = [3.0, 1.0, 4.0, 1.5, 9.0, 2.6, 5.0]
show("quantiles .1 .25 .5 .9", [float(np.quantile(q, p)) for p in (0.1, 0.25, 0.5, 0.9)])
show("mean,sd", (float(np.mean(q)), float(np.std(q, ddof=1))))
show("mad", float(stats.median_abs_deviation(q)))
show("norm.ppf(0.975), ppf(1e-6), cdf(-1.5)", (stats.norm.ppf(0.975), stats.norm.ppf(1e-6), stats.norm.cdf(-1.5)))

# exact null cdf of U by brute force
def u_of(m, n, pos):
    # pos: the ranks (0-based) taken by sample a among m+n; U_a = sum over a of #b below
    s = set(pos); u = 0
    for p in pos:
        u += sum(1 for r_ in range(p) if r_ not in s)
    return u
def null_counts(m, n):
    c = [0] * (m * n + 1)
    for pos in itertools.combinations(range(m + n), m):
        c[u_of(m, n, pos)] += 1
    return c
c = null_counts(6, 7)
tot = sum(c)
show("P(U<=k) m=6 n=7 k=0,5,10,21", [sum(c[:k + 1]) / tot for k in (0, 5, 10, 21)])

# Hodges-Lehmann + Moses interval (exact, 95%)
ha = [10.2, 11.5, 9.8, 12.1, 10.9, 11.1]
hb = [12.0, 13.4, 11.8, 12.9, 14.2, 12.5, 13.1]
d = sorted(bj - ai for ai in ha for bj in hb)
c = null_counts(len(ha), len(hb)); tot = sum(c)
k = 0; cum = 0
while (cum + c[k]) / tot <= 0.025:
    cum += c[k]; k += 1
show("HL shift", float(np.median(d)))
show("Moses k, lo, hi, conf", (k, d[k - 1], d[len(d) - k], 1 - 2 * cum / tot))
