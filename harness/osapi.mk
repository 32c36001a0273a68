# harness/osapi.mk - the OpenStack API client's extras (owner: osapi): `make bench` runs
# tests/bench/bench_osapi.c (harness CPU/RSS per request against the fake cloud), and
# build/rel/tests/osprobe is a hidden probe for manual checks against a real cloud (built by
# `make`; tests/e2e_osapi.t runs it against the test cloud).
OSAPI_REL_OBJ := $(filter-out build/rel/harness/main.o,$(REL_OBJ))
BENCH_TARGETS += bench-osapi
ALL_TARGETS += build/rel/tests/osprobe
.PHONY: bench-osapi osprobe

build/rel/tests/bench/bench_osapi: tests/bench/bench_osapi.c tests/fakecloud/fc.h $(OSAPI_REL_OBJ) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(CFLAGS) -Itests -o $@ $< $(OSAPI_REL_OBJ) $(LIBS)

build/rel/tests/osprobe: tests/osprobe.c $(OSAPI_REL_OBJ) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(CFLAGS) -o $@ $< $(OSAPI_REL_OBJ) $(LIBS)

osprobe: build/rel/tests/osprobe

bench-osapi: build/rel/tests/bench/bench_osapi
	$<

# the clouds.yaml reader also runs under valgrind
VALGRIND_TESTS += t_clouds
