#!/bin/bash
# t_run_cli.t - `greenbench run` and `greenbench restore` from the command line
# against a temporary host (config files, a git tree with a patch, process
# units made of test daemons, 3 fake computes, workload: []): a clean run,
# kill -9 at every step then `greenbench restore`, SIGINT mid-run (exit 4),
# a second concurrent run refused. Skips while the scenario loader is not built.
cd "$(dirname "$0")/../.." || exit 1
GB=${GB:-$PWD/bin/greenbench}
DAEMON=$PWD/tests/lib/daemon.sh
T=$(mktemp -d /tmp/t_run_cli.XXXXXX)
export GREENBENCH_DB=$T/results.db
n=0; fail=0
okay() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=$((fail+1)); fi; }
cleanup() {
	for f in "$T"/run/*.pid; do [ -f "$f" ] && kill -KILL -- "-$(cat "$f")" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

mkdir -p "$T"/etc/nova "$T"/src/nova/nova "$T"/run "$T"/log "$T"/state
printf '[DEFAULT]\n# devstack wrote this\ndebug = False\n\n[filter_scheduler]\nenabled_filters = ComputeFilter\n' > "$T"/etc/nova/nova.conf
printf '[DEFAULT]\ncompute_driver = libvirt.LibvirtDriver\n' > "$T"/etc/nova/nova-cpu.conf
printf 'def select_destinations(ctx):\n    return []\n' > "$T"/src/nova/nova/manager.py
printf -- '--- a/nova/manager.py\n+++ b/nova/manager.py\n@@ -1,2 +1,3 @@\n def select_destinations(ctx):\n+    ctx = ctx\n     return []\n' > "$T"/fix.diff
printf '[[local|localrc]]\nVIRT_DRIVER=fake\n\n[[post-config|$NOVA_CONF]]\n[filter_scheduler]\nenabled_filters = ""\n\n[[post-config|$NOVA_CPU_CONF]]\n[DEFAULT]\ncompute_driver = fake.FakeDriver\n' > "$T"/local.conf
git -C "$T"/src/nova init -q && git -C "$T"/src/nova add . && git -c user.name=t -c user.email=t@example.invalid -C "$T"/src/nova commit -qm base
cat > "$T"/units.yaml <<YAML
version: 1
backend: process
state_dir: $T/run
vars:
  NOVA_CONF: $T/etc/nova/nova.conf
  NOVA_CPU_CONF: $T/etc/nova/nova-cpu.conf
units:
  n-sch:
    argv: [$DAEMON, fork-children, '2']
    env: {GB_TEST_TAG: '$T'}
    stop_timeout: 100ms
  n-api:
    argv: [$DAEMON, ignore-term]
    env: {GB_TEST_TAG: '$T'}
    stop_timeout: 100ms
  n-cpu-1:
    argv: [$DAEMON, plain]
    env: {GB_TEST_TAG: '$T'}
fake_compute:
  unit_prefix: n-cpu-
  host_prefix: fake-
  argv: [$DAEMON, plain]
  conf_dir: $T/etc/nova/computes
  log_dir: $T/log
  env: {GB_TEST_TAG: '$T', GB_FAKE: '1'}
  ready: {none: true}
  stop_timeout: 100ms
YAML
cat > "$T"/scenario.yaml <<YAML
version: 1
name: cli_fault
units: {backend: process, file: $T/units.yaml}
local_conf: $T/local.conf
fake_computes: 3
patches:
  - {path: $T/fix.diff, tree: $T/src/nova}
profile:
  - unit: n-sch
    target: nova.scheduler.manager:SchedulerManager.select_destinations
restart: [n-api, n-sch]
workload: []
YAML
# the same scenario for a tree whose loader is a test stand-in
export FS_UNITS=$T/units.yaml FS_LC=$T/local.conf FS_FAKE=3 FS_PATCH=$T/fix.diff FS_TREE=$T/src/nova
(cd "$T" && tar cf "$T"/orig.tar etc src/nova/nova)


# start the host's own units: they must be running, as they were, after every restore
start_host_units() {
	for u in n-sch n-api n-cpu-1; do
		p=$T/run/$u.pid
		if [ -f "$p" ] && kill -0 -- "-$(cat "$p")" 2>/dev/null; then continue; fi
		arg=plain; [ $u = n-sch ] && arg="fork-children 2"; [ $u = n-api ] && arg=ignore-term
		GB_TEST_TAG=$T setsid "$DAEMON" $arg </dev/null >/dev/null 2>&1 &
		echo $! > "$p"; disown
	done
	sleep 0.2
}
# every file back byte for byte, nothing created left, no run process, host units up
host_is_restored() {
	local what=$1 bad=0
	mkdir -p "$T"/check && rm -rf "$T"/check/* && tar xf "$T"/orig.tar -C "$T"/check
	diff -r "$T"/check/etc "$T"/etc >/dev/null || { echo "# $what: etc differs"; diff -r "$T"/check/etc "$T"/etc | sed 's/^/#   /' | head -5; bad=1; }
	cmp -s "$T"/check/src/nova/nova/manager.py "$T"/src/nova/nova/manager.py || { echo "# $what: manager.py differs"; bad=1; }
	[ -z "$(git -C "$T"/src/nova status --porcelain)" ] || { echo "# $what: git tree not clean"; bad=1; }
	[ ! -e "$T"/state/journal ] || { echo "# $what: journal left"; bad=1; }
	# no run's dump directory stays unless kept on purpose (a KEPT note)
	local left
	left=$(find "$T"/state/runs -mindepth 1 -maxdepth 1 -type d ! -exec test -e {}/KEPT \; -print 2>/dev/null)
	[ -z "$left" ] || { echo "# $what: run directories left: $left"; bad=1; }
	local profiled=0 fakes=0
	for e in /proc/[0-9]*/environ; do
		grep -qzx "GB_TEST_TAG=$T" "$e" 2>/dev/null || continue
		grep -qz "^GREENBENCH_PROFILE=" "$e" 2>/dev/null && profiled=$((profiled+1))
		grep -qzx "GB_FAKE=1" "$e" 2>/dev/null && fakes=$((fakes+1))
	done
	[ $profiled = 0 ] && [ $fakes = 0 ] || { echo "# $what: $profiled profiled and $fakes fake-compute processes left"; bad=1; }
	for u in n-sch n-api n-cpu-1; do
		kill -0 -- "-$(cat "$T"/run/$u.pid 2>/dev/null || echo 999999)" 2>/dev/null || { echo "# $what: host unit $u not running"; bad=1; }
	done
	return $bad
}

start_host_units
"$GB" run "$T"/scenario.yaml --state-dir "$T"/state 2> "$T"/err; rc=$?
okay $(( rc != 0 )) "a clean run exits 0"
[ -n "$VERBOSE" ] && sed "s/^/#   /" "$T"/err
grep -q "restarting n-sch... dead in .* s, ready in .* s (profiled)" "$T"/err; okay $? "progress says how long n-sch took to die and to be ready"
grep -q "^steps:" "$T"/err && grep -q "restore" "$T"/err; okay $? "the summary lists step timings including restore"
host_is_restored "clean run"; okay $? "after a clean run the host is as it was"
[ -d "$T"/state/runs ] && [ -z "$(ls -A "$T"/state/runs)" ]; okay $? "a clean run leaves no dump directory under runs/"

start_host_units
"$GB" run "$T"/scenario.yaml --state-dir "$T"/state --keep-dumps 2> "$T"/err; rc=$?
kept=$(ls -d "$T"/state/runs/*/ 2>/dev/null | head -1)
[ $rc = 0 ] && [ -f "$kept/KEPT" ] && grep -q "dumps kept in ${kept%/}/dumps: kept by --keep-dumps" "$T"/err
okay $? "--keep-dumps: the run's directory stays with its KEPT note, and the run says where"
# an earlier greenbench's leftovers: one with a dump the store does not hold, one empty
mkdir -p "$T"/state/runs/20250101T000000Z-1/dumps "$T"/state/runs/20250101T000001Z-2/dumps
echo junk > "$T"/state/runs/20250101T000000Z-1/dumps/m-f__req-00000000-0000-4000-8000-000000000000__1.prof
"$GB" restore --state-dir "$T"/state > "$T"/restore.out 2>&1; rc=$?
[ $rc = 0 ] && [ -f "$T"/state/runs/20250101T000000Z-1/KEPT ] && [ ! -e "$T"/state/runs/20250101T000001Z-2 ] &&
	[ -f "$kept/KEPT" ] && grep -q "kept .*20250101T000000Z-1: left by an earlier greenbench; 1 of its 1 dump is not in the store" "$T"/restore.out
okay $? "restore: an earlier version's dump directory is kept (marked) when the store lacks its dump, removed when empty; --keep-dumps' stays"
[ $rc = 0 ] || sed 's/^/#   /' "$T"/restore.out
rm -rf "$T"/state/runs/*

for point in begin config config:journaled config:applied patches patch:journaled patch:applied \
	     fake-computes fake:journaled fake:started restart restart:journaled restart:env \
	     restart:stopped restart:started workload restore:begin restore:files; do
	start_host_units
	GREENBENCH_DEBUG_STOP_AT=$point "$GB" run "$T"/scenario.yaml --state-dir "$T"/state 2>/dev/null &
	pid=$!
	for _ in $(seq 200); do [ "$(awk '{print $3}' /proc/$pid/stat 2>/dev/null)" = T ] && break; sleep 0.05; done
	stopped=$(awk '{print $3}' /proc/$pid/stat 2>/dev/null)
	kill -KILL $pid; wait $pid 2>/dev/null
	"$GB" restore --state-dir "$T"/state > "$T"/restore.out 2>&1; rc=$?
	host_is_restored "$point"; restored=$?
	okay $(( rc != 0 || restored != 0 )) "kill -9 at $point, greenbench restore: host restored"
	okay $([ "$stopped" = T ]; echo $?) "the run reached $point (it stopped itself there before the kill)"
	[ $rc = 0 ] || sed 's/^/#   /' "$T"/restore.out
done
"$GB" restore --state-dir "$T"/state > "$T"/restore.out 2>&1; rc=$?
grep -q "nothing to restore" "$T"/restore.out; okay $(( rc != 0 || $? != 0 )) "restore with no journal says so and exits 0"

start_host_units
GREENBENCH_DEBUG_STOP_AT=restart:stopped "$GB" run "$T"/scenario.yaml --state-dir "$T"/state 2> "$T"/err &
pid=$!
for _ in $(seq 200); do [ "$(awk '{print $3}' /proc/$pid/stat 2>/dev/null)" = T ] && break; sleep 0.05; done
kill -INT $pid; kill -CONT $pid; wait $pid; rc=$?
okay $(( rc != 4 )) "SIGINT during the run: exit 4 (got $rc)"
host_is_restored "SIGINT"; okay $? "SIGINT during the run: the run restored the host itself"

start_host_units
GREENBENCH_DEBUG_STOP_AT=restart "$GB" run "$T"/scenario.yaml --state-dir "$T"/state 2>/dev/null &
pid=$!
for _ in $(seq 200); do [ "$(awk '{print $3}' /proc/$pid/stat 2>/dev/null)" = T ] && break; sleep 0.05; done
"$GB" run "$T"/scenario.yaml --state-dir "$T"/state 2> "$T"/err; rc=$?
grep -q "another greenbench run (pid $pid)" "$T"/err; okay $(( rc != 3 || $? != 0 )) "a second concurrent run is refused naming the first (exit $rc)"
kill -KILL $pid; wait $pid 2>/dev/null
"$GB" run "$T"/scenario.yaml --state-dir "$T"/state 2> "$T"/err; rc=$?
grep -q "found the journal of run" "$T"/err; okay $(( rc != 0 || $? != 0 )) "the next run restores the killed run first, then runs"
grep -q "removed .*/runs/.*: what a killed run left" "$T"/err; okay $? "the next run removes the killed run's dump directory, saying so"
host_is_restored "next run"; okay $? "...and leaves the host as it was"

"$GB" run "$T"/scenario.yaml --state-dir "$T"/state --var NOVA_CONF=relative 2> "$T"/err; rc=$?
grep -q "expected NAME=/absolute/path" "$T"/err; okay $(( rc != 2 || $? != 0 )) "--var NOVA_CONF=relative is bad input (exit 2)"

for u in n-sch n-api n-cpu-1; do kill -KILL -- "-$(cat "$T"/run/$u.pid)" 2>/dev/null; done
echo "1..$n"
[ $fail -eq 0 ]
