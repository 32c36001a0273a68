#!/bin/bash
# t_interrupt.t - Ctrl-C (SIGINT) and SIGTERM for every command that changes the host
# (run, restore, ab, nightly), from the command line, against a temporary host (config
# files, a git tree, process units made of test daemons) and the fake cloud: each
# command stops, restores the host itself and exits 4 (restore finishes its restore
# and exits 0); no server is left in the cloud.
cd "$(dirname "$0")/../.." || exit 1
GB=${GB:-$PWD/bin/greenbench}
DAEMON=$PWD/tests/lib/daemon.sh
T=$(mktemp -d /tmp/t_interrupt.XXXXXX)
export GREENBENCH_DB=$T/results.db
n=0; fail=0
okay() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=$((fail+1)); fi; }
FC_PID=
cleanup() {
	for f in "$T"/run/*.pid; do [ -f "$f" ] && kill -KILL -- "-$(cat "$f")" 2>/dev/null; done
	[ -n "$FC_PID" ] && kill "$FC_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# ---- the fake cloud ----
mkfifo "$T"/fc.in
/usr/bin/python3 tests/fakecloud/fakecloud.py < "$T"/fc.in > "$T"/fc.out 2> "$T"/fc.err &
FC_PID=$!
exec 3> "$T"/fc.in
for _ in $(seq 200); do grep -q '^PORT ' "$T"/fc.out 2>/dev/null && break; sleep 0.05; done
PORT=$(sed -n 's/^PORT //p' "$T"/fc.out)
if [ -z "$PORT" ]; then
	echo "not ok 1 - the fake cloud starts (see below)"; sed 's/^/#   /' "$T"/fc.err; echo "1..1"; exit 1
fi
# the fake cloud's control API: fc METHOD PATH [JSON]
fc() {
	/usr/bin/python3 - "$PORT" "$@" <<'PY'
import sys, urllib.request
port, method, path = sys.argv[1:4]
body = sys.argv[4].encode() if len(sys.argv) > 4 else None
req = urllib.request.Request("http://127.0.0.1:%s/_control/%s" % (port, path), data=body, method=method,
                             headers={"Content-Type": "application/json"})
print(urllib.request.urlopen(req, timeout=10).read().decode())
PY
}
live_servers() { fc GET state | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["servers"]))'; }
server_posts() { fc GET state | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["n_server_posts"])'; }

# ---- the host ----
mkdir -p "$T"/etc/nova "$T"/src/nova/nova "$T"/run "$T"/log "$T"/state
printf '[DEFAULT]\n# devstack wrote this\ndebug = False\n\n[filter_scheduler]\nenabled_filters = ComputeFilter\n' > "$T"/etc/nova/nova.conf
printf 'def select_destinations(ctx):\n    return []\n' > "$T"/src/nova/nova/manager.py
printf -- '--- a/nova/manager.py\n+++ b/nova/manager.py\n@@ -1,2 +1,3 @@\n def select_destinations(ctx):\n+    ctx = ctx\n     return []\n' > "$T"/fix.diff
git -C "$T"/src/nova init -q && git -C "$T"/src/nova add . && git -c user.name=t -c user.email=t@example.invalid -C "$T"/src/nova commit -qm base
cat > "$T"/units.yaml <<YAML
version: 1
backend: process
state_dir: $T/run
vars:
  NOVA_CONF: $T/etc/nova/nova.conf
units:
  n-sch:
    argv: [$DAEMON, fork-children, '2']
    env: {GB_TEST_TAG: '$T'}
    stop_timeout: 100ms
  n-api:
    argv: [$DAEMON, ignore-term]
    env: {GB_TEST_TAG: '$T'}
    stop_timeout: 100ms
YAML
# $1 name, $2 number of servers (0: no workload)
scenario() {
	{
		echo "version: 1"
		echo "name: $1"
		echo "units: {backend: process, file: $T/units.yaml}"
		echo "config:"
		echo "  \$NOVA_CONF:"
		echo "    filter_scheduler: {enabled_filters: \"\"}"
		echo "profile:"
		echo "  - {unit: n-sch, target: 'nova.scheduler.manager:SchedulerManager.select_destinations'}"
		echo "restart: [n-api, n-sch]"
		if [ "$2" = 0 ]; then
			echo "workload: []"
		else
			echo "auth: {auth_url: 'http://127.0.0.1:$PORT/identity/v3', username: admin, password: s3cret-pw, project_name: admin}"
			echo "workload:"
			echo "  - create_servers: {image: cirros, flavor: c1, count: $2, concurrency: $2, timeout: 60s}"
		fi
	} > "$T/$1.yaml"
}
scenario int_host 0
scenario int_cloud 2
scenario int_cloud2 2
(cd "$T" && tar cf "$T"/orig.tar etc src/nova/nova)

start_host_units() {
	for u in n-sch n-api; do
		p=$T/run/$u.pid
		if [ -f "$p" ] && kill -0 -- "-$(cat "$p")" 2>/dev/null; then continue; fi
		arg=plain; [ $u = n-sch ] && arg="fork-children 2"; [ $u = n-api ] && arg=ignore-term
		GB_TEST_TAG=$T setsid "$DAEMON" $arg </dev/null >/dev/null 2>&1 &
		echo $! > "$p"; disown
	done
	sleep 0.2
}
# every file back byte for byte, the tree clean, no journal, nothing profiled, units up
host_is_restored() {
	local what=$1 bad=0
	mkdir -p "$T"/check && rm -rf "$T"/check/* && tar xf "$T"/orig.tar -C "$T"/check
	diff -r "$T"/check/etc "$T"/etc >/dev/null || { echo "# $what: etc differs"; bad=1; }
	cmp -s "$T"/check/src/nova/nova/manager.py "$T"/src/nova/nova/manager.py || { echo "# $what: manager.py differs"; bad=1; }
	[ -z "$(git -C "$T"/src/nova status --porcelain)" ] || { echo "# $what: git tree not clean"; bad=1; }
	[ ! -e "$T"/state/journal ] || { echo "# $what: journal left"; bad=1; }
	local profiled=0
	for e in /proc/[0-9]*/environ; do
		grep -qzx "GB_TEST_TAG=$T" "$e" 2>/dev/null || continue
		grep -qz "^GREENBENCH_PROFILE=" "$e" 2>/dev/null && profiled=$((profiled+1))
	done
	[ $profiled = 0 ] || { echo "# $what: $profiled profiled processes left"; bad=1; }
	for u in n-sch n-api; do
		kill -0 -- "-$(cat "$T"/run/$u.pid 2>/dev/null || echo 999999)" 2>/dev/null || { echo "# $what: host unit $u not running"; bad=1; }
	done
	return $bad
}
state_of() { awk '{print $3}' /proc/"$1"/stat 2>/dev/null; }
# wait until pid has stopped itself at a debug point; 1 if it never did
wait_stopped() {
	for _ in $(seq 400); do [ "$(state_of "$1")" = T ] && return 0; [ -e /proc/"$1" ] || return 1; sleep 0.05; done
	return 1
}
# let pid go on from a debug point and wait until it stops at the next one (or exits)
resume_to_next_stop() {
	kill -CONT "$1"
	for _ in $(seq 100); do [ "$(state_of "$1")" != T ] && break; sleep 0.02; done
	wait_stopped "$1"
}
# wait for pid to exit and give its exit code; a command that stops at a debug point
# again or runs on for 90 s has ignored the signal: it is killed (exit 137)
reap() {
	for _ in $(seq 1800); do
		case "$(state_of "$1")" in ""|Z) break ;; T) kill -KILL "$1"; break ;; esac
		sleep 0.05
	done
	[ -z "$(state_of "$1")" ] || [ "$(state_of "$1")" = Z ] || kill -KILL "$1"
	wait "$1"
}
# $1 signal, $2 pid stopped at a debug point: deliver the signal, let it go on, its exit code
signal_and_reap() {
	kill -"$1" "$2"; kill -CONT "$2"
	for _ in $(seq 100); do [ "$(state_of "$2")" != T ] && break; sleep 0.02; done
	reap "$2"
}
say_err() { sed 's/^/#   /' "$1" | tail -"${2:-8}"; }

# ---- run ----
for sig in INT TERM; do
	start_host_units
	GREENBENCH_DEBUG_STOP_AT=restart:stopped "$GB" run "$T"/int_host.yaml --state-dir "$T"/state 2> "$T"/err &
	pid=$!
	wait_stopped $pid; reached=$?
	signal_and_reap $sig $pid; rc=$?
	okay $(( reached != 0 || rc != 4 )) "run, SIG$sig while a unit is stopped: exit 4 (got $rc)"
	[ $rc = 4 ] || say_err "$T"/err
	host_is_restored "run SIG$sig"; okay $? "run, SIG$sig: the run restored the host itself"
done

# mid-workload: the servers stay in BUILD until the signal; the run deletes them
fc POST config '{"build_time": 30, "delete_time": 0.2}' >/dev/null
for sig in INT TERM; do
	start_host_units
	p0=$(server_posts)
	"$GB" run "$T"/int_cloud.yaml --state-dir "$T"/state 2> "$T"/err &
	pid=$!
	for _ in $(seq 400); do [ "$(server_posts)" -ge $((p0 + 2)) ] && break; sleep 0.05; done
	posted=$(( $(server_posts) - p0 ))
	kill -$sig $pid; reap $pid; rc=$?
	okay $(( posted != 2 || rc != 4 )) "run, SIG$sig during the workload ($posted servers POSTed): exit 4 (got $rc)"
	[ $rc = 4 ] || say_err "$T"/err
	okay $(( $(live_servers) != 0 )) "run, SIG$sig during the workload: no server left in the cloud"
	host_is_restored "run SIG$sig workload"; okay $? "run, SIG$sig during the workload: the host is restored"
done
fc POST config '{"build_time": 0.1, "delete_time": 0.1}' >/dev/null

# ---- restore: a signal does not abandon it ----
for sig in INT TERM; do
	start_host_units
	GREENBENCH_DEBUG_STOP_AT=restart:stopped "$GB" run "$T"/int_host.yaml --state-dir "$T"/state 2>/dev/null &
	pid=$!
	wait_stopped $pid
	kill -KILL $pid; wait $pid 2>/dev/null
	GREENBENCH_DEBUG_STOP_AT=restore:begin "$GB" restore --state-dir "$T"/state > "$T"/out 2> "$T"/err &
	pid=$!
	wait_stopped $pid; reached=$?
	signal_and_reap $sig $pid; rc=$?
	okay $(( reached != 0 || rc != 0 )) "restore, SIG$sig at its start: it finishes and exits 0 (got $rc)"
	[ $rc = 0 ] || say_err "$T"/err
	grep -q "restoring the host; it exits when that is done" "$T"/err
	okay $? "restore, SIG$sig: says it exits when the restore is done"
	host_is_restored "restore SIG$sig"; okay $? "restore, SIG$sig: the host is restored"
done

# ---- ab: block 3 (B, the patched side) interrupted ----
runs_of() { sqlite3 "$GREENBENCH_DB" "SELECT count(*) FROM runs WHERE label LIKE '$1' AND status = 'ok'"; }
for sig in INT TERM; do
	start_host_units
	# order ABBA: the patch is applied in blocks 2 and 3; stop at the second time
	GREENBENCH_DEBUG_STOP_AT=patch:applied "$GB" ab "$T"/int_cloud.yaml --patch "$T"/fix.diff \
		--tree "$T"/src/nova --repeat 2 --state-dir "$T"/state > "$T"/out 2> "$T"/err &
	pid=$!
	wait_stopped $pid && resume_to_next_stop $pid; reached=$?
	signal_and_reap $sig $pid; rc=$?
	okay $(( reached != 0 || rc != 4 )) "ab, SIG$sig in block 3: exit 4 (got $rc)"
	[ $rc = 4 ] || say_err "$T"/err
	ab=$(sed -n 's/^greenbench ab: experiment \([0-9]*\)$/\1/p' "$T"/err)
	a=$(runs_of "ab$ab-A"); b=$(runs_of "ab$ab-B")
	okay $(( a != 1 || b != 1 )) "ab, SIG$sig: the two blocks before it are stored (A $a, B $b)"
	grep -q "block 3 (B) failed: interrupted" "$T"/err; okay $? "ab, SIG$sig: says block 3 was interrupted"
	okay $(( $(live_servers) != 0 )) "ab, SIG$sig: no server left in the cloud"
	host_is_restored "ab SIG$sig"; okay $? "ab, SIG$sig: the host is restored (patch reversed)"
done

# ---- nightly: the first of two scenarios interrupted; the second is not run ----
for sig in INT TERM; do
	start_host_units
	before=$(sqlite3 "$GREENBENCH_DB" "SELECT count(*) FROM runs WHERE scenario = 'int_cloud2'")
	GREENBENCH_DEBUG_STOP_AT=restart:started "$GB" nightly "$T"/int_cloud.yaml "$T"/int_cloud2.yaml \
		--state-dir "$T"/state --junit "$T"/nightly.xml > "$T"/out 2> "$T"/err &
	pid=$!
	wait_stopped $pid; reached=$?
	signal_and_reap $sig $pid; rc=$?
	okay $(( reached != 0 || rc != 4 )) "nightly, SIG$sig during the first run: exit 4 (got $rc)"
	[ $rc = 4 ] || say_err "$T"/err
	after=$(sqlite3 "$GREENBENCH_DB" "SELECT count(*) FROM runs WHERE scenario = 'int_cloud2'")
	okay $(( before != after )) "nightly, SIG$sig: the second scenario is not run"
	okay $(( $(live_servers) != 0 )) "nightly, SIG$sig: no server left in the cloud"
	host_is_restored "nightly SIG$sig"; okay $? "nightly, SIG$sig: the host is restored"
done

for u in n-sch n-api; do kill -KILL -- "-$(cat "$T"/run/$u.pid)" 2>/dev/null; done
echo "1..$n"
[ $fail -eq 0 ]
