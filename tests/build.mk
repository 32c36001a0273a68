# tests/build.mk - the store's benchmark (owner: store): `make bench` builds
# bench_store, generates a 5,000-function cProfile dump and measures ingest and size.
STORE_BENCH     := build/rel/tests/bench/bench_store
STORE_BENCH_OBJ := $(patsubst %.c,build/rel/%.o,$(LIB_SRC))
BENCH_TARGETS   += bench-store

$(STORE_BENCH): tests/bench/bench_store.c $(STORE_BENCH_OBJ) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(CFLAGS) -Itests -o $@ $< $(STORE_BENCH_OBJ) $(LIBS)

build/bench/funcs5000.prof: tests/bench/gen_funcs.py
	@mkdir -p $(dir $@)
	$(PYTHON) $< 5000 $@

.PHONY: bench-store
bench-store: $(STORE_BENCH) build/bench/funcs5000.prof
	$(STORE_BENCH) build/bench/funcs5000.prof tests/data/pstats/nova26-select_destinations.prof

# the collector and the store under valgrind too (leaks are errors)
VALGRIND_TESTS  += t_collect t_store
