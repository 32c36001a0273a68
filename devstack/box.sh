#!/bin/bash
# devstack/box.sh - the devstack host as users have it: a Debian root file system booted
# under a real systemd (systemd-nspawn), its own loopback, the cloud laid out the way
# devstack lays it out (devstack@<name>.service units as user stack, uwsgi APIs, nova in a
# git tree run from /opt/stack/data/venv), greenbench installed through devstack/plugin.sh.
# Never touches the host's /etc, never signals a process it did not start, never runs a
# shell on a caller's string (exec passes argv through nsenter).
#
# Usage: devstack/box.sh up --release bookworm|trixie|sid [--computes N]
#        devstack/box.sh exec --release R -- CMD [ARG...]
#        devstack/box.sh status
#        devstack/box.sh down [--release R]
#        devstack/box.sh wipe [--release R]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CHECKOUT=$(cd "$HERE/.." && pwd)
BOXES=${GREENBENCH_BOX_DIR:-/var/lib/greenbench-box}
RELEASES=(bookworm trixie sid)
REL=
COMPUTES=2
SUDO=

say() { printf 'box: %s\n' "$*" >&2; }
die() { printf 'box: error: %s\n' "$*" >&2; exit 1; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------------------- recipe

# the packages the box adds to debootstrap's minbase: the cloud (testcloud/lib.sh), the
# build (deps.sh) and what a devstack host has (git, sudo, a venv)
. "$HERE/testcloud/lib.sh"
BASE_INCLUDE=systemd,systemd-sysv,dbus,python3,procps,adduser,ca-certificates
box_packages() {
	printf '%s\n' "${PKGS[@]}"
	"$HERE/deps.sh" --list
	printf '%s\n' git sudo python3-venv curl less
}

# recipe_hash: what the cached root file system was built from; a change rebuilds it
recipe_hash() {
	{
		echo "release $REL include $BASE_INCLUDE"
		box_packages | sort -u
		declare -f build_root prepare_root install_packages_inside
	} | sha256sum | cut -c1-16
}

layout() {
	DIR=$BOXES/$REL
	ROOT=$DIR/root
	LOG=$DIR/log
	CG=greenbench-box-$REL
	MACHINE=gb-$REL
}

# mirror: the Debian mirror the host uses (its deb822 sources), never a hard-coded host
mirror() {
	local f=/etc/apt/sources.list.d/debian.sources u
	if [ -r "$f" ]; then
		u=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")
	fi
	if [ -z "${u:-}" ] && [ -r /etc/apt/sources.list ]; then
		u=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list)
	fi
	[ -n "${u:-}" ] || die "no Debian mirror found in $f or /etc/apt/sources.list"
	echo "$u"
}

# retry N WHAT CMD...: the mirror is flaky here; try CMD up to N times
retry() {
	local n=$1 what=$2 i; shift 2
	for ((i = 1; i <= n; i++)); do
		"$@" && return 0
		say "$what failed (try $i of $n)"
		sleep $((i * 5))
	done
	die "$what failed $n times; read $LOG/build.log"
}

build_root() {
	local m; m=$(mirror)
	rm -rf -- "$ROOT.new"
	mkdir -p "$ROOT.new"
	# debootstrap keeps what it downloaded in the target: a retry resumes
	retry 4 "debootstrap $REL" debootstrap --variant=minbase --include="$BASE_INCLUDE" \
		"$REL" "$ROOT.new" "$m" >>"$LOG/build.log" 2>&1
	prepare_root "$ROOT.new" "$m"
}

# prepare_root ROOT MIRROR: what a booted box needs before its packages can install
prepare_root() {
	local r=$1 m=$2
	printf 'Acquire::Check-Valid-Until "false";\nAcquire::Retries "5";\n' >"$r/etc/apt/apt.conf.d/90greenbench"
	printf 'APT::Install-Recommends "false";\n' >"$r/etc/apt/apt.conf.d/91greenbench-norecommends"
	printf 'deb %s %s main\n' "$m" "$REL" >"$r/etc/apt/sources.list"
	echo "$MACHINE" >"$r/etc/hostname"
	# nova-common's postinst runs `hostname --fqdn`
	printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$MACHINE" >"$r/etc/hosts"
	# no console login, no network manager waiting for a link that never comes
	rm -f "$r/etc/systemd/system/getty.target.wants/"* 2>/dev/null || true
}

# install_packages_inside: download with the host's network namespace, install inside so
# maintainer scripts start mariadb and rabbitmq on the box's own loopback
install_packages_inside() {
	local pk; mapfile -t pk < <(box_packages | sort -u)
	local host_net=(nsenter -t "$LEADER" -m -u -i -p --)
	retry 4 "apt-get update in $REL" "${host_net[@]}" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		apt-get -q update >>"$LOG/build.log" 2>&1
	retry 4 "downloading ${#pk[@]} packages for $REL" "${host_net[@]}" /usr/bin/env -i \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
		apt-get -q -y --download-only install "${pk[@]}" >>"$LOG/build.log" 2>&1
	box_exec env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Options::=--force-confold \
		install "${pk[@]}" </dev/null >>"$LOG/build.log" 2>&1 ||
		die "installing the packages inside the $REL box failed; read $LOG/build.log"
	box_exec apt-get clean >>"$LOG/build.log" 2>&1
}

# ensure_root: the cached root file system, (re)built when missing or its recipe changed
ensure_root() {
	local want have=
	want=$(recipe_hash)
	[ -f "$DIR/recipe" ] && have=$(cat "$DIR/recipe")
	if [ -d "$ROOT" ] && [ "$have" = "$want" ]; then
		say "$REL: root file system cached ($ROOT, recipe $want)"
		return 0
	fi
	is_running && die "$REL box runs from an outdated root file system; run '$0 down --release $REL' first"
	local t0; t0=$(date +%s.%N)
	say "$REL: building the root file system (recipe $want${have:+, was $have}); log $LOG/build.log"
	command -v debootstrap >/dev/null && command -v systemd-nspawn >/dev/null ||
		die "debootstrap and systemd-nspawn are missing; run devstack/deps.sh --box"
	# the debootstrap stage has its own stamp: a failed package stage does not redo it
	if [ ! -d "$ROOT" ] || [ "$(cat "$DIR/recipe.base" 2>/dev/null)" != "$want" ]; then
		build_root
		rm -rf -- "$ROOT" "$DIR/upper" "$DIR/work" "$DIR/recipe.base"
		mv "$ROOT.new" "$ROOT"
		echo "$want" >"$DIR/recipe.base"
		say "$REL: debootstrap done in $(elapsed "$t0") s"
	fi
	boot
	install_packages_inside
	halt
	echo "$want" >"$DIR/recipe"
	say "$REL: root file system built in $(elapsed "$t0") s, $(du -sh "$ROOT" | cut -f1)"
}

# ---------------------------------------------------------------------------- boot

nspawn_pid() { [ -f "$DIR/nspawn.pid" ] && cat "$DIR/nspawn.pid"; }

# is_running: the nspawn this script started for REL still runs
is_running() {
	local p; p=$(nspawn_pid) || return 1
	[ -n "$p" ] && [ -d "/proc/$p" ] && grep -qs systemd-nspawn "/proc/$p/cmdline"
}

# leader: the box's PID 1 as the host sees it (the nspawn child whose NSpid ends in 1)
find_leader() {
	local p c
	p=$(nspawn_pid) || return 1
	for c in $(cat "/proc/$p/task/"*/children 2>/dev/null); do
		if awk '/^NSpid:/ { exit !($NF == 1) }' "/proc/$c/status" 2>/dev/null; then
			echo "$c"; return 0
		fi
	done
	return 1
}

cg_dirs() { echo "/sys/fs/cgroup/unified/$CG /sys/fs/cgroup/systemd/$CG"; }

boot() {
	local i t0 env=() d
	t0=$(date +%s.%N)
	mkdir -p "$LOG" "$DIR/upper" "$DIR/work" "$ROOT/opt/stack/greenbench"
	# sid's systemd refuses the host's hybrid cgroup v1 layout
	[ "$REL" = sid ] && env=(SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1)
	# each box's nspawn in its own cgroup, so that two boxes' "payload" cgroups do not collide
	for d in $(cg_dirs); do [ -d "${d%/*}" ] && mkdir -p "$d"; done
	# the checkout through an overlay: the box builds greenbench for its own Python into its
	# own upper layer, never into the host's tree or another box's
	# the wrapper writes its own pid (it becomes nspawn): setsid forks when it leads a
	# process group, and then $! is not nspawn's pid
	rm -f "$DIR/nspawn.pid"
	# it closes every inherited descriptor above 2 first: a caller's lock (flock) must not be
	# held by the box for as long as it runs
	setsid /bin/bash -c 'echo $$ >"$1"; for d in $2 $3; do [ -d "$d" ] && echo $$ >"$d/cgroup.procs"; done
		for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt 2 ] && { eval "exec $n>&-"; } 2>/dev/null; done
		shift 3; exec "$@"' \
		_ "$DIR/nspawn.pid" $(cg_dirs) env "${env[@]}" systemd-nspawn -D "$ROOT" --machine="$MACHINE" \
		--register=no --keep-unit --console=read-only --private-network \
		--overlay="$CHECKOUT:$DIR/upper:/opt/stack/greenbench" -b \
		</dev/null >"$LOG/nspawn.log" 2>&1 &
	for ((i = 0; i < 50; i++)); do [ -s "$DIR/nspawn.pid" ] && break; sleep 0.1; done
	for ((i = 0; i < 300; i++)); do
		LEADER=$(find_leader) && break
		is_running || die "systemd-nspawn for $REL exited; read $LOG/nspawn.log"
		sleep 0.1
	done
	[ -n "${LEADER:-}" ] || die "no PID 1 in the $REL box after 30 s; read $LOG/nspawn.log"
	echo "$LEADER" >"$DIR/leader"
	local state
	# until its manager answers, systemctl fails at once ("Failed to connect to bus")
	for ((i = 0; i < 1200; i++)); do
		state=$(timeout 120 nsenter -t "$LEADER" -a -- systemctl is-system-running --wait 2>/dev/null) || true
		case $state in running|degraded|maintenance|stopping) break ;; esac
		is_running || break
		sleep 0.1
	done
	case $state in
	running) ;;
	degraded) say "$REL: systemd says degraded: $(box_exec systemctl --failed --no-legend --plain | awk '{print $1}' | tr '\n' ' ')" ;;
	*) die "$REL box did not boot (systemd: '${state:-no answer}'); read $LOG/nspawn.log" ;;
	esac
	say "$REL: booted in $(elapsed "$t0") s (PID 1 is host pid $LEADER)"
}

# halt: power the box off through its systemd; SIGKILL nspawn only after 90 s
halt() {
	local p i l
	p=$(nspawn_pid) || return 0
	if is_running; then
		l=$(find_leader) || l=
		[ -n "$l" ] && kill -s SIGRTMIN+3 "$l" 2>/dev/null || true
		for ((i = 0; i < 900 && ${#l}; i++)); do is_running || break; sleep 0.1; done
		if is_running; then
			say "$REL: systemd did not power off in 90 s; killing its nspawn ($p)"
			kill -KILL "$p" 2>/dev/null || true
			for ((i = 0; i < 100; i++)); do is_running || break; sleep 0.1; done
		fi
	fi
	rm -f "$DIR/nspawn.pid" "$DIR/leader"
	local d
	for d in $(cg_dirs); do [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null; done
	return 0
}

need_running() {
	is_running || die "the $REL box is not running; run '$0 up --release $REL'"
	LEADER=$(find_leader) || die "the $REL box has no PID 1 (is it shutting down?)"
}

# box_exec CMD...: CMD inside as root by argv, a clean environment, stdio and status passed through
box_exec() {
	nsenter -t "$LEADER" -a -- /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" "$@"
}

# ---------------------------------------------------------------------------- commands

cmd_up() {
	local t0; t0=$(date +%s.%N)
	[ "$(id -u)" -eq 0 ] || die "the box needs root (debootstrap, nspawn, nsenter)"
	mkdir -p "$LOG"
	ensure_root
	if is_running; then
		LEADER=$(find_leader) || die "the $REL box is shutting down; try again"
		say "$REL: already running (PID 1 is host pid $LEADER)"
	else
		boot
	fi
	box_exec /opt/stack/greenbench/devstack/box/setup.sh --computes "$COMPUTES" </dev/null ||
		die "setting the cloud up inside the $REL box failed (see above; '$0 exec --release $REL -- journalctl -u devstack@*')"
	say "$REL: up in $(elapsed "$t0") s; $(box_memory)"
	say "enter it: $0 exec --release $REL -- bash   (as the stack user: ... -- su - stack)"
}

# box_memory: RSS of every process in the box's cgroup (the box shares the host's memory cgroup)
box_memory() {
	local d kb=0 n=0 p r
	d=/sys/fs/cgroup/unified/$CG
	[ -d "$d" ] || { echo "memory: unknown"; return; }
	for p in $(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null); do
		r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
		kb=$((kb + ${r:-0})); n=$((n + 1))
	done
	echo "memory: $((kb / 1024)) MB RSS in $n processes"
}

cmd_exec() {
	[ $# -gt 0 ] || die "exec needs a command after --"
	need_running
	box_exec "$@"
}

cmd_status() {
	local r any=0
	for r in "${RELEASES[@]}"; do
		REL=$r; layout
		[ -d "$DIR" ] || continue
		any=1
		local rec=none run=stopped
		[ -f "$DIR/recipe" ] && rec=$(cat "$DIR/recipe")
		[ "$rec" != none ] && [ "$rec" != "$(recipe_hash)" ] && rec="$rec (outdated: up rebuilds it)"
		if is_running; then
			LEADER=$(find_leader) || LEADER=?
			run="running, PID 1 = host pid $LEADER, $(box_memory)"
			if [ "$LEADER" != ? ]; then
				run+=", systemd $(box_exec systemctl is-system-running 2>/dev/null || true)"
				run+=", $(box_exec systemctl list-units --no-legend --plain 'devstack@*' 2>/dev/null |
					awk '{ n++; if ($3 == "active") a++ } END { printf "%d of %d devstack units active", a, n }')"
			fi
		fi
		printf '%-9s root %s, recipe %s, %s\n' "$r" "$([ -d "$ROOT" ] && du -sh "$ROOT" 2>/dev/null | cut -f1 || echo missing)" "$rec" "$run"
	done
	[ $any -eq 1 ] || echo "no box under $BOXES"
}

for_releases() {
	local f=$1 r
	if [ -n "$REL" ]; then layout; "$f"; return; fi
	for r in "${RELEASES[@]}"; do REL=$r; layout; [ -d "$DIR" ] && "$f"; done
	return 0
}

down_one() {
	if is_running; then halt; say "$REL: down"; fi
}

wipe_one() {
	down_one
	case $DIR in "$BOXES"/*) ;; *) die "refusing to remove $DIR" ;; esac
	rm -rf --one-file-system -- "$DIR"
	say "$REL: wiped ($DIR removed)"
}

main() {
	local cmd=${1:-}
	[ $# -gt 0 ] && shift
	while [ $# -gt 0 ]; do
		case $1 in
		--release) REL=${2:?--release needs bookworm, trixie or sid}; shift 2 ;;
		--release=*) REL=${1#*=}; shift ;;
		--computes) COMPUTES=${2:?--computes needs a number}; shift 2 ;;
		--computes=*) COMPUTES=${1#*=}; shift ;;
		--) shift; break ;;
		*) die "unknown option '$1' (see the usage at the top of $0)" ;;
		esac
	done
	if [ -n "$REL" ]; then
		case " ${RELEASES[*]} " in *" $REL "*) ;; *) die "--release must be one of ${RELEASES[*]}, not '$REL'" ;; esac
	fi
	[[ $COMPUTES =~ ^[0-9]+$ ]] && [ "$COMPUTES" -ge 1 ] && [ "$COMPUTES" -le 50 ] ||
		die "--computes must be a whole number from 1 to 50, not '$COMPUTES'"
	case $cmd in
	up|exec) [ -n "$REL" ] || die "$cmd needs --release (${RELEASES[*]})"; layout ;;
	esac
	case $cmd in
	up) [ $# -eq 0 ] || die "up takes no arguments ('$1')"; cmd_up ;;
	exec) cmd_exec "$@" ;;
	status) cmd_status ;;
	down) for_releases down_one ;;
	wipe) for_releases wipe_one ;;
	*) die "usage: $0 up --release R [--computes N] | exec --release R -- CMD... | status | down [--release R] | wipe [--release R]" ;;
	esac
}

main "$@"
