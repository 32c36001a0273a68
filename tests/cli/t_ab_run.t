#!/bin/bash
# t_ab_run.t - the glue end to end: `greenbench run` (run/runner.c) and `greenbench ab`
# (cli/cmd_ab.c run_block -> runner_run) with process units made of test daemons and a
# create_servers workload against tests/fakecloud: what is stored, what the cloud saw,
# that the B blocks ran the patched code and the A blocks did not, and SIGINT in the middle
# of a B block (exit 4, host restored, no server left). Loopback only, no root needed.
cd "$(dirname "$0")/../.." || exit 1
GB=${GB:-$PWD/bin/greenbench}
PY=${PYTHON:-/usr/bin/python3}
DAEMON=$PWD/tests/lib/daemon.sh
T=$(mktemp -d /tmp/t_ab_run.XXXXXX)
export GREENBENCH_DB=$T/results.db
n=0; fail=0
okay() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=$((fail+1)); fi; }
FC_PID=
cleanup() {
	for f in "$T"/run/*.pid; do [ -f "$f" ] && kill -KILL -- "-$(cat "$f")" 2>/dev/null; done
	[ -n "$FC_PID" ] && kill "$FC_PID" 2>/dev/null
	exec 7>&- 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# the fake cloud: it prints "PORT n" once listening and exits when its stdin closes
mkfifo "$T"/fc.in
"$PY" tests/fakecloud/fakecloud.py --password s3cret-pw < "$T"/fc.in > "$T"/fc.out 2> "$T"/fc.err &
FC_PID=$!
exec 7> "$T"/fc.in
PORT=
for _ in $(seq 200); do
	PORT=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$T"/fc.out)
	[ -n "$PORT" ] && break
	kill -0 $FC_PID 2>/dev/null || break
	sleep 0.05
done
if [ -z "$PORT" ]; then
	echo "Bail out! the fake cloud did not start: $(head -c 300 "$T"/fc.err)"
	exit 1
fi
FC=http://127.0.0.1:$PORT
fc_state() { # fc_state KEY: a number from the fake cloud's state (a list: its length)
	"$PY" -c 'import json, sys, urllib.request
v = json.load(urllib.request.urlopen(sys.argv[1] + "/_control/state"))[sys.argv[2]]
print(len(v) if isinstance(v, list) else v)' "$FC" "$1"
}
fc_post() { "$PY" -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + sys.argv[2], data=sys.argv[3].encode(), method="POST"))' "$FC" "$1" "$2"; }
sql() { "$PY" -c 'import sqlite3, sys
for row in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print("|".join(map(str, row)))' "$GREENBENCH_DB" "$1"; }

cat > "$T"/clouds.yaml <<YAML
clouds:
  fake:
    auth:
      auth_url: $FC/identity/v3
      username: admin
      password: s3cret-pw
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    interface: public
YAML
export OS_CLIENT_CONFIG_FILE=$T/clouds.yaml

mkdir -p "$T"/etc/nova "$T"/src/nova/nova "$T"/run "$T"/log "$T"/state "$T"/copies
printf '[DEFAULT]\ndebug = False\n' > "$T"/etc/nova/nova.conf
printf 'def select_destinations(ctx):\n    return []\n' > "$T"/src/nova/nova/manager.py
printf -- '--- a/nova/manager.py\n+++ b/nova/manager.py\n@@ -1,2 +1,3 @@\n def select_destinations(ctx):\n+    ctx = ctx  # patched\n     return []\n' > "$T"/fix.diff
printf '[[post-config|$NOVA_CONF]]\n[DEFAULT]\ndebug = True\n' > "$T"/local.conf
git -C "$T"/src/nova init -q && git -C "$T"/src/nova add . && git -c user.name=t -c user.email=t@example.invalid -C "$T"/src/nova commit -qm base
cat > "$T"/units.yaml <<YAML
version: 1
backend: process
state_dir: $T/run
vars:
  NOVA_CONF: $T/etc/nova/nova.conf
units:
  n-sch:
    argv: [$DAEMON, copy, $T/src/nova/nova/manager.py, $T/copies]
    env: {GB_TEST_TAG: '$T'}
    stop_timeout: 100ms
YAML
cat > "$T"/scenario.yaml <<YAML
version: 1
name: glue_fake
cloud: fake
units: {backend: process, file: $T/units.yaml}
local_conf: $T/local.conf
restart: [n-sch]
workload:
  - create_servers:
      count: 3
      concurrency: 2
      image: cirros
      flavor: c1
      networks: none
      wait: ACTIVE
      timeout: 30s
repeat: 2
sla:
  errors.count: {max: 0}
YAML
(cd "$T" && tar cf "$T"/orig.tar etc src/nova/nova)

start_host_units() {
	p=$T/run/n-sch.pid
	if [ -f "$p" ] && kill -0 -- "-$(cat "$p")" 2>/dev/null; then return; fi
	GB_TEST_TAG=$T setsid "$DAEMON" copy "$T"/src/nova/nova/manager.py "$T"/copies </dev/null >/dev/null 2>&1 &
	echo $! > "$p"; disown
	for _ in $(seq 100); do [ -e "$T/copies/$(cat "$p").copy" ] && break; sleep 0.05; done
	rm -f "$T"/copies/*
}
host_is_restored() {
	local what=$1 bad=0
	rm -rf "$T"/check && mkdir -p "$T"/check && tar xf "$T"/orig.tar -C "$T"/check
	diff -r "$T"/check/etc "$T"/etc >/dev/null || { echo "# $what: etc differs"; bad=1; }
	cmp -s "$T"/check/src/nova/nova/manager.py "$T"/src/nova/nova/manager.py || { echo "# $what: manager.py differs"; bad=1; }
	[ -z "$(git -C "$T"/src/nova status --porcelain)" ] || { echo "# $what: git tree not clean"; bad=1; }
	[ ! -e "$T"/state/journal ] || { echo "# $what: journal left"; bad=1; }
	kill -0 -- "-$(cat "$T"/run/n-sch.pid 2>/dev/null || echo 999999)" 2>/dev/null || { echo "# $what: n-sch not running"; bad=1; }
	return $bad
}
# wait until process $1 is stopped (state T) / running again; 0 when it got there
wait_state() {
	local want=$1 pid=$2 s
	for _ in $(seq 1200); do
		s=$(awk '{print $3}' /proc/$pid/stat 2>/dev/null) || return 1
		if [ "$want" = T ]; then [ "$s" = T ] && return 0; else [ "$s" != T ] && return 0; fi
		sleep 0.05
	done
	return 1
}
patched_copies() { grep -l 'ctx = ctx  # patched' "$T"/copies/* 2>/dev/null | wc -l; }
all_copies() { ls "$T"/copies | wc -l; }

# ---- greenbench run: runner_run with a workload, twice over
fc_post /_control/config '{"build_time": 0.1, "delete_time": 0.05}'
start_host_units
"$GB" run "$T"/scenario.yaml --state-dir "$T"/state 2> "$T"/err; rc=$?
okay $rc "run: 2 repeats of 3 servers against the fake cloud exit 0 (got $rc)"
[ $rc = 0 ] || sed 's/^/#   /' "$T"/err | tail -15
okay $([ "$(sql "SELECT status, repeat_count FROM runs")" = "ok|2" ]; echo $?) "run: one run stored, status ok, 2 repeats"
okay $([ "$(sql "SELECT count(*), count(DISTINCT server_id), sum(final_status = 'ACTIVE') FROM servers")" = "6|6|6" ]; echo $?) \
	"run: 6 servers stored, each with its own id, all ACTIVE"
okay $([ "$(sql "SELECT count(*) FROM requests WHERE method = 'POST' AND path LIKE '%/servers'")" = 6 ]; echo $?) \
	"run: the 6 POST /servers requests are stored"
okay $([ "$(sql "SELECT count(*) FROM sla WHERE passed = 1")" -ge 1 ]; echo $?) "run: the SLA check is stored and passed"
okay $([ "$(fc_state n_server_posts)" = 6 ] && [ "$(fc_state servers)" = 0 ]; echo $?) \
	"run: the cloud made 6 servers and none is left"
okay $([ "$(patched_copies)" = 0 ] && [ "$(all_copies)" -ge 1 ]; echo $?) "run: n-sch was restarted, with the unpatched code"
host_is_restored "run"; okay $? "run: the host is as it was (config, tree, journal, n-sch running)"

# ---- greenbench ab: A B B A, each block a whole runner_run
sed -i 's/^repeat: 2$/repeat: 1/' "$T"/scenario.yaml
sql "DELETE FROM runs" >/dev/null
start_host_units
"$GB" ab "$T"/scenario.yaml --patch "$T"/fix.diff --tree "$T"/src/nova --repeat 2 --json \
	--state-dir "$T"/state > "$T"/ab.json 2> "$T"/err; rc=$?
# 2 blocks per side can never reach significance (best possible p 0.33) nor an interval
# inside +-5%: the one honest answer is INCONCLUSIVE, exit 5, never "no change"
okay $([ $rc = 5 ]; echo $?) "ab: 2 blocks per side (--repeat 2) exit 5, inconclusive (got $rc)"
[ $rc = 5 ] || sed 's/^/#   /' "$T"/err | tail -15
"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["inconclusive"] is True and d["verdict"] == "inconclusive" and not d["regression"], d["verdict"]' "$T"/ab.json
okay $? "ab --json: verdict inconclusive, inconclusive true, no regression"
grep -q "inconclusive: judged once after --repeat blocks" "$T"/err
okay $? "ab says why it is inconclusive"
okay $([ "$(sql "SELECT group_concat(label, ' ') FROM (SELECT label FROM runs ORDER BY id)")" = "ab1-A ab1-B ab1-B ab1-A" ]; echo $?) \
	"ab: four runs stored in the order A B B A with the experiment's labels"
okay $([ "$(sql "SELECT count(*) FROM ab_blocks WHERE ab_id = 1 AND run_id IS NOT NULL")" = 4 ]; echo $?) \
	"ab: each block is recorded with its run"
okay $([ "$(sql "SELECT count(*) FROM runs WHERE ab_id = 1 AND status = 'ok'")" = 4 ]; echo $?) "ab: every block ok"
"$PY" -c 'import json, sys; json.load(open(sys.argv[1]))' "$T"/ab.json; okay $? "ab --json prints JSON"
# each start of n-sch copied the code it ran: the two B starts ran the patch, the rest did not
okay $([ "$(patched_copies)" = 2 ] && [ "$(all_copies)" -ge 4 ]; echo $?) \
	"ab: the B blocks ran the patched code, the A blocks and restores did not ($(patched_copies) of $(all_copies) starts patched)"
okay $([ "$(fc_state n_server_posts)" = 18 ] && [ "$(fc_state servers)" = 0 ]; echo $?) \
	"ab: the cloud made 4 x 3 more servers and none is left"
host_is_restored "ab"; okay $? "ab: the host is as it was after the last block"

# ---- SIGINT in the middle of a B block (stopped at its workload, patch applied)
start_host_units
rm -f "$T"/copies/*
GREENBENCH_DEBUG_STOP_AT=workload "$GB" ab "$T"/scenario.yaml --patch "$T"/fix.diff --tree "$T"/src/nova \
	--repeat 2 --state-dir "$T"/state > "$T"/ab.out 2> "$T"/err &
pid=$!
wait_state T $pid; s1=$?            # block 1 (A) at its workload
kill -CONT $pid; wait_state run $pid
wait_state T $pid; s2=$?            # block 2 (B) at its workload
okay $([ $s1 = 0 ] && [ $s2 = 0 ]; echo $?) "SIGINT: ab reached the workload of its second block (B)"
okay $(grep -q 'ctx = ctx  # patched' "$T"/src/nova/nova/manager.py; echo $?) "SIGINT: the B block had its patch applied"
kill -INT $pid; kill -CONT $pid
# a background job of a script starts with SIGINT ignored: only a handler of its own makes
# ab act on it. If it runs on to the next block's stop point instead, it ignored it.
rc=
for _ in $(seq 1200); do
	kill -0 $pid 2>/dev/null || break
	if [ "$(awk '{print $3}' /proc/$pid/stat 2>/dev/null)" = T ]; then rc=ignored; kill -KILL $pid; break; fi
	sleep 0.05
done
[ -z "$rc" ] && kill -0 $pid 2>/dev/null && { rc=hung; kill -KILL $pid; }
wait $pid; rc2=$?
[ -z "$rc" ] && rc=$rc2
okay $([ "$rc" = 4 ]; echo $?) "SIGINT mid-block: ab exits 4 (got $rc)"
host_is_restored "ab SIGINT"; okay $? "SIGINT mid-block: the block restored the host itself (patch reversed, n-sch back)"
# whatever happened, put the host back for the checks below
"$GB" restore --state-dir "$T"/state > "$T"/restore.out 2>&1
start_host_units
okay $([ "$(fc_state servers)" = 0 ]; echo $?) "SIGINT mid-block: no server left in the cloud"
okay $([ "$(sql "SELECT count(*) FROM runs WHERE ab_id = 2 AND label = 'ab2-A' AND status = 'ok'")" = 1 ]; echo $?) \
	"SIGINT mid-block: the finished A block stays stored"
host_is_restored "after restore"; okay $? "SIGINT mid-block: after greenbench restore the host is as it was"

# ---- adaptive ab: one look at 4 blocks per side, printed, then the answer
start_host_units
"$GB" ab "$T"/scenario.yaml --patch "$T"/fix.diff --tree "$T"/src/nova --min-blocks 4 --max-blocks 4 \
	--state-dir "$T"/state > "$T"/adapt.out 2> "$T"/adapt.err; rc=$?
grep -q "^greenbench ab: adaptive, 4 to 4 blocks per side, order ABBAABBA" "$T"/adapt.err
okay $? "adaptive ab says up front how many blocks it may run, in which order"
grep -q "^greenbench ab: sequential design: Lan-DeMets Pocock-type spending of 0.05 over " "$T"/adapt.err &&
	grep -Eq "^greenbench ab: look 1 of 1, 4 vs 4 blocks, level [0-9.e-]+ per metric: .* -> " "$T"/adapt.err
okay $? "adaptive ab prints its design and where it stands at the look"
[ $? = 0 ] || sed 's/^/#   /' "$T"/adapt.err | grep -v "^#   greenbench ab: block" | tail -8
# the fake service's profiled call (if any) and latencies at 4 vs 4: only a change larger
# than the noise can be called; the patch adds nothing, so slower would be a false alarm
okay $([ $rc = 0 ] || [ $rc = 5 ]; echo $?) "adaptive ab of a no-op patch: exit 0 (no change) or 5 (inconclusive), never 1 (got $rc)"
grep -Eq "^sequential: (NO CHANGE|INCONCLUSIVE) after look 1 of 1 \(4 vs 4 blocks" "$T"/adapt.out
okay $? "adaptive ab says after which look it stopped"
okay $([ "$(sql "SELECT count(*) FROM runs WHERE ab_id = 3 AND status = 'ok'")" = 8 ]; echo $?) "adaptive ab: 8 blocks ran"
host_is_restored "adaptive ab"; okay $? "adaptive ab: the host is as it was"
# ---- --b-scenario: the B side runs another scenario (here: the same workload, another name)
sed 's/^name: glue_fake$/name: glue_fake_b/' "$T"/scenario.yaml > "$T"/scenario_b.yaml
start_host_units
"$GB" ab "$T"/scenario.yaml --b-scenario "$T"/scenario_b.yaml --min-blocks 4 --max-blocks 4 \
	--state-dir "$T"/state > "$T"/bsc.out 2> "$T"/bsc.err; rc=$?
okay $([ $rc = 0 ] || [ $rc = 5 ]; echo $?) "ab --b-scenario: the same workload under another name: exit 0 or 5, never 1 (got $rc)"
[ $rc = 0 ] || [ $rc = 5 ] || sed 's/^/#   /' "$T"/bsc.err | tail -8
okay $([ "$(sql "SELECT group_concat(DISTINCT scenario) FROM runs WHERE ab_id = 4 AND label = 'ab4-A'")" = glue_fake ] &&
	[ "$(sql "SELECT group_concat(DISTINCT scenario) FROM runs WHERE ab_id = 4 AND label = 'ab4-B'")" = glue_fake_b ] &&
	[ "$(sql "SELECT count(*) FROM runs WHERE ab_id = 4 AND status = 'ok'")" = 8 ]; echo $?) \
	"ab --b-scenario: the 4 A runs are the scenario, the 4 B runs the other one, labelled by side"
okay $(sql "SELECT patches FROM ab_experiments WHERE id = 4" | grep -q "^b-scenario:$T/scenario_b.yaml$"; echo $?) \
	"ab --b-scenario: the experiment records the B scenario"
grep -q "note: compared anyway (--force): .*glue_fake_b" "$T"/bsc.out && grep -q "^greenbench ab: B runs scenario glue_fake_b" "$T"/bsc.err
okay $? "ab --b-scenario: says so up front, and the compare notes the two scenarios"
host_is_restored "ab --b-scenario"; okay $? "ab --b-scenario: the host is as it was"
"$GB" ab "$T"/scenario.yaml --max-blocks 4 > /dev/null 2> "$T"/err; rc=$?
okay $([ $rc = 2 ] && grep -q -- "give the B side with --patch FILE, --b-scenario FILE, --b-config SETTING or --b-env NAME=VALUE" "$T"/err; echo $?) "ab without a B side is exit 2"
"$GB" ab "$T"/scenario.yaml --patch "$T"/fix.diff --max-blocks 3 > /dev/null 2> "$T"/err; rc=$?
okay $([ $rc = 2 ] && grep -q -- "--max-blocks must be 4..100" "$T"/err; echo $?) "ab --max-blocks 3 is exit 2"
"$GB" ab "$T"/scenario.yaml --patch "$T"/fix.diff --max-time soon > /dev/null 2> "$T"/err; rc=$?
okay $([ $rc = 2 ] && grep -q -- "--max-time is a duration" "$T"/err; echo $?) "ab --max-time soon is exit 2"

# ---- --b-config and --b-env: the B blocks' config file and profiled unit's environment
# (n-sch here starts as `daemon.sh snap`: each start leaves its environment and nova.conf)
mkdir -p "$T"/snaps
sed -e "s|argv: \[$DAEMON, copy, .*\]|argv: [$DAEMON, snap, $T/snaps, $T/etc/nova/nova.conf]|" "$T"/units.yaml > "$T"/units_snap.yaml
cat >> "$T"/scenario.yaml <<YAML
profile:
  - unit: n-sch
    target: nova.manager:select_destinations
YAML
start_host_units
"$GB" ab "$T"/scenario.yaml --units "$T"/units_snap.yaml --b-config '$NOVA_CONF:scheduler.gb_backend=eventlet:x=1' \
	--b-env GB_B_SIDE=on --repeat 2 --state-dir "$T"/state > "$T"/bside.out 2> "$T"/bside.err; rc=$?
okay $([ $rc = 0 ] || [ $rc = 5 ]; echo $?) "ab --b-config --b-env: 2 blocks per side run, exit 0 or 5 (got $rc)"
[ $rc = 0 ] || [ $rc = 5 ] || sed 's/^/#   /' "$T"/bside.err | tail -8
b_env=$(grep -l '^GB_B_SIDE=on$' "$T"/snaps/*.env 2>/dev/null | wc -l)
b_conf=$(grep -l '^gb_backend = eventlet:x=1$' "$T"/snaps/*.conf 2>/dev/null | wc -l)
both=0
for e in $(grep -l '^GB_B_SIDE=on$' "$T"/snaps/*.env 2>/dev/null); do
	grep -q '^gb_backend = eventlet:x=1$' "${e%.env}.conf" && both=$((both+1))
done
all=$(ls "$T"/snaps/*.env | wc -l)
okay $([ "$b_env" = 2 ] && [ "$b_conf" = 2 ] && [ "$both" = 2 ] && [ "$all" -ge 4 ]; echo $?) \
	"ab --b-config --b-env: the 2 B starts had the variable and the setting, the A starts and restores neither ($b_env env, $b_conf conf, $both both, of $all starts)"
okay $(grep -q '^GB_TEST_TAG=' "$(grep -l '^GB_B_SIDE=on$' "$T"/snaps/*.env | head -1)"; echo $?) \
	"ab --b-env: the unit keeps its own environment beside the B variable"
host_is_restored "ab --b-config --b-env"; okay $? "ab --b-config --b-env: nova.conf and the host are as they were"
ab=$(sql "SELECT max(id) FROM ab_experiments")
okay $([ "$(sql "SELECT patches FROM ab_experiments WHERE id = $ab" | tr '\n' '|')" = 'b-config:$NOVA_CONF:scheduler.gb_backend=eventlet:x=1|b-env:GB_B_SIDE=on|' ]; echo $?) \
	"ab --b-config --b-env: the experiment records what B was"
brun=$(sql "SELECT max(id) FROM runs WHERE label = 'ab$ab-B'")
arun=$(sql "SELECT max(id) FROM runs WHERE label = 'ab$ab-A'")
"$GB" show "$brun" > "$T"/show_b.txt 2>&1; "$GB" show "$arun" > "$T"/show_a.txt 2>&1
grep -q 'patch        config:$NOVA_CONF:scheduler.gb_backend=eventlet:x=1 (sha256 ' "$T"/show_b.txt &&
	grep -q 'patch        env:GB_B_SIDE=on (sha256 ' "$T"/show_b.txt && ! grep -q 'patch ' "$T"/show_a.txt
okay $? "show: a B run lists its config and env changes with its patches, an A run none"
# a kill -9 in the middle of a B block: restore puts nova.conf back
start_host_units
GREENBENCH_DEBUG_STOP_AT=workload "$GB" ab "$T"/scenario.yaml --units "$T"/units_snap.yaml \
	--b-config '$NOVA_CONF:scheduler.gb_backend=eventlet' --repeat 1 --state-dir "$T"/state > /dev/null 2>&1 &
pid=$!
wait_state T $pid; kill -CONT $pid; wait_state run $pid; wait_state T $pid   # block 2 (B) at its workload
grep -q '^gb_backend = eventlet$' "$T"/etc/nova/nova.conf; s1=$?
kill -KILL $pid; wait $pid 2>/dev/null
"$GB" restore --state-dir "$T"/state > "$T"/restore2.out 2>&1; rc=$?
start_host_units
okay $([ $s1 = 0 ] && [ $rc = 0 ]; echo $?) "kill -9 in a --b-config block: the setting was applied, restore exits 0 (got $rc)"
host_is_restored "restore after --b-config"; okay $? "kill -9 in a --b-config block: after greenbench restore nova.conf is as it was"
# bad specs: one line naming the argument and what is wrong, exit 2, nothing run
for bad in '$NOVA_CONF' 'DEFAULT.debug=True' '$NOVA_CONF:debug=True' '$NOVA_CONF:DEFAULT.=x'; do
	"$GB" ab "$T"/scenario.yaml --b-config "$bad" --repeat 1 --state-dir "$T"/state > /dev/null 2> "$T"/err; rc=$?
	okay $([ $rc = 2 ] && grep -qF -- "--b-config '$bad': " "$T"/err && grep -q "expected FILE:SECTION.KEY=VALUE" "$T"/err; echo $?) \
		"ab --b-config '$bad' is exit 2 naming the argument ($(head -1 "$T"/err))"
done
for bad in 'NOVALUE' '1X=2' 'GREENBENCH_PROFILE=out=/tmp'; do
	"$GB" ab "$T"/scenario.yaml --b-env "$bad" --repeat 1 --state-dir "$T"/state > /dev/null 2> "$T"/err; rc=$?
	okay $([ $rc = 2 ] && grep -qF -- "--b-env '$bad': " "$T"/err; echo $?) "ab --b-env '$bad' is exit 2 ($(head -1 "$T"/err))"
done
"$GB" ab "$T"/scenario.yaml --units "$T"/units_snap.yaml --b-config "$T/no/such/x.conf:scheduler.x=1" --repeat 1 \
	--state-dir "$T"/state > /dev/null 2> "$T"/err; rc=$?
okay $( ([ $rc = 2 ] || [ $rc = 3 ]) && grep -qF -- "block 2 (B) failed: --b-config '$T/no/such/x.conf:scheduler.x': $T/no/such/x.conf: its directory" "$T"/err; echo $?) \
	"ab --b-config into a file whose directory is missing: the B block fails naming the option (exit $rc)"
[ $rc = 2 ] || [ $rc = 3 ] || sed 's/^/#   /' "$T"/err | tail -4
start_host_units
host_is_restored "bad --b-config file"; okay $? "a bad --b-config file leaves the host as it was"

kill -KILL -- "-$(cat "$T"/run/n-sch.pid)" 2>/dev/null
echo "1..$n"
[ $fail -eq 0 ]
