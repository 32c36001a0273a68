#!/bin/bash
# devstack/demo.sh - the one-command demo on a fresh Debian 12 machine (as root):
# install what greenbench needs, build it, install the profiler bootstrap into the
# services' interpreter, bring up the test cloud when no cloud is configured, run
# the seed scenario (select_destinations on 5 fake computes) and print the summary
# and the top functions of select_destinations.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
devstack/deps.sh
make -j2 all
make install-profiler
SCENARIO=${1:-scenarios/select_destinations.yaml}
args=()
if [ -z "${OS_CLOUD:-}${OS_AUTH_URL:-}" ]; then
	# no cloud configured: the embedded default, the project's own test cloud
	devstack/testcloud.sh up
	STATE=${GREENBENCH_TESTCLOUD_STATE:-/var/lib/greenbench-testcloud}
	export OS_CLIENT_CONFIG_FILE=$STATE/clouds.yaml
	args=(--os-cloud greenbench-test --units "$STATE/units.yaml")
fi
bin/greenbench run "$SCENARIO" "${args[@]}" --label demo
echo
echo "== top functions of select_destinations (greenbench stats last --sort cumtime)"
bin/greenbench stats last --sort cumtime --limit 25
echo
echo "next: bin/greenbench show last | compare last~1 last | report last --html report.html"
