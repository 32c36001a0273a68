#!/bin/bash
# t_man.t - harness/cli/greenbench.1 is complete and renders: every command of
# `greenbench --help` has its section, every long option of each command's
# --help is documented, and man(1) formats the page without warnings.
cd "$(dirname "$0")/../.." || exit 1
GB=${GB:-bin/greenbench}
MAN=harness/cli/greenbench.1
n=0; fail=0
okay() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=$((fail+1)); fi; }
# The page's text with roff's \- turned back into -.
text=$(sed 's/\\-/-/g' "$MAN")
common=$(awk '/^\.SH "?COMMON OPTIONS"?$/ {p = 1; next} p && /^\.SH / {p = 0} p' "$MAN" | sed 's/\\-/-/g')
cmds=$($GB --help | sed -n '/^Commands:/,/^$/p' | awk 'NF >= 2 && $1 ~ /^[a-z]+$/ {print $1}')
[ "$(echo "$cmds" | wc -w)" -ge 13 ]; okay $? "greenbench --help lists the commands ($(echo $cmds))"
for c in $cmds; do
	grep -qx ".SS $c" "$MAN"; okay $? "$c: has its own section in greenbench.1"
	grep -q "^greenbench $c\$\|^\.B greenbench $c" "$MAN"; okay $? "$c: its synopsis is in greenbench.1"
	# in the command's own section (or COMMON OPTIONS), not anywhere in the page: an
	# option like --json is on the page anyway, under some other command
	section() { awk -v c="$1" '$0 == ".SS " c {p = 1; next} p && /^\.S[SH] / {p = 0} p' "$MAN" | sed 's/\\-/-/g'; }
	own=$(section "$c")
	[[ "$own" == *'"run options"'* ]] && own="$own$(section run)" # "[run options]": those of run
	missing=
	for o in $($GB "$c" --help | sed -n '/^OPTIONS/,/^EXIT STATUS/p' | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		[ "$o" = --help ] && continue
		grep -q -- "$o\b" <<<"$own$common" || missing="$missing $o"
	done
	[ -z "$missing" ]; okay $? "$c: every option of '$c --help' is in its section of greenbench.1 (or COMMON OPTIONS)${missing:+ (missing:$missing)}"
done
for v in OS_CLOUD OS_CLIENT_CONFIG_FILE OS_AUTH_URL GREENBENCH_DB GREENBENCH_PROFILE \
	 GREENBENCH_SYSTEMCTL GREENBENCH_RABBITMQCTL GREENBENCH_DEBUG_STOP_AT PYTHON; do
	grep -q "^\.B.* $v\b\|^\.B $v\$" "$MAN"; okay $? "ENVIRONMENT documents $v"
done
for s in NAME SYNOPSIS DESCRIPTION COMMANDS "COMMON OPTIONS" ENVIRONMENT FILES "EXIT STATUS" EXAMPLES; do
	grep -qx "\.SH \"\?$s\"\?" "$MAN"; okay $? "has the section $s"
done
if command -v man >/dev/null && command -v groff >/dev/null; then
	warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$MAN" 2>&1 >/dev/null)
	[ -z "$warn" ]; okay $? "man -l renders it without warnings${warn:+: $warn}"
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$MAN" 2>/dev/null | head -8 | tr -s " ")
	[[ "$out" == *"greenbench - benchmark and profile OpenStack"* ]]; okay $? "man -l shows the NAME line"
else
	okay 0 "# SKIP man/groff not installed"
fi
echo "1..$n"
[ $fail -eq 0 ]
