#!/bin/bash
# t_cli.t - the command line: help, version, unknown commands, exit codes.
cd "$(dirname "$0")/../.." || exit 1
GB=${GB:-bin/greenbench}
n=0; fail=0
t() { # t DESCRIPTION EXPECTED_RC EXPECTED_STDERR_SUBSTRING -- CMD...
	local desc=$1 want_rc=$2 want_err=$3; shift 4
	local out rc
	out=$("$@" 2>&1 >/dev/null); rc=$?
	n=$((n+1))
	if [ "$rc" -eq "$want_rc" ] && [[ "$out" == *"$want_err"* ]]; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"; echo "#   rc=$rc stderr: $out"; fail=$((fail+1))
	fi
}
t "no command: usage on stderr, exit 2" 2 "usage: greenbench" -- $GB
t "--help exits 0" 0 "" -- $GB --help
t "--version exits 0" 0 "" -- $GB --version
t "unknown command 'rn' suggests run, exit 2" 2 "'rn' is not a command; did you mean 'run'?" -- $GB rn
t "unknown command with nothing close" 2 "see 'greenbench --help'" -- $GB frobnicate
t "option before the command is refused" 2 "options go after the command" -- $GB --db x list
for c in run compare ab nightly trend report stats list show export restore doctor validate; do
	t "$c --help exits 0" 0 "" -- $GB $c --help
	t "help $c exits 0" 0 "" -- $GB help $c
done
out=$($GB --version); n=$((n+1))
if [[ "$out" =~ ^greenbench\ [0-9]+\.[0-9]+\.[0-9]+$ ]]; then echo "ok $n - --version prints 'greenbench X.Y.Z'"; else echo "not ok $n - --version printed '$out'"; fail=$((fail+1)); fi
echo "1..$n"
[ $fail -eq 0 ]
