#!/bin/bash
# t_house.t - the house rules of harness/ that code review alone would let slip: every
# source file sits in a part folder, includes name their part, the arrows of
# harness/README.md hold (no part includes a part above it), only cli/main.c exits, only
# the store speaks SQL, and only the one YAML reader speaks libyaml.
cd "$(dirname "$0")/../.." || exit 1
n=0; fail=0
ok() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=$((fail+1)); fi; }

# allowed arrows: part -> parts it may include (harness/README.md)
declare -A may=(
	[base]="" [scenario]="base" [units]="scenario base" [cloud]="scenario base"
	[host]="units scenario base" [profile]="base" [store]="profile base"
	[judge]="store profile base" [report]="judge store profile base"
	[run]="host units cloud profile judge store scenario base"
	[cli]="run report judge store host units cloud profile scenario base"
)
loose=$(find harness -maxdepth 1 -name '*.[ch]' | sort)
[ -z "$loose" ]; ok $? "every harness source is in a part folder${loose:+ (loose: $loose)}"

for dir in harness/*/; do
	part=$(basename "$dir")
	[ -n "${may[$part]+x}" ]; ok $? "part $part is in harness/README.md's map"
	bad=""
	for f in "$dir"*.[ch]; do
		[ -e "$f" ] || continue
		while IFS= read -r inc; do
			case "$inc" in
			*/*) p=${inc%%/*}
			     if [ "$p" != "$part" ] && [[ " ${may[$part]} " != *" $p "* ]]; then bad="$bad $f:$inc"; fi ;;
			*)   bad="$bad $f:$inc(no part)" ;;
			esac
		done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
	done
	[ -z "$bad" ]; ok $? "$part includes only parts it may (${may[$part]:-none})${bad:+: $bad}"
done

exits=$(grep -ln '\bexit(' harness/*/*.c | grep -v '^harness/cli/main.c$' |
	while read -r f; do grep -n '\bexit(' "$f" | grep -v '_exit(\|/\*.*exit(' | sed "s|^|$f:|"; done)
[ -z "$exits" ]; ok $? "no exit() below cli/main.c${exits:+: $exits}"

# the store owns its SQL: no source outside harness/store/ names sqlite3 (tests may, to
# break a store behind its back; the man page may point at sqlite3(1))
sql=$(grep -l 'sqlite3' harness/*/*.[ch] | grep -v '^harness/store/' | tr '\n' ' ')
[ -z "$sql" ]; ok $? "no source outside harness/store/ mentions sqlite3${sql:+: $sql}"
# one YAML reader: only base/yamltree.c speaks libyaml
yaml=$(grep -l '#include <yaml.h>' harness/*/*.[ch] | grep -v '^harness/base/yamltree.c$' | tr '\n' ' ')
[ -z "$yaml" ]; ok $? "only harness/base/yamltree.c includes <yaml.h>${yaml:+: $yaml}"
int=$(grep -l '#include "store/store_int.h"' harness/*/*.[ch] | grep -v '^harness/store/' | tr '\n' ' ')
[ -z "$int" ]; ok $? "only harness/store/ includes store_int.h${int:+: $int}"

echo "1..$n"
[ $fail -eq 0 ]
