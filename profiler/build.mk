# profiler/build.mk - builds, tests, benchmarks and installs the greenprof extension.
# Included by the top Makefile; appends to ALL_TARGETS, CHECK_SCRIPTS, BENCH_TARGETS,
# INSTALL_TARGETS. Never installs anything outside $(DESTDIR)$(PYTHON_SITE).

# This fragment is included before the top Makefile's `all:` rule; keep `all` the goal
# of a bare `make` (otherwise the first rule below would become the default).
.DEFAULT_GOAL := all

PROF_PYINC  := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])' 2>/dev/null)
PROF_EXTSUF := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))' 2>/dev/null)
PROF_PYVER  := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("py_version_short"))' 2>/dev/null)
# site directory whose .pth files the interpreter honours (Debian: /usr/local/lib/python3.X/dist-packages)
PYTHON_SITE ?= $(PREFIX)/lib/python$(PROF_PYVER)/dist-packages

PROF_SRC    := profiler/src/gp_core.c profiler/src/greenprof.c
PROF_HDR    := profiler/src/gp.h
PROF_PY     := $(sort $(wildcard profiler/greenprof/*.py))
PROF_DIR    := build/profiler/greenprof
PROF_EXT    := $(PROF_DIR)/_greenprof$(PROF_EXTSUF)
PROF_PYOUT  := $(patsubst profiler/greenprof/%,$(PROF_DIR)/%,$(PROF_PY))
PROF_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) -g -fPIC \
               -fvisibility=hidden -I$(PROF_PYINC) -Iprofiler/src
PROF_OPT    ?= -O2

ALL_TARGETS     += $(PROF_EXT) $(PROF_PYOUT)
CHECK_SCRIPTS   += $(sort $(wildcard tests/profiler/t_*.py))
BENCH_TARGETS   += bench-profiler
INSTALL_TARGETS += install-profiler

$(PROF_EXT): $(PROF_SRC) $(PROF_HDR) profiler/build.mk
	@mkdir -p $(dir $@)
	$(CC) $(PROF_CFLAGS) $(PROF_OPT) -shared -o $@ $(PROF_SRC)

$(PROF_DIR)/%.py: profiler/greenprof/%.py
	@mkdir -p $(dir $@)
	cp $< $@

.PHONY: bench-profiler install-profiler check-profiler check-profiler-valgrind check-profiler-asan \
        check-profiler-matrix

# tests/profiler on Python 3.13 (trixie) and 3.14 (sid) in cached root file systems
# (profiler/matrix.sh build RELEASE makes them; as root this target builds any that are
# missing, 3-4 min each the first time); a release without one is a TAP SKIP.
# `make check` runs it after the unit tests; GREENPROF_NO_MATRIX=1 leaves it out.
check-profiler-matrix:
	@if [ "$$(id -u)" = 0 ]; then for r in trixie sid; do profiler/matrix.sh build $$r || exit 1; done; fi
	prove -f -e bash profiler/matrix.sh :: check
ifeq ($(GREENPROF_NO_MATRIX),)
check: check-profiler-matrix
endif

check-profiler: $(PROF_EXT) $(PROF_PYOUT)
	prove -f -e tests/lib/exec $(sort $(wildcard tests/profiler/t_*.py))

# The extension tests under valgrind (no pymalloc so every block is seen). Definite
# leaks and invalid accesses fail; CPython's own still-reachable blocks are ignored.
PROF_VG := valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
           --show-leak-kinds=definite --suppressions=profiler/valgrind-python.supp
check-profiler-valgrind: $(PROF_EXT) $(PROF_PYOUT)
	@for t in $(sort $(wildcard tests/profiler/t_*.py)); do \
	  echo "== valgrind $$t"; \
	  GREENPROF_TEST_SLOW=1 PYTHONMALLOC=malloc $(PROF_VG) $(PYTHON) $$t > build/profiler/vg.out 2>&1; rc=$$?; \
	  grep -E '^(not ok|# )' build/profiler/vg.out; grep -E '^==[0-9]+==' build/profiler/vg.out | head -40; \
	  test $$rc -eq 0 || { echo "valgrind: $$t failed (rc=$$rc)"; exit 1; }; \
	done; echo "valgrind: all profiler tests clean"

# The extension built with ASan+UBSan, the tests run with libasan preloaded into python.
# Leak detection is off: CPython does not free everything at exit (valgrind covers leaks).
PROF_ASAN_DIR := build/profiler-asan/greenprof
PROF_ASAN_EXT := $(PROF_ASAN_DIR)/_greenprof$(PROF_EXTSUF)
$(PROF_ASAN_EXT): $(PROF_SRC) $(PROF_HDR) profiler/build.mk
	@mkdir -p $(dir $@)
	$(CC) $(PROF_CFLAGS) -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	  -shared -o $@ $(PROF_SRC)
check-profiler-asan: $(PROF_ASAN_EXT) $(PROF_PYOUT)
	cp $(PROF_PYOUT) $(PROF_ASAN_DIR)/
	GREENPROF_BUILD=$(abspath build/profiler-asan) PYTHONMALLOC=malloc \
	  LD_PRELOAD="$$($(CC) -print-file-name=libasan.so) $$($(CC) -print-file-name=libubsan.so)" \
	  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  prove -f -e tests/lib/exec $(sort $(wildcard tests/profiler/t_*.py))

bench-profiler: $(PROF_EXT) $(PROF_PYOUT)
	$(PYTHON) profiler/bench/bench.py

install-profiler: $(PROF_EXT) $(PROF_PYOUT)
	install -d $(DESTDIR)$(PYTHON_SITE)/greenprof
	install -m 0644 $(PROF_PYOUT) $(DESTDIR)$(PYTHON_SITE)/greenprof/
	install -m 0755 $(PROF_EXT) $(DESTDIR)$(PYTHON_SITE)/greenprof/
	install -m 0644 profiler/greenbench-profile.pth $(DESTDIR)$(PYTHON_SITE)/greenbench-profile.pth
	$(PYTHON) -m compileall -q -d $(PYTHON_SITE)/greenprof $(DESTDIR)$(PYTHON_SITE)/greenprof
