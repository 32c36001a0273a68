#!/bin/bash
# e2e_request.t - the request step on the real test cloud: run the flavor create/show/delete
# scenario (2 x 20 flavors), check its requests are stored by path template and no flavor
# is left; kill a run with SIGKILL in the middle of its creates and check `greenbench
# restore` deletes every flavor it made, the unanswered ones included. About 30 s.
cd "$(dirname "$0")/../.." || exit 1
GB=$PWD/bin/greenbench
STATE=${GREENBENCH_TESTCLOUD_STATE:-/var/lib/greenbench-testcloud}
T=$(mktemp -d /tmp/e2e_rq.XXXXXX)
trap 'rm -rf "$T"' EXIT
export GREENBENCH_DB=$T/results.db OS_CLIENT_CONFIG_FILE=$STATE/clouds.yaml
RUN=("$GB" run --os-cloud greenbench-test --units "$STATE/units.yaml" --state-dir "$T/state")
. tests/lib/e2e.sh
flavors_left() {
	openstack --os-cloud greenbench-test flavor list -f value -c Name 2>/dev/null | grep -c '^greenbench-'
}

devstack/testcloud.sh up > "$T/up.log" 2>&1; okay $? "the test cloud is up (devstack/testcloud.sh up)"
okay $([ "$(flavors_left)" = 0 ]; echo $?) "no greenbench flavor exists before the run"
"${RUN[@]}" scenarios/flavor_create_delete.yaml > "$T/run.out" 2>&1; rc=$?
okay $rc "scenarios/flavor_create_delete.yaml runs (exit 0)"
[ $rc = 0 ] || tail -20 "$T/run.out" | sed 's/^/#   /'
okay $([ "$(q "select count(*) from requests where method='POST' and path like '%/flavors'")" = 40 ]; echo $?) "40 flavor POSTs stored (no duplicate POST)"
okay $([ "$(q "select count(*) from requests where method='DELETE' and path like '%/flavors/%' and status=202")" = 40 ]; echo $?) "40 flavor DELETEs stored, each 202"
"$GB" show last > "$T/show.out" 2>&1
grep -q 'GET /v2.1/flavors/{id} latency  *40 ' "$T/show.out"; okay $? "show lists GET /v2.1/flavors/{id} with its 40 latencies"
okay $([ "$(flavors_left)" = 0 ]; echo $?) "after the run no greenbench flavor is left"

"${RUN[@]}" scenarios/flavor_create_delete.yaml > "$T/kill.out" 2>&1 &
pid=$!
for _ in $(seq 1 400); do [ "$(grep -c '^resource ' "$T/state/journal" 2>/dev/null || echo 0)" -ge 9 ] && break; sleep 0.05; done
kill -9 $pid; wait $pid 2>/dev/null
left=$(flavors_left)
okay $([ "$left" -gt 0 ]; echo $?) "SIGKILL in the middle of the creates left flavors behind ($left)"
"$GB" restore --state-dir "$T/state" --os-cloud greenbench-test > "$T/restore.out" 2>&1
okay $? "greenbench restore exits 0"
okay $([ "$(flavors_left)" = 0 ]; echo $?) "after the restore no greenbench flavor is left"
[ "$(flavors_left)" = 0 ] || sed 's/^/#   /' "$T/restore.out"
echo "1..$n"
[ $fail = 0 ]
