#!/bin/bash
# e2e_select_destinations.t - what a user does, on the real test cloud: run the seed
# scenario (5 fake computes, 3 x 10 server creates, n-sch profiled by greenprof) twice,
# check the stored runs, compare them, check the host came back byte for byte; kill a
# run with SIGKILL in the middle of its workload and check `greenbench restore`; run
# the seed's source-patch route once. Brings the test cloud up if it is not up.
cd "$(dirname "$0")/../.." || exit 1
GB=$PWD/bin/greenbench
STATE=${GREENBENCH_TESTCLOUD_STATE:-/var/lib/greenbench-testcloud}
T=$(mktemp -d /tmp/e2e_sd.XXXXXX)
trap 'rm -rf "$T"' EXIT
export GREENBENCH_DB=$T/results.db OS_CLIENT_CONFIG_FILE=$STATE/clouds.yaml
RUN=("$GB" run --os-cloud greenbench-test --units "$STATE/units.yaml" --state-dir "$T/state")
. tests/lib/e2e.sh

# ---- the cloud and the profiler ----
devstack/testcloud.sh up > "$T/up.log" 2>&1; okay $? "the test cloud is up (devstack/testcloud.sh up)"
/usr/bin/python3 -c 'import greenprof' 2>/dev/null; okay $? "greenprof is installed for /usr/bin/python3 (make install-profiler)"
snapshot > "$T/before"
okay $([ "$(servers_left)" = 0 ]; echo $?) "no server exists before the runs"

# ---- run 1 and run 2 of the seed scenario ----
for i in 1 2; do
	"${RUN[@]}" scenarios/select_destinations.yaml --label "e2e-$i" --json > "$T/run$i.json" 2> "$T/run$i.err"
	rc=$?
	okay $rc "run $i of scenarios/select_destinations.yaml exits 0"
	[ $rc = 0 ] || sed 's/^/#   /' "$T/run$i.err" | tail -20
	snapshot > "$T/after$i"
	cmp -s "$T/before" "$T/after$i"; okay $? "after run $i every config file is byte-identical and the same units run"
	[ $? = 0 ] || diff "$T/before" "$T/after$i" | sed 's/^/#   /'
	okay $([ "$(servers_left)" = 0 ]; echo $?) "after run $i no server is left"
done
sed "s/^/# /" "$T/run1.err" | head -40

run=$(q "select id from runs where label='e2e-1'")
okay $([ -n "$run" ]; echo $?) "run 1 is stored under its label"
okay $([ "$(q "select count(*) from servers where run_id=$run")" = 30 ]; echo $?) "run 1 stored 30 servers (10 x 3 repeats)"
okay $([ "$(q "select count(*) from servers where run_id=$run and final_status='ACTIVE'")" = 30 ]; echo $?) "each of them reached ACTIVE"
okay $([ "$(q "select count(*) from requests where run_id=$run and method='POST' and path like '%/servers'")" = 30 ]; echo $?) "30 create POSTs recorded (no duplicate POST)"
np=$(q "select count(*) from profiles where run_id=$run")
okay $([ "$np" = 30 ]; echo $?) "one profile per select_destinations call: 30 (got $np)"
okay $([ "$(q "select count(*) from profiles p where run_id=$run and exists (select 1 from servers s where s.run_id=$run and s.request_id=p.request_id)")" = 30 ]; echo $?) "each profile is tied to the request id of a server create"
"$GB" stats "$run" --limit 5000 > "$T/stats" 2>&1
grep -q "manager.py:[0-9]*(select_destinations)" "$T/stats"; okay $? "stats of run 1 contain select_destinations"
grep -q "(get_host_states_by_uuids)" "$T/stats"; okay $? "stats of run 1 contain get_host_states_by_uuids"
grep -q "{greenlet switch}" "$T/stats"; okay $? "greenprof charged waits to the greenlet-switch entry"
# HostState.update's calls in each profiled call, "min max" over the run's N profiles, read
# from the stored dumps as pstats reads them (func_stats keeps only each profile's top rows)
update_calls() { # RUN N
	local i
	for ((i = 1; i <= $2; i++)); do
		"$GB" export "$1" --format prof --profile "$i" -o "$T/one.prof" 2>/dev/null &&
			/usr/bin/python3 -c 'import pstats, sys
s = pstats.Stats(sys.argv[1]).stats
print(sum(v[1] for k, v in s.items() if k[2] == "update" and k[0].endswith("nova/scheduler/host_manager.py")))' "$T/one.prof"
	done | sort -n | sed -n '1p;$p' | tr '\n' ' ' | sed 's/ $//'
}
# HostState.update runs once per compute per call: 5 fake computes
per=$(update_calls "$run" "$np")
okay $([ "$per" = "5 5" ]; echo $?) "HostState.update is called once per compute per call (5 computes: got '$per')"

# ---- compare the two runs ----
"$GB" compare e2e-1 e2e-2 > "$T/compare" 2>&1; rc=$?
# two runs of one scenario: either verdict can come out, but the exit code must say the
# verdict printed (1 exactly when it says B regressed, 0 otherwise)
if grep -q "^VERDICT: SLOWER (B regressed)" "$T/compare"; then want=1
elif grep -q "^VERDICT: INCONCLUSIVE" "$T/compare"; then want=5
elif grep -q "^VERDICT: " "$T/compare"; then want=0; else want=none; fi
okay $([ "$rc" = "$want" ]; echo $?) "greenbench compare e2e-1 e2e-2 gives a verdict and the exit code that goes with it (exit $rc, verdict wants $want)"
grep -q "select_destinations" "$T/compare"; okay $? "the compare names select_destinations"
sed 's/^/# /' "$T/compare" | head -14

# ---- the scaling check: the same scenario on 2 computes ----
sed -e 's/^fake_computes: .*/fake_computes: 2/' -e 's/count: 10/count: 4/' -e 's/^repeat: .*/repeat: 1/' \
    -e "s|local_conf: ../devstack|local_conf: $PWD/devstack|" scenarios/select_destinations.yaml > "$T/sd2.yaml"
"${RUN[@]}" "$T/sd2.yaml" --label e2e-2computes -q > /dev/null 2> "$T/sd2.err"; rc=$?
okay $rc "the scenario on 2 fake computes runs"
[ $rc = 0 ] || sed 's/^/#   /' "$T/sd2.err" | tail
per=$(update_calls e2e-2computes "$(q "select count(*) from profiles p join runs r on r.id=p.run_id where r.label='e2e-2computes'")")
okay $([ "$per" = "2 2" ]; echo $?) "on 2 computes HostState.update is called twice per call (got '$per')"

# ---- SIGKILL in the middle of the workload, then greenbench restore ----
"${RUN[@]}" scenarios/select_destinations.yaml --label e2e-killed -q > /dev/null 2> "$T/kill.err" &
pid=$!
for _ in $(seq 600); do grep -qE '^server [^ ]+ [0-9a-f-]{36} ' "$T/state/journal" 2>/dev/null && break; sleep 0.1; done
grep -qE '^server [^ ]+ [0-9a-f-]{36} ' "$T/state/journal" 2>/dev/null; okay $? "the killed run had created a server when it was killed"
kill -KILL $pid; wait $pid 2>/dev/null
"$GB" restore --state-dir "$T/state" --os-cloud greenbench-test > "$T/restore.out" 2>&1; rc=$?
okay $rc "greenbench restore after the SIGKILL exits 0"
[ $rc = 0 ] || sed 's/^/#   /' "$T/restore.out"
snapshot > "$T/after-kill"
cmp -s "$T/before" "$T/after-kill"; okay $? "after restore every config file is byte-identical and the same units run"
[ $? = 0 ] || diff "$T/before" "$T/after-kill" | sed 's/^/#   /'
okay $([ "$(servers_left)" = 0 ]; echo $?) "after restore no server is left"
okay $([ -z "$(q "select id from runs where label='e2e-killed'")" ]; echo $?) "the killed run left no half run in the store"

# ---- the seed's way: the same target profiled by a source patch the harness applies ----
out=/var/tmp/greenbench-patch-profiles
rm -rf "$out"
manager=/usr/lib/python3/dist-packages/nova/scheduler/manager.py
sum_before=$(sha256sum < "$manager")
cat > "$T/patch.yaml" <<EOF
version: 1
name: select_destinations_patch_route
patches:
  - {path: $PWD/devstack/patches/nova26-select_destinations-profile.patch, tree: /usr/lib/python3/dist-packages}
restart: [n-sch]
workload:
  - create_servers: {count: 3, concurrency: 1, image: cirros, flavor: c1, networks: none}
EOF
"${RUN[@]}" "$T/patch.yaml" --label e2e-patch -q > /dev/null 2> "$T/patch.err"; rc=$?
okay $rc "the source-patch route runs (patch applied by the harness, n-sch restarted)"
[ $rc = 0 ] || sed 's/^/#   /' "$T/patch.err" | tail
ids=$(q "select request_id from servers s join runs r on r.id=s.run_id where r.label='e2e-patch'")
found=0
for id in $ids; do ls "$out" 2>/dev/null | grep -q "__${id}__" && found=$((found+1)); done
okay $([ "$found" = 3 ] ; echo $?) "the patched scheduler wrote one dump per create, named by its request id ($found of 3)"
f=$(ls "$out"/*.prof 2>/dev/null | head -1)
/usr/bin/python3 -c "import pstats,sys; s=pstats.Stats(sys.argv[1]); sys.exit(0 if any(k[2]=='get_host_states_by_uuids' for k in s.stats) else 1)" "$f" 2>/dev/null
okay $? "a patch-route dump loads in pstats and holds get_host_states_by_uuids"
okay $([ "$(sha256sum < "$manager")" = "$sum_before" ]; echo $?) "manager.py is byte-identical after the run (the patch was reversed)"
rm -rf "$out"

echo "1..$n"
[ $fail = 0 ]
