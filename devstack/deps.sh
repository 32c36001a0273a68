#!/bin/bash
# Install the Debian packages greenbench needs to build, test and profile.
# Idempotent: does nothing (and needs no network) when everything is present.
# Usage: devstack/deps.sh [--box] [--dry-run | --list]   (--list: the packages, one a line;
#        --box: also what devstack/box.sh needs; --no-install-recommends keeps
#        libnss-mymachines, which rewrites /etc/nsswitch.conf, out)
set -euo pipefail

PKGS=(
	build-essential pkg-config clang libclang-rt-dev valgrind perl
	libcurl4-openssl-dev libyaml-dev libsqlite3-dev sqlite3 libjansson-dev zlib1g-dev libzstd-dev libssl-dev
	python3 python3-dev python3-yaml python3-greenlet python-greenlet-dev python3-eventlet python3-yappi
	debootstrap git patch iproute2 procps psmisc groff-base man-db
)

if [ "${1:-}" = "--box" ]; then PKGS+=(systemd-container debootstrap); shift; fi
if [ "${1:-}" = "--list" ]; then printf '%s\n' "${PKGS[@]}"; exit 0; fi
# CPython's own cProfile tests, which tests/profiler/t_cpython.py runs against greenprof:
# named by the host's Python version, so not in --list (the boxes' releases differ; the
# matrix root file systems install theirs in profiler/matrix.sh)
PKGS+=("libpython$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')-testsuite")

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#PKGS[@]} packages present"
	exit 0
fi
echo "deps: installing ${missing[*]}"
[ "${1:-}" = "--dry-run" ] && exit 0
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
