#!/bin/bash
# box_seed.t - the seed scenario (scenarios/select_destinations.yaml) run UNCHANGED inside
# the devstack box of each release in $BOX_RELEASES (default: bookworm sid), as root with
# no options: fake computes scaled as devstack@n-cpu-N copies, n-sch restarted with the
# profiler's drop-in, dumps written by the stack-owned scheduler, the host restored exactly
# (unit files, drop-ins, configs with their owners, state dirs, the git tree, the compute
# units, systemd's view of n-sch and n-cpu-1). Then a second run and `compare`; a run
# SIGKILLed mid-workload and `greenbench restore` (same host, no server left); a devstack
# unit whose forked worker ignores SIGTERM (KillMode=process) still proven dead.
# BOX_SEED_RUNS=1 skips the second run and compare. Needs root; run by `make box-test`
# after box_up.t (which brings the boxes up); brings a box up itself when it is down.
cd "$(dirname "$0")/../.." || exit 1
BOX=devstack/box.sh
n=0; fail=0
pass() { n=$((n+1)); echo "ok $n - $1"; }
flunk() { n=$((n+1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; fail=$((fail+1)); }
todo() { n=$((n+1)); echo "not ok $n - $1 # TODO $2"; shift 2; for l in "$@"; do echo "#   $l"; done; }
is() { if [ "$2" = "$3" ]; then pass "$1"; else flunk "$1" "got:  '$2'" "want: '$3'"; fi; }
same() { # NAME BEFORE AFTER: the host snapshots are identical, else the diff
	if [ "$2" = "$3" ]; then pass "$1"; else
		mapfile -t d < <(diff <(echo "$2") <(echo "$3") | head -n 12); flunk "$1" "${d[@]}"; fi
}

if [ "$(id -u)" -ne 0 ]; then echo "1..0 # SKIP the box needs root"; exit 0; fi

SEED=scenarios/select_destinations.yaml
GB_IN=/opt/stack/greenbench

# snapshot: everything a run may touch, as text (run inside the box as root)
SNAP='
cd /etc/systemd/system
for f in devstack@*; do
	if [ -d "$f" ]; then echo "dropins $f: $(ls -A "$f" | tr "\n" " ")"
	else echo "unit $f $(sha256sum <"$f" | cut -c1-16) $(stat -c "%U:%G %a" "$f")"; fi
done
for f in /etc/nova/*.conf /etc/nova/nova-fake.conf-*; do
	echo "conf $f $(sha256sum <"$f" | cut -c1-16) $(stat -c "%U:%G %a" "$f")"
done
echo "state_paths $(ls /opt/stack/data/nova | tr "\n" " ")"
echo "git $(runuser -u stack -- git -C /opt/stack/nova status --porcelain | wc -l) dirty, HEAD $(runuser -u stack -- git -C /opt/stack/nova rev-parse HEAD)"
echo "owners of nova tree: $(find /opt/stack/nova -not -user stack | wc -l) not stack"
for u in n-sch n-cpu-1; do
	systemctl show -p User,Environment,DropInPaths,ActiveState,SubState,FragmentPath,KillMode,NeedDaemonReload devstack@$u | sed "s/^/$u /"
done
echo "units $(systemctl list-units --all --no-legend --plain "devstack@*" | awk "{print \$1 \":\" \$3}" | sort | tr "\n" " ")"
'

for rel in ${BOX_RELEASES:-bookworm sid}; do
	X() { "$BOX" exec --release "$rel" -- "$@"; }
	if ! X true 2>/dev/null; then
		out=$("$BOX" up --release "$rel" --computes 2 2>&1) || { flunk "$rel: box up" "$(tail -n 5 <<<"$out")"; continue; }
	fi
	# the box's greenbench from this checkout (plugin.sh built it at `up`; rebuild if newer)
	X bash -c "cd $GB_IN && make -j2 bin/greenbench >/tmp/gb-make.log 2>&1 && install -m 0755 bin/greenbench /usr/local/bin/greenbench" ||
		{ flunk "$rel: greenbench builds in the box" "$(X tail -n 3 /tmp/gb-make.log)"; continue; }
	# a journal left by an earlier, killed test (the box keeps its disk across down and up,
	# while up lays the cloud out afresh: the run's fake computes are gone)
	rout=$(X greenbench restore 2>&1); rrc=$?
	grep -q 'found the journal' <<<"$rout" && echo "# $rel: a journal of an earlier run was left: $(tr '\n' ';' <<<"$rout")"
	is "$rel: greenbench restore before the test (nothing to do, or an earlier run's journal)" "$rrc" 0
	nova=$(X dpkg-query -W -f='${Version}' python3-nova)
	before=$(X bash -c "$SNAP")
	is "$rel: the box starts with 2 fake computes" "$(grep -o 'devstack@n-cpu-[0-9]*.service' <<<"$before" | sort -u | wc -l)" 2

	# ---- the seed scenario, unchanged, no options
	t0=$(date +%s)
	out=$(X bash -c "cd $GB_IN && greenbench run $SEED" 2>&1); rc=$?
	secs=$(($(date +%s) - t0))
	echo "# $rel (nova $nova): greenbench run $SEED: exit $rc in $secs s"
	grep -E 'template from|ready .* after the launch|restarting|left in its cgroup|dumps collected|servers:|profile |sla |stored|error' <<<"$out" | sed 's/^/#   /'
	profiled=$(grep -c 'of 10 expected profile dumps collected' <<<"$out")
	dumps=$(grep -c '10 of 10 expected profile dumps collected' <<<"$out")
	native=$(X grep -qs "backend='threading'" /opt/stack/nova/nova/cmd/scheduler.py && echo yes)
	is "$rel: every profiled call gave a dump (3 repeats x 10 of 10)" "$dumps" 3
	if [ $rc -eq 0 ]; then
		pass "$rel: the seed scenario runs unchanged (exit 0, $secs s)"
	elif [ -n "$native" ] && [ "$dumps" -lt 3 ]; then
		# nova 34 runs the scheduler in native threads: greenprof's support for that is the
		# issue "greenprof on today's Python and today's nova"; until then the run must
		# say what is missing, and this test says so
		todo "$rel: the seed scenario on nova $nova (native threads)" "greenprof on nova 34's native threads" \
			"exit $rc; $(grep -m1 -E 'greenbench run:|collect:' <<<"$out")"
	else
		flunk "$rel: the seed scenario runs unchanged (exit $rc)" "$(grep -E '^servers:|FAILED|greenbench run:' <<<"$out" | head -n 4)"
	fi
	grep -q 'template from /etc/systemd/system/devstack@n-cpu-1.service' <<<"$out" &&
		pass "$rel: the fake-compute template is devstack@n-cpu-1" || flunk "$rel: template inferred" "$(head -n 3 <<<"$out")"
	is "$rel: n-cpu-3..5 added (ready lines)" "$(grep -c 'fake compute n-cpu-[345] (host gb-'"$rel"'[345]): ready' <<<"$out")" 3
	grep -q 'restarting n-sch... dead in .* (profiled)' <<<"$out" &&
		pass "$rel: n-sch restarted with the profiler" || flunk "$rel: n-sch profiled restart" "$(grep -m2 restart <<<"$out")"
	grep -q 'removed /etc/systemd/system/devstack@n-sch.service.d/greenbench.conf' <<<"$out" &&
		pass "$rel: the profiler's drop-in is removed on restore" || flunk "$rel: drop-in removed"
	after=$(X bash -c "$SNAP")
	same "$rel: after the run the host is as before (units, drop-ins, configs and owners, state dirs, git tree, systemd's view)" "$before" "$after"
	is "$rel: no server left" "$(X openstack --os-cloud devstack-admin server list --all-projects -f value -c ID 2>&1 | wc -l)" 0
	run1=$(sed -n 's/^run \([0-9]*\) stored.*/\1/p' <<<"$out")

	# ---- a second run, and compare
	if [ "${BOX_SEED_RUNS:-2}" -ge 2 ] && [ $rc -eq 0 ]; then
		out2=$(X bash -c "cd $GB_IN && greenbench run $SEED" 2>&1); rc2=$?
		run2=$(sed -n 's/^run \([0-9]*\) stored.*/\1/p' <<<"$out2")
		is "$rel: a second run succeeds" "$rc2" 0
		cmp=$(X greenbench compare "$run1" "$run2" 2>&1); crc=$?
		grep -E 'select_destinations|verdict' <<<"$cmp" | head -n 6 | sed 's/^/#   /'
		# same code twice: NO CHANGE (0), a false alarm (SLOWER 1; FASTER 0) or, within one
		# run's samples, INCONCLUSIVE (5) are all verdicts; the exit must match the word
		verdict=$(sed -n 's/^VERDICT: \([A-Z ]*[A-Z]\).*/\1/p' <<<"$cmp" | head -n 1)
		case "$verdict:$crc" in
		"NO CHANGE:0" | "FASTER:0" | "SLOWER:1" | "INCONCLUSIVE:5") vok=1 ;;
		*) vok= ;;
		esac
		[ -n "$vok" ] && grep -q '^VERDICT: .*cpu SchedulerManager.select_destinations' <<<"$cmp" &&
			pass "$rel: compare $run1 $run2 judges select_destinations' CPU time ($verdict, exit $crc)" ||
			flunk "$rel: compare" "exit $crc, verdict '$verdict'" "$(head -n 3 <<<"$cmp")"
	fi

	# ---- SIGKILL mid-workload, then greenbench restore
	X rm -f /tmp/gb-kill.log
	pid=$(X bash -c "cd $GB_IN && { setsid greenbench run $SEED </dev/null >/tmp/gb-kill.log 2>&1 & echo \$!; }")
	for ((i = 0; i < 600; i++)); do
		X grep -q 'repeat 1/3: creating' /tmp/gb-kill.log 2>/dev/null && break
		sleep 0.5
	done
	sleep 5 # servers in flight
	X grep -q 'repeat 1/3: creating' /tmp/gb-kill.log && X kill -KILL "$pid" &&
		pass "$rel: greenbench run SIGKILLed mid-workload (pid $pid)" ||
		flunk "$rel: SIGKILL mid-workload" "$(X tail -n 3 /tmp/gb-kill.log)"
	for ((i = 0; i < 50; i++)); do X kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
	t0=$(date +%s)
	rout=$(X greenbench restore 2>&1); rrc=$?
	echo "# $rel: greenbench restore: exit $rrc in $(($(date +%s) - t0)) s"
	grep -E 'stopped|restarting|server|removed' <<<"$rout" | head -n 12 | sed 's/^/#   /'
	is "$rel: greenbench restore after the SIGKILL succeeds" "$rrc" 0
	after=$(X bash -c "$SNAP")
	same "$rel: after the SIGKILL and restore the host is as before (compute units back to 2)" "$before" "$after"
	is "$rel: no server left after the restore" "$(X openstack --os-cloud devstack-admin server list --all-projects -f value -c ID 2>&1 | wc -l)" 0

	# ---- a devstack unit whose forked worker ignores SIGTERM (KillMode=process)
	X bash -c 'cat >/opt/stack/data/gb-stubborn.sh <<"EOF"
#!/bin/bash
# a service whose worker ignores SIGTERM and outlives its parent (KillMode=process)
( trap "" TERM; echo $BASHPID >/opt/stack/data/gb-stubborn.worker; exec sleep 100000 ) &
exec sleep 100000
EOF
chmod 0755 /opt/stack/data/gb-stubborn.sh
printf "[Unit]\nDescription = Devstack devstack@gb-stubborn.service\n\n[Service]\nUser = stack\nExecStart = /opt/stack/data/gb-stubborn.sh\nKillMode = process\nTimeoutStopSec = 300\n\n[Install]\nWantedBy = multi-user.target\n" >/etc/systemd/system/devstack@gb-stubborn.service
systemctl daemon-reload && systemctl start devstack@gb-stubborn'
	sleep 1
	worker=$(X cat /opt/stack/data/gb-stubborn.worker 2>/dev/null)
	X bash -c "sed -e 's/^restart: \[n-sch\]/restart: [n-sch, gb-stubborn]/' -e 's/^fake_computes: 5/fake_computes: 2/' \
		-e 's/^repeat: 3/repeat: 1/' -e 's/count: 10/count: 2/' -e 's|^local_conf: ..|local_conf: $GB_IN|' $GB_IN/$SEED >/tmp/gb-stubborn.yaml"
	out=$(X greenbench run /tmp/gb-stubborn.yaml 2>&1); src=$?
	grep -E 'gb-stubborn|restarting' <<<"$out" | sed 's/^/#   /'
	[ $src -eq 0 ] || [ -n "$native" ] && grep -q 'gb-stubborn: 1 process(es) were left in its cgroup' <<<"$out" &&
		pass "$rel: a worker ignoring SIGTERM left in the unit's cgroup is found and killed" ||
		flunk "$rel: leftover worker found" "exit $src" "$(tail -n 3 <<<"$out")"
	[ -n "$worker" ] && ! X kill -0 "$worker" 2>/dev/null &&
		pass "$rel: the old worker (pid $worker) is gone" || flunk "$rel: old worker gone" "worker '$worker'"
	is "$rel: gb-stubborn is active again after the restore" "$(X systemctl is-active devstack@gb-stubborn)" active
	X bash -c 'systemctl stop devstack@gb-stubborn; systemctl kill --signal=SIGKILL devstack@gb-stubborn 2>/dev/null
		rm -f /etc/systemd/system/devstack@gb-stubborn.service /opt/stack/data/gb-stubborn.sh /opt/stack/data/gb-stubborn.worker /tmp/gb-stubborn.yaml
		systemctl daemon-reload; systemctl reset-failed devstack@gb-stubborn 2>/dev/null; true'
	same "$rel: the test's own unit removed, the host is as before" "$before" "$(X bash -c "$SNAP")"
	if [ "${BOX_KEEP:-0}" != 1 ]; then "$BOX" down --release "$rel" >/dev/null 2>&1; fi
done
echo "1..$n"
[ $fail -eq 0 ]
