# devstack/testcloud/lib.sh - what the process-backend test cloud (testcloud.sh) and the
# devstack box (box/setup.sh) share: the OpenStack package list, the databases and the
# database/keystone set-up steps. Sourced, never run; the caller defines say, die, STATE,
# ETC (the directory holding keystone/, placement/, glance/, neutron/, nova/) and SETUP_LOG.
# Never prints a password (they go through stdin or the environment).

PKGS=(
	python3-nova python3-keystone python3-placement python3-glance python3-neutron
	python3-openstackclient python3-pymysql python3-yaml mariadb-server rabbitmq-server
	uwsgi-core uwsgi-plugin-python3 nova-common glance-common neutron-common patch
)

DBS=(keystone placement glance neutron nova_api nova nova_cell0)
# the user keystone's key repositories belong to (the box runs keystone as stack)
KEYSTONE_USER=${KEYSTONE_USER:-root}

# db_user DB: the MariaDB user owning DB (nova owns the three nova databases)
db_user() { case $1 in nova*) echo nova ;; *) echo "$1" ;; esac; }

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# run LOG CMD...: run a set-up command, its output appended to LOG; die naming LOG on failure.
run() {
	local log=$1; shift
	printf '\n==== %s: %s\n' "$(date +%H:%M:%S)" "$1 ${2:-} ${3:-}" >>"$log"
	"$@" </dev/null >>"$log" 2>&1 || die "'$1 ${2:-} ${3:-}' failed; read $log"
}

secret() { sed -n "s/^$1=//p" "$STATE/secrets"; }

# make_secrets: a stable secrets file (0600) under $STATE, made once.
make_secrets() {
	if [ ! -s "$STATE/secrets" ]; then
		local k
		(umask 077
		 for k in ADMIN_PASSWORD SERVICE_PASSWORD DB_PASSWORD; do
			printf '%s=%s\n' "$k" "$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
		 done >"$STATE/secrets.tmp")
		mv "$STATE/secrets.tmp" "$STATE/secrets"
	fi
	chmod 0600 "$STATE/secrets"
}

make_databases() {
	local db u pw sql=
	pw=$(secret DB_PASSWORD)
	for u in keystone placement glance neutron nova; do
		sql+="CREATE USER IF NOT EXISTS '$u'@'127.0.0.1' IDENTIFIED BY '$pw';"
		sql+="ALTER USER '$u'@'127.0.0.1' IDENTIFIED BY '$pw';"
	done
	for db in "${DBS[@]}"; do
		sql+="CREATE DATABASE IF NOT EXISTS $db CHARACTER SET utf8;"
		sql+="GRANT ALL PRIVILEGES ON $db.* TO '$(db_user "$db")'@'127.0.0.1';"
	done
	# over the unix socket as root (unix_socket auth): the password goes through stdin
	mysql -uroot <<<"$sql" >>"$SETUP_LOG" 2>&1 || die "creating databases failed; read $SETUP_LOG"
}

sync_keystone() {
	local c=$ETC/keystone/keystone.conf
	run "$SETUP_LOG" keystone-manage --config-file "$c" db_sync
	run "$SETUP_LOG" keystone-manage --config-file "$c" fernet_setup --keystone-user "$KEYSTONE_USER" --keystone-group "$KEYSTONE_USER"
	run "$SETUP_LOG" keystone-manage --config-file "$c" credential_setup --keystone-user "$KEYSTONE_USER" --keystone-group "$KEYSTONE_USER"
	# the password through the environment, never argv
	OS_BOOTSTRAP_PASSWORD=$(secret ADMIN_PASSWORD) run "$SETUP_LOG" keystone-manage --config-file "$c" \
		bootstrap --bootstrap-username admin --bootstrap-project-name admin \
		--bootstrap-role-name admin --bootstrap-region-id RegionOne \
		--bootstrap-admin-url http://127.0.0.1:5000/v3 \
		--bootstrap-internal-url http://127.0.0.1:5000/v3 \
		--bootstrap-public-url http://127.0.0.1:5000/v3
}

sync_others() {
	local n=$ETC/nova/nova.conf
	run "$SETUP_LOG" placement-manage --config-file "$ETC/placement/placement.conf" db sync
	run "$SETUP_LOG" glance-manage --config-file "$ETC/glance/glance-api.conf" db_sync
	run "$SETUP_LOG" neutron-db-manage --config-file "$ETC/neutron/neutron.conf" upgrade heads
	run "$SETUP_LOG" nova-manage --config-file "$n" api_db sync
	run "$SETUP_LOG" nova-manage --config-file "$n" cell_v2 map_cell0
	if ! nova-manage --config-file "$n" cell_v2 list_cells 2>/dev/null | grep -q ' cell1 '; then
		run "$SETUP_LOG" nova-manage --config-file "$n" cell_v2 create_cell --name cell1
	fi
	run "$SETUP_LOG" nova-manage --config-file "$n" db sync
}
