# tests/lib/e2e.sh - what the real-cloud tests share (sourced, not run): TAP
# counting, the store query, the cloud's snapshot and the servers left. The caller
# sets STATE (the test cloud's state directory) and GREENBENCH_DB first.
n=0 fail=0
okay() { # okay STATUS DESCRIPTION (STATUS 0 = pass)
	n=$((n+1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=$((fail+1)); fi
}
q() { sqlite3 "$GREENBENCH_DB" "$1"; }
# sha256 of every config file of the cloud, and the units that run (by pid file)
snapshot() {
	find "$STATE/etc" -type f -print0 | sort -z | xargs -0 sha256sum
	for p in "$STATE"/run/*.pid; do
		u=$(basename "$p" .pid)
		kill -0 -- "-$(cat "$p")" 2>/dev/null && echo "running $u"
	done
}
servers_left() {
	openstack --os-cloud greenbench-test server list --all-projects -f value -c ID 2>/dev/null | wc -l
}
