#!/bin/bash
# e2e_testcloud.t - the real test cloud: brings it up if it is not, then proves every
# service ready, a server create reaching ACTIVE (and deleted), the units file and
# clouds.yaml sound, loopback-only listeners, idempotent `up`, a group stop/start, and the
# profile patch route end to end (applied to Debian's nova, then reversed byte for byte).
# Leaves the cloud up. Needs root and Debian 12 (installs packages on first use).
cd "$(dirname "$0")/../.." || exit 1
TC=devstack/testcloud.sh
STATE=${GREENBENCH_TESTCLOUD_STATE:-/var/lib/greenbench-testcloud}
PY=/usr/bin/python3
n=0; fail=0
pass() { n=$((n+1)); echo "ok $n - $1"; }
flunk() { n=$((n+1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; fail=$((fail+1)); }
check() { local desc=$1; shift; if "$@"; then pass "$desc"; else flunk "$desc" "command: $*"; fi; }

if [ "$(id -u)" -ne 0 ]; then echo "1..0 # SKIP the test cloud needs root"; exit 0; fi

# 1. up (only if something is missing: status exits 0 when every unit is ready)
if ! $TC status --state "$STATE" >/dev/null 2>&1; then
	echo "# bringing the test cloud up (first time: ~1.5 min of apt, then ~1 min)"
	if $TC up --state "$STATE" >/tmp/e2e_testcloud.up.log 2>&1; then
		pass "testcloud.sh up brought the cloud up"
	else
		flunk "testcloud.sh up brought the cloud up" "$(tail -5 /tmp/e2e_testcloud.up.log)"
		echo "1..$n"; exit 1
	fi
fi
export OS_CLIENT_CONFIG_FILE=$STATE/clouds.yaml OS_CLOUD=greenbench-test

# 2. every unit, infrastructure included, proven ready by its own probe
status=$($TC status --state "$STATE" 2>&1)
for u in mysql epmd rabbit key placement-api g-api q-svc n-api n-cond n-sch n-cpu-1 n-cpu-2; do
	line=$(grep "^$u " <<<"$status")
	if [[ $line == *" ready "* ]]; then pass "$u proven ready ($(sed 's/.*MB  {//; s/}$//' <<<"$line"))"
	else flunk "$u proven ready" "status: ${line:-missing}"; fi
done

# 3. the units file: version 1, devstack's unit names, readable by greenbench's contract
units_check=$($PY - "$STATE/units.yaml" <<'EOF'
import os, sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
errs = []
def need(cond, what):
    if not cond: errs.append(what)
need(d.get("version") == 1, "version is 1")
need(d.get("backend") == "process", "backend is process")
need(os.path.isdir(d.get("state_dir", "")), "state_dir exists")
need(os.access(d.get("rabbitmqctl", ""), os.X_OK), "rabbitmqctl is executable")
for v in ("NOVA_CONF", "NOVA_CPU_CONF", "PLACEMENT_CONF", "KEYSTONE_CONF", "GLANCE_API_CONF", "NEUTRON_CONF"):
    need(os.path.isfile(d["vars"].get(v, "")), "vars.%s names a file" % v)
for name in ("key", "placement-api", "g-api", "q-svc", "n-api", "n-cond", "n-sch", "n-cpu-1"):
    u = d["units"].get(name)
    need(u is not None, "unit %s" % name)
    if u:
        need(isinstance(u["argv"], list) and u["argv"][0].startswith("/"), "%s argv absolute" % name)
        need(isinstance(u["env"], dict) and all(isinstance(x, str) for x in u["env"].values()),
             "%s env is a plain mapping of strings" % name)
        need(set(u["ready"]) <= {"tcp", "http", "rpc", "none"}, "%s ready kind" % name)
        need(u["ready_timeout"].endswith("s") and u["stop_timeout"].endswith("s"), "%s timeouts" % name)
        need(os.path.isfile(u["log"]), "%s log exists" % name)
for name in ("n-api", "n-cond", "n-sch", "n-cpu-1"):
    need(d["units"][name]["argv"][0] == "/usr/bin/python3", "%s runs under /usr/bin/python3" % name)
fc = d.get("fake_compute", {})
for k in ("unit_prefix", "host_prefix", "argv", "conf_dir", "env", "cwd", "log_dir", "ready", "ready_timeout", "stop_timeout"):
    need(k in fc, "fake_compute.%s" % k)
need(fc.get("ready") == {"rpc": "compute.{host}"}, "fake_compute.ready is rpc compute.{host}")
need(os.path.isdir(fc.get("conf_dir", "")), "fake_compute.conf_dir exists")
print("; ".join(errs))
EOF
)
if [ -z "$units_check" ]; then pass "units.yaml is a sound version 1 units file"; else flunk "units.yaml is a sound version 1 units file" "$units_check"; fi

# 4. every pid file names a session leader (the process-backend convention)
bad=
for f in "$STATE"/run/*.pid; do
	p=$(cat "$f"); s=$(awk '{ sub(/.*\) /, ""); print $4 }' "/proc/$p/stat" 2>/dev/null)
	[ "$s" = "$p" ] || bad+=" $(basename "$f")"
done
if [ -z "$bad" ]; then pass "each pid file names the leader of its own session"; else flunk "each pid file names the leader of its own session" "not leaders:$bad"; fi

# 5. secrets and clouds.yaml: present, 0600, clouds.yaml parses with the entry we need
check "secrets file is mode 0600" test "$(stat -c %a "$STATE/secrets")" = 600
check "clouds.yaml is mode 0600" test "$(stat -c %a "$STATE/clouds.yaml")" = 600
check "clouds.yaml parses and has greenbench-test (admin, RegionOne)" $PY -c '
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))["clouds"]["greenbench-test"]
assert c["auth"]["username"] == "admin" and c["auth"]["project_name"] == "admin"
assert c["region_name"] == "RegionOne" and c["auth"]["auth_url"].startswith("http://127.0.0.1:")
' "$STATE/clouds.yaml"

# 6. nothing of the cloud listens beyond loopback (127.0.0.1; epmd adds [::1] by itself)
pids=" $(for f in "$STATE"/run/*.pid; do p=$(cat "$f"); awk -v l="$p" '{ sub(/.*\) /, ""); if ($3 == l || $4 == l) print FILENAME }' /proc/[0-9]*/stat 2>/dev/null; done | sed 's|/proc/||; s|/stat||' | tr '\n' ' ')"
wide=$(ss -H -ltnp | while read -r _ _ _ local _ procs; do
	for p in $(grep -o 'pid=[0-9]*' <<<"$procs" | cut -d= -f2); do
		# epmd always adds the loopback addresses, [::1] among them: loopback too
		[[ $pids == *" $p "* ]] && [[ $local != 127.0.0.1:* && $local != "[::1]:"* ]] && echo "$local(pid $p)"
	done; done | sort -u | tr '\n' ' ')
if [ -z "$wide" ]; then pass "every listening socket of the cloud is on 127.0.0.1"; else flunk "every listening socket of the cloud is on 127.0.0.1" "wide: $wide"; fi

# 7. the admin password is in no log
pw=$(sed -n 's/^ADMIN_PASSWORD=//p' "$STATE/secrets")
if [ -n "$pw" ] && ! grep -rqF -- "$pw" "$STATE/log" /var/log/greenbench-testcloud-apt.log 2>/dev/null; then
	pass "the admin password appears in no log"
else flunk "the admin password appears in no log"; fi

# 8. a server create through the openstack CLI reaches ACTIVE on a fake host, then is deleted
name=e2e-testcloud-$$
out=$(openstack --os-compute-api-version 2.37 server create --image cirros --flavor c1 --nic none \
	--wait -f value -c status -c OS-EXT-SRV-ATTR:host "$name" 2>&1)
if [[ $out == *ACTIVE* && $out == *fake-* ]]; then pass "server create reached ACTIVE on a fake compute ($(tr '\n' ' ' <<<"$out"))"
else flunk "server create reached ACTIVE on a fake compute" "$out"; fi
out=$(openstack server delete --wait "$name" 2>&1 && openstack server list -f value -c Name 2>&1)
if [[ $out != *"$name"* ]] && [[ $out != *rror* ]]; then pass "the server was deleted"
else flunk "the server was deleted" "$out"; fi

# 9. up again is idempotent: every running unit left alone (same pids), still ready
before=$(cat "$STATE"/run/*.pid | sort | tr '\n' ' ')
if $TC up --state "$STATE" >/tmp/e2e_testcloud.up2.log 2>&1; then pass "a second up succeeds"
else flunk "a second up succeeds" "$(tail -3 /tmp/e2e_testcloud.up2.log)"; fi
after=$(cat "$STATE"/run/*.pid | sort | tr '\n' ' ')
check "a second up leaves every running unit alone (same pids)" test "$before" = "$after"

# 10. stopping n-sch kills its whole group (parent and forked workers); it comes back ready
T="$PY devstack/testcloud/tc.py"
old=$(cat "$STATE/run/n-sch.pid")
$T stop "$STATE/units.yaml" n-sch 2>/dev/null
left=$(awk -v l="$old" '{ sub(/.*\) /, ""); if (($3 == l || $4 == l) && $1 != "Z") print FILENAME }' /proc/[0-9]*/stat 2>/dev/null)
check "stopping n-sch leaves no process of its group" test -z "$left"
check "n-sch pid file removed after stop" test ! -e "$STATE/run/n-sch.pid"
$T start "$STATE/units.yaml" n-sch 2>/dev/null
check "n-sch started again and proven ready on the scheduler queue" $T wait "$STATE/units.yaml" n-sch

# 11. the source-patch route: nova26-select_destinations-profile.patch on Debian's nova,
#     n-sch restarted with GREENBENCH_PATCH_PROFILE_OUT, one create with our request id
#     -> one dump named for it; then the patch is reversed and n-sch restarted as it was.
D=/usr/lib/python3/dist-packages
MGR=$D/nova/scheduler/manager.py
PATCH=devstack/patches/nova26-select_destinations-profile.patch
sum0=$(sha256sum "$MGR" | cut -d' ' -f1)
work=$(mktemp -d)
restore() {
	patch -R -s -p1 --no-backup-if-mismatch -d "$D" <"$PATCH" >/dev/null 2>&1
	$T stop "$work/units.yaml" n-sch 2>/dev/null
	$T start "$STATE/units.yaml" n-sch 2>/dev/null
	$T wait "$STATE/units.yaml" n-sch 2>/dev/null
}
if patch -s -p1 --no-backup-if-mismatch -d "$D" <"$PATCH"; then
	trap 'restore; rm -rf "$work"' EXIT
	pass "the profile patch applies to Debian's nova with patch -p1 -d $D"
	$PY - "$STATE/units.yaml" "$work/units.yaml" "$work/out" <<'EOF'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
d["units"]["n-sch"]["env"]["GREENBENCH_PATCH_PROFILE_OUT"] = sys.argv[3]
yaml.safe_dump(d, open(sys.argv[2], "w"))
EOF
	$T stop "$STATE/units.yaml" n-sch 2>/dev/null
	$T start "$work/units.yaml" n-sch 2>/dev/null
	check "n-sch restarted with GREENBENCH_PATCH_PROFILE_OUT and ready" $T wait "$work/units.yaml" n-sch
	rid=req-$(cat /proc/sys/kernel/random/uuid)
	tok=$(openstack token issue -f value -c id)
	img=$(openstack image show cirros -f value -c id); fl=$(openstack flavor show c1 -f value -c id)
	sid=$(curl -s -X POST http://127.0.0.1:8774/v2.1/servers -H "X-Auth-Token: $tok" \
		-H 'OpenStack-API-Version: compute 2.37' -H "X-OpenStack-Request-ID: $rid" \
		-H 'Content-Type: application/json' \
		-d "{\"server\": {\"name\": \"e2e-prof-$$\", \"imageRef\": \"$img\", \"flavorRef\": \"$fl\", \"networks\": \"none\"}}" |
		$PY -c 'import json, sys; print(json.load(sys.stdin)["server"]["id"])')
	for _ in $(seq 1 60); do
		ls "$work/out"/*"__${rid}__"*.prof >/dev/null 2>&1 && break; sleep 0.5
	done
	dump=$(ls "$work/out"/nova.scheduler.manager-SchedulerManager.select_destinations__"$rid"__[0-9]*.prof 2>/dev/null)
	check "one dump named <target>__${rid}__<pid>.prof" test "$(wc -w <<<"$dump")" = 1
	check "the dump loads in pstats and holds select_destinations" $PY -c '
import pstats, sys
s = pstats.Stats(sys.argv[1])
assert any(k[2] == "select_destinations" and k[0].endswith("scheduler/manager.py") for k in s.stats)
' "$dump"
	check "the dump dir is mode 0700" test "$(stat -c %a "$work/out")" = 700
	[ -n "$sid" ] && curl -s -o /dev/null -X DELETE "http://127.0.0.1:8774/v2.1/servers/$sid" -H "X-Auth-Token: $tok"
	restore; trap 'rm -rf "$work"' EXIT
	check "reversing the patch restores manager.py byte for byte" test "$(sha256sum "$MGR" | cut -d' ' -f1)" = "$sum0"
	check "n-sch back on its own units entry (no profiling env)" \
		bash -c "! tr '\\0' '\\n' </proc/$(cat "$STATE/run/n-sch.pid")/environ | grep -q GREENBENCH_PATCH_PROFILE_OUT"
else
	flunk "the profile patch applies to Debian's nova with patch -p1 -d $D" "is nova already patched? sha256 $sum0"
fi

echo "1..$n"
[ $fail -eq 0 ]
