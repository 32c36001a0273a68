# tests/bench/build.mk - the harness's benchmarks (`make bench`) and the API probe. Every
# benchmark is tests/bench/bench_NAME.c linked with the harness library (REL_LIB_OBJ) by one
# rule; bench-NAME runs it. Real-cloud experiments are their own targets (not in `make bench`).
#
#   bench-store    ingest and size of a 5,000-function dump and a real nova dump
#   bench-size     bytes per stored profile on 60 varied copies of the real nova dump
#                  (tests/bench/vary_dumps.py; SIZE_BENCH_DROP: share of functions a call skips)
#   bench-compare  false-alarm and detection table of the verdicts on synthetic stored runs
#                  (COMPARE_BENCH_TRIALS=N, default 100; about a minute on 2 cores)
#   bench-stats    verdict/change-point calibration (STATS_BENCH_SEEDS=N, default 2000)
#   bench-osapi    the harness's CPU and RSS per request against the fake cloud
#   bench-year     a store at a year's scale: YEAR_NIGHTS (365) nights x 3 scenarios x
#                  YEAR_PROFILES (30) varied nova dumps; size, and time and peak memory of
#                  nightly --judge, trend, compare and prune (not in `make bench`: ~1 GB, minutes)
#   bench-verdicts A/A and A/B experiments with `greenbench ab` on the real test cloud
#                  (VERDICTS_ARGS="--ab 8 --aa 4"; about 3 min per experiment)
COMPARE_BENCH_TRIALS ?= 100
STATS_BENCH_SEEDS    ?= 2000

BENCH_BIN := build/rel/tests/bench
SIZE_BENCH_DROP      ?= 0.03
YEAR_NIGHTS          ?= 365
YEAR_PROFILES        ?= 30
YEAR_DB              ?= build/bench/year.db
BENCH_TARGETS += bench-store bench-size bench-compare bench-stats bench-osapi
# build/rel/tests/e2e/osprobe: a hidden probe for manual checks against a real cloud
# (tests/e2e/e2e_osapi.t runs it against the test cloud)
ALL_TARGETS += build/rel/tests/e2e/osprobe

$(BENCH_BIN)/%: tests/bench/%.c $(REL_LIB_OBJ) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(CFLAGS) -o $@ $< $(REL_LIB_OBJ) $(LIBS)

build/rel/tests/e2e/osprobe: tests/e2e/osprobe.c $(REL_LIB_OBJ) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(CFLAGS) -o $@ $< $(REL_LIB_OBJ) $(LIBS)

build/bench/funcs5000.prof: tests/bench/gen_funcs.py
	@mkdir -p $(dir $@)
	$(PYTHON) $< 5000 $@

.PHONY: bench-year bench-store bench-size bench-compare bench-stats bench-osapi bench-verdicts osprobe
osprobe: build/rel/tests/e2e/osprobe

bench-store: $(BENCH_BIN)/bench_store build/bench/funcs5000.prof
	$< build/bench/funcs5000.prof tests/data/pstats/nova26-select_destinations.prof

bench-size: $(BENCH_BIN)/bench_size tests/bench/vary_dumps.py
	rm -rf build/bench/varied && $(PYTHON) tests/bench/vary_dumps.py \
		tests/data/pstats/nova26-select_destinations.prof build/bench/varied 60 $(SIZE_BENCH_DROP)
	$< build/bench/varied/*.prof

bench-year: bin/greenbench $(BENCH_BIN)/bench_year tests/bench/vary_dumps.py
	rm -rf build/bench/year-dumps && $(PYTHON) tests/bench/vary_dumps.py \
		tests/data/pstats/nova26-select_destinations.prof build/bench/year-dumps 90 $(SIZE_BENCH_DROP)
	$(BENCH_BIN)/bench_year bin/greenbench $(YEAR_DB) $(YEAR_NIGHTS) $(YEAR_PROFILES) build/bench/year-dumps/*.prof
	rm -f $(YEAR_DB) $(YEAR_DB)-wal $(YEAR_DB)-shm

bench-compare: $(BENCH_BIN)/bench_compare
	$< $(COMPARE_BENCH_TRIALS)

bench-stats: $(BENCH_BIN)/bench_stats
	$< $(STATS_BENCH_SEEDS)

bench-osapi: $(BENCH_BIN)/bench_osapi
	$<

bench-verdicts: all install-profiler
	tests/bench/verdicts_cloud.sh $(VERDICTS_ARGS)
