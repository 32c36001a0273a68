#!/bin/bash
# t_wait_calls.t - a wait_calls step end to end with the real greenprof bootstrap: a process
# unit (tests/lib/fake_periodic.py) calls ResourceTracker.update_available_resource on a
# timer with no request id, greenbench waits for N of its seq-N dumps per repeat, stores
# them tied to the run and the repeat (never the unit's start-up call), judges the profile
# SLA, and compare reads them; too few calls in the timeout fail naming file:line:field,
# and the host is restored either way. config's {copy_from: $NOVA_CONF} hands the unit a
# secret value without it reaching the scenario, the output or the store. Loopback only, no root needed.
cd "$(dirname "$0")/../.." || exit 1
GB=${GB:-$PWD/bin/greenbench}
PY=${PYTHON:-/usr/bin/python3}
T=$(mktemp -d /tmp/t_wait_calls.XXXXXX)
export GREENBENCH_DB=$T/results.db GREENPROF_BUILD=${GREENPROF_BUILD:-$PWD/build/profiler}
n=0; fail=0
okay() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=$((fail+1)); fi; }
cleanup() {
	for f in "$T"/run/*.pid; do [ -f "$f" ] && kill -KILL -- "-$(cat "$f")" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
if ! "$PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); import greenprof._greenprof' "$GREENPROF_BUILD" 2>/dev/null; then
	echo "1..0 # SKIP greenprof is not built in $GREENPROF_BUILD (make)"; exit 0
fi
sql() { "$PY" -c 'import sqlite3, sys
for row in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print("|".join(map(str, row)))' "$GREENBENCH_DB" "$1"; }

mkdir -p "$T"/mods/fakenova/compute "$T"/run "$T"/state "$T"/etc
touch "$T"/mods/fakenova/__init__.py "$T"/mods/fakenova/compute/__init__.py
cat > "$T"/mods/fakenova/compute/resource_tracker.py <<'PY'
def _node_usage(i):
    return sum(range(i % 50))


class ResourceTracker:
    def update_available_resource(self, context, nodename, startup=False):
        return [_node_usage(i) for i in range(300)]
PY
printf '[DEFAULT]\nupdate_resources_interval = 0\n' > "$T"/etc/nova-cpu.conf
printf '[DEFAULT]\ndebug = False\n\n[database]\nconnection = mysql+pymysql://nova:T0pS3cret@127.0.0.1/nova\n' > "$T"/etc/nova.conf
printf '[DEFAULT]\ndebug = False\n' > "$T"/etc/nova-nodb.conf
cp "$T"/etc/nova-cpu.conf "$T"/nova-cpu.conf.orig
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$T"/units.yaml <<YAML
version: 1
backend: process
state_dir: $T/run
vars:
  NOVA_CPU_CONF: $T/etc/nova-cpu.conf
  NOVA_CONF: $T/etc/nova.conf
  NODB_CONF: $T/etc/nova-nodb.conf
units:
  n-cpu-1:
    argv: [$PY, '-S', $PWD/tests/lib/fake_periodic.py, '$PORT', $T/mods, '0.05', $T/etc/nova-cpu.conf]
    env: {GB_TEST_TAG: '$T', GREENPROF_BUILD: '$GREENPROF_BUILD'}
    ready: {tcp: '127.0.0.1:$PORT'}
    ready_timeout: 20s
    stop_timeout: 2s
YAML
cat > "$T"/scenario.yaml <<YAML
version: 1
name: periodic_fake
units: {backend: process, file: $T/units.yaml}
config:
  \$NOVA_CPU_CONF:
    DEFAULT: {update_resources_interval: 1}
    database: {connection: {copy_from: \$NOVA_CONF}}
profile:
  - unit: n-cpu-1
    target: fakenova.compute.resource_tracker:ResourceTracker.update_available_resource
restart: [n-cpu-1]
workload:
  - wait_calls: {target: update_available_resource, count: 3, timeout: 30s}
repeat: 2
sla:
  profile.update_available_resource.cumtime.max: {max: 5s}
  profile.update_available_resource.ncalls.max: {max: 1}
YAML
sed -e 's/count: 3, timeout: 30s/count: 500, timeout: 1s/' -e 's/^name: .*/name: periodic_slow/' \
	"$T"/scenario.yaml > "$T"/slow.yaml
sed -e 's/copy_from: \$NOVA_CONF/copy_from: $NODB_CONF/' -e 's/^name: .*/name: periodic_nodb/' \
	"$T"/scenario.yaml > "$T"/nodb.yaml

start_unit() {
	local p=$T/run/n-cpu-1.pid
	if [ -f "$p" ] && kill -0 -- "-$(cat "$p")" 2>/dev/null; then return; fi
	GB_TEST_TAG=$T GREENPROF_BUILD=$GREENPROF_BUILD setsid "$PY" -S tests/lib/fake_periodic.py "$PORT" "$T"/mods 0.05 "$T"/etc/nova-cpu.conf \
		</dev/null >/dev/null 2>&1 &
	echo $! > "$p"; disown
	for _ in $(seq 100); do "$PY" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$PORT" 2>/dev/null && break; sleep 0.1; done
}
restored() {
	local bad=0 pid
	cmp -s "$T"/etc/nova-cpu.conf "$T"/nova-cpu.conf.orig || { echo "# nova-cpu.conf differs"; bad=1; }
	[ ! -e "$T"/state/journal ] || { echo "# journal left"; bad=1; }
	pid=$(cat "$T"/run/n-cpu-1.pid 2>/dev/null || echo 999999)
	kill -0 "$pid" 2>/dev/null || { echo "# n-cpu-1 not running"; bad=1; }
	! grep -qz '^GREENBENCH_PROFILE=' /proc/"$pid"/environ 2>/dev/null || { echo "# n-cpu-1 still profiled"; bad=1; }
	return $bad
}

start_unit
flock "$T"/cloud.lock "$GB" run "$T"/scenario.yaml --state-dir "$T"/state 2> "$T"/err; rc=$?
okay $rc "run: 2 repeats of wait_calls exit 0 (got $rc)"
held=0
for f in /proc/"$(cat "$T"/run/n-cpu-1.pid)"/fd/*; do [ "$(readlink "$f")" = "$T"/cloud.lock ] && held=1; done
okay $held "a unit greenbench (re)started does not inherit the caller's flock fd"
flock -n "$T"/cloud.lock true; okay $? "...so the caller's lock is free once the run ends"
[ $rc = 0 ] || sed 's/^/#   /' "$T"/err | tail -20
grep -q "repeat 1/2: waiting for 3 calls of update_available_resource (at most 30 s)" "$T"/err
okay $? "progress says what the step waits for"
grep -q "repeat 2/2: 3 of 3 calls of update_available_resource profiled in" "$T"/err
okay $? "progress says when the calls were profiled"
sql "SELECT repeat, count(*) FROM profiles GROUP BY repeat ORDER BY repeat" > "$T"/per_repeat
okay $([ "$(tr '\n' ' ' < "$T"/per_repeat)" = "0|3 1|3 " ]; echo $?) "3 profiles stored per repeat (got: $(tr '\n' ' ' < "$T"/per_repeat))"
sql "SELECT DISTINCT target FROM profiles" > "$T"/targets
okay $([ "$(cat "$T"/targets)" = "fakenova.compute.resource_tracker:ResourceTracker.update_available_resource" ]; echo $?) \
	"every profile is of the waited target"
sql "SELECT request_id FROM profiles" > "$T"/rids
okay $(grep -cv '^seq-[0-9][0-9]*$' "$T"/rids) "every stored dump is a sequence-numbered one (no request id)"
okay $(grep -cx 'seq-1' "$T"/rids) "the unit's start-up call (seq-1, before the step began) is not stored"
max0=$(sql "SELECT max(CAST(substr(request_id, 5) AS INTEGER)) FROM profiles WHERE repeat = 0")
min1=$(sql "SELECT min(CAST(substr(request_id, 5) AS INTEGER)) FROM profiles WHERE repeat = 1")
okay $([ -n "$max0" ] && [ -n "$min1" ] && [ "$min1" -gt "$max0" ]; echo $?) \
	"repeat 2 stored only calls after repeat 1's (seq $max0 < $min1)"
grep -q "profile fakenova.compute.resource_tracker:ResourceTracker.update_available_resource: 6 calls profiled" "$T"/err
okay $? "the summary counts 6 profiled calls"
grep -q "sla profile.update_available_resource.cumtime.max *ok" "$T"/err && \
	grep -q "sla profile.update_available_resource.ncalls.max *ok" "$T"/err
okay $? "the profile SLAs are judged on the waited calls"
grep -q "^servers:" "$T"/err; okay $(( $? == 0 )) "no servers line for a scenario that creates none"
restored; okay $? "after the run the host is restored (config, journal, unit unprofiled)"
"$GB" stats last --limit 20 > "$T"/stats 2>&1
grep -q "_node_usage" "$T"/stats; okay $? "stats of the run show the target's callees"

grep -qx "profiled=1 connection = mysql+pymysql://nova:T0pS3cret@127.0.0.1/nova" "$T"/etc/nova-cpu.conf.seen
okay $? "copy_from: the profiled unit started with nova.conf's [database] connection in its config"
okay $(tail -n1 "$T"/etc/nova-cpu.conf.seen | grep -qx "profiled=0 no connection"; echo $?) \
	"...and was restarted without it when the run ended"
okay $(cat "$T"/err "$GREENBENCH_DB" | grep -c T0pS3cret) "the copied secret is in neither the output nor the store"

start_unit
"$GB" run "$T"/scenario.yaml --state-dir "$T"/state 2> "$T"/err2; rc=$?
okay $rc "a second run exits 0"
"$GB" compare last~1 last > "$T"/cmp 2>&1; rc=$?
# two runs of the same code: any answer, but the exit code must be the one the verdict line
# gives (SLOWER 1, INCONCLUSIVE 5, NO CHANGE / FASTER 0); 2-4 are errors
if grep -q "^VERDICT: SLOWER" "$T"/cmp; then want=1
elif grep -q "^VERDICT: INCONCLUSIVE" "$T"/cmp; then want=5
elif grep -q "^VERDICT: " "$T"/cmp; then want=0; else want=none; fi
okay $([ "$rc" = "$want" ]; echo $?) "compare of the two runs gives a verdict and its exit code (exit $rc, verdict wants $want)"
grep -q "update_available_resource" "$T"/cmp; okay $? "compare judges the waited target"
[ "$rc" = "$want" ] || sed 's/^/#   /' "$T"/cmp | head

# ab: the B side's patch makes each call do more work; one sample per block from the waited calls
rm -rf "$T"/mods/fakenova/__pycache__ "$T"/mods/fakenova/compute/__pycache__; echo __pycache__ > "$T"/mods/.gitignore
git -C "$T"/mods init -q && git -C "$T"/mods add . && git -c user.name=t -c user.email=t@example.invalid -C "$T"/mods commit -qm base
printf -- '--- a/fakenova/compute/resource_tracker.py\n+++ b/fakenova/compute/resource_tracker.py\n@@ -5,3 +5,3 @@\n class ResourceTracker:\n     def update_available_resource(self, context, nodename, startup=False):\n-        return [_node_usage(i) for i in range(300)]\n+        return [_node_usage(i) for i in range(30000)]\n' > "$T"/more.diff
git -C "$T"/mods apply --check "$T"/more.diff; okay $? "setup: the B patch applies"
start_unit
"$GB" ab "$T"/scenario.yaml --patch "$T"/more.diff --tree "$T"/mods --repeat 4 --state-dir "$T"/state > "$T"/ab.out 2> "$T"/ab.err; rc=$?
# 4 blocks per side, one sample each, B doing 100x the work: SLOWER, exit 1
okay $([ "$rc" = 1 ]; echo $?) "ab over wait_calls blocks, 4 per side, answers with exit 1 (got $rc)"
[ "$rc" = 1 ] || tail -n3 "$T"/ab.err | sed 's/^/#   /'
sql "SELECT count(*) FROM runs WHERE ab_id IS NOT NULL AND status = 'ok'" > "$T"/abruns
okay $([ "$(cat "$T"/abruns)" = 8 ]; echo $?) "ab stored 4 + 4 runs (got $(cat "$T"/abruns))"
grep -q "^VERDICT: SLOWER (B regressed) - cpu ResourceTracker.update_available_resource" "$T"/ab.out
okay $? "ab's verdict: the B side (100x the work per call) is SLOWER on the waited call's CPU time"
[ $? = 0 ] || head -n 12 "$T"/ab.out | sed 's/^/#   /'
git -C "$T"/mods diff --quiet HEAD; okay $? "ab left the tree unpatched"

start_unit
"$GB" run "$T"/slow.yaml --state-dir "$T"/state 2> "$T"/err3; rc=$?
okay $(( rc != 3 )) "too few calls within the timeout: exit 3 (got $rc)"
wline=$(grep -n -- '- wait_calls:' "$T"/slow.yaml | cut -d: -f1)
grep -q "slow.yaml:$wline: workload\[0\].wait_calls: [0-9]* of 500 calls of fakenova.compute.resource_tracker:ResourceTracker.update_available_resource within 1 s" "$T"/err3
okay $? "the error names the scenario file, line and field"
grep -i "wait_calls" "$T"/err3 | sed "s/^/#   /"
restored; okay $? "after the timeout the host is restored"

start_unit
"$GB" run "$T"/nodb.yaml --state-dir "$T"/state 2> "$T"/err4; rc=$?
okay $(( rc != 2 )) "copy_from a file without that option: exit 2 (got $rc)"
grep -q "nodb.yaml:[0-9]*: config.\$NOVA_CPU_CONF.database.connection: copy_from \$NODB_CONF ($T/etc/nova-nodb.conf): it has no \[database\] connection to copy" "$T"/err4
okay $? "...naming the scenario line, the field and the file"
[ $? = 0 ] || tail -n1 "$T"/err4 | sed 's/^/#   /'
restored; okay $? "...and the host is left as it was"

echo "1..$n"
exit $(( fail > 0 ))
