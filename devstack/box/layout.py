#!/usr/bin/python3
"""Inside the devstack box: write the cloud's systemd units, uwsgi ini files and venv entry
points the way devstack writes them (functions-common write_user_unit_file and
write_uwsgi_user_unit_file), and prove units ready. Shares the service commands and the
readiness probes with the process-backend test cloud (devstack/testcloud/tc.py).
Never starts anything on its own; talks to 127.0.0.1 only.

  layout.py write COMPUTES HOSTNAME   units, inis, entry points, fake-compute configs
  layout.py wait NAME...              prove each devstack@NAME ready (its tc.py probe)
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testcloud"))
import tc  # noqa: E402  (the test cloud's helpers: uwsgi flags, neutron's fix, probes)

STACK_USER = "stack"
DEST = "/opt/stack"
DATA = DEST + "/data"
VENV = DATA + "/venv"
UNITS = "/etc/systemd/system"
PATH = VENV + "/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
NOVA_CONF = "/etc/nova/nova.conf"
NOVA_CPU_CONF = "/etc/nova/nova-cpu.conf"
NOVA_FAKE_CONF = "/etc/nova/nova-fake.conf"
HEADER = "# written by greenbench devstack/box/layout.py, as devstack writes it\n"


def write(path, text, mode=0o644):
    tc.write_if_changed(path, text, mode)


def entry_point(name, body):
    """A venv console script as pip/pbr writes one, run by the venv's interpreter."""
    write("%s/bin/%s" % (VENV, name),
          "#!%s/bin/python3\n%simport sys\n%s" % (VENV, HEADER.replace("devstack writes", "pip writes"), body),
          0o755)


def main_script(module):
    return "from %s import main\nif __name__ == '__main__':\n    sys.exit(main())\n" % module


def unit_file(name, exec_start, uwsgi=False, env=None):
    """devstack's write_user_unit_file / write_uwsgi_user_unit_file, key for key."""
    lines = ["[Unit]", "Description = Devstack devstack@%s.service" % name, "",
             "[Service]", 'Environment = "PATH=%s"' % PATH]
    if uwsgi:
        lines += ["SyslogIdentifier = devstack@%s.service" % name]
    lines += ["User = %s" % STACK_USER, "ExecStart = %s" % exec_start]
    if uwsgi:
        lines += ["Type = notify", "Restart = always", "NotifyAccess = all",
                  "RestartForceExitStatus = 100"]
    lines += ["KillMode = process", "TimeoutStopSec = 300", "ExecReload = /usr/bin/kill -HUP $MAINPID"]
    for k, v in sorted((env or {}).items()):
        lines.append('Environment = "%s=%s"' % (k, v))
    lines += ["", "[Install]", "WantedBy = multi-user.target", ""]
    write("%s/devstack@%s.service" % (UNITS, name), HEADER + "\n".join(lines))


def uwsgi_ini(path, procname, argv):
    """tc.py's uwsgi command line (flags shared with the test cloud) as a devstack ini."""
    out = ["[uwsgi]"]
    a = argv[1:]
    i = 0
    while i < len(a):
        key = a[i][2:]
        if i + 1 < len(a) and not a[i + 1].startswith("--"):
            out.append("%s = %s" % (key, a[i + 1]))
            i += 2
        else:
            out.append("%s = true" % key)
            i += 1
    write(path, HEADER + "\n".join(out) + "\n")
    return "/usr/bin/uwsgi --procname-prefix %s --ini %s" % (procname, path)


def api_argv(port, wsgi_file, module):
    """tc.py's uwsgi flags made devstack's: API_WORKERS processes (2 on this size of host),
    one thread each, threads enabled for the app, apps loaded after the fork. With two uwsgi
    threads, Debian 12's keystone and nova-api (eventlet imported by their libraries) hang a
    worker on "greenlet.error: cannot switch to a different thread" (keystone in box_up.t and
    nova-api in box_seed.t, 2026-12-03: a POST /servers never answered). Where the release
    ships no wsgi script (trixie/sid), the module."""
    argv = tc.uwsgi_argv(port, wsgi_file)
    i = argv.index("--threads")
    del argv[i:i + 2]
    argv[argv.index("--processes") + 1] = "2"
    argv += ["--enable-threads", "--lazy-apps"]
    if not os.path.exists(wsgi_file) or os.path.isdir("/usr/lib/python3/dist-packages/nova/wsgi"):
        i = argv.index("--wsgi-file")
        argv[i:i + 2] = ["--module", module]
    return argv


# nova 34 has nova/wsgi/osapi_compute.py; nova 26 only the init function
NOVA_API_WSGI = """try:
    from nova.wsgi.osapi_compute import application
except ImportError:
    from nova.api.openstack.compute.wsgi import init_application
    application = init_application()
"""


def cmd_write(computes, hostname):
    for name, module in (("nova-scheduler", "nova.cmd.scheduler"),
                         ("nova-conductor", "nova.cmd.conductor"),
                         ("nova-compute", "nova.cmd.compute"),
                         ("nova-manage", "nova.cmd.manage"),
                         ("glance-api", "glance.cmd.api")):
        entry_point(name, main_script(module))
    # neutron 21's mappers fix, shared with the test cloud (tc.NEUTRON_MAIN)
    entry_point("neutron-server", tc.NEUTRON_MAIN.replace("; ", "\n") + "\n")
    write(VENV + "/bin/nova-api-wsgi", HEADER + NOVA_API_WSGI, 0o755)

    key = api_argv(5000, "/usr/bin/keystone-wsgi-public", "keystone.wsgi.api:application")
    unit_file("key", uwsgi_ini("/etc/keystone/keystone-uwsgi-public.ini", "keystone", key), uwsgi=True)
    unit_file("placement-api", uwsgi_ini("/etc/placement/placement-uwsgi.ini", "placement",
                                         api_argv(8778, "/usr/bin/placement-api", "placement.wsgi.api:application")), uwsgi=True)
    api = api_argv(8774, VENV + "/bin/nova-api-wsgi", "nova.wsgi.osapi_compute:application") + [
        "--pythonpath", DEST + "/nova"]
    unit_file("n-api", uwsgi_ini("/etc/nova/nova-api-uwsgi.ini", "nova-api", api), uwsgi=True)
    if os.path.exists("/usr/lib/python3/dist-packages/glance/wsgi/api.py"):
        # glance 30+: "Standalone glance-api is no longer supported"
        unit_file("g-api", uwsgi_ini("/etc/glance/glance-uwsgi.ini", "glance-api", api_argv(
            9292, "/nonexistent", "glance.wsgi.api:application")), uwsgi=True)
    else:
        unit_file("g-api", "%s/bin/glance-api --config-file /etc/glance/glance-api.conf" % VENV)
    if os.path.exists("/usr/lib/python3/dist-packages/neutron/cmd/eventlet/server"):
        unit_file("q-svc", "%s/bin/neutron-server --config-file /etc/neutron/neutron.conf" % VENV)
    else:  # neutron 26+ (trixie, sid): the API only under uwsgi, as devstack runs it now
        unit_file("q-svc", uwsgi_ini("/etc/neutron/neutron-api-uwsgi.ini", "neutron-api", api_argv(
            9696, "/nonexistent", "neutron.wsgi.api:application")), uwsgi=True)
    unit_file("n-cond", "%s/bin/nova-conductor --config-file %s" % (VENV, NOVA_CONF))
    unit_file("n-sch", "%s/bin/nova-scheduler --config-file %s" % (VENV, NOVA_CONF))
    for i in range(1, computes + 1):
        host = "%s%d" % (hostname, i)
        write("%s-%d" % (NOVA_FAKE_CONF, i),
              "[DEFAULT]\nhost = %s\nstate_path = %s/nova/%s\n" % (host, DATA, host), 0o644)
        # nova-compute writes its compute_id here on first start: stack must own it
        d = "%s/nova/%s" % (DATA, host)
        os.makedirs(d, exist_ok=True)
        import pwd
        pw = pwd.getpwnam(STACK_USER)
        os.chown(d, pw.pw_uid, pw.pw_gid)
        unit_file("n-cpu-%d" % i, "%s/bin/nova-compute --config-file %s --config-file %s-%d"
                  % (VENV, NOVA_CPU_CONF, NOVA_FAKE_CONF, i))


READY = {
    "key": {"http": "http://127.0.0.1:5000/v3"},
    "placement-api": {"http": "http://127.0.0.1:8778/"},
    "n-api": {"http": "http://127.0.0.1:8774/"},
    "g-api": {"http": "http://127.0.0.1:9292/versions"},
    "q-svc": {"http": "http://127.0.0.1:9696/"},
    "n-cond": {"rpc": "conductor"},
    "n-sch": {"rpc": "scheduler"},
}


def cmd_wait(names, hostname, timeout=180):
    t0 = time.time()
    left = list(names)
    while left:
        for n in list(left):
            r = READY.get(n)
            if r is None and n.startswith("n-cpu-"):
                r = {"rpc": "compute.%s%s" % (hostname, n[len("n-cpu-"):])}
            if tc.probe(r or {}):
                left.remove(n)
        if not left:
            break
        if time.time() - t0 > timeout:
            tc.die("not ready after %d s: %s (journalctl -u devstack@%s)"
                   % (timeout, " ".join(left), left[0]))
        time.sleep(0.5)
    tc.say("ready in %.1f s: %s" % (time.time() - t0, " ".join(names)))


def main(argv):
    if len(argv) >= 4 and argv[1] == "write":
        cmd_write(int(argv[2]), argv[3])
    elif len(argv) >= 4 and argv[1] == "wait":
        cmd_wait(argv[3:], argv[2])
    else:
        tc.die("usage: layout.py write COMPUTES HOSTNAME | wait HOSTNAME NAME...")


if __name__ == "__main__":
    main(sys.argv)
