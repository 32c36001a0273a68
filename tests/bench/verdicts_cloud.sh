#!/bin/bash
# verdicts_cloud.sh - the verdicts' benchmark on the real test cloud (issue "Verdicts
# you can trust"): N A/A experiments (a patch that changes only a comment) must flag
# nothing, N A/B experiments (a patch that makes select_destinations ~10% slower with
# extra work per host) must be flagged every time with the slowed function first.
# A benchmark, not a timed test: each experiment is one adaptive `greenbench ab` (looks
# from 4 blocks per side, up to --max-blocks, 20) or, with --repeat N, N blocks per side.
# Exits: 1 slower, 0 no change, 5 inconclusive (counted and reported: an A/A that ends
# inconclusive is not a false alarm, an A/B that does is a miss). Needs the test cloud
# up (devstack/testcloud.sh up); wrap it in `flock /work/logs/testcloud.lock`.
#
#   tests/bench/verdicts_cloud.sh [--ab N] [--aa N] [--repeat N | --max-blocks N] [--out DIR]
#
# Prints one line per experiment (exit, verdict, blocks per side used, seconds) and the
# rates; keeps every output in DIR.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
n_ab=5 n_aa=5 repeat= max_blocks=20 out=
while [ $# -gt 0 ]; do
	case "$1" in
	--ab) n_ab=$2; shift 2 ;;
	--aa) n_aa=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	--max-blocks) max_blocks=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "verdicts_cloud: unknown argument '$1'; see the comment at the top" >&2; exit 2 ;;
	esac
done
state=${GREENBENCH_TESTCLOUD_STATE:-/var/lib/greenbench-testcloud}
units=$state/units.yaml
[ -r "$units" ] || { echo "verdicts_cloud: $units not found: bring the test cloud up first (devstack/testcloud.sh up)" >&2; exit 2; }
export OS_CLIENT_CONFIG_FILE=${OS_CLIENT_CONFIG_FILE:-$state/clouds.yaml}
[ -n "$out" ] || out=$(mktemp -d /tmp/greenbench-verdicts.XXXXXX)
mkdir -p "$out"
db=$out/results.db
gb=$here/bin/greenbench
scenario=$here/scenarios/ab_select_destinations.yaml
tree=/usr/lib/python3/dist-packages
slow=$here/devstack/patches/nova26-select_destinations-slower.patch
same=$here/devstack/patches/nova26-comment-only.patch
py=/usr/bin/python3

# one experiment: kind (aa|ab), index; prints its line
experiment() {
	local kind=$1 i=$2 patch t0 rc id
	[ "$kind" = ab ] && patch=$slow || patch=$same
	t0=$(date +%s)
	local size=(--max-blocks "$max_blocks")
	[ -n "$repeat" ] && size=(--repeat "$repeat")
	"$gb" ab "$scenario" --patch "$patch" --tree "$tree" "${size[@]}" --cloud greenbench-test \
		--units "$units" --db "$db" >"$out/$kind-$i.txt" 2>"$out/$kind-$i.log"
	rc=$?
	id=$(sqlite3 "$db" 'SELECT max(id) FROM ab_experiments')
	"$gb" compare --ab "$id" --db "$db" --json >"$out/$kind-$i.json" 2>/dev/null
	"$py" - "$out/$kind-$i.json" "$kind" "$i" "$rc" "$(( $(date +%s) - t0 ))" <<'PY'
import json, sys
path, kind, i, rc, secs = sys.argv[1:]
try:
    d = json.load(open(path))
except Exception as e:
    print("%s %s: exit %s, no compare (%s)" % (kind, i, rc, e)); sys.exit()
m = {x["metric"].split(" ")[0]: x for x in d["metrics"] if x["is_target"]}
def fmt(x):
    if not x or x["change"] is None: return "-"
    return "%+.1f%% [%+.1f, %+.1f] %s" % (100 * x["change"], 100 * x["ci_low"], 100 * x["ci_high"], x["verdict"])
rows = d["where_the_time_went"] + d["functions"]
top = rows[0]["name"] if rows else "-"
per = min(len(d["runs_a"]), len(d["runs_b"]))
print("%s %s: exit %s in %s s, %d blocks per side; verdict %s; busy %s; wall %s; first function: %s" % (kind, i, rc, secs, per, d["verdict"], fmt(m.get("busy")), fmt(m.get("call")), top))
PY
}

plan="adaptive, up to $max_blocks blocks per side"
[ -n "$repeat" ] && plan="$repeat blocks per side each"
echo "verdicts_cloud: $n_aa A/A and $n_ab A/B experiments, $plan; outputs in $out"
for i in $(seq 1 "$n_ab"); do experiment ab "$i"; done | tee "$out/ab.lines"
for i in $(seq 1 "$n_aa"); do experiment aa "$i"; done | tee "$out/aa.lines"
ab_flag=$(grep -c ': exit 1 ' "$out/ab.lines")
ab_top=$(grep ': exit 1 ' "$out/ab.lines" | grep -c 'first function: .*_gb_extra_work_per_host')
ab_open=$(grep -c ': exit 5 ' "$out/ab.lines")
aa_flag=$(grep -c ': exit 1 ' "$out/aa.lines")
aa_open=$(grep -c ': exit 5 ' "$out/aa.lines")
aa_same=$(grep -c ': exit 0 ' "$out/aa.lines")
errors=$(cat "$out/ab.lines" "$out/aa.lines" | grep -vc ': exit [015] ')
blocks() { sed -n 's/.*, \([0-9]*\) blocks per side;.*/\1/p' "$1" | awk '{s+=$1; n++} END {if (n) printf "%.1f", s/n; else print "-"}'; }
echo "A/B (slower patch): flagged $ab_flag of $n_ab (inconclusive $ab_open), the slowed function first in $ab_top of them; $(blocks "$out/ab.lines") blocks per side on average"
echo "A/A (comment-only patch): flagged $aa_flag of $n_aa, no change $aa_same, inconclusive $aa_open; $(blocks "$out/aa.lines") blocks per side on average"
echo "experiments that could not run: $errors"
[ "$ab_flag" -eq "$n_ab" ] && [ "$ab_top" -eq "$n_ab" ] && [ "$aa_flag" -eq 0 ] && [ "$errors" -eq 0 ]
