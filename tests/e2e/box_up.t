#!/bin/bash
# box_up.t - the devstack box for each release in $BOX_RELEASES (default: bookworm sid):
# up (builds the root file system when missing), the units as devstack writes them, the
# stack user, nova's git tree and venv, clouds.yaml, exec's stdio and status, its own
# loopback, greenbench installed by plugin.sh, down leaves nothing running.
# Needs root; run by `make box-test`. Leaves every box down unless BOX_KEEP=1.
cd "$(dirname "$0")/../.." || exit 1
BOX=devstack/box.sh
n=0; fail=0
pass() { n=$((n+1)); echo "ok $n - $1"; }
flunk() { n=$((n+1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; fail=$((fail+1)); }
is() { if [ "$2" = "$3" ]; then pass "$1"; else flunk "$1" "got:  '$2'" "want: '$3'"; fi; }

if [ "$(id -u)" -ne 0 ]; then echo "1..0 # SKIP the box needs root"; exit 0; fi

UNITS="key placement-api g-api q-svc n-api n-cond n-sch n-cpu-1 n-cpu-2"
for rel in ${BOX_RELEASES:-bookworm sid}; do
	X() { "$BOX" exec --release "$rel" -- "$@"; }
	t0=$(date +%s)
	# up is given an open descriptor (as `flock LOCK make box-test` gives one): the box must
	# not keep it open for as long as it runs
	marker=$(mktemp /tmp/box_up-fd.XXXXXX)
	exec {mfd}>"$marker"
	out=$("$BOX" up --release "$rel" --computes 2 2>&1); urc=$?
	exec {mfd}>&-
	holders=$(for f in /proc/[0-9]*/fd/*; do [ "$(readlink "$f" 2>/dev/null)" = "$marker" ] && echo "${f%/fd/*}"; done | sort -u | tr '\n' ' ')
	rm -f "$marker"
	if [ $urc -eq 0 ]; then
		pass "$rel: up in $(($(date +%s) - t0)) s"
		is "$rel: nothing in the box holds a descriptor its caller had open" "$holders" ""
	else
		flunk "$rel: up" "$(tail -n 5 <<<"$out")"
		# a box that failed to come up is not left running (nor holding our fds)
		[ "${BOX_KEEP:-0}" = 1 ] || "$BOX" down --release "$rel" >/dev/null 2>&1
		continue
	fi
	echo "# $(grep -E 'built in|booted in|up in' <<<"$out" | tr '\n' ';')"
	st=$("$BOX" status | grep "^$rel ")
	echo "# $st"
	[[ $st == *running*"9 of 9 devstack units active"* ]] && pass "$rel: status: running, 9 of 9 devstack units active" ||
		flunk "$rel: status" "$st"
	bad=
	for u in $UNITS; do
		[ "$(X systemctl is-active "devstack@$u")" = active ] || bad+=" $u"
	done
	is "$rel: every devstack@ unit active" "$bad" ""
	is "$rel: n-sch unit keys as devstack writes them" \
		"$(X systemctl show -p User,KillMode,TimeoutStopUSec,Type devstack@n-sch | sort | tr '\n' ' ')" \
		"KillMode=process TimeoutStopUSec=5min Type=simple User=stack "
	is "$rel: n-api under uwsgi with devstack's uwsgi keys" \
		"$(X systemctl show -p Type,Restart,NotifyAccess,RestartForceExitStatus devstack@n-api | sort | tr '\n' ' ')" \
		"NotifyAccess=all Restart=always RestartForceExitStatus=100 Type=notify "
	env=$(X systemctl show -p Environment devstack@n-sch)
	[[ $env == "Environment=PATH=/opt/stack/data/venv/bin:"* ]] && pass "$rel: n-sch's PATH starts with the venv" || flunk "$rel: n-sch PATH" "$env"
	pid=$(X systemctl show -p MainPID --value devstack@n-sch)
	is "$rel: the scheduler runs as stack" "$(X ps -o user= -p "$pid" | tr -d ' ')" stack
	# (nova 34's oslo.service retitles its processes "nova-scheduler: master process ...")
	is "$rel: the scheduler runs the venv's entry point" \
		"$(X systemctl show -p ExecStart --value devstack@n-sch | sed -n 's/^{ path=\([^ ;]*\).*/\1/p')" /opt/stack/data/venv/bin/nova-scheduler
	is "$rel: nova imported from the git tree /opt/stack/nova" \
		"$(X runuser -u stack -- /opt/stack/data/venv/bin/python3 -c 'import nova; print(nova.__file__)')" /opt/stack/nova/nova/__init__.py
	is "$rel: /opt/stack/nova is a clean git tree" "$(X runuser -u stack -- git -C /opt/stack/nova status --porcelain | head -3)" ""
	is "$rel: fake compute 2 has its own config file (host, state_path)" \
		"$(X sed -n 's/^host = //p' /etc/nova/nova-fake.conf-2)" "gb-${rel}2"
	up=$(X openstack --os-cloud devstack-admin compute service list --service nova-compute -f value -c State 2>&1 | grep -c '^up$')
	is "$rel: clouds.yaml devstack-admin works; 2 fake computes up" "$up" 2
	is "$rel: exec passes the exit status" "$(X sh -c 'exit 7'; echo $?)" 7
	is "$rel: exec passes stdin and stdout" "$(printf 'stdin\n' | X cat)" stdin
	is "$rel: exec passes argv unchanged (no shell)" "$(X printf '%s|' 'a b' '$(id)' '*')" 'a b|$(id)|*|'
	leader=$(cat "/var/lib/greenbench-box/$rel/leader")
	[ "$(readlink "/proc/$leader/ns/net")" != "$(readlink /proc/self/ns/net)" ] &&
		pass "$rel: the box has its own network namespace (its own loopback)" || flunk "$rel: private network"
	# (a worktree's .git points outside the checkout: compare a file, not HEAD)
	is "$rel: this checkout is at /opt/stack/greenbench" "$(X sha256sum /opt/stack/greenbench/Makefile | cut -c1-64)" \
		"$(sha256sum Makefile | cut -c1-64)"
	X test -x /usr/local/bin/greenbench && pass "$rel: plugin.sh installed greenbench" || flunk "$rel: greenbench installed"
	if [ "${BOX_KEEP:-0}" != 1 ]; then
		"$BOX" down --release "$rel" >/dev/null 2>&1
		st=$("$BOX" status | grep "^$rel ")
		[[ $st == *stopped* ]] && [ ! -e "/sys/fs/cgroup/unified/greenbench-box-$rel" ] &&
			pass "$rel: down: stopped, its cgroup removed" || flunk "$rel: down" "$st"
	fi
done
echo "1..$n"
[ $fail -eq 0 ]
