# harness/stats.mk - `make bench` part of the statistics (owner: stats): builds and runs
# tests/bench/bench_stats.c, the verdict/change-point calibration tables.
# STATS_BENCH_SEEDS=N for more or fewer seeds (default 2000; about a minute on 2 cores).
STATS_BENCH_SEEDS ?= 2000
STATS_BENCH_OBJ := build/rel/harness/stats.o build/rel/harness/verdict.o \
		   build/rel/harness/changepoint.o build/rel/harness/util.o
BENCH_TARGETS += bench-stats
.PHONY: bench-stats

build/rel/tests/bench/bench_stats: tests/bench/bench_stats.c $(STATS_BENCH_OBJ) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(CFLAGS) -o $@ $< $(STATS_BENCH_OBJ) -lm

bench-stats: build/rel/tests/bench/bench_stats
	$< $(STATS_BENCH_SEEDS)
