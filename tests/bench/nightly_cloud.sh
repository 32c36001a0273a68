#!/bin/bash
# nightly_cloud.sh - greenbench nightly on the real test cloud, nights compressed into
# minutes: N quiet nights of scenarios/ab_select_destinations.yaml, then M nights with
# devstack/patches/nova26-select_destinations-slower.patch in the scenario (a
# regression lands in nova). Each night is `greenbench nightly`; prints each night's
# judgement line and exit code, then `greenbench trend` of both series. Expected: the
# quiet nights exit 0 (a noisy point at most), the third night of the new level is the
# regression (exit 1, naming the slowed function), later nights report the known step.
# Needs the test cloud up (devstack/testcloud.sh up).
#
#   tests/bench/nightly_cloud.sh [--quiet N] [--regressed M] [--out DIR]
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
n_quiet=8 n_reg=4 out=
while [ $# -gt 0 ]; do
	case "$1" in
	--quiet) n_quiet=$2; shift 2 ;;
	--regressed) n_reg=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "nightly_cloud: unknown argument '$1'; see the comment at the top" >&2; exit 2 ;;
	esac
done
state=${GREENBENCH_TESTCLOUD_STATE:-/var/lib/greenbench-testcloud}
units=$state/units.yaml
[ -r "$units" ] || { echo "nightly_cloud: $units not found: bring the test cloud up first (devstack/testcloud.sh up)" >&2; exit 2; }
export OS_CLIENT_CONFIG_FILE=${OS_CLIENT_CONFIG_FILE:-$state/clouds.yaml}
[ -n "$out" ] || out=$(mktemp -d /tmp/greenbench-nightly.XXXXXX)
mkdir -p "$out"
gb=$here/bin/greenbench
quiet=$here/scenarios/ab_select_destinations.yaml
# the same scenario (same name, so the same history) with the slower patch in it
regressed=$out/regressed.yaml
sed -e "s|^local_conf: \.\./|local_conf: $here/|" "$quiet" > "$regressed"
printf 'patches:\n  - {path: %s, tree: /usr/lib/python3/dist-packages}\n' \
	"$here/devstack/patches/nova26-select_destinations-slower.patch" >> "$regressed"

night() { # night N SCENARIO
	"$gb" nightly "$2" --cloud greenbench-test --units "$units" --db "$out/results.db" \
		--junit "$out/night-$1.xml" >"$out/night-$1.txt" 2>"$out/night-$1.log"
	local rc=$?
	echo "night $1 ($(basename "$2" .yaml)): exit $rc"
	grep '^nightly ' "$out/night-$1.txt" | sed 's/^/  /'
	grep -A3 'REGRESSION' "$out/night-$1.txt" | grep -v '^nightly ' | sed 's/^/  /' | head -8
}
echo "nightly_cloud: $n_quiet quiet nights, then $n_reg with the slower patch; outputs in $out"
for i in $(seq 1 "$n_quiet"); do night "$i" "$quiet"; done
for i in $(seq $((n_quiet + 1)) $((n_quiet + n_reg))); do night "$i" "$regressed"; done
"$gb" trend ab_select_destinations --db "$out/results.db"
"$gb" trend ab_select_destinations --metric busy --db "$out/results.db"
