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
