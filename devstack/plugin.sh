#!/bin/bash
# devstack/plugin.sh - devstack plugin entry point for greenbench. devstack sources
# this file with the mode ($1: stack, unstack, clean) and phase ($2). It installs
# greenbench and the profiler bootstrap; it never starts or stops OpenStack services.

function install_greenbench {
    # build dependencies from Debian/Ubuntu packages (the list lives in deps.sh)
    sudo "$GREENBENCH_DIR/devstack/deps.sh"
    local site
    site=$("$GREENBENCH_PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    # the harness first: it builds on any Python, the profiler only on those it supports
    make -C "$GREENBENCH_DIR" PYTHON="$GREENBENCH_PYTHON" bin/greenbench
    sudo make -C "$GREENBENCH_DIR" PYTHON="$GREENBENCH_PYTHON" PREFIX="$GREENBENCH_PREFIX" install-bin
    local log
    log=$(mktemp)
    if make -C "$GREENBENCH_DIR" PYTHON="$GREENBENCH_PYTHON" all >"$log" 2>&1; then
        sudo make -C "$GREENBENCH_DIR" PYTHON="$GREENBENCH_PYTHON" PREFIX="$GREENBENCH_PREFIX" \
            PYTHON_SITE="$site" install
    else
        # greenbench stays usable (compare, show, unprofiled runs); profiled runs say what is missing
        echo "greenbench: WARNING: the greenprof profiler does not build for $GREENBENCH_PYTHON" \
            "($("$GREENBENCH_PYTHON" -c 'import sys; print("Python %d.%d" % sys.version_info[:2])')):" \
            "$(grep -m1 -E 'error|Error' "$log" || tail -n 1 "$log")"
        echo "greenbench: installed without greenprof; profiled runs fail until it builds"
    fi
    rm -f "$log"
}

function configure_greenbench {
    mkdir -p "$(dirname "$GREENBENCH_DB")"
    # a clouds.yaml entry greenbench's scenarios can name: devstack writes
    # /etc/openstack/clouds.yaml with devstack-admin already.
    "$GREENBENCH_PREFIX/bin/greenbench" doctor || true
}

function uninstall_greenbench {
    local site
    site=$("$GREENBENCH_PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    sudo rm -f "$site/greenbench-profile.pth"
    sudo rm -rf "$site/greenprof"
    sudo rm -f "$GREENBENCH_PREFIX/bin/greenbench" "$GREENBENCH_PREFIX/share/man/man1/greenbench.1"
}

if is_service_enabled greenbench; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing greenbench"
        install_greenbench
    elif [[ "$1" == "stack" && "$2" == "test-config" ]]; then
        echo_summary "Checking greenbench"
        configure_greenbench
    fi
    if [[ "$1" == "clean" ]]; then
        uninstall_greenbench
    fi
fi
