#!/bin/bash
# e2e_update_available_resource.t - seed case 2 on the real test cloud: profile nova-compute's
# periodic ResourceTracker.update_available_resource (a call no request id reaches) with
# scenarios/update_available_resource.yaml, as nova ships it (database through conductor),
# and with the seed's direct-database patch (update_available_resource_direct_db.yaml).
# Checks that each run stores 3 x 3 sequence-numbered dumps of the target (seq-N, one
# pid, later repeats later calls, the unit's start-up call never), that the profiles show
# where the database is reached, that compare reads the two, and that the host (config
# files, nova's source, the units, the run's dump directory) comes back as it was.
# Brings the test cloud up if it is not up.
cd "$(dirname "$0")/../.." || exit 1
GB=$PWD/bin/greenbench
STATE=${GREENBENCH_TESTCLOUD_STATE:-/var/lib/greenbench-testcloud}
T=$(mktemp -d /tmp/e2e_uar.XXXXXX)
trap 'rm -rf "$T"' EXIT
export GREENBENCH_DB=$T/results.db OS_CLIENT_CONFIG_FILE=$STATE/clouds.yaml
RUN=("$GB" run --os-cloud greenbench-test --units "$STATE/units.yaml" --state-dir "$T/state")
TARGET=nova.compute.resource_tracker:ResourceTracker.update_available_resource
COMPUTE_PY=/usr/lib/python3/dist-packages/nova/cmd/compute.py
. tests/lib/e2e.sh

devstack/testcloud.sh up > "$T/up.log" 2>&1; okay $? "the test cloud is up (devstack/testcloud.sh up)"
/usr/bin/python3 -c 'import greenprof' 2>/dev/null; okay $? "greenprof is installed for /usr/bin/python3 (make install-profiler)"
snapshot > "$T/before"
sum_before=$(sha256sum < "$COMPUTE_PY")

# check_run LABEL: what every run of the two scenarios must have stored; sets RUN_ID
check_run() {
	local label=$1 run
	run=$(q "select id from runs where label='$label'")
	okay $([ -n "$run" ]; echo $?) "$label: the run is stored under its label"
	[ -n "$run" ] || run=0
	local np
	np=$(q "select count(*) from profiles where run_id=$run")
	okay $([ "$np" = 9 ]; echo $?) "$label: 9 profiles stored, 3 calls x 3 repeats (got $np)"
	local per
	per=$(q "select group_concat(c) from (select repeat, count(*) c from profiles where run_id=$run group by repeat order by repeat)")
	okay $([ "$per" = "3,3,3" ]; echo $?) "$label: 3 profiles in each repeat (got '$per')"
	okay $([ "$(q "select count(*) from profiles where run_id=$run and target<>'$TARGET'")" = 0 ]; echo $?) \
		"$label: every profile is of $TARGET"
	local bad
	bad=$(q "select count(*) from profiles where run_id=$run and (request_id not glob 'seq-[1-9]*' or substr(request_id, 5) glob '*[^0-9]*')")
	okay $([ "$bad" = 0 ]; echo $?) "$label: every profile is named by a sequence number seq-N, none by a request id ($bad not)"
	okay $([ "$(q "select count(distinct request_id) from profiles where run_id=$run")" = 9 ]; echo $?) \
		"$label: the 9 sequence numbers are distinct (no call stored twice)"
	okay $([ "$(q "select count(distinct pid) from profiles where run_id=$run")" = 1 ]; echo $?) \
		"$label: all 9 calls come from one nova-compute process (restarted once, before the workload)"
	# repeat r+1 waits for later calls than repeat r
	local order
	order=$(q "select count(*) from profiles a join profiles b on a.run_id=b.run_id where a.run_id=$run and a.repeat<b.repeat and cast(substr(a.request_id, 5) as integer)>=cast(substr(b.request_id, 5) as integer)")
	okay $([ "$order" = 0 ]; echo $?) "$label: every call of a later repeat has a higher sequence number ($order pairs out of order)"
	# the start-up call (init_host, before the workload) has the lowest number the unit
	# gave; it must not be among the stored ones: no stored call is seq-1
	okay $([ "$(q "select count(*) from profiles where run_id=$run and request_id='seq-1'")" = 0 ]; echo $?) \
		"$label: the unit's start-up call (seq-1) is not stored"
	local nroot
	nroot=$(q "select count(*) from profile_functions where run_id=$run and name='update_available_resource' and file like '%/nova/compute/resource_tracker.py' and nc=1")
	okay $([ "$nroot" = 9 ]; echo $?) "$label: each profile holds one call of resource_tracker.py's update_available_resource (got $nroot)"
	okay $([ "$(q "select passed from sla where run_id=$run and metric='profile.update_available_resource.cumtime.p95'")" = 1 ]; echo $?) \
		"$label: the SLA profile.update_available_resource.cumtime.p95 is stored and passed"
	okay $([ "$(q "select count(*) from servers where run_id=$run")" = 0 ]; echo $?) "$label: no server is created by a wait_calls run"
	okay $([ -z "$(ls -A "$T/state/runs" 2>/dev/null)" ]; echo $?) \
		"$label: the run's dump directory is removed once its dumps are stored and verified"
	[ -z "$(ls -A "$T/state/runs" 2>/dev/null)" ] || ls -lA "$T/state/runs"/* | sed 's/^/#   /'
	RUN_ID=$run
}

# run_one SCENARIO LABEL: run it, check the host came back
run_one() {
	"${RUN[@]}" "scenarios/$1" --label "$2" > "$T/$2.out" 2> "$T/$2.err"
	local rc=$?
	okay $rc "$2: greenbench run scenarios/$1 exits 0"
	[ $rc = 0 ] || sed 's/^/#   /' "$T/$2.err" | tail -20
	snapshot > "$T/after-$2"
	cmp -s "$T/before" "$T/after-$2"; okay $? "$2: after the run every config file is byte-identical and the same units run"
	[ $? = 0 ] || diff "$T/before" "$T/after-$2" | sed 's/^/#   /'
	okay $([ "$(sha256sum < "$COMPUTE_PY")" = "$sum_before" ]; echo $?) "$2: nova/cmd/compute.py is byte-identical after the run"
}

# ---- as nova ships it: nova-compute reaches the database through conductor ----
run_one update_available_resource.yaml e2e-uar
check_run e2e-uar; r1=$RUN_ID
npm=$(q "select count(*) from profile_functions where run_id=$r1 and file like '%/pymysql/%'")
okay $([ "$npm" = 0 ]; echo $?) "e2e-uar: no pymysql frame in any profile: the compute never touches the database itself (got $npm)"
nsw=$(q "select count(distinct profile_id) from profile_functions where run_id=$r1 and name like '%greenlet switch%' and tottime>0")
okay $([ "$nsw" = 9 ]; echo $?) "e2e-uar: every profile charges time to the greenlet-switch entry (the RPC waits; got $nsw of 9)"

# ---- with the seed's direct-database patch ----
run_one update_available_resource_direct_db.yaml e2e-uar-db
check_run e2e-uar-db; r2=$RUN_ID
npm=$(q "select count(distinct profile_id) from profile_functions where run_id=$r2 and file like '%/pymysql/%'")
okay $([ "$npm" = 9 ]; echo $?) "e2e-uar-db: every profile reads the database through pymysql itself (got $npm of 9)"

# ---- compare reads the two ----
# two scenarios (the patch is the difference), so --force
"$GB" compare e2e-uar e2e-uar-db --force > "$T/compare" 2>&1; rc=$?
if grep -q "^VERDICT: SLOWER (B regressed)" "$T/compare"; then want=1
elif grep -q "^VERDICT: INCONCLUSIVE" "$T/compare"; then want=5
elif grep -q "^VERDICT: " "$T/compare"; then want=0; else want=none; fi
okay $([ "$rc" = "$want" ]; echo $?) "greenbench compare e2e-uar e2e-uar-db --force gives a verdict and the exit code that goes with it (exit $rc, verdict wants $want)"
grep -q "^call ResourceTracker.update_available_resource  *9 .*  9 " "$T/compare"
okay $? "the compare judges ResourceTracker.update_available_resource's calls, 9 samples on each side"
sed 's/^/# /' "$T/compare" | head -14

echo "1..$n"
[ $fail = 0 ]
