#!/bin/bash
# devstack/plugin.sh - devstack plugin entry point for greenbench. devstack sources
# this file with the mode ($1: stack, unstack, clean) and phase ($2). It installs
# greenbench and the profiler bootstrap; it never starts or stops OpenStack services.

function install_greenbench {
    # build dependencies from Debian/Ubuntu packages (the list lives in deps.sh)
    sudo "$GREENBENCH_DIR/devstack/deps.sh"
    local site
    site=$("$GREENBENCH_PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    make -C "$GREENBENCH_DIR" PYTHON="$GREENBENCH_PYTHON" all
    sudo make -C "$GREENBENCH_DIR" PYTHON="$GREENBENCH_PYTHON" PREFIX="$GREENBENCH_PREFIX" \
        PYTHON_SITE="$site" install
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
