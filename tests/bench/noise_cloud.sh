#!/bin/bash
# noise_cloud.sh - run-to-run noise of the profiled call's wall, busy and CPU time on the
# real test cloud, quiet and under a background load this script starts (2 CPU-bound
# processes per core, each bounded by `timeout`, killed when its condition ends).
# Per condition: one `greenbench ab` of the comment-only patch (an A/A: both sides run
# the same code), whose 2N runs are the sample; per run the median of each series (what
# compare judges), and the noise is the robust sd of log(run median): 1.4826 x MAD.
# A benchmark, not a test. Needs the test cloud up (devstack/testcloud.sh up).
#
#   tests/bench/noise_cloud.sh [--repeat N] [--conditions "quiet loaded"] [--out DIR]
#
# Prints a markdown table (and the A/A verdicts); keeps every output in DIR.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
repeat=8 conditions="quiet loaded" out=
while [ $# -gt 0 ]; do
	case "$1" in
	--repeat) repeat=$2; shift 2 ;;
	--conditions) conditions=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "noise_cloud: unknown argument '$1'; see the comment at the top" >&2; exit 2 ;;
	esac
done
state=${GREENBENCH_TESTCLOUD_STATE:-/var/lib/greenbench-testcloud}
units=$state/units.yaml
[ -r "$units" ] || { echo "noise_cloud: $units not found: bring the test cloud up first (devstack/testcloud.sh up)" >&2; exit 2; }
export OS_CLIENT_CONFIG_FILE=${OS_CLIENT_CONFIG_FILE:-$state/clouds.yaml}
[ -n "$out" ] || out=$(mktemp -d /tmp/greenbench-noise.XXXXXX)
mkdir -p "$out"
db=$out/results.db
gb=$here/bin/greenbench
hogs=()
stop_load() { [ ${#hogs[@]} = 0 ] || { kill "${hogs[@]}" 2>/dev/null; wait "${hogs[@]}" 2>/dev/null; hogs=(); }; }
trap stop_load EXIT

for cond in $conditions; do
	if [ "$cond" = loaded ]; then
		for _ in $(seq $((2 * $(nproc)))); do timeout 1800 sh -c 'while :; do :; done' & hogs+=($!); done
	fi
	t0=$(date +%s)
	"$gb" ab "$here/scenarios/ab_select_destinations.yaml" --patch "$here/devstack/patches/nova26-comment-only.patch" \
		--tree /usr/lib/python3/dist-packages --repeat "$repeat" --cloud greenbench-test --units "$units" \
		--db "$db" >"$out/$cond.txt" 2>"$out/$cond.log"
	rc=$?
	echo "$cond $(sqlite3 "$db" 'SELECT max(id) FROM ab_experiments') $rc $(( $(date +%s) - t0 )) $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/conditions"
	stop_load
done

/usr/bin/python3 - "$db" "$out/conditions" <<'PY'
import math, sqlite3, statistics, sys
db = sqlite3.connect(sys.argv[1])
def med(xs):
    return statistics.median(xs) if xs else float("nan")
def robust_sd_log(xs):
    ls = [math.log(x) for x in xs if x > 0]
    if len(ls) < 3:
        return float("nan")
    m = statistics.median(ls)
    return 1.4826 * statistics.median([abs(v - m) for v in ls])
print("| condition | load1 at end | runs | metric | median of run medians | robust sd of log(run median) |")
print("|---|---|---|---|---|---|")
for line in open(sys.argv[2]):
    cond, ab, rc, secs, l1, l5, l15 = line.split()
    runs = [r for (r,) in db.execute("SELECT k.run_id FROM ab_blocks k JOIN runs r ON r.id = k.run_id "
                                     "WHERE k.ab_id = ? AND r.status = 'ok' ORDER BY k.position", (ab,))]
    series = {"wall": [], "busy": [], "cpu": []}
    for run in runs:
        pids = [p for (p,) in db.execute("SELECT id FROM profiles WHERE run_id = ?", (run,))]
        wall, busy, cpu = [], [], []
        for p in pids:
            ct = db.execute("SELECT max(ct_ns) FROM func_stats s JOIN functions f ON f.id = s.function_id "
                            "WHERE s.profile_id = ? AND f.name = 'select_destinations'", (p,)).fetchone()[0]
            tt = db.execute("SELECT tt_ns - switch_tt_ns FROM profiles WHERE id = ?", (p,)).fetchone()[0]
            c = db.execute("SELECT cpu_ns FROM profiles WHERE id = ?", (p,)).fetchone()[0]
            if ct: wall.append(ct * 1e-9)
            if tt: busy.append(tt * 1e-9)
            if c is not None: cpu.append(c * 1e-9)
        for k, v in (("wall", wall), ("busy", busy), ("cpu", cpu)):
            if v:
                series[k].append(med(v))
    for k in ("wall", "busy", "cpu"):
        xs = series[k]
        print("| %s (ab %s, exit %s, %s s) | %s | %d | %s | %.2f ms | %.1f%% |"
              % (cond, ab, rc, secs, l1, len(xs), k, 1e3 * med(xs), 100 * robust_sd_log(xs)))
PY
echo "outputs in $out"
