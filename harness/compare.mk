# harness/compare.mk - `make bench` part of compare/report (owner: verdicts): builds and runs
# tests/bench/bench_compare.c, the false-alarm and detection table of compare_judge on
# synthetic stored runs. COMPARE_BENCH_TRIALS=N (default 100; about a minute on 2 cores).
COMPARE_BENCH_TRIALS ?= 100
COMPARE_BENCH := build/rel/tests/bench/bench_compare
BENCH_TARGETS += bench-compare
.PHONY: bench-compare

$(COMPARE_BENCH): tests/bench/bench_compare.c $(patsubst %.c,build/rel/%.o,$(LIB_SRC)) $(HEADERS) tests/verdict_fixture.h
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(CFLAGS) -Itests -o $@ $< $(patsubst %.c,build/rel/%.o,$(LIB_SRC)) $(LIBS)

bench-compare: $(COMPARE_BENCH)
	$< $(COMPARE_BENCH_TRIALS)

# The verdicts on the real test cloud (not part of `make bench`: it needs the cloud up
# and takes about 3 min per experiment): A/A and A/B experiments with `greenbench ab`.
# VERDICTS_ARGS="--ab 8 --aa 4" chooses how many.
.PHONY: bench-verdicts
bench-verdicts: all install-profiler
	tests/bench/verdicts_cloud.sh $(VERDICTS_ARGS)
