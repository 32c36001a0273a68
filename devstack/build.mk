# devstack/build.mk - the test cloud's hooks into the Makefile: its end-to-end test
# (run by `make e2e`) and convenience targets. Never starts anything from `make check`.
E2E_SCRIPTS := $(sort $(E2E_SCRIPTS) tests/e2e/e2e_testcloud.t)

.PHONY: testcloud-up testcloud-down testcloud-status
testcloud-up:
	devstack/testcloud.sh up
testcloud-down:
	devstack/testcloud.sh down
testcloud-status:
	devstack/testcloud.sh status

# the devstack box (devstack/box.sh): real systemd, devstack's layout. Needs root and the
# mirror on first use (the root file systems are cached under /var/lib/greenbench-box).
BOX_RELEASES ?= bookworm sid
# the seed scenario in the boxes: sid (nova 34) by default; bookworm's (nova 26) still fails
# under load (a server DELETE never processed by its fake compute, calls not profiled), so
# `make box-test BOX_SEED_RELEASES="bookworm sid"` runs it by hand
BOX_SEED_RELEASES ?= sid
.PHONY: box-test box-up box-down box-status
box-test:
	devstack/deps.sh --box
	@# every box is taken down at the end, whichever test failed
	BOX_RELEASES="$(BOX_RELEASES)" BOX_KEEP=1 prove -v tests/e2e/box_up.t; a=$$?; \
	BOX_RELEASES="$(BOX_SEED_RELEASES)" prove -v tests/e2e/box_seed.t; b=$$?; \
	for r in $(BOX_RELEASES); do devstack/box.sh down --release $$r >/dev/null 2>&1; done; \
	[ $$a -eq 0 ] && [ $$b -eq 0 ]
box-up:
	for r in $(BOX_RELEASES); do devstack/box.sh up --release $$r || exit 1; done
box-down:
	devstack/box.sh down
box-status:
	devstack/box.sh status
