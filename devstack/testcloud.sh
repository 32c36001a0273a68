#!/bin/bash
# Stand up, inspect and tear down greenbench's test cloud: a real small OpenStack Zed from
# Debian's packages, without systemd, every service on 127.0.0.1 as its own process group.
# Never touches /etc/nova & co (configs live under the state dir), never kills by name,
# never prints the admin password.
#
# Usage: devstack/testcloud.sh up [--computes N] [--state DIR]
#        devstack/testcloud.sh down|status|wipe [--state DIR]
#        devstack/testcloud.sh install        (only the Debian packages)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TC="$HERE/testcloud"
PY=/usr/bin/python3
STATE=${GREENBENCH_TESTCLOUD_STATE:-/var/lib/greenbench-testcloud}
COMPUTES=2

# the package list, the databases and the set-up steps, shared with the box (devstack/box.sh)
. "$TC/lib.sh"

say() { printf 'testcloud: %s\n' "$*" >&2; }
die() { printf 'testcloud: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------- install

# install_packages: apt-get the packages that are missing; nothing (no network) if all are.
install_packages() {
	local missing=() p t0
	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		say "packages: all ${#PKGS[@]} present"
		return 0
	fi
	[ "$(id -u)" -eq 0 ] || die "installing packages needs root (missing: ${missing[*]})"
	# No package may start a service on install: we start everything ourselves.
	if [ ! -e /usr/sbin/policy-rc.d ] || ! grep -q 'exit 101' /usr/sbin/policy-rc.d; then
		printf '#!/bin/sh\n# written by greenbench devstack/testcloud.sh: packages start no services\nexit 101\n' \
			>/usr/sbin/policy-rc.d
		chmod 0755 /usr/sbin/policy-rc.d
	fi
	say "packages: installing ${#missing[@]}: ${missing[*]}"
	t0=$(date +%s.%N)
	export DEBIAN_FRONTEND=noninteractive
	local log=/var/log/greenbench-testcloud-apt.log
	if ! { apt-get -o DPkg::Lock::Timeout=600 update -qq &&
		apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
		die "apt-get failed; read $log"
	fi
	say "packages: installed in $(elapsed "$t0") s (log $log)"
}

tc() { "$PY" "$TC/tc.py" "$@"; }

# ---------------------------------------------------------------------------- state

layout() {
	UNITS=$STATE/units.yaml
	INFRA=$STATE/infra.yaml
	SETUP_LOG=$STATE/log/setup.log
	ETC=$STATE/etc
}

# make_state: directories and a stable secrets file (0600), made once.
make_state() {
	umask 022
	mkdir -p "$STATE"/{run,log,lock,done} "$STATE"/nova/instances "$STATE"/neutron \
		"$STATE"/glance/{images,staging,cache} "$STATE"/keystone "$STATE"/mysql
	install -d -m 0700 "$ETC" "$ETC"/{keystone,placement,glance,neutron,nova,nova/computes}
	chown mysql:mysql "$STATE/mysql"
	install -d -o rabbitmq -g rabbitmq -m 0750 "$STATE/rabbitmq" "$STATE/rabbitmq/mnesia" "$STATE/rabbitmq/log"
	install -d -o mysql -g mysql -m 0755 /run/mysqld
	make_secrets
}

# ---------------------------------------------------------------------------- set-up steps

write_configs() {
	local t i
	for t in keystone/keystone placement/placement glance/glance-api neutron/neutron nova/nova; do
		tc render "$ETC/$t.conf" "$STATE" "$TC/${t#*/}.conf.in"
	done
	# computes, as in devstack, get nova.conf without the databases plus their own settings
	tc render "$ETC/nova/nova-cpu.conf" "$STATE" "$TC/nova.conf.in" "$TC/nova-cpu.conf.in" -database -api_database
	for i in $(seq 1 "$COMPUTES"); do
		tc_write "$ETC/nova/computes/fake-$i.conf" "$(printf '[DEFAULT]\nhost = fake-%d\n' "$i")"
	done
	tc render "$STATE/clouds.yaml" "$STATE" "$TC/clouds.yaml.in"
	tc units-yaml "$STATE" "$COMPUTES" "$UNITS" "$INFRA"
}

# tc_write FILE TEXT: write TEXT (plus newline) to FILE only if it differs
tc_write() {
	if [ ! -f "$1" ] || [ "$(cat "$1")" != "$2" ]; then
		printf '%s\n' "$2" >"$1.tmp" && mv "$1.tmp" "$1"
	fi
}

# once NAME CMD...: run CMD unless <state>/done/NAME says it succeeded before
once() {
	local name=$1; shift
	[ -e "$STATE/done/$name" ] && return 0
	"$@"
	touch "$STATE/done/$name"
}

# ---------------------------------------------------------------------------- commands

SERVICES=(key placement-api g-api q-svc n-api n-cond n-sch)
BATCH=10

compute_units() { local i; for i in $(seq 1 "$COMPUTES"); do echo "n-cpu-$i"; done; }

cmd_up() {
	local t0 tstart
	t0=$(date +%s.%N)
	install_packages
	tstart=$(date +%s.%N)
	make_state
	write_configs
	tc start "$INFRA" epmd mysql
	tc wait "$INFRA" epmd mysql
	tc start "$INFRA" rabbit
	make_databases
	once sync-keystone sync_keystone
	tc start "$UNITS" key
	tc wait "$INFRA" rabbit
	tc wait "$UNITS" key
	tc keystone-setup "$STATE"
	once sync-others sync_others
	# every OpenStack service and the first computes at once, then prove each ready;
	# further computes in batches (each costs ~3 CPU-seconds to start; 40 at once on
	# two cores take longer than their ready_timeout)
	local computes=($(compute_units)) first
	first=("${computes[@]:0:$BATCH}")
	tc start "$UNITS" "${SERVICES[@]}" "${first[@]}"
	tc wait "$UNITS" "${SERVICES[@]}" "${first[@]}"
	local i
	for ((i = BATCH; i < ${#computes[@]}; i += BATCH)); do
		tc start "$UNITS" "${computes[@]:i:BATCH}"
		tc wait "$UNITS" "${computes[@]:i:BATCH}"
	done
	tc prune-computes "$UNITS" "$STATE" "$COMPUTES"
	run "$SETUP_LOG" nova-manage --config-file "$ETC/nova/nova.conf" cell_v2 discover_hosts
	tc image-flavor "$STATE"
	say "up: $COMPUTES fake computes; all ready in $(elapsed "$tstart") s ($(elapsed "$t0") s with the package check)"
	tc status "$INFRA" "$UNITS" | tail -1 | sed 's/^total */testcloud: memory: /' >&2
	say "units file: $UNITS"
	echo "export OS_CLIENT_CONFIG_FILE=$STATE/clouds.yaml OS_CLOUD=greenbench-test"
}

cmd_down() {
	[ -f "$UNITS" ] && tc stop-all "$UNITS"
	[ -f "$INFRA" ] && tc stop "$INFRA"
	say "down: nothing of the test cloud runs"
}

cmd_status() {
	[ -f "$UNITS" ] || die "no test cloud at $STATE (no $UNITS); run '$0 up'"
	tc status "$INFRA" "$UNITS"
}

cmd_wipe() {
	local db u sql=
	if [ -f "$UNITS" ]; then tc stop-all "$UNITS"; fi
	if [ -f "$INFRA" ]; then
		install -d -o mysql -g mysql -m 0755 /run/mysqld
		tc start "$INFRA" mysql && tc wait "$INFRA" mysql
		for db in "${DBS[@]}"; do sql+="DROP DATABASE IF EXISTS $db;"; done
		for u in keystone placement glance neutron nova; do sql+="DROP USER IF EXISTS '$u'@'127.0.0.1';"; done
		mysql -uroot <<<"$sql" || die "dropping the databases failed"
		tc stop "$INFRA"
	fi
	case $STATE in /|/var|/var/lib|/etc|/usr) die "refusing to remove $STATE" ;; esac
	rm -rf -- "$STATE"
	say "wipe: databases dropped, $STATE removed"
}

main() {
	local cmd=${1:-}
	[ $# -gt 0 ] && shift
	while [ $# -gt 0 ]; do
		case $1 in
		--computes) COMPUTES=${2:?--computes needs a number}; shift 2 ;;
		--computes=*) COMPUTES=${1#*=}; shift ;;
		--state) STATE=${2:?--state needs a directory}; shift 2 ;;
		--state=*) STATE=${1#*=}; shift ;;
		*) die "unknown option '$1' (see the usage at the top of $0)" ;;
		esac
	done
	[[ $COMPUTES =~ ^[0-9]+$ ]] && [ "$COMPUTES" -ge 1 ] && [ "$COMPUTES" -le 200 ] ||
		die "--computes must be a whole number from 1 to 200, not '$COMPUTES'"
	case $STATE in /*) ;; *) die "--state must be an absolute path, not '$STATE'" ;; esac
	layout
	case $cmd in
	install) install_packages ;;
	up) cmd_up ;;
	down) cmd_down ;;
	status) cmd_status ;;
	wipe) cmd_wipe ;;
	*) die "usage: $0 up [--computes N] [--state DIR] | down | status | wipe | install" ;;
	esac
}

main "$@"
