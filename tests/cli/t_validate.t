#!/bin/bash
# t_validate.t - `greenbench validate FILE...`: exact stdout/stderr lines and exit
# codes for good, bad, missing and mixed files; and that it writes nothing.
cd "$(dirname "$0")/../.." || exit 1
GB=${GB:-$PWD/bin/greenbench}
BAD=tests/data/scenarios/bad
n=0; fail=0
# v DESCRIPTION WANT_RC WANT_STDOUT WANT_STDERR -- ARGS...   (exact, whole output)
v() {
	local desc=$1 want_rc=$2 want_out=$3 want_err=$4; shift 5
	local out err rc
	err=$( { out=$("$GB" validate "$@"); rc=$?; } 2>&1; printf '%s\n' "$out" >"$tmp/out"; exit $rc ); rc=$?
	out=$(cat "$tmp/out")
	n=$((n+1))
	if [ "$rc" -eq "$want_rc" ] && [ "$out" == "$want_out" ] && [ "$err" == "$want_err" ]; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"; fail=$((fail+1))
		echo "#   rc=$rc (want $want_rc)"
		echo "#   stdout: '$out'"; echo "#   want:   '$want_out'"
		echo "#   stderr: '$err'"; echo "#   want:   '$want_err'"
	fi
}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

v "the seed scenario is valid: exit 0, one ok line" 0 \
	"scenarios/select_destinations.yaml: ok (select_destinations, 1 step, 1 profile target)" "" \
	-- scenarios/select_destinations.yaml
v "smoke scenario: ok, 0 profile targets" 0 \
	"scenarios/smoke.yaml: ok (smoke, 1 step, 0 profile targets)" "" -- scenarios/smoke.yaml
v "the periodic-task scenario (seed case 2) is valid" 0 \
	"scenarios/update_available_resource.yaml: ok (update_available_resource, 1 step, 1 profile target)" "" \
	-- scenarios/update_available_resource.yaml
v "its direct-database variant (patch, copy_from) is valid" 0 \
	"scenarios/update_available_resource_direct_db.yaml: ok (update_available_resource_direct_db, 1 step, 1 profile target)" "" \
	-- scenarios/update_available_resource_direct_db.yaml
v "its eventlet.green.profile variant (source patch) is valid" 0 \
	"scenarios/update_available_resource_eventlet.yaml: ok (update_available_resource_eventlet, 1 step, 1 profile target)" "" \
	-- scenarios/update_available_resource_eventlet.yaml
v "a wait_calls step naming a target nobody profiles: exit 2, file:line:col: field" 2 "" \
	"$BAD/wait_calls_not_profiled.yaml:9:15: workload[0].wait_calls.target: 'update_available_resource' is not a profile target; profiled: nova.scheduler.manager:SchedulerManager.select_destinations" \
	-- $BAD/wait_calls_not_profiled.yaml
v "several good files: one line each, in order, exit 0" 0 \
	"tests/data/scenarios/good/full.yaml: ok (full.scenario-1, 2 steps, 2 profile targets)
scenarios/smoke.yaml: ok (smoke, 1 step, 0 profile targets)" "" \
	-- tests/data/scenarios/good/full.yaml scenarios/smoke.yaml
v "fake_computes: 'many' rejected at 2:16, exit 2, nothing on stdout" 2 "" \
	"$BAD/fake_computes_word.yaml:2:16: fake_computes: expected an integer 0..1000, got 'many'" \
	-- $BAD/fake_computes_word.yaml
v "unknown key: suggestion on stderr" 2 "" \
	"$BAD/unknown_key_suggest.yaml:3:1: unknown key 'fake_compute'; did you mean 'fake_computes'?" \
	-- $BAD/unknown_key_suggest.yaml
v "alias bomb refused at its first anchor" 2 "" \
	"$BAD/alias_bomb.yaml:4:4: anchor '&a': aliases are not allowed in scenarios; write each value out" \
	-- $BAD/alias_bomb.yaml
v "binary garbage: one line, exit 2" 2 "" \
	"$BAD/binary_garbage.yaml:2:1: not valid UTF-8 (byte 0x89); a scenario must be UTF-8 text" \
	-- $BAD/binary_garbage.yaml
v "good and bad mixed: every file reported, exit 2" 2 \
	"scenarios/smoke.yaml: ok (smoke, 1 step, 0 profile targets)" \
	"$BAD/concurrency_over_count.yaml:8:20: workload[0].create_servers.concurrency: expected an integer 1..2 (at most count), got '3'
$BAD/missing_name.yaml:2:1: missing required key 'name' (e.g. name: select_destinations)" \
	-- $BAD/concurrency_over_count.yaml scenarios/smoke.yaml $BAD/missing_name.yaml
v "a missing file: cannot open, exit 2" 2 "" \
	"$tmp/nope.yaml: cannot open: No such file or directory" -- "$tmp/nope.yaml"
v "no FILE: usage error, exit 2" 2 "" \
	"greenbench validate: no FILE given; usage: greenbench validate FILE..." --
v "an unknown option is a usage error" 2 "" \
	"greenbench validate: unknown option '--strict'; see --help" -- --strict scenarios/smoke.yaml
printf '' >"$tmp/empty.yaml"
v "an empty file is refused at 1:1" 2 "" \
	"$tmp/empty.yaml:1:1: empty scenario; it needs at least 'name:' and 'workload:'" -- "$tmp/empty.yaml"

# validate writes nothing: run it in an empty HOME and cwd and compare listings
mkdir -p "$tmp/home" "$tmp/cwd"
before=$(cd "$tmp" && find home cwd | sort)
(cd "$tmp/cwd" && HOME="$tmp/home" XDG_DATA_HOME="$tmp/home/.local/share" \
	"$GB" validate "$OLDPWD/scenarios/select_destinations.yaml" >/dev/null 2>&1)
rc=$?
after=$(cd "$tmp" && find home cwd | sort)
n=$((n+1))
if [ $rc -eq 0 ] && [ "$before" == "$after" ]; then echo "ok $n - validate creates no file (no store, no journal)"
else echo "not ok $n - validate changed files (rc=$rc): $after"; fail=$((fail+1)); fi

out=$("$GB" validate --help); rc=$?; n=$((n+1))
if [ $rc -eq 0 ] && [[ "$out" == *"scenarios/README.md"* ]] && [[ "$out" == *"FILE: ok (NAME, N steps, M profile targets)"* ]]; then
	echo "ok $n - validate --help points to the schema and shows the output format"
else echo "not ok $n - validate --help (rc=$rc)"; fail=$((fail+1)); fi

echo "1..$n"
[ $fail -eq 0 ]
