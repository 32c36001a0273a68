#!/bin/bash
# e2e_osapi.t - the API client and create_servers against the real test cloud
# (devstack/testcloud.sh): keystone auth, catalog, 2 servers ACTIVE then deleted, no leak.
# Skips when the test cloud's clouds.yaml is absent. Prints no secret.
cd "$(dirname "$0")/../.." || exit 1
cfg=${OS_CLIENT_CONFIG_FILE:-/var/lib/greenbench-testcloud/clouds.yaml}
if [ ! -r "$cfg" ] || [ ! -x build/rel/tests/e2e/osprobe ]; then
	echo "1..0 # SKIP no test cloud clouds.yaml ($cfg) or osprobe not built"
	exit 0
fi
export OS_CLIENT_CONFIG_FILE=$cfg OS_CLOUD=${OS_CLOUD:-greenbench-test}
n=0
t() { n=$((n + 1)); if eval "$1"; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }

out=$(timeout 60 build/rel/tests/e2e/osprobe 2>&1)
t '[[ $out == *"compute    http://"* ]]' "catalog: the compute endpoint is found"
t '[[ $out == *"image      http://"* ]]' "catalog: the image endpoint is found"

out=$(OSPROBE_CALLS=1 timeout 300 build/rel/tests/e2e/osprobe --create 2 --concurrency 2 2>&1)
echo "$out" | sed 's/^/# /'
t '[[ $out == *"2 ok, 0 failed, 0 leaked"* ]]' "create_servers: 2 servers ACTIVE and deleted, none leaked"
t '[ "$(grep -c " 202 .*/servers " <<<"$out")" -eq 2 ]' "create_servers: exactly 2 POSTs accepted"
t '[ "$(grep -cE " GET +404 .*/servers/" <<<"$out")" -eq 2 ]' "create_servers: each server seen gone (404)"
t '! grep -qi "x-auth-token\|tok-" <<<"$out"' "no token in the output"
echo "1..$n"
