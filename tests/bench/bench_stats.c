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

#include "judge/changepoint.h"
#include "judge/stats.h"
#include "judge/verdict.h"

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

/* Rates (either direction when shift == 0, else SLOWER) for: pooled 3x10, pooled 6x10,
 * 6 run medians, 10 run medians per side. */
static void clustered_rates(double run_cv, double shift, int seeds, double out[4])
{
	int hit[4] = { 0 };
	for (int s = 0; s < seeds; s++) {
		struct stats_rng r;
		stats_rng_seed(&r, 31ULL * (uint64_t)s + (uint64_t)(1000 * run_cv));
		double a[100], b[100], ma[10], mb[10];
		for (int run = 0; run < 10; run++) {
			double ea = lognormal(&r, run_cv), eb = (1 + shift) * lognormal(&r, run_cv);
			for (int q = 0; q < 10; q++) {
				a[run * 10 + q] = ea * lognormal(&r, 0.10);
				b[run * 10 + q] = eb * lognormal(&r, 0.10);
			}
			ma[run] = stats_median(a + run * 10, 10);
			mb[run] = stats_median(b + run * 10, 10);
		}
		struct verdict v[4];
		verdict_compare(a, 30, b, 30, VERDICT_ALPHA, VERDICT_MIN_EFFECT, &v[0], NULL);
		verdict_compare(a, 60, b, 60, VERDICT_ALPHA, VERDICT_MIN_EFFECT, &v[1], NULL);
		verdict_compare(ma, 6, mb, 6, VERDICT_ALPHA, VERDICT_MIN_EFFECT, &v[2], NULL);
		verdict_compare(ma, 10, mb, 10, VERDICT_ALPHA, VERDICT_MIN_EFFECT, &v[3], NULL);
		for (int k = 0; k < 4; k++)
			hit[k] += shift == 0 ? v[k].kind == VERDICT_SLOWER || v[k].kind == VERDICT_FASTER
					     : v[k].kind == VERDICT_SLOWER;
	}
	for (int k = 0; k < 4; k++)
		out[k] = 100.0 * hit[k] / seeds;
}

static void clustered(int seeds)
{
	static const double run_cvs[] = { 0.0, 0.05, 0.10, 0.20 };
	printf("\n## Run-to-run noise (each run scales all its requests together), %d seeds\n", seeds);
	printf("## request noise lognormal CV 10%%; cells: false alarms (nothing changed) / 10%% slower caught\n");
	printf("| run CV | pooled 3x10 requests | pooled 6x10 requests | 6 run medians | 10 run medians |\n");
	printf("|---|---|---|---|---|\n");
	for (size_t c = 0; c < 4; c++) {
		double fa[4], det[4];
		clustered_rates(run_cvs[c], 0, seeds, fa);
		clustered_rates(run_cvs[c], 0.10, seeds, det);
		printf("| %.0f%% |", 100 * run_cvs[c]);
		for (int k = 0; k < 4; k++)
			printf(" %.1f%% / %.1f%% |", fa[k], det[k]);
		printf("\n");
	}
}

/* ---- a family of 2,000 functions ---- */

static void family(size_t n, int fams)
{
	enum { NF = 2000, NREAL = 20 };
	double *a = malloc(NF * n * sizeof(*a)), *b = malloc(NF * n * sizeof(*b));
	static struct verdict_metric m[NF];
	static struct verdict out[NF];
	printf("\n## Family of %d functions (%d of them 30%% slower), n = %zu per side, lognormal CV 20%%, %d families\n",
	       NF, NREAL, n, fams);
	long false_disc = 0, unadj = 0, fam_any = 0, real_found = 0;
	double fdp_sum = 0, t_total = 0;
	for (int f = 0; f < fams; f++) {
		struct stats_rng r;
		stats_rng_seed(&r, 9000ULL + (uint64_t)f);
		for (int i = 0; i < NF; i++) {
			double shift = i < NREAL ? 0.30 : 0; /* the first NREAL really moved by 30% */
			for (size_t j = 0; j < n; j++) {
				a[i * n + j] = lognormal(&r, 0.2);
				b[i * n + j] = (1 + shift) * lognormal(&r, 0.2);
			}
			m[i] = (struct verdict_metric){ "f", a + i * n, n, b + i * n, n, 0 };
		}
		double t0 = gb_now();
		verdict_family(m, NF, VERDICT_ALPHA, VERDICT_MIN_EFFECT, out, NULL);
		t_total += gb_now() - t0;
		int any = 0, flagged = 0, fd = 0;
		for (int i = 0; i < NF; i++) {
			int hit = out[i].kind == VERDICT_SLOWER || out[i].kind == VERDICT_FASTER;
			flagged += hit;
			if (i < NREAL) {
				real_found += out[i].kind == VERDICT_SLOWER;
			} else {
				fd += hit;
				any |= hit;
				unadj += out[i].p_value < VERDICT_ALPHA &&
					 fabs(out[i].rel_change) >= VERDICT_MIN_EFFECT;
			}
		}
		false_disc += fd;
		fdp_sum += flagged ? (double)fd / flagged : 0;
		fam_any += any;
	}
	printf("| measure | value |\n|---|---|\n");
	printf("| unchanged functions flagged per family without adjustment (p<0.05, >=5%%) | %.1f |\n",
	       (double)unadj / fams);
	printf("| unchanged functions flagged per family with BH (default) | %.2f |\n",
	       (double)false_disc / fams);
	printf("| families with any false discovery | %.1f%% |\n", 100.0 * fam_any / fams);
	printf("| mean false discovery proportion (FDR; BH bound 5%%) | %.2f%% |\n", 100.0 * fdp_sum / fams);
	printf("| of %d real 30%% regressions, found per family | %.1f |\n", NREAL,
	       (double)real_found / fams);
	printf("| verdict_family time for %d functions | %.1f ms |\n", NF, 1000 * t_total / fams);
	free(a);
	free(b);
}

/* ---- interval coverage: Moses (on logs, as the verdict) vs bootstrap of medians ---- */

static void coverage(int seeds)
{
	printf("\n## 95%% interval of the ratio B/A (true 1.10, lognormal CV 20%%), %d seeds; bootstrap B = 1000\n", seeds);
	printf("| n/side | Moses coverage | Moses mean width | bootstrap coverage | bootstrap mean width |\n");
	printf("|---|---|---|---|---|\n");
	static const size_t ns[] = { 5, 10, 30 };
	for (size_t k = 0; k < 3; k++) {
		size_t n = ns[k];
		int cov_m = 0, cov_b = 0, nb = 0;
		double w_m = 0, w_b = 0, a[MAXN], b[MAXN];
		for (int s = 0; s < seeds; s++) {
			struct stats_rng r;
			stats_rng_seed(&r, 4321ULL * (uint64_t)s + n);
			for (size_t i = 0; i < n; i++) {
				a[i] = lognormal(&r, 0.2);
				b[i] = 1.1 * lognormal(&r, 0.2);
			}
			struct verdict v;
			verdict_compare(a, n, b, n, VERDICT_ALPHA, VERDICT_MIN_EFFECT, &v, NULL);
			cov_m += v.ci_low <= 0.1 && 0.1 <= v.ci_high;
			w_m += v.ci_high - v.ci_low;
			double lo, hi;
			if (stats_bootstrap_ratio(a, n, b, n, 1000, 0.95, (uint64_t)s, &lo, &hi) == 0) {
				cov_b += lo <= 1.1 && 1.1 <= hi;
				w_b += hi - lo;
				nb++;
			}
		}
		printf("| %zu | %.1f%% | %.3f | %.1f%% | %.3f |\n", n, 100.0 * cov_m / seeds, w_m / seeds,
		       100.0 * cov_b / (nb ? nb : 1), w_b / (nb ? nb : 1));
	}
}

/* ---- the nightly judgement ---- */

static void nightly(int seeds)
{
	struct cp_opts o = CP_OPTS_DEFAULT;
	struct cp_judgement j;
	printf("\n## Nightly judgement, 30 nights of history, noise CV 3%%, min effect 5%%, %d seeds\n", seeds);
	printf("| tonight | steady | noisy point | regression | improvement |\n|---|---|---|---|---|\n");
	static const double tonight[] = { 1.0, 1.1, 1.3 };
	double h[64];
	for (size_t t = 0; t < 3; t++) {
		int kinds[5] = { 0 };
		for (int s = 0; s < seeds; s++) {
			struct stats_rng r;
			stats_rng_seed(&r, 8080ULL * (uint64_t)s + t);
			for (int i = 0; i < 30; i++)
				h[i] = 1 + 0.03 * stats_rng_normal(&r);
			o.seed = (uint64_t)s;
			changepoint_judge(h, 30, tonight[t], &o, 0.05, &j, NULL);
			kinds[j.kind]++;
		}
		printf("| one value %+.0f%% over a flat history | %.1f%% | %.1f%% | %.1f%% | %.1f%% |\n",
		       100 * (tonight[t] - 1), 100.0 * kinds[CP_STEADY] / seeds,
		       100.0 * kinds[CP_NOISY_POINT] / seeds, 100.0 * kinds[CP_REGRESSION] / seeds,
		       100.0 * kinds[CP_IMPROVEMENT] / seeds);
	}
	printf("\n| real step (noise CV 3%%) | first night reported as a new regression: after 1 / 2 / 3 / 4 / 5+ / never high nights |\n|---|---|\n");
	static const double steps[] = { 0.05, 0.10, 0.20 };
	for (size_t k = 0; k < 3; k++) {
		int delay[6] = { 0 };
		for (int s = 0; s < seeds; s++) {
			struct stats_rng r;
			stats_rng_seed(&r, 6060ULL * (uint64_t)s + k);
			for (int i = 0; i < 40; i++)
				h[i] = (i >= 30 ? 1 + steps[k] : 1) * (1 + 0.03 * stats_rng_normal(&r));
			o.seed = (uint64_t)s;
			int d = 5;
			for (int night = 30; night < 40; night++) {
				changepoint_judge(h, (size_t)night, h[night], &o, 0.05, &j, NULL);
				if (j.kind == CP_REGRESSION && j.is_new) {
					d = night - 30 < 4 ? night - 30 : 4;
					break;
				}
			}
			delay[d]++;
		}
		printf("| %+.0f%% | %.1f%% / %.1f%% / %.1f%% / %.1f%% / %.1f%% / %.1f%% |\n", 100 * steps[k],
		       100.0 * delay[0] / seeds, 100.0 * delay[1] / seeds, 100.0 * delay[2] / seeds,
		       100.0 * delay[3] / seeds, 100.0 * delay[4] / seeds, 100.0 * delay[5] / seeds);
	}
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
	coverage(seeds / 4 > 100 ? seeds / 4 : 100);
	family(10, seeds / 20 > 20 ? seeds / 20 : 20);
	family(30, seeds / 40 > 10 ? seeds / 40 : 10);
	changepoints(seeds / 4 > 100 ? seeds / 4 : 100);
	nightly(seeds / 10 > 100 ? seeds / 10 : 100);
	printf("\n(bench_stats: %.1f s)\n", gb_now() - t0);
	return 0;
}
