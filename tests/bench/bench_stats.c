/*
 * bench_stats.c - calibration of greenbench's verdicts on synthetic samples whose truth
 * is known: false-alarm and detection rates by sample size, noise and shift, minimum
 * detectable effect, family-wise behaviour, change-point rates, speed. Prints tables;
 * never writes files. Usage: bench_stats [seeds]   (default 2000)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "changepoint.h"
#include "stats.h"
#include "verdict.h"

#define MAXN 64

static double lognormal(struct stats_rng *r, double cv)
{
	double sigma = sqrt(log(1 + cv * cv));
	return exp(sigma * stats_rng_normal(r) - sigma * sigma / 2);
}

enum rule { RULE_TEST, RULE_POINT, RULE_CI, N_RULES };
static const char *rule_name[] = { "test only (p<alpha, CI excludes 0)",
				   "point rule (default: + estimate >= 5%)",
				   "CI-bound rule (+ CI bound beyond 5%)" };

/* 1 if the verdict calls B slower (dir > 0) / faster (dir < 0) under the rule */
static int flags(const struct verdict *v, enum rule rule, int dir)
{
	if (v->kind == VERDICT_INSUFFICIENT_DATA || !(v->p_adjusted < VERDICT_ALPHA))
		return 0;
	int up = v->ci_low > 0, down = v->ci_high < 0;
	if (dir > 0 && !up)
		return 0;
	if (dir < 0 && !down)
		return 0;
	switch (rule) {
	case RULE_TEST: return 1;
	case RULE_POINT: return fabs(v->rel_change) >= VERDICT_MIN_EFFECT;
	case RULE_CI: return dir > 0 ? v->ci_low >= VERDICT_MIN_EFFECT : v->ci_high <= -VERDICT_MIN_EFFECT;
	default: return 0;
	}
}

/* rates[rule] of B flagged slower (shift > 0) or flagged either way (shift == 0) */
static void rates(size_t n, double cv, double shift, int seeds, double out[N_RULES])
{
	int hits[N_RULES] = { 0 };
	double a[MAXN], b[MAXN];
	for (int s = 0; s < seeds; s++) {
		struct stats_rng r;
		stats_rng_seed(&r, 1000003ULL * (uint64_t)s + n);
		for (size_t i = 0; i < n; i++) {
			a[i] = lognormal(&r, cv);
			b[i] = (1 + shift) * lognormal(&r, cv);
		}
		struct verdict v;
		verdict_compare(a, n, b, n, VERDICT_ALPHA, VERDICT_MIN_EFFECT, &v, NULL);
		for (int k = 0; k < N_RULES; k++)
			hits[k] += shift == 0 ? flags(&v, k, 1) || flags(&v, k, -1) : flags(&v, k, 1);
	}
	for (int k = 0; k < N_RULES; k++)
		out[k] = (double)hits[k] / seeds;
}

/* smallest shift (1% steps) detected in >= 80% of seeds under rule */
static int mde(size_t n, double cv, enum rule rule, int seeds)
{
	int lo = 1, hi = 100;
	double rr[N_RULES];
	rates(n, cv, hi / 100.0, seeds, rr);
	if (rr[rule] < 0.8)
		return -1;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		rates(n, cv, mid / 100.0, seeds, rr);
		if (rr[rule] >= 0.8)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static void calibration(int seeds)
{
	static const size_t ns[] = { 5, 10, 20, 30 };
	static const double cvs[] = { 0.10, 0.20 };
	static const double shifts[] = { 0, 0.03, 0.05, 0.10, 0.20, 0.30 };
	printf("## Verdict calibration: lognormal noise, alpha 0.05, min effect 5%%, %d seeds per cell\n", seeds);
	printf("## column 0%%: false-alarm rate (either direction); others: rate B is called SLOWER\n");
	for (int rule = 0; rule < N_RULES; rule++) {
		printf("\n### %s\n", rule_name[rule]);
		printf("| CV  | n/side |   0%%   |   3%%   |   5%%   |  10%%   |  20%%   |  30%%   | MDE 80%% |\n");
		printf("|-----|--------|--------|--------|--------|--------|--------|--------|---------|\n");
		for (size_t c = 0; c < 2; c++)
			for (size_t i = 0; i < 4; i++) {
				printf("| %2.0f%% | %6zu |", 100 * cvs[c], ns[i]);
				for (size_t k = 0; k < 6; k++) {
					double rr[N_RULES];
					rates(ns[i], cvs[c], shifts[k], seeds, rr);
					printf(" %5.1f%% |", 100 * rr[rule]);
				}
				int m = mde(ns[i], cvs[c], rule, seeds / 2 > 500 ? seeds / 2 : 500);
				if (m < 0)
					printf("  >100%% |\n");
				else
					printf(" %5d%% |\n", m);
			}
	}
}

/* ---- null false alarms under awkward shapes ---- */

enum shape { SH_LOGN1, SH_PARETO, SH_OUTLIERS, SH_BIMODAL, N_SHAPES };
static const char *shape_name[] = { "lognormal sigma=1 (heavy tail)", "Pareto alpha=1.5",
				    "lognormal CV 10% + 10% outliers x10", "bimodal 70% @1, 30% @3" };

static double draw(struct stats_rng *r, enum shape sh)
{
	switch (sh) {
	case SH_LOGN1: return exp(stats_rng_normal(r));
	case SH_PARETO: return pow(1 - stats_rng_uniform(r), -1 / 1.5);
	case SH_OUTLIERS: return lognormal(r, 0.1) * (stats_rng_uniform(r) < 0.1 ? 10 : 1);
	case SH_BIMODAL: return (stats_rng_uniform(r) < 0.7 ? 1 : 3) * lognormal(r, 0.05);
	default: return 1;
	}
}

static void shapes(int seeds)
{
	printf("\n## False alarms (either direction) when nothing changed, default verdict, %d seeds\n", seeds);
	printf("| noise shape | n=10 | n=30 |\n|---|---|---|\n");
	for (int sh = 0; sh < N_SHAPES; sh++) {
		printf("| %s |", shape_name[sh]);
		for (size_t n = 10; n <= 30; n += 20) {
			int fa = 0;
			double a[MAXN], b[MAXN];
			for (int s = 0; s < seeds; s++) {
				struct stats_rng r;
				stats_rng_seed(&r, 77ULL * (uint64_t)s + (uint64_t)sh);
				for (size_t i = 0; i < n; i++) {
					a[i] = draw(&r, sh);
					b[i] = draw(&r, sh);
				}
				struct verdict v;
				verdict_compare(a, n, b, n, VERDICT_ALPHA, VERDICT_MIN_EFFECT, &v, NULL);
				fa += v.kind == VERDICT_SLOWER || v.kind == VERDICT_FASTER;
			}
			printf(" %.2f%% |", 100.0 * fa / seeds);
		}
		printf("\n");
	}
}

/* ---- run-to-run noise: requests within a run share a run effect ---- */

static void clustered(int seeds)
{
	printf("\n## Run-to-run noise (each run shifts all its requests together), nothing changed, %d seeds\n", seeds);
	printf("## request noise lognormal CV 10%%; runs x requests per side\n");
	printf("| run CV | pooled 3x10 requests | pooled 6x10 requests | 6 run medians | 10 run medians |\n");
	printf("|---|---|---|---|---|\n");
	static const double run_cvs[] = { 0.0, 0.05, 0.10, 0.20 };
	for (size_t c = 0; c < 4; c++) {
		int fa[4] = { 0 };
		for (int s = 0; s < seeds; s++) {
			struct stats_rng r;
			stats_rng_seed(&r, 31ULL * (uint64_t)s + c);
			double a[100], b[100], ma[10], mb[10];
			for (int run = 0; run < 10; run++) {
				double ea = lognormal(&r, run_cvs[c]), eb = lognormal(&r, run_cvs[c]);
				for (int q = 0; q < 10; q++) {
					a[run * 10 + q] = ea * lognormal(&r, 0.10);
					b[run * 10 + q] = eb * lognormal(&r, 0.10);
				}
				ma[run] = stats_median(a + run * 10, 10);
				mb[run] = stats_median(b + run * 10, 10);
			}
			struct verdict v;
			verdict_compare(a, 30, b, 30, VERDICT_ALPHA, VERDICT_MIN_EFFECT, &v, NULL);
			fa[0] += v.kind == VERDICT_SLOWER || v.kind == VERDICT_FASTER;
			verdict_compare(a, 60, b, 60, VERDICT_ALPHA, VERDICT_MIN_EFFECT, &v, NULL);
			fa[1] += v.kind == VERDICT_SLOWER || v.kind == VERDICT_FASTER;
			verdict_compare(ma, 6, mb, 6, VERDICT_ALPHA, VERDICT_MIN_EFFECT, &v, NULL);
			fa[2] += v.kind == VERDICT_SLOWER || v.kind == VERDICT_FASTER;
			verdict_compare(ma, 10, mb, 10, VERDICT_ALPHA, VERDICT_MIN_EFFECT, &v, NULL);
			fa[3] += v.kind == VERDICT_SLOWER || v.kind == VERDICT_FASTER;
		}
		printf("| %.0f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% |\n", 100 * run_cvs[c],
		       100.0 * fa[0] / seeds, 100.0 * fa[1] / seeds, 100.0 * fa[2] / seeds,
		       100.0 * fa[3] / seeds);
	}
}

/* ---- a family of 2,000 functions ---- */

static void family(int fams)
{
	enum { NF = 2000, N = 10, NREAL = 20 };
	static double a[NF][N], b[NF][N];
	static struct verdict_metric m[NF];
	static struct verdict out[NF];
	printf("\n## Family of %d functions, n = %d per side, lognormal CV 20%%, %d families\n", NF, N, fams);
	long false_disc = 0, unadj = 0, fam_any = 0, real_found = 0, flagged = 0;
	double t_total = 0;
	for (int f = 0; f < fams; f++) {
		struct stats_rng r;
		stats_rng_seed(&r, 9000ULL + (uint64_t)f);
		for (int i = 0; i < NF; i++) {
			double shift = i < NREAL ? 0.30 : 0; /* the first NREAL really moved by 30% */
			for (int j = 0; j < N; j++) {
				a[i][j] = lognormal(&r, 0.2);
				b[i][j] = (1 + shift) * lognormal(&r, 0.2);
			}
			m[i] = (struct verdict_metric){ "f", a[i], N, b[i], N, 0 };
		}
		double t0 = gb_now();
		verdict_family(m, NF, VERDICT_ALPHA, VERDICT_MIN_EFFECT, out, NULL);
		t_total += gb_now() - t0;
		int any = 0;
		for (int i = 0; i < NF; i++) {
			int hit = out[i].kind == VERDICT_SLOWER || out[i].kind == VERDICT_FASTER;
			flagged += hit;
			if (i < NREAL) {
				real_found += out[i].kind == VERDICT_SLOWER;
			} else {
				false_disc += hit;
				any |= hit;
				unadj += out[i].p_value < VERDICT_ALPHA &&
					 fabs(out[i].rel_change) >= VERDICT_MIN_EFFECT;
			}
		}
		fam_any += any;
	}
	printf("| measure | value |\n|---|---|\n");
	printf("| null functions flagged per family, no adjustment (p<0.05 and >=5%%) | %.1f |\n",
	       (double)unadj / fams);
	printf("| null functions flagged per family, BH (default) | %.2f |\n", (double)false_disc / fams);
	printf("| families with any false discovery | %.1f%% |\n", 100.0 * fam_any / fams);
	printf("| share of flagged that are false (FDR) | %.2f%% |\n",
	       flagged ? 100.0 * false_disc / flagged : 0.0);
	printf("| %d real 30%% regressions found per family | %.1f |\n", NREAL, (double)real_found / fams);
	printf("| verdict_family time for %d functions | %.1f ms |\n", NF, 1000 * t_total / fams);
}

/* ---- change points ---- */

static void changepoints(int seeds)
{
	struct cp_opts o = CP_OPTS_DEFAULT;
	size_t cps[8], ncp;
	printf("\n## Change points (E-Divisive, min segment 3, 199 permutations, level 0.05), %d seeds\n", seeds);
	printf("## series of run medians with normal noise, step at 2/3 of the series\n");
	printf("| length | noise CV | step | any change point found | found within +-1 of the step | time/series |\n");
	printf("|---|---|---|---|---|---|\n");
	static const size_t lens[] = { 30, 60 };
	static const double cvs[] = { 0.02, 0.05 };
	static const double steps[] = { 0, 0.05, 0.10, 0.20 };
	double x[64];
	for (size_t l = 0; l < 2; l++)
		for (size_t c = 0; c < 2; c++)
			for (size_t k = 0; k < 4; k++) {
				size_t n = lens[l], at = 2 * n / 3;
				int any = 0, near = 0;
				double t0 = gb_now();
				for (int s = 0; s < seeds; s++) {
					struct stats_rng r;
					stats_rng_seed(&r, 555ULL * (uint64_t)s + l * 10 + c);
					for (size_t i = 0; i < n; i++)
						x[i] = (i >= at ? 1 + steps[k] : 1) * (1 + cvs[c] * stats_rng_normal(&r));
					o.seed = (uint64_t)s;
					changepoint_detect(x, n, &o, cps, &ncp, NULL);
					any += ncp > 0;
					for (size_t j = 0; j < ncp; j++)
						if (cps[j] + 1 >= at && cps[j] <= at + 1) {
							near++;
							break;
						}
				}
				char near_s[16] = "-";
				if (k)
					snprintf(near_s, sizeof(near_s), "%.1f%%", 100.0 * near / seeds);
				printf("| %zu | %.0f%% | %.0f%% | %.1f%% | %s | %.2f ms |\n", n, 100 * cvs[c],
				       100 * steps[k], 100.0 * any / seeds, near_s,
				       1000 * (gb_now() - t0) / seeds);
			}
}

int main(int argc, char **argv)
{
	int seeds = argc > 1 ? atoi(argv[1]) : 2000;
	if (seeds < 100)
		seeds = 100;
	double t0 = gb_now();
	calibration(seeds);
	shapes(seeds);
	clustered(seeds);
	family(seeds / 20 > 20 ? seeds / 20 : 20);
	changepoints(seeds / 4 > 100 ? seeds / 4 : 100);
	printf("\n(bench_stats: %.1f s)\n", gb_now() - t0);
	return 0;
}
