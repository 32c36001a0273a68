#!/bin/bash
# e2e_ab.t - a before/after experiment on the real test cloud, as a user runs it:
# `greenbench ab` of devstack/patches/nova26-select_destinations-slower.patch (extra
# work per candidate host in select_destinations) against nova 26 as installed, adaptive
# (the default: looks from 4 blocks per side, every ABBA, up to 20) on 2 fake computes,
# on a busy host: the test starts its own background load (2 CPU-bound processes per
# core, each bounded to 30 min, killed at the end). Checks the mechanics (blocks
# interleaved ABBA, each a stored run linked by its ab id, the patch on B only, the tree
# and configs back byte for byte, no server left) and the verdict: the CPU time of
# select_destinations (greenprof's thread CPU clock of the call, which that load does
# not inflate; the primary metric) is flagged SLOWER (exit 1, never 0 or 5) at a look,
# with the slowed function first where the time went. Then an A/A experiment
# (devstack/patches/nova26-comment-only.patch) under the same load, one look at 4 blocks
# per side (at 5%: the CPU time is the one metric the look spends alpha on): the answer
# must be NO CHANGE (exit 0, the CPU time's whole interval inside +-5%) or INCONCLUSIVE
# (exit 5), never SLOWER or FASTER; both are reachable at 4 vs 4, so is a false alarm
# (at most 5% of A/A experiments, by the design).
# Detection rates over many experiments: tests/bench/verdicts_cloud.sh (a benchmark).
cd "$(dirname "$0")/../.." || exit 1
GB=$PWD/bin/greenbench
STATE=${GREENBENCH_TESTCLOUD_STATE:-/var/lib/greenbench-testcloud}
T=$(mktemp -d /tmp/e2e_ab.XXXXXX)
hogs=()
stop_load() { [ ${#hogs[@]} = 0 ] || { kill "${hogs[@]}" 2>/dev/null; wait "${hogs[@]}" 2>/dev/null; hogs=(); }; }
trap 'stop_load; rm -rf "$T"' EXIT
export GREENBENCH_DB=$T/results.db OS_CLIENT_CONFIG_FILE=$STATE/clouds.yaml
. tests/lib/e2e.sh
tree=/usr/lib/python3/dist-packages
manager=$tree/nova/scheduler/manager.py

devstack/testcloud.sh up > "$T/up.log" 2>&1; okay $? "the test cloud is up (devstack/testcloud.sh up)"
snapshot > "$T/before"
sum_before=$(sha256sum < "$manager")

# the background load: 2 busy processes per core, each ending by itself after 30 minutes
for _ in $(seq $((2 * $(nproc)))); do timeout 1800 sh -c 'while :; do :; done' & hogs+=($!); done
echo "# background load: ${#hogs[@]} CPU-bound processes on $(nproc) cores (pids ${hogs[*]})"
t0=$(date +%s)

"$GB" ab scenarios/ab_select_destinations.yaml --patch devstack/patches/nova26-select_destinations-slower.patch \
	--tree "$tree" --os-cloud greenbench-test --units "$STATE/units.yaml" --state-dir "$T/state" \
	> "$T/ab.out" 2> "$T/ab.err"
rc=$?
echo "# A/B: $(($(date +%s) - t0)) s, load average at the end $(cut -d' ' -f1 /proc/loadavg)"
sed 's/^/# /' "$T/ab.out" | head -30
okay $([ $rc = 1 ]; echo $?) "ab of the slower patch exits 1: B regressed (exit $rc)"
[ $rc = 1 ] || sed 's/^/#   /' "$T/ab.err" | tail -20
grep -q "^greenbench ab: adaptive, 4 to 20 blocks per side, order ABBAABBA" "$T/ab.err"
okay $? "ab says up front how many blocks it may run, and in which order"
grep -Eq "^greenbench ab: look [0-9]+ of 9, [0-9]+ vs [0-9]+ blocks, level .* -> slower, stop$" "$T/ab.err"
okay $? "ab prints each look and stops at the look that calls it slower"
grep "^greenbench ab: \(sequential design\|look\)" "$T/ab.err" | sed 's/^/# /'
grep -Eq "^sequential: SLOWER after look [0-9]+ of 9 " "$T/ab.out"
okay $? "the output says after which look the sequential design decided"
grep -Eq "^VERDICT: SLOWER \(B regressed\) - cpu SchedulerManager.select_destinations: slower" "$T/ab.out"
okay $? "the verdict line names select_destinations' CPU time as slower"
grep -Eq "^cpu SchedulerManager.select_destinations .* slower$" "$T/ab.out"
okay $? "the CPU time of select_destinations is slower, judged first (wall: $(grep -E '^call Sched' "$T/ab.out" | awk '{print $NF}'), busy: $(grep -E '^busy Sched' "$T/ab.out" | awk '{print $NF}'))"
okay $([ "$(q "select count(*) from profiles where cpu_ns is null or wall_ns is null")" = 0 ] &&
	[ "$(q "select count(*) from profiles where cpu_ns > 0 and cpu_ns < wall_ns - wait_ns + 1000000 and mode = 'eventlet'")" = "$(q "select count(*) from profiles")" ]; echo $?) \
	"every stored profile has greenprof's times: 0 < CPU <= wall - wait, mode eventlet"
# the first function row of the report: flagged functions first, else where the time went
first=$(sed -n '/^FUNCTIONS WHOSE OWN TIME MOVED\|^WHERE THE TIME WENT (/{n;/^ *A  *B /{n;p;q}}' "$T/ab.out")
[[ "$first" == *"(_gb_extra_work_per_host)  (only B runs it)" ]]
okay $? "the slowed function is the report's first function, marked 'only B runs it' (${first##* })"
grep -Eq "^ +0 +2  fact +.*\(_gb_extra_work_per_host\)" "$T/ab.out"
okay $? "its calls are a fact: 0 -> 2 per call (once per compute)"

ab=$(q "select max(id) from ab_experiments")
okay $([ "$(q "select block_order from ab_experiments where id=$ab")" = ABBAABBAABBAABBAABBAABBAABBAABBAABBAABBA ]; echo $?) "the experiment is stored with its planned block order (20 pairs at most)"
nruns=$(q "select count(*) from runs where ab_id=$ab and status='ok'")
per=$((nruns / 2))
okay $([ "$nruns" -ge 8 ] && [ "$nruns" -lt 40 ] && [ $((nruns % 4)) = 0 ]; echo $?) "$nruns runs stored (whole ABBAs, stopped before the budget), linked by the ab id, all ok"
okay $([ "$(q "select count(*) from runs r join ab_blocks b on b.run_id=r.id where b.ab_id=$ab and r.label='ab$ab-'||b.side")" = "$nruns" ]; echo $?) "each run is labelled with its side (abID-A / abID-B)"
pa=$(q "select count(*) from patches p join ab_blocks b on b.run_id=p.run_id where b.ab_id=$ab and b.side='A'")
pb=$(q "select count(distinct p.run_id) from patches p join ab_blocks b on b.run_id=p.run_id where b.ab_id=$ab and b.side='B' and p.name like '%slower.patch'")
okay $([ "$pa" = 0 ] && [ "$pb" = "$per" ]; echo $?) "the patch is recorded on the $per B runs and on no A run (A: $pa, B: $pb)"
na=$(q "select count(*) from profile_functions f join ab_blocks b on b.run_id=f.run_id where b.ab_id=$ab and b.side='A' and f.name='_gb_extra_work_per_host'")
nb=$(q "select count(distinct f.run_id) from profile_functions f join ab_blocks b on b.run_id=f.run_id where b.ab_id=$ab and b.side='B' and f.name='_gb_extra_work_per_host'")
okay $([ "$na" = 0 ] && [ "$nb" = "$per" ]; echo $?) "the patched code ran in every B block and in no A block (A: $na, B: $nb)"
"$GB" compare --ab "$ab" --json > "$T/compare.json"; rc=$?
/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
cpu = [m for m in d["metrics"] if m["metric"].startswith("cpu ")][0]
assert d["regression"] and d["mode"] == "per-run", d["mode"]
per = int(sys.argv[2])
assert d["metrics"][0] is cpu, d["metrics"][0]
assert cpu["verdict"] == "slower" and cpu["n_a"] == per and cpu["n_b"] == per, cpu
assert d["inconclusive"] is False and d["verdict"] == "slower", d["verdict"]
' "$T/compare.json" "$per"; json_ok=$?
okay $([ $rc = 1 ] && [ $json_ok = 0 ]; echo $?) "compare --ab prints it again: JSON, per-run samples $per vs $per, CPU time first and slower, exit 1 (exit $rc, JSON checks $json_ok)"

# the run-to-run noise under this load, per side: robust sd (1.4826 x MAD) of log of each
# run's median of the call's wall, busy and CPU time (diagnostics; reports/README.md)
/usr/bin/python3 - "$GREENBENCH_DB" "$ab" <<'PY' | sed 's/^/# /'
import math, sqlite3, statistics as st, sys
db = sqlite3.connect(sys.argv[1])
def rsd(xs):
    ls = [math.log(x) for x in xs if x > 0]
    m = st.median(ls)
    return 1.4826 * st.median([abs(v - m) for v in ls])
for side in "AB":
    runs = [r for (r,) in db.execute("SELECT run_id FROM ab_blocks WHERE ab_id = ? AND side = ?", (sys.argv[2], side))]
    med = {"wall": [], "busy": [], "cpu": []}
    for run in runs:
        pids = [p for (p,) in db.execute("SELECT id FROM profiles WHERE run_id = ?", (run,))]
        q = lambda sql: [v for p in pids for (v,) in db.execute(sql, (p,)) if v]
        med["wall"].append(st.median(q("SELECT max(ct_ns) FROM func_stats s JOIN functions f ON f.id = s.function_id WHERE s.profile_id = ? AND f.name = 'select_destinations'")))
        med["busy"].append(st.median(q("SELECT tt_ns - switch_tt_ns FROM profiles WHERE id = ?")))
        med["cpu"].append(st.median(q("SELECT cpu_ns FROM profiles WHERE id = ?")))
    print("noise %s (%d runs): " % (side, len(runs)) + ", ".join(
        "%s median %.2f ms, robust sd of log %.1f%%" % (k, st.median(v) / 1e6, 100 * rsd(v)) for k, v in med.items()))
PY

okay $([ "$(sha256sum < "$manager")" = "$sum_before" ]; echo $?) "manager.py is byte-identical after the experiment"
snapshot > "$T/after"
cmp -s "$T/before" "$T/after"; okay $? "every config file is byte-identical and the same units run"
[ $? = 0 ] || diff "$T/before" "$T/after" | sed 's/^/#   /'
okay $([ "$(servers_left)" = 0 ]; echo $?) "no server is left"

# ---- A/A: a comment-only patch, one look at 4 blocks per side, under the same load
t0=$(date +%s)
"$GB" ab scenarios/ab_select_destinations.yaml --patch devstack/patches/nova26-comment-only.patch \
	--min-blocks 4 --max-blocks 4 --tree "$tree" --os-cloud greenbench-test --units "$STATE/units.yaml" \
	--state-dir "$T/state" > "$T/aa.out" 2> "$T/aa.err"
rc=$?
stop_load
echo "# A/A: $(($(date +%s) - t0)) s, load average at the end $(cut -d' ' -f1 /proc/loadavg)"
grep "^\(VERDICT\|sequential\|inconclusive\|cpu \|call \|busy \)" "$T/aa.out" | sed 's/^/# /'
okay $([ $rc = 0 ] || [ $rc = 5 ]; echo $?) "A/A at 4 vs 4 blocks exits 0 (no change) or 5 (inconclusive), never 1 (exit $rc)"
[ $rc = 0 ] || [ $rc = 5 ] || sed 's/^/#   /' "$T/aa.err" | tail -10
if [ $rc = 5 ]; then
	grep -q "^VERDICT: INCONCLUSIVE" "$T/aa.out" && grep -q "^inconclusive: --max-blocks reached; " "$T/aa.out"
else
	grep -q "^VERDICT: NO CHANGE (within +-5%) - cpu SchedulerManager.select_destinations: no change" "$T/aa.out"
fi
okay $? "A/A: the verdict reads NO CHANGE on the CPU time or INCONCLUSIVE (with how many more blocks would settle it), never SLOWER or FASTER"
okay $([ "$(sha256sum < "$manager")" = "$sum_before" ]; echo $?) "manager.py is byte-identical after the A/A experiment"
okay $([ "$(servers_left)" = 0 ]; echo $?) "no server is left after the A/A experiment"

echo "1..$n"
[ $fail = 0 ]
