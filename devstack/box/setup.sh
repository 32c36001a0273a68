#!/bin/bash
# devstack/box/setup.sh - run inside the devstack box as root by `box.sh up`: lays the cloud
# out the way devstack does (user stack, /opt/stack/nova as a git tree, the global venv,
# configs under /etc, devstack@<name>.service units), starts it, proves every unit ready,
# then installs greenbench through devstack/plugin.sh like `enable_plugin greenbench`.
# Idempotent: a second run changes nothing that is already right.
# Usage (inside): setup.sh [--computes N]
set -euo pipefail

GB=/opt/stack/greenbench
DEST=/opt/stack
DATA=$DEST/data
STATE=$DATA
ETC=/etc
SETUP_LOG=$DATA/logs/box-setup.log
TC=$GB/devstack/testcloud
COMPUTES=2
STACK_USER=stack
KEYSTONE_USER=$STACK_USER
HOSTNAME=$(hostname)

say() { printf 'box(%s): %s\n' "$HOSTNAME" "$*" >&2; }
die() { printf 'box(%s): error: %s\n' "$HOSTNAME" "$*" >&2; exit 1; }
. "$TC/lib.sh"

while [ $# -gt 0 ]; do
	case $1 in
	--computes) COMPUTES=$2; shift 2 ;;
	*) die "unknown option '$1'" ;;
	esac
done

tc() { /usr/bin/python3 "$TC/tc.py" "$@"; }
layout_py() { /usr/bin/python3 "$GB/devstack/box/layout.py" "$@"; }
as_stack() { runuser -u "$STACK_USER" -- "$@"; }

# once NAME CMD...: run CMD unless $DATA/box-done/NAME says it succeeded before
once() {
	local name=$1; shift
	[ -e "$DATA/box-done/$name" ] && return 0
	"$@"
	touch "$DATA/box-done/$name"
}

make_user() {
	# as devstack's tools/create-stack-user.sh: group and user stack, home /opt/stack, sudo
	getent group "$STACK_USER" >/dev/null || groupadd "$STACK_USER"
	id "$STACK_USER" >/dev/null 2>&1 || useradd -g "$STACK_USER" -s /bin/bash -d "$DEST" -m "$STACK_USER"
	# the *-common packages ship api-paste.ini & co root:<service> 0640: stack must read them
	local g
	for g in nova glance neutron; do getent group "$g" >/dev/null && usermod -aG "$g" "$STACK_USER"; done
	printf '%s ALL=(root) NOPASSWD:ALL\n' "$STACK_USER" >/etc/sudoers.d/50_stack_sh
	chmod 0440 /etc/sudoers.d/50_stack_sh
	chown "$STACK_USER:$STACK_USER" "$DEST"
	install -d -o "$STACK_USER" -g "$STACK_USER" "$DATA" "$DATA"/{logs,box-done,lock,nova,nova/instances,neutron,keystone} \
		"$DATA"/glance "$DATA"/glance/{images,staging,cache}
	install -d -o "$STACK_USER" -g "$STACK_USER" /etc/{keystone,placement,glance,neutron,nova} /etc/openstack
}

# render OUT TEMPLATE... : tc.py's templates, owned by stack as devstack's iniset leaves them
render() {
	tc render "$@" 2>>"$SETUP_LOG"
	chown "$STACK_USER:$STACK_USER" "$1"
	chmod 0640 "$1"
}

write_configs() {
	render /etc/keystone/keystone.conf "$STATE" "$TC/keystone.conf.in"
	render /etc/placement/placement.conf "$STATE" "$TC/placement.conf.in"
	render /etc/glance/glance-api.conf "$STATE" "$TC/glance-api.conf.in"
	local nq=()
	# neutron 26+ has no 'local' type driver ("No type driver for project network_type: local")
	[ -d /usr/lib/python3/dist-packages/neutron/cmd/eventlet ] || nq=("$GB/devstack/box/neutron-ml2-flat.conf.in")
	render /etc/neutron/neutron.conf "$STATE" "$TC/neutron.conf.in" "${nq[@]}"
	render /etc/nova/nova.conf "$STATE" "$TC/nova.conf.in"
	render /etc/nova/nova-cpu.conf "$STATE" "$TC/nova.conf.in" "$TC/nova-cpu.conf.in" -database -api_database
	render /etc/openstack/clouds.yaml "$STATE" "$GB/devstack/box/clouds.yaml.in"
	chmod 0644 /etc/openstack/clouds.yaml
}

# nova_tree: the packaged nova committed as /opt/stack/nova, first on the venv's path
nova_tree() {
	local pkg
	pkg=$(/usr/bin/python3 -c 'import nova, os; print(os.path.dirname(nova.__file__))')
	install -d -o "$STACK_USER" -g "$STACK_USER" "$DEST/nova"
	as_stack cp -a "$pkg" "$DEST/nova/nova"
	find "$DEST/nova" -name __pycache__ -prune -exec rm -rf {} +
	printf '*.pyc\n__pycache__/\n*.egg-info/\n' | as_stack tee "$DEST/nova/.gitignore" >/dev/null
	as_stack git -C "$DEST/nova" init -q
	as_stack git -C "$DEST/nova" add -A
	as_stack git -C "$DEST/nova" -c user.name=greenbench-box -c user.email=box@localhost \
		commit -q -m "nova $(dpkg-query -W -f='${Version}' python3-nova) as Debian packages it"
}

make_venv() {
	as_stack /usr/bin/python3 -m venv --system-site-packages --without-pip "$DATA/venv"
	local site
	site=$(as_stack "$DATA/venv/bin/python3" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
	# as `pip install -e` does: the source tree on the path, before the system's packages
	printf '%s/nova\n' "$DEST" | as_stack tee "$site/nova-src.pth" >/dev/null
}

start_units() {
	systemctl daemon-reload
	systemctl reset-failed "${@/#/devstack@}" 2>/dev/null || true
	systemctl enable --now "${@/#/devstack@}" >>"$SETUP_LOG" 2>&1 ||
		die "starting ${*} failed; journalctl -u devstack@$1"
	layout_py wait "$HOSTNAME" "$@"
}

# forget_lost_computes: a compute whose state_path lost its compute_id refuses to start
# ("No local node identity found, but this is not our first startup"): delete its stale
# nova-compute record (and with it the compute node) so that it starts as new
forget_lost_computes() {
	local i host id
	for i in $(seq 1 "$COMPUTES"); do
		host=$HOSTNAME$i
		[ -s "$DATA/nova/$host/compute_id" ] && continue
		for id in $(openstack --os-cloud devstack-admin compute service list --host "$host" \
			--service nova-compute -f value -c ID 2>>"$SETUP_LOG"); do
			systemctl stop "devstack@n-cpu-$i" 2>/dev/null || true
			run "$SETUP_LOG" openstack --os-cloud devstack-admin compute service delete "$id"
			say "compute $host had no compute_id: its stale service record $id deleted"
		done
	done
}

# a stand-in for the few devstack helpers plugin.sh calls, then its install phase
install_plugin() {
	local out=$DATA/logs/greenbench-plugin.log
	if ! (
		set -e
		DEST=$DEST GLOBAL_VENV=True GREENBENCH_DIR=$GB
		is_service_enabled() { [ "$1" = greenbench ]; }
		enable_service() { :; }
		echo_summary() { echo "$@"; }
		sudo() { command "$@"; }  # setup runs as root
		. "$GB/devstack/settings"
		. "$GB/devstack/plugin.sh" stack install
		. "$GB/devstack/plugin.sh" stack test-config
	) >"$out" 2>&1; then
		say "plugin.sh install failed; read $out:"
		tail -n 5 "$out" | sed 's/^/    /' >&2
		return 1
	fi
	# (set -e does not hold inside an `if !` subshell: check the result, not the status)
	if [ ! -x /usr/local/bin/greenbench ]; then
		say "plugin.sh did not install greenbench; read $out:"
		grep -m3 -E 'error|Error' "$out" | cut -c1-200 | sed 's/^/    /' >&2
		return 1
	fi
	grep '^greenbench: ' "$out" | sed 's/^/    /' >&2 || true
	say "greenbench installed by plugin.sh (/usr/local/bin/greenbench); log $out"
}

main() {
	local t0; t0=$(date +%s.%N)
	umask 022
	make_user
	: >"$SETUP_LOG"; chown "$STACK_USER:$STACK_USER" "$SETUP_LOG"
	make_secrets
	systemctl start mariadb rabbitmq-server
	make_databases
	write_configs
	once sync-keystone sync_keystone
	once nova-tree nova_tree
	once venv make_venv
	layout_py write "$COMPUTES" "$HOSTNAME"
	start_units key
	tc keystone-setup "$STATE"
	once sync-others sync_others
	local cpus=() i
	for i in $(seq 1 "$COMPUTES"); do cpus+=("n-cpu-$i"); done
	start_units placement-api g-api q-svc n-api n-cond n-sch
	forget_lost_computes
	start_units "${cpus[@]}"
	run "$SETUP_LOG" nova-manage --config-file /etc/nova/nova.conf cell_v2 discover_hosts
	tc image-flavor "$STATE"
	say "cloud up in $(elapsed "$t0") s: $(systemctl list-units --no-legend --plain 'devstack@*' | wc -l) devstack units"
	install_plugin || die "greenbench is not installed in this box"
}

main
