# greenbench - plain Makefile (no autotools).
#
#   make                 build bin/greenbench and the greenprof extension
#   make check           every unit test through prove (C tests under ASan+UBSan)
#   make e2e             the end-to-end test against the real test cloud
#   make demo            install, bring up the test cloud, run the seed scenario
#   make bench           the benchmarks
#   make mutate          break guarded behaviours on purpose (tests/mutate/); mutate-fast: CI part
#   make fuzz            the libFuzzer targets (clang), FUZZ_TIME seconds each
#   make install         PREFIX=/usr/local DESTDIR=
#   make deps            install the Debian packages greenbench needs (idempotent)
#
# The harness is found by one rule set: every harness/<part>/*.c is part of the library
# (LIB_SRC) except harness/cli/main.c; a test, benchmark or probe links LIB_OBJ. Each
# top-level part may add a fragment <part>/build.mk (and tests/bench/build.mk) that appends
# to ALL_TARGETS, CHECK_SCRIPTS, BENCH_TARGETS, INSTALL_TARGETS, E2E_SCRIPTS, FUZZ_TARGETS,
# VALGRIND_TESTS.

PYTHON    ?= /usr/bin/python3
PREFIX    ?= /usr/local
DESTDIR   ?=
CC        ?= cc
CLANG     ?= clang
FUZZ_TIME ?= 60

PKGS      := libcurl yaml-0.1 sqlite3 jansson zlib libcrypto libzstd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lcurl -lyaml -lsqlite3 -ljansson -lz -lcrypto -lzstd)

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
BASEFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) -g -Iharness -Itests $(PKG_CFLAGS)
CFLAGS    ?= -O2
SANFLAGS  := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LIBS      := $(PKG_LIBS) -lm -lpthread

HARNESS_SRC := $(sort $(wildcard harness/*/*.c))
MAIN_SRC    := harness/cli/main.c
LIB_SRC     := $(filter-out $(MAIN_SRC),$(HARNESS_SRC))
# the library objects per flavour: rel (-O2), san (ASan+UBSan), vg (valgrind), fuzz (clang)
LIB_OBJ      = $(patsubst %.c,build/$(1)/%.o,$(LIB_SRC))
REL_LIB_OBJ := $(call LIB_OBJ,rel)
SAN_LIB_OBJ := $(call LIB_OBJ,san)
VG_LIB_OBJ  := $(call LIB_OBJ,vg)
FUZZ_LIB_OBJ := $(call LIB_OBJ,fuzz)

C_TESTS     := $(patsubst tests/unit/%.c,build/san/tests/unit/%,$(sort $(wildcard tests/unit/t_*.c)))
HEADERS     := $(wildcard harness/*/*.h) $(wildcard tests/lib/*.h tests/fakecloud/*.h)

# parser tests also run under valgrind by `make valgrind` (names without .c)
VALGRIND_TESTS  := t_util t_yamltree t_scenario t_localconf t_pstats t_collect t_store t_clouds
ALL_TARGETS     := bin/greenbench
CHECK_SCRIPTS   := $(sort $(wildcard tests/cli/t_*.t))
BENCH_TARGETS   :=
INSTALL_TARGETS := install-bin
E2E_SCRIPTS     := $(sort $(wildcard tests/e2e/e2e_*.t))
FUZZ_TARGETS    := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))


export PYTHON

.PHONY: demo all-targets valgrind all check e2e bench fuzz install deps clean install-bin tests
all: all-targets

-include $(sort $(wildcard */build.mk tests/bench/build.mk tests/mutate/build.mk))

all-targets: $(ALL_TARGETS)

# the test cloud's own test first: it brings the cloud up for the others; e2e_ab.t (the
# longest, under a CPU load it makes itself) last
E2E_SCRIPTS := $(filter tests/e2e/e2e_testcloud.t,$(E2E_SCRIPTS)) \
	$(filter-out tests/e2e/e2e_testcloud.t tests/e2e/e2e_ab.t,$(E2E_SCRIPTS)) \
	$(filter tests/e2e/e2e_ab.t,$(E2E_SCRIPTS))

bin/greenbench: build/rel/$(MAIN_SRC:.c=.o) $(REL_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

build/rel/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(CFLAGS) -c -o $@ $<

build/san/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(SANFLAGS) -c -o $@ $<

build/san/tests/unit/%: tests/unit/%.c $(SAN_LIB_OBJ) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(SANFLAGS) -o $@ $< $(SAN_LIB_OBJ) $(LIBS)

tests: $(C_TESTS)

check: all $(C_TESTS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  prove -f -e tests/lib/exec $(C_TESTS) $(CHECK_SCRIPTS)

e2e: all install-profiler
	prove -v -f -e tests/lib/exec $(E2E_SCRIPTS)

# Every test, as CI runs them: check, mutate-fast and e2e one after the other, and beside
# them box-test (the boxes are their own hosts: own network, own disk, own build of
# greenbench), whose output follows at the end. Fails if either line fails.
.PHONY: check-all
check-all: all
	@rm -f build/box-test.log build/box-test.rc
	@{ $(MAKE) --no-print-directory box-test >build/box-test.log 2>&1; echo $$? >build/box-test.rc; } & \
	t0=$$(date +%s); $(MAKE) --no-print-directory check mutate-fast e2e; a=$$?; ta=$$(($$(date +%s) - t0)); \
	wait; b=$$(cat build/box-test.rc 2>/dev/null || echo 1); tb=$$(($$(date +%s) - t0)); \
	echo "---- make box-test (it ran beside check, mutate-fast and e2e):"; cat build/box-test.log; \
	echo "check-all: check mutate-fast e2e: exit $$a in $$ta s; box-test: exit $$b; all done in $$tb s"; \
	[ $$a -eq 0 ] && [ $$b -eq 0 ]

bench: all $(BENCH_TARGETS)

# Parser tests again under valgrind (no sanitizers): leaks are errors.
VG_TESTS := $(patsubst %,build/vg/tests/unit/%,$(sort $(VALGRIND_TESTS)))
build/vg/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) -O1 -c -o $@ $<
build/vg/tests/unit/%: tests/unit/%.c $(VG_LIB_OBJ) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) -O1 -o $@ $< $(VG_LIB_OBJ) $(LIBS)
valgrind: $(VG_TESTS)
	prove -f -e 'valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99' $(VG_TESTS)

# libFuzzer targets: tests/fuzz/fuzz_NAME.c, linked with the harness built by clang.
build/fuzz/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CLANG) $(BASEFLAGS) -O1 -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CLANG) $(BASEFLAGS) -O1 -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_LIB_OBJ) $(LIBS)

fuzz: $(FUZZ_TARGETS)
	@for f in $(FUZZ_TARGETS); do \
	  n=$$(basename $$f); corpus=tests/fuzz/corpus/$${n#fuzz_}; mkdir -p build/fuzz/corpus-$$n; \
	  echo "== $$n for $(FUZZ_TIME)s"; \
	  $$f -max_total_time=$(FUZZ_TIME) -print_final_stats=1 build/fuzz/corpus-$$n $$corpus 2>&1 | \
	    grep -E 'stat::number_of_executed_units|ERROR|SUMMARY|Done' ; \
	  test $${PIPESTATUS[0]} -eq 0 || exit 1; \
	done

install-bin: bin/greenbench
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 bin/greenbench $(DESTDIR)$(PREFIX)/bin/greenbench
	install -m 0644 harness/cli/greenbench.1 $(DESTDIR)$(PREFIX)/share/man/man1/greenbench.1

install: $(INSTALL_TARGETS)

deps:
	devstack/deps.sh

demo:
	devstack/demo.sh

clean:
	rm -rf build bin

SHELL := /bin/bash
.SECONDARY:
.DELETE_ON_ERROR:
