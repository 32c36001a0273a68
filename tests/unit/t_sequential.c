/* t_sequential.c - the group-sequential design of `greenbench ab` (judge/sequential.c):
 * its boundaries against published values and against a simulated Brownian motion, and
 * its false-alarm control on synthetic A/A sequences judged exactly as ab judges a look
 * (verdict_family over the headline metrics at the look's nominal level, seq_decide):
 * at most 5% plus a binomial margin, where the naive "look until significant" (alpha
 * 0.05 at every look) exceeds that same limit. Also detection of a 10% step and the
 * blocks used. Fixed seeds; fixed limits. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "judge/sequential.h"
#include "judge/stats.h"
#include "judge/verdict.h"
#include "lib/tap.h"

#define N_MAX 20

static double margin(double p, int n)
{
	return 3.0 * sqrt(p * (1 - p) / n);
}

static double lognormal(struct stats_rng *r, double cv)
{
	double sigma = sqrt(log(1 + cv * cv));
	return exp(sigma * stats_rng_normal(r) - sigma * sigma / 2);
}

struct sim_result {
	int slower, faster, same, open; /* sequences ending in each state (open: undecided at n_max) */
	double blocks;                   /* mean blocks per side used */
	size_t max_blocks;
};

/* n_seq experiments of up to N_MAX blocks per side, two headline metrics per block
 * like ab's (the call's wall time: waits plus work; its busy time: the work), run
 * medians with run-to-run noise cv (a shared host factor plus each metric's own),
 * B's work (1 + effect) times A's. Judged at every look of d, at d's nominal levels,
 * or at alpha 0.05 at every look when naive. */
static void simulate(const struct seq_design *d, int naive, double effect, double cv, int n_seq,
		     uint64_t seed, struct sim_result *out)
{
	memset(out, 0, sizeof(*out));
	double a[2][N_MAX], b[2][N_MAX];
	size_t used = 0;
	for (int s = 0; s < n_seq; s++) {
		struct stats_rng r;
		stats_rng_seed(&r, seed * 1000003ULL + (uint64_t)s);
		for (size_t i = 0; i < N_MAX; i++) {
			for (int side = 0; side < 2; side++) {
				double host = lognormal(&r, cv * 0.7);
				double work = 25 * host * lognormal(&r, cv * 0.7) * (side ? 1 + effect : 1);
				double wait = 50 * host * lognormal(&r, cv * 0.7);
				double *busy = side ? &b[1][i] : &a[1][i], *wall = side ? &b[0][i] : &a[0][i];
				*busy = work;
				*wall = work + wait;
			}
		}
		enum seq_state st = SEQ_CONTINUE;
		size_t n = 0;
		for (size_t k = 0; k < d->n_looks && st == SEQ_CONTINUE; k++) {
			n = d->look_n[k];
			struct verdict_metric m[2] = {
				{ "call", a[0], n, b[0], n, 0 },
				{ "busy", a[1], n, b[1], n, 0 },
			};
			struct verdict v[2];
			verdict_family(m, 2, naive ? 0.05 : d->nominal[k], VERDICT_MIN_EFFECT, v, NULL);
			st = seq_decide(v, 2);
		}
		used += n;
		out->max_blocks = n > out->max_blocks ? n : out->max_blocks;
		out->slower += st == SEQ_SLOWER;
		out->faster += st == SEQ_FASTER;
		out->same += st == SEQ_NO_CHANGE;
		out->open += st == SEQ_CONTINUE;
	}
	out->blocks = (double)used / n_seq;
}

/* P(|Z_k| >= bound_k at some look) for a Gaussian random walk with the design's looks */
static double crossing_rate(const struct seq_design *d, int n_paths, uint64_t seed)
{
	struct stats_rng r;
	stats_rng_seed(&r, seed);
	int crossed = 0;
	size_t n_max = d->look_n[d->n_looks - 1];
	for (int p = 0; p < n_paths; p++) {
		double w = 0;
		size_t k = 0;
		for (size_t i = 1; i <= n_max; i++) {
			w += stats_rng_normal(&r);
			if (i == d->look_n[k]) {
				if (fabs(w / sqrt((double)i)) >= d->bound[k]) {
					crossed++;
					break;
				}
				k++;
			}
		}
	}
	return (double)crossed / n_paths;
}

static void test_boundaries(void)
{
	struct seq_design d;
	struct gb_err err = { 0, "" };
	/* Lan-DeMets Pocock-type, 5 equal looks, two-sided 0.05: 2.438 2.427 2.410 2.397 2.386
	 * (Jennison & Turnbull 2000, ch. 7; gsDesign's sfLDPocock) */
	static const double pocock[] = { 2.438, 2.427, 2.410, 2.397, 2.386 };
	int rc = seq_plan(2, 2, 10, 0.05, 1, SEQ_POCOCK, &d, &err);
	int same = rc == 0 && d.n_looks == 5;
	for (size_t k = 0; same && k < 5; k++)
		same = fabs(d.bound[k] - pocock[k]) < 0.005;
	ok(same, "Pocock-type boundaries, 5 looks: %.3f %.3f %.3f %.3f %.3f (published 2.438 .. 2.386)",
	   d.bound[0], d.bound[1], d.bound[2], d.bound[3], d.bound[4]);
	/* O'Brien-Fleming-type: the first look spends exactly alpha(0.2) = 2 Phi(-1.96 / sqrt 0.2) */
	rc = seq_plan(2, 2, 10, 0.05, 1, SEQ_OBRIEN_FLEMING, &d, &err);
	ok(rc == 0 && fabs(d.bound[0] - 1.959964 / sqrt(0.2)) < 1e-3 && d.bound[4] > 1.96 &&
		   d.bound[4] < 2.1 && d.bound[0] > d.bound[1] && d.bound[3] > d.bound[4],
	   "O'Brien-Fleming-type boundaries fall from %.3f to %.3f (the last just above 1.96)", d.bound[0],
	   d.bound[4]);
	ok(fabs(d.spent[4] - 0.05) < 1e-12 && fabs(seq_spend(SEQ_POCOCK, 0.05, 1) - 0.05) < 1e-12 &&
		   seq_spend(SEQ_OBRIEN_FLEMING, 0.05, 0) == 0,
	   "both spending functions spend 0 at t = 0 and the whole alpha at t = 1");
	/* the boundaries hold their alpha on a simulated random walk (100,000 paths) */
	int paths = 100000;
	double lim = 0.05 + margin(0.05, paths);
	for (int sp = 0; sp < 2; sp++) {
		seq_plan(4, 2, N_MAX, 0.05, 1, (enum seq_spending)sp, &d, &err);
		double rate = crossing_rate(&d, paths, 7 + (uint64_t)sp);
		ok(rate <= lim && rate >= 0.05 - margin(0.05, paths),
		   "%s, 9 looks: a random walk crosses in %.2f%% of %d paths (0.05 +- %.2f%%)",
		   seq_spending_name((enum seq_spending)sp), 100 * rate, paths, 100 * margin(0.05, paths));
	}
	ok(seq_plan(1, 2, 20, 0.05, 2, SEQ_POCOCK, &d, &err) < 0 && strstr(err.msg, "not a plan"),
	   "a first look at 1 sample per side is refused: %s", err.msg);
	ok(seq_plan(2, 1, 200, 0.05, 2, SEQ_POCOCK, &d, &err) < 0 && strstr(err.msg, "more than 64 looks"),
	   "more than 64 looks are refused: %s", err.msg);
	seq_plan(4, 2, 20, 0.05, 2, SEQ_POCOCK, &d, &err);
	ok(seq_look_at(&d, 3) == -1 && seq_look_at(&d, 4) == 0 && seq_look_at(&d, 7) == 1 &&
		   seq_look_at(&d, 20) == 8 && seq_look_at(&d, 25) == 8,
	   "the look reached: none at 3 per side, the first at 4, the second at 7, the last at 20");
}

static void test_decide(void)
{
	struct verdict v[2];
	memset(v, 0, sizeof(v));
	v[0].kind = VERDICT_NO_CHANGE;
	v[1].kind = VERDICT_INCONCLUSIVE;
	ok(seq_decide(v, 2) == SEQ_CONTINUE, "one headline metric inconclusive: continue");
	v[1].kind = VERDICT_INSUFFICIENT_DATA;
	ok(seq_decide(v, 2) == SEQ_CONTINUE, "one headline metric with too little data: continue");
	v[1].kind = VERDICT_NO_CHANGE;
	ok(seq_decide(v, 2) == SEQ_NO_CHANGE, "every headline metric inside the margin: no change");
	v[0].kind = VERDICT_FASTER;
	v[1].kind = VERDICT_SLOWER;
	ok(seq_decide(v, 2) == SEQ_SLOWER, "one slower, one faster: slower (a regression is never hidden)");
	ok(seq_decide(v, 0) == SEQ_CONTINUE, "no headline metric: nothing to decide on");
}

static void test_false_alarms(void)
{
	int n_seq = 2000;
	/* a fixed limit: the documented 5% plus 3 binomial standard errors */
	double lim = 0.05 + margin(0.05, n_seq);
	struct seq_design d;
	struct gb_err err = { 0, "" };
	static const double cvs[] = { 0.05, 0.10 };
	for (int sp = 0; sp < 2; sp++) {
		seq_plan(4, 2, N_MAX, 0.05, 2, (enum seq_spending)sp, &d, &err);
		for (size_t c = 0; c < 2; c++) {
			struct sim_result r;
			simulate(&d, 0, 0, cvs[c], n_seq, 31 + c + 10 * (uint64_t)sp, &r);
			double fa = (double)(r.slower + r.faster) / n_seq;
			ok(fa <= lim,
			   "%s, A/A, run noise %g%%: false alarms %.2f%% <= %.2f%% (no change %.1f%%, "
			   "inconclusive %.1f%%, %.1f blocks per side on average)",
			   seq_spending_name((enum seq_spending)sp), 100 * cvs[c], 100 * fa, 100 * lim,
			   100.0 * r.same / n_seq, 100.0 * r.open / n_seq, r.blocks);
		}
	}
	/* the naive design (alpha 0.05 at each of the same 9 looks) fails the same limit:
	 * the test above can fail */
	struct sim_result r;
	simulate(&d, 1, 0, 0.10, n_seq, 41, &r);
	double fa = (double)(r.slower + r.faster) / n_seq;
	ok(fa > lim, "naive repeated looks (alpha 0.05 at each of 9 looks), A/A, noise 10%%: false alarms "
		     "%.2f%% > %.2f%%: looking until significant is what the design prevents", 100 * fa,
	   100 * lim);
}

static void test_detection(void)
{
	int n_seq = 1000;
	struct seq_design d;
	struct gb_err err = { 0, "" };
	seq_plan(4, 2, N_MAX, 0.05, 2, SEQ_POCOCK, &d, &err);
	struct sim_result r;
	/* +40% busy time (the slower fixture on the test cloud), run noise 10% */
	simulate(&d, 0, 0.40, 0.10, n_seq, 51, &r);
	double det = (double)r.slower / n_seq;
	ok(det >= 0.99 && r.faster == 0 && r.blocks < 8,
	   "+40%% work, noise 10%%: detected %.1f%% (>= 99%%), never faster, %.1f blocks per side on "
	   "average (< the former fixed 8), at most %zu", 100 * det, r.blocks, r.max_blocks);
	/* why Pocock-type is ab's default: O'Brien-Fleming-type needs more blocks for the same */
	struct seq_design obf;
	seq_plan(4, 2, N_MAX, 0.05, 2, SEQ_OBRIEN_FLEMING, &obf, &err);
	struct sim_result ro;
	simulate(&obf, 0, 0.40, 0.10, n_seq, 51, &ro);
	ok(ro.blocks > r.blocks, "the same +40%% with O'Brien-Fleming-type spending: detected %.1f%%, "
	   "%.1f blocks per side (more than Pocock-type's %.1f)", 100.0 * ro.slower / n_seq, ro.blocks,
	   r.blocks);
	/* +10% work, noise 10%: the design runs longer instead of guessing */
	simulate(&d, 0, 0.10, 0.10, n_seq, 52, &r);
	det = (double)r.slower / n_seq;
	ok(det >= 0.40 && r.faster == 0 && r.same == 0,
	   "+10%% work, noise 10%%: detected %.1f%% (>= 40%%), never faster, never 'no change' "
	   "(inconclusive %.1f%%), %.1f blocks per side", 100 * det, 100.0 * r.open / n_seq, r.blocks);
	/* +10% work on a quiet host (noise 3%) */
	simulate(&d, 0, 0.10, 0.03, n_seq, 53, &r);
	det = (double)r.slower / n_seq;
	ok(det >= 0.99 && r.blocks <= 8, "+10%% work, noise 3%%: detected %.1f%%, %.1f blocks per side",
	   100 * det, r.blocks);
	/* A/A on a quiet host: NO CHANGE can be reached (the repeated interval inside +-5%) */
	simulate(&d, 0, 0, 0.03, n_seq, 54, &r);
	ok(r.same >= n_seq / 2 && r.slower + r.faster <= n_seq / 20,
	   "A/A, noise 3%%: no change in %.1f%%, inconclusive %.1f%%, %.1f blocks per side",
	   100.0 * r.same / n_seq, 100.0 * r.open / n_seq, r.blocks);
}

int main(void)
{
	test_boundaries();
	test_decide();
	test_false_alarms();
	test_detection();
	return done_testing();
}
