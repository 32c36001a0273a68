# tests/mutate/build.mk - `make mutate`: each hand-written mutation of tests/mutate/mutations.txt
# applied to a copy of the tree (build/mutate/), with the test that must then fail; exits
# non-zero when one survives or no longer applies. `make mutate-fast` runs those marked fast
# (CI). MUTATE_ONLY=name[,name] picks some. Needs the ASan build of the tests (made first).
.PHONY: mutate mutate-fast mutate-list
MUTATE_ARGS := $(if $(MUTATE_ONLY),--only $(MUTATE_ONLY))
mutate: all $(C_TESTS)
	$(PYTHON) tests/mutate/mutate.py $(MUTATE_ARGS)
mutate-fast: all $(C_TESTS)
	$(PYTHON) tests/mutate/mutate.py --fast $(MUTATE_ARGS)
mutate-list:
	@$(PYTHON) tests/mutate/mutate.py --list
