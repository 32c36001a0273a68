#!/bin/bash
# t_testcloud.t - the test cloud's machinery without a cloud: units-file generation,
# process groups (start, leave alone, stop with escalation, descendants that setsid),
# readiness failures, config rendering, option checks, and that the nova patches apply.
cd "$(dirname "$0")/../.." || exit 1
PY=/usr/bin/python3
TCPY="$PY devstack/testcloud/tc.py"
n=0; fail=0
pass() { n=$((n+1)); echo "ok $n - $1"; }
flunk() { n=$((n+1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; fail=$((fail+1)); }
check() { local desc=$1; shift; if "$@" >/dev/null 2>&1; then pass "$desc"; else flunk "$desc" "command: $*"; fi; }
skip() { n=$((n+1)); echo "ok $n # skip $1"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

check "testcloud.sh is valid bash" bash -n devstack/testcloud.sh
out=$(devstack/testcloud.sh up --computes 0 2>&1); rc=$?
if [ $rc -ne 0 ] && [[ $out == *"--computes must be a whole number from 1 to 200, not '0'"* ]]; then pass "--computes 0 refused with a clear error"; else flunk "--computes 0 refused" "$out"; fi
out=$(devstack/testcloud.sh status --state rel/dir 2>&1); rc=$?
if [ $rc -ne 0 ] && [[ $out == *"--state must be an absolute path"* ]]; then pass "relative --state refused"; else flunk "relative --state refused" "$out"; fi
out=$(devstack/testcloud.sh frobnicate 2>&1); rc=$?
if [ $rc -ne 0 ] && [[ $out == *"usage:"* ]]; then pass "unknown command prints the usage"; else flunk "unknown command prints the usage" "$out"; fi

if ! $PY -c 'import yaml' 2>/dev/null; then
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do skip "/usr/bin/python3 has no yaml module"; done
	echo "1..$n"; exit 0
fi

# --- units file generation
st=$tmp/state
mkdir -p "$st"
$TCPY units-yaml "$st" 3 "$tmp/units.yaml" "$tmp/infra.yaml" 2>/dev/null
res=$($PY - "$tmp/units.yaml" "$st" <<'EOF'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1])); st = sys.argv[2]
errs = []
want = ["key", "placement-api", "g-api", "q-svc", "n-api", "n-cond", "n-sch", "n-cpu-1", "n-cpu-2", "n-cpu-3"]
if list(d["units"]) != want: errs.append("units %s" % list(d["units"]))
if d["state_dir"] != st + "/run": errs.append("state_dir")
if d["units"]["n-cpu-3"]["argv"][-1] != st + "/etc/nova/computes/fake-3.conf": errs.append("n-cpu-3 host conf")
if d["units"]["n-cpu-3"]["ready"] != {"rpc": "compute.fake-3"}: errs.append("n-cpu-3 ready")
if d["fake_compute"]["argv"] != d["units"]["n-cpu-1"]["argv"][:-2]: errs.append("template argv")
if "Connection: close" not in d["units"]["key"]["argv"] or "--die-on-term" not in d["units"]["key"]["argv"]: errs.append("uwsgi flags")
if "sys.argv[0]='nova-scheduler'" not in d["units"]["n-sch"]["argv"][2]: errs.append("n-sch -c string")
if d["vars"]["NOVA_CONF"] != st + "/etc/nova/nova.conf": errs.append("vars")
print("; ".join(errs))
EOF
)
if [ -z "$res" ]; then pass "units-yaml: 3 computes, devstack names, argv and vars round-trip through YAML"; else flunk "units-yaml round-trips" "$res"; fi
cp "$tmp/units.yaml" "$tmp/units.before"
$TCPY units-yaml "$st" 3 "$tmp/units.yaml" "$tmp/infra.yaml" 2>"$tmp/err"
if grep -q unchanged "$tmp/err" && cmp -s "$tmp/units.yaml" "$tmp/units.before"; then pass "units-yaml leaves an unchanged file alone"; else flunk "units-yaml leaves an unchanged file alone" "$(cat "$tmp/err")"; fi

# --- process groups, with throwaway units
cat >"$tmp/p.yaml" <<EOF
version: 1
backend: process
state_dir: $tmp/run
rabbitmqctl: /bin/false
units:
  escaper:
    argv: [/bin/sh, -c, "sleep 300 & setsid sleep 301 & wait"]
    env: {GB_T: "1"}
    cwd: $tmp
    log: $tmp/log/escaper.log
    ready: {none: true}
    ready_timeout: 5s
    stop_timeout: 5s
  stubborn:
    argv: [/bin/sh, -c, "trap '' TERM; sleep 302 & wait; wait"]
    env: {}
    cwd: $tmp
    log: $tmp/log/stubborn.log
    ready: {none: true}
    ready_timeout: 5s
    stop_timeout: 1s
  dier:
    argv: [/bin/sh, -c, "echo dier-went-wrong; exit 3"]
    env: {}
    cwd: $tmp
    log: $tmp/log/dier.log
    ready: {tcp: "127.0.0.1:9"}
    ready_timeout: 5s
    stop_timeout: 1s
EOF
members() { # members LEADER: live pids in its session/group, and their descendants
	$PY -c 'import sys; sys.path.insert(0, "devstack/testcloud"); import tc; print(" ".join(map(str, tc.session_members(int(sys.argv[1])))))' "$1"
}
$TCPY start "$tmp/p.yaml" escaper stubborn 2>/dev/null
# ready signals, not a fixed sleep: escaper has its 2 sleeps (one in a session of its own),
# stubborn's shell has run its trap (SIGTERM, bit 15, in SigIgn) and started its sleep
ignores_term() { local m; m=$(awk '/^SigIgn:/ {print $2}' "/proc/$1/status" 2>/dev/null) && [ -n "$m" ] && (( (16#$m >> 14) & 1 )); }
for _ in $(seq 200); do
	p=$(cat "$tmp/run/escaper.pid" 2>/dev/null); s=$(cat "$tmp/run/stubborn.pid" 2>/dev/null)
	[ -n "$p" ] && [ -n "$s" ] && [ "$(members "$p" | wc -w)" -ge 3 ] && ignores_term "$s" &&
		[ "$(members "$s" | wc -w)" -ge 2 ] && break
	sleep 0.05
done
p=$(cat "$tmp/run/escaper.pid")
sid=$(awk '{ sub(/.*\) /, ""); print $4 }' "/proc/$p/stat")
check "start writes a pid file naming a session leader" test "$sid" = "$p"
check "the unit's env reaches it on top of PATH/HOME/LANG" grep -q 'GB_T=1' <(tr '\0' '\n' <"/proc/$p/environ")
escaped=0
for q in $(members "$p"); do
	[ "$(awk '{ sub(/.*\) /, ""); print $4 }' "/proc/$q/stat")" != "$p" ] && escaped=$((escaped + 1))
done
check "a child that moved to a session of its own is still counted as the unit's" test $escaped -eq 1
$TCPY start "$tmp/p.yaml" escaper 2>"$tmp/err"
check "start leaves a running unit alone (same pid)" test "$(cat "$tmp/run/escaper.pid")" = "$p"
$TCPY stop "$tmp/p.yaml" escaper 2>/dev/null
check "stop kills the group and its setsid'd descendant" test -z "$(members "$p")"
check "stop removes the pid file" test ! -e "$tmp/run/escaper.pid"
s=$(cat "$tmp/run/stubborn.pid")
t0=$(date +%s%N)
$TCPY stop "$tmp/p.yaml" stubborn 2>/dev/null
t1=$(date +%s%N)
check "stop escalates to SIGKILL when SIGTERM is ignored" test -z "$(members "$s")"
ms=$(( (t1 - t0) / 1000000 ))
check "the escalation came after the 1 s stop_timeout, not before (${ms} ms)" test $ms -ge 1000
$TCPY start "$tmp/p.yaml" dier 2>/dev/null
out=$($TCPY wait "$tmp/p.yaml" dier 2>&1); rc=$?
if [ $rc -ne 0 ] && [[ $out == *"dier died while starting; read $tmp/log/dier.log"* ]] && [[ $out == *dier-went-wrong* ]]; then
	pass "wait fails at once on a dead unit, naming its log and showing its tail"
else flunk "wait fails on a dead unit" "rc=$rc $out"; fi

# --- config rendering
printf 'ADMIN_PASSWORD=a1\nSERVICE_PASSWORD=s2\nDB_PASSWORD=d3\n' >"$st/secrets"
printf '[DEFAULT]\nx = @STATE@\n[database]\nconnection = u:@DB_PASSWORD@\n[keystone_authtoken]\npassword = @SERVICE_PASSWORD@\n' >"$tmp/t.in"
$TCPY render "$tmp/out.conf" "$st" "$tmp/t.in" -database 2>/dev/null
if [ "$(cat "$tmp/out.conf")" = "$(printf '[DEFAULT]\nx = %s\n[keystone_authtoken]\npassword = s2' "$st")" ] &&
	[ "$(stat -c %a "$tmp/out.conf")" = 600 ]; then pass "render fills @STATE@ and secrets, drops [database], mode 0600"
else flunk "render" "$(cat "$tmp/out.conf")"; fi

# --- the nova 26 patches apply to Debian's manager.py (on a copy), alone and stacked
mgr=/usr/lib/python3/dist-packages/nova/scheduler/manager.py
if [ -f "$mgr" ]; then
	ok=1; log=
	for combo in profile slower comment-only "profile slower" "profile comment-only"; do
		rm -rf "$tmp/nova" && mkdir -p "$tmp/nova/nova/scheduler" && cp "$mgr" "$tmp/nova/nova/scheduler/"
		for p in $combo; do
			f=devstack/patches/nova26-$p.patch; [ -f "$f" ] || f=devstack/patches/nova26-select_destinations-$p.patch
			patch -s -p1 -F0 --no-backup-if-mismatch -d "$tmp/nova" <"$f" >/dev/null 2>&1 || { ok=0; log+=" [$combo]"; }
		done
		$PY -m py_compile "$tmp/nova/nova/scheduler/manager.py" 2>/dev/null || { ok=0; log+=" compile[$combo]"; }
	done
	if [ $ok = 1 ]; then pass "nova26 patches apply with patch -p1 and compile, alone and stacked on profile"; else flunk "nova26 patches apply" "$log"; fi
else
	skip "nova is not installed (run devstack/testcloud.sh install)"
fi

# --- the periodic-task patches apply to Debian's nova (on a copy) and compile
D=/usr/lib/python3/dist-packages
if [ -f "$D/nova/cmd/compute.py" ]; then
	for pf in nova/cmd/compute.py:nova26-compute-direct-db nova/compute/resource_tracker.py:nova26-update_available_resource-eventlet-profile; do
		f=${pf%%:*} p=devstack/patches/${pf#*:}.patch
		rm -rf "$tmp/nova" && mkdir -p "$tmp/nova/$(dirname "$f")" && cp "$D/$f" "$tmp/nova/$f"
		if patch -s -p1 -F0 --no-backup-if-mismatch -d "$tmp/nova" <"$p" >/dev/null 2>&1 &&
			$PY -m py_compile "$tmp/nova/$f" 2>/dev/null; then
			pass "$(basename "$p") applies to Debian's $f with patch -p1 and compiles"
		else
			flunk "$(basename "$p") applies" "$(patch --dry-run -p1 -d "$tmp/nova" <"$p" 2>&1 | head -3)"
		fi
	done
	rm -rf "$tmp/nova" && mkdir -p "$tmp/nova/nova/cmd" && cp "$D/nova/cmd/compute.py" "$tmp/nova/nova/cmd/"
	patch -s -p1 -d "$tmp/nova" <devstack/patches/nova26-compute-direct-db.patch >/dev/null 2>&1
	if ! grep -q '^ *nova.db.main.api.DISABLE_DB_ACCESS = True' "$tmp/nova/nova/cmd/compute.py" &&
		! grep -q '^ *objects_base.NovaObject.indirection_api = ' "$tmp/nova/nova/cmd/compute.py"; then
		pass "the direct-db patch leaves nova-compute's database access open (no block, no conductor indirection)"
	else
		flunk "the direct-db patch unblocks database access"
	fi
else
	for _ in 1 2 3; do skip "nova is not installed (run devstack/testcloud.sh install)"; done
fi

echo "1..$n"
[ $fail -eq 0 ]
