#!/usr/bin/python3
"""Helpers for devstack/testcloud.sh: the unit table, the units file, process groups
(start, prove ready, stop, status), keystone/glance/nova set-up over the loopback API.
Never signals a process it cannot tie to a pid file's session; never prints a password;
talks to 127.0.0.1 only. Run it with /usr/bin/python3 (Debian's OpenStack libraries).
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

PY = "/usr/bin/python3"
RABBITMQCTL = "/usr/sbin/rabbitmqctl"
HOST = "127.0.0.1"


def die(msg):
    sys.stderr.write("testcloud: error: %s\n" % msg)
    sys.exit(1)


def say(msg):
    sys.stderr.write("testcloud: %s\n" % msg)
    sys.stderr.flush()


# --------------------------------------------------------------------------- unit table

def py_main(module, name):
    """argv prefix running <module>.main() under Debian's interpreter as <name>."""
    return [PY, "-c",
            "import sys; from %s import main; sys.argv[0]='%s'; sys.exit(main())"
            % (module, name)]


# neutron 21 from Debian: get_ports fails ("type object 'Port' has no attribute
# 'port_forwardings'") unless the ORM mappers are configured before the server starts.
NEUTRON_MAIN = ("import sys; import neutron.cmd.eventlet.server as s; "
                "import neutron.db.models.port_forwarding, neutron.plugins.ml2.models; "
                "import sqlalchemy.orm; sqlalchemy.orm.configure_mappers(); "
                "sys.argv[0]='neutron-server'; sys.exit(s.main())")


def paths(state):
    etc = state + "/etc"
    return {
        "KEYSTONE_CONF": etc + "/keystone/keystone.conf",
        "PLACEMENT_CONF": etc + "/placement/placement.conf",
        "GLANCE_API_CONF": etc + "/glance/glance-api.conf",
        "NEUTRON_CONF": etc + "/neutron/neutron.conf",
        "NOVA_CONF": etc + "/nova/nova.conf",
        "NOVA_CPU_CONF": etc + "/nova/nova-cpu.conf",
    }


def uwsgi_argv(port, wsgi_file):
    return ["/usr/bin/uwsgi", "--plugin", "python3", "--die-on-term", "--need-app",
            "--master", "--processes", "1", "--threads", "2",
            "--http-socket", "%s:%d" % (HOST, port), "--wsgi-file", wsgi_file,
            "--add-header", "Connection: close"]


def service_units(state, computes):
    """The OpenStack units in start order, named as devstack names them."""
    p = paths(state)
    log = state + "/log/"
    env = {"PYTHONUNBUFFERED": "1"}
    nova = ["--config-file", p["NOVA_CONF"]]
    units = {}

    def add(name, argv, ready, env_extra=None, ready_timeout="120s"):
        e = dict(env)
        e.update(env_extra or {})
        units[name] = {"argv": argv, "env": e, "cwd": state, "log": log + name + ".log",
                       "ready": ready, "ready_timeout": ready_timeout,
                       "stop_timeout": "10s"}

    add("key", uwsgi_argv(5000, "/usr/bin/keystone-wsgi-public"),
        {"http": "http://%s:5000/v3" % HOST}, {"OS_KEYSTONE_CONFIG_FILES": p["KEYSTONE_CONF"]})
    add("placement-api", uwsgi_argv(8778, "/usr/bin/placement-api"),
        {"http": "http://%s:8778/" % HOST},
        {"OS_PLACEMENT_CONFIG_DIR": os.path.dirname(p["PLACEMENT_CONF"])})
    add("g-api", py_main("glance.cmd.api", "glance-api") + ["--config-file", p["GLANCE_API_CONF"]],
        {"http": "http://%s:9292/versions" % HOST})  # "/" answers 300
    add("q-svc", [PY, "-c", NEUTRON_MAIN, "--config-file", p["NEUTRON_CONF"]],
        {"http": "http://%s:9696/" % HOST})
    add("n-api", py_main("nova.cmd.api", "nova-api") + nova, {"tcp": "%s:8774" % HOST})
    add("n-cond", py_main("nova.cmd.conductor", "nova-conductor") + nova, {"rpc": "conductor"})
    add("n-sch", py_main("nova.cmd.scheduler", "nova-scheduler") + nova, {"rpc": "scheduler"})
    fc = fake_compute(state)
    for i in range(1, computes + 1):
        host = fc["host_prefix"] + str(i)
        add(fc["unit_prefix"] + str(i),
            fc["argv"] + ["--config-file", "%s/%s.conf" % (fc["conf_dir"], host)],
            {"rpc": "compute." + host}, ready_timeout=fc["ready_timeout"])
    return units


def fake_compute(state):
    p = paths(state)
    return {
        "unit_prefix": "n-cpu-",
        "host_prefix": "fake-",
        # like devstack's n-cpu: nova-cpu.conf only (nova.conf without database access)
        "argv": py_main("nova.cmd.compute", "nova-compute") + ["--config-file", p["NOVA_CPU_CONF"]],
        "conf_dir": state + "/etc/nova/computes",
        "env": {"PYTHONUNBUFFERED": "1"},
        "cwd": state,
        "log_dir": state + "/log",
        "ready": {"rpc": "compute.{host}"},
        "ready_timeout": "120s",
        "stop_timeout": "10s",
        # as devstack does after starting computes: map the new hosts to cell1 now,
        # not at the scheduler's next periodic discovery (builds fail until then)
        "after_start": ["/usr/bin/nova-manage", "--config-file", p["NOVA_CONF"],
                        "cell_v2", "discover_hosts"],
    }


def infra_units(state):
    """mariadb, epmd and rabbitmq: what the OpenStack units stand on."""
    log = state + "/log/"
    rmq = state + "/rabbitmq"
    return {
        "mysql": {
            "argv": ["/usr/sbin/mariadbd", "--user=mysql", "--bind-address=" + HOST,
                     "--port=3306", "--skip-name-resolve",
                     "--socket=/run/mysqld/mysqld.sock", "--pid-file=" + state + "/mysql/mariadbd.pid"],
            "env": {}, "cwd": state, "log": log + "mysql.log",
            "ready": {"tcp": HOST + ":3306"}, "ready_timeout": "60s", "stop_timeout": "30s"},
        # epmd in the foreground, so that it belongs to a process group we own (the one
        # an Erlang node starts by itself daemonizes into a session of its own).
        "epmd": {
            "argv": ["/usr/bin/epmd", "-address", HOST, "-port", "4369"],
            "env": {"ERL_EPMD_ADDRESS": HOST}, "cwd": state, "log": log + "epmd.log",
            "ready": {"tcp": HOST + ":4369"}, "ready_timeout": "20s", "stop_timeout": "5s"},
        "rabbit": {
            # as user rabbitmq without su (su puts its child in a session of its own)
            "argv": ["/usr/bin/setpriv", "--reuid=rabbitmq", "--regid=rabbitmq", "--init-groups",
                     "/usr/lib/rabbitmq/bin/rabbitmq-server"],
            "env": {"HOME": "/var/lib/rabbitmq", "RABBITMQ_NODE_IP_ADDRESS": HOST, "ERL_EPMD_ADDRESS": HOST,
                    "RABBITMQ_DIST_PORT": "25672",
                    # Erlang distribution listens on every address unless told otherwise
                    "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
                    "RABBITMQ_MNESIA_BASE": rmq + "/mnesia", "RABBITMQ_LOG_BASE": rmq + "/log",
                    "RABBITMQ_LOGS": "-"},
            "cwd": rmq, "log": log + "rabbit.log",
            "ready": {"tcp": HOST + ":5672"}, "ready_timeout": "90s", "stop_timeout": "30s"},
    }


# --------------------------------------------------------------------------- units file

PLAIN = re.compile(r"^[A-Za-z0-9_/.][A-Za-z0-9_./-]*$")


def ys(v):
    """A YAML scalar: plain when unambiguous, else a double-quoted (JSON) string."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    s = str(v)
    if PLAIN.match(s) and s.lower() not in ("true", "false", "yes", "no", "null", "on", "off", "~") \
            and not re.match(r"^[0-9.]+$", s):
        return s
    return json.dumps(s)


def yflow(v):
    if isinstance(v, dict):
        return "{" + ", ".join("%s: %s" % (ys(k), yflow(x)) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(yflow(x) for x in v) + "]"
    return ys(v)


def units_yaml(state, units, fc=None, comment=""):
    out = ["# %s" % line for line in comment.splitlines()]
    out += ["version: 1", "backend: process", "state_dir: %s" % ys(state + "/run"),
            "rabbitmqctl: %s" % RABBITMQCTL, "vars:"]
    out += ["  %s: %s" % (k, ys(v)) for k, v in paths(state).items()]
    out.append("units:")
    for name, u in units.items():
        out.append("  %s:" % ys(name))
        for k in ("argv", "env", "cwd", "log", "ready", "ready_timeout", "stop_timeout"):
            out.append("    %s: %s" % (k, yflow(u[k])))
    if fc:
        out.append("fake_compute:")
        for k, v in fc.items():
            out.append("  %s: %s" % (k, yflow(v)))
    return "\n".join(out) + "\n"


def write_if_changed(path, text, mode=0o644):
    """Write text to path atomically unless it already holds exactly that; True if written."""
    try:
        with open(path) as f:
            if f.read() == text:
                os.chmod(path, mode)
                return False
    except FileNotFoundError:
        pass
    tmp = "%s/.%s.tmp" % (os.path.dirname(path), os.path.basename(path))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.rename(tmp, path)
    return True


def load_units(path):
    import yaml
    with open(path) as f:
        doc = yaml.safe_load(f)
    if not isinstance(doc, dict) or doc.get("version") != 1 or not isinstance(doc.get("units"), dict):
        die("%s is not a version 1 units file; rerun 'testcloud.sh up'" % path)
    return doc


# --------------------------------------------------------------------------- processes

def seconds(s):
    m = re.match(r"^(\d+)s$", str(s))
    if not m:
        die("bad duration '%s' (want e.g. 60s)" % s)
    return int(m.group(1))


def pidfile(doc, name):
    return "%s/%s.pid" % (doc["state_dir"], name)


def read_pid(doc, name):
    try:
        with open(pidfile(doc, name)) as f:
            pid = int(f.read().strip())
        return pid if pid > 1 else None
    except (FileNotFoundError, ValueError):
        return None


def session_members(leader):
    """Pids in the session or process group `leader`, plus their descendants (some
    programs, e.g. Erlang's erl_child_setup, move their children to sessions of their
    own). Scanned in /proc; zombies do not count."""
    procs = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        # after "(comm)": state ppid pgrp session ...
        fields = st[st.rindex(")") + 2:].split()
        if fields[0] != "Z":
            procs[int(d)] = (int(fields[1]), int(fields[2]), int(fields[3]))
    members = {pid for pid, (_, pgrp, sid) in procs.items() if leader in (pgrp, sid)}
    grew = True
    while grew:
        grew = False
        for pid, (ppid, _, _) in procs.items():
            if ppid in members and pid not in members:
                members.add(pid)
                grew = True
    return sorted(members)


def unit_pids(doc, name):
    pid = read_pid(doc, name)
    return (pid, session_members(pid)) if pid else (None, [])


def is_alive(doc, name):
    return bool(unit_pids(doc, name)[1])


def base_env(extra):
    """The minimal environment (PATH, HOME, LANG) plus the unit's own variables."""
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "HOME": os.environ.get("HOME") or "/root",
           "LANG": os.environ.get("LANG") or "C.UTF-8"}
    env.update({k: str(v) for k, v in (extra or {}).items()})
    return env


def start_unit(doc, name):
    u = doc["units"][name]
    if is_alive(doc, name):
        say("%s: already running (pid %d), left alone" % (name, read_pid(doc, name)))
        return
    os.makedirs(os.path.dirname(u["log"]), exist_ok=True)
    os.makedirs(doc["state_dir"], exist_ok=True)
    log = open(u["log"], "ab")
    log.write(("\n==== %s: started by testcloud.sh at %s\n"
               % (name, time.strftime("%Y-%m-%dT%H:%M:%S"))).encode())
    log.flush()
    p = subprocess.Popen(u["argv"], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                         cwd=u.get("cwd") or "/", env=base_env(u.get("env")),
                         start_new_session=True, close_fds=True)
    log.close()
    write_if_changed(pidfile(doc, name), "%d\n" % p.pid)
    say("%s: started, pid %d, log %s" % (name, p.pid, u["log"]))


def rpc_queues():
    try:
        out = subprocess.run([RABBITMQCTL, "-q", "list_queues", "name", "consumers"],
                             capture_output=True, text=True, timeout=60).stdout
    except subprocess.TimeoutExpired:
        return {}
    queues = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            queues[parts[0]] = int(parts[1])
    return queues


def probe(ready):
    """True when the readiness probe `ready` (a units-file mapping) passes once."""
    if "tcp" in ready:
        h, port = ready["tcp"].rsplit(":", 1)
        try:
            socket.create_connection((h, int(port)), timeout=2).close()
            return True
        except OSError:
            return False
    if "http" in ready:
        try:
            with urllib.request.urlopen(ready["http"], timeout=5) as r:
                return r.status < 500
        except urllib.error.HTTPError as e:
            return e.code < 500
        except (OSError, urllib.error.URLError):
            return False
    if "rpc" in ready:
        return rpc_queues().get(ready["rpc"], 0) >= 1
    return True


def tail(path, n=15):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def wait_ready(doc, names):
    """Wait for every unit in names to pass its probe; die naming the log if one fails."""
    pending = list(names)
    t0 = time.time()
    deadline = {n: t0 + seconds(doc["units"][n].get("ready_timeout", "60s")) for n in names}
    while pending:
        # one rabbitmqctl call serves every rpc probe of this round
        queues = None
        for n in list(pending):
            u = doc["units"][n]
            if not is_alive(doc, n):
                die("%s died while starting; read %s:\n%s" % (n, u["log"], tail(u["log"])))
            r = u["ready"]
            if "rpc" in r:
                if queues is None:
                    queues = rpc_queues()
                ok = queues.get(r["rpc"], 0) >= 1
            else:
                ok = probe(r)
            if ok:
                say("%s: ready (%s) after %.1f s" % (n, yflow(r), time.time() - t0))
                pending.remove(n)
            elif time.time() > deadline[n]:
                die("%s not ready (%s) within %s; read %s:\n%s"
                    % (n, yflow(r), u.get("ready_timeout"), u["log"], tail(u["log"])))
        if pending:
            time.sleep(1)


def stop_units(doc, names):
    """Stop units together: SIGTERM every process of each one's group at once, wait up to
    each unit's stop_timeout, SIGKILL what is left of it, then remove the pid files.
    Dies naming the unit if any process survives SIGKILL."""
    leaders, term_at, kill_at = {}, {}, {}
    for n in names:
        leader, pids = unit_pids(doc, n)
        if not leader:
            continue
        leaders[n] = leader
        if pids:
            say("%s: stopping process group %d (%d processes)" % (n, leader, len(pids)))

    def signal_unit(n, sig):
        for pid in session_members(leaders[n]):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    now = time.time()
    for n in leaders:
        signal_unit(n, signal.SIGTERM)
        term_at[n] = now
    pending = set(leaders)
    while pending:
        for n in sorted(pending):
            if not session_members(leaders[n]):
                pending.discard(n)
                os.unlink(pidfile(doc, n))
            elif n in kill_at:
                if time.time() - kill_at[n] > 10:
                    die("%s: processes of group %d survive SIGKILL: %s"
                        % (n, leaders[n], session_members(leaders[n])))
            elif time.time() - term_at[n] > seconds(doc["units"][n].get("stop_timeout", "10s")):
                say("%s: still there after its stop_timeout; SIGKILL" % n)
                signal_unit(n, signal.SIGKILL)
                kill_at[n] = time.time()
        if pending:
            time.sleep(0.2)


def rss_kb(pid, key):
    try:
        with open("/proc/%d/%s" % (pid, "smaps_rollup" if key == "Pss" else "status")) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


# --------------------------------------------------------------------------- OpenStack API

def api(method, url, token=None, body=None, headers=None, raw=None, ok=(200, 201, 202, 204)):
    if not url.startswith("http://%s:" % HOST):
        die("refusing a non-loopback URL: %s" % url)
    h = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    if raw is not None:
        data = raw
        h["Content-Type"] = "application/octet-stream"
    if token:
        h["X-Auth-Token"] = token
    h.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            text = r.read()
            return r.status, (json.loads(text) if text.strip() else {}), r.headers
    except urllib.error.HTTPError as e:
        if e.code in ok:
            return e.code, {}, e.headers
        die("%s %s: HTTP %d %s" % (method, url, e.code, e.read()[:300].decode(errors="replace")))


def secrets(state):
    s = {}
    with open(state + "/secrets") as f:
        for line in f:
            if "=" in line:
                k, v = line.strip().split("=", 1)
                s[k] = v
    return s


KS = "http://%s:5000/v3" % HOST


def token(user, password, project):
    _, _, hdr = api("POST", KS + "/auth/tokens", body={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}}}})
    return hdr["X-Subject-Token"]


def password_works(user, password):
    """Does keystone accept user's password (an unscoped token)?"""
    status, _, _ = api("POST", KS + "/auth/tokens", body={"auth": {"identity": {
        "methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}}}},
        ok=(201, 401))
    return status == 201


def find(tok, coll, key, **match):
    _, body, _ = api("GET", "%s/%s" % (KS, coll), tok)
    for x in body[key]:
        if all(x.get(k) == v for k, v in match.items()):
            return x
    return None


def ensure(tok, coll, key, one, match, create):
    x = find(tok, coll, key, **match)
    if x:
        return x
    return api("POST", "%s/%s" % (KS, coll), tok, body={one: create})[1][one]


SERVICES = [  # name, type, endpoint URL
    ("nova", "compute", "http://%s:8774/v2.1" % HOST),
    ("placement", "placement", "http://%s:8778" % HOST),
    ("glance", "image", "http://%s:9292" % HOST),
    ("neutron", "network", "http://%s:9696" % HOST),
]


def cmd_keystone_setup(state):
    """Project service, service users with roles admin and service, services and endpoints."""
    sec = secrets(state)
    tok = token("admin", sec["ADMIN_PASSWORD"], "admin")
    proj = ensure(tok, "projects", "projects", "project", {"name": "service"},
                  {"name": "service", "domain_id": "default", "description": "greenbench services"})
    role = find(tok, "roles", "roles", name="admin")
    if not role:
        die("keystone has no role 'admin'; did keystone-manage bootstrap run?")
    # as devstack: service users also hold role 'service'. keystonemiddleware 13 (sid)
    # accepts a service token only with it (service_token_roles_required now defaults to
    # True), and answers 401 to a request whose X-Service-Token lacks it
    service_role = ensure(tok, "roles", "roles", "role", {"name": "service"}, {"name": "service"})
    for name, stype, url in SERVICES:
        user = find(tok, "users", "users", name=name)
        if user:
            if not password_works(name, sec["SERVICE_PASSWORD"]):
                # keep the password in step with the secrets file. Only when it is wrong: a
                # password change revokes the user's tokens, and a running nova-compute's
                # neutron client does not recover from that (deletes then fail with
                # NeutronAdminCredentialConfigurationInvalid).
                api("PATCH", "%s/users/%s" % (KS, user["id"]), tok,
                    body={"user": {"password": sec["SERVICE_PASSWORD"]}})
        else:
            user = api("POST", KS + "/users", tok, body={"user": {
                "name": name, "domain_id": "default", "password": sec["SERVICE_PASSWORD"],
                "default_project_id": proj["id"]}})[1]["user"]
        # `openstack role add` is broken in Debian's client 6.0.0: use the API.
        for r in (role, service_role):
            api("PUT", "%s/projects/%s/users/%s/roles/%s" % (KS, proj["id"], user["id"], r["id"]), tok)
        svc = ensure(tok, "services", "services", "service", {"type": stype},
                     {"name": name, "type": stype, "enabled": True})
        _, eps, _ = api("GET", "%s/endpoints?service_id=%s" % (KS, svc["id"]), tok)
        have = {e["interface"]: e for e in eps["endpoints"]}
        for iface in ("public", "internal", "admin"):
            e = have.get(iface)
            if e and e["url"] == url and e.get("region_id") == "RegionOne":
                continue
            if e:
                api("DELETE", "%s/endpoints/%s" % (KS, e["id"]), tok)
            api("POST", KS + "/endpoints", tok, body={"endpoint": {
                "service_id": svc["id"], "interface": iface, "url": url,
                "region_id": "RegionOne", "enabled": True}})
    say("keystone: project service, users %s, endpoints on %s"
        % (", ".join(s[0] for s in SERVICES), HOST))


NOVA = "http://%s:8774/v2.1" % HOST
GLANCE = "http://%s:9292/v2" % HOST


def cmd_image_flavor(state):
    """A 1 KiB raw image 'cirros' (active), flavor 'c1' (64 MB, 1 vCPU, 1 GB), and no
    instance/core/RAM quota for project admin."""
    sec = secrets(state)
    tok = token("admin", sec["ADMIN_PASSWORD"], "admin")
    _, imgs, _ = api("GET", GLANCE + "/images?name=cirros", tok)
    img = next((i for i in imgs["images"] if i["status"] == "active"), None)
    for i in imgs["images"]:  # a half-made image from an interrupted run
        if i["status"] != "active":
            api("DELETE", "%s/images/%s" % (GLANCE, i["id"]), tok)
    if not img:
        img = api("POST", GLANCE + "/images", tok, body={
            "name": "cirros", "disk_format": "raw", "container_format": "bare",
            "visibility": "public"})[1]
        api("PUT", "%s/images/%s/file" % (GLANCE, img["id"]), tok, raw=b"\0" * 1024)
        say("glance: image cirros %s uploaded" % img["id"])
    # no quota in the way of a benchmark: admin may run any number of servers
    _, proj, _ = api("GET", KS + "/projects?name=admin", tok)
    api("PUT", "%s/os-quota-sets/%s" % (NOVA, proj["projects"][0]["id"]), tok, body={
        "quota_set": {"instances": -1, "cores": -1, "ram": -1}})
    _, fl, _ = api("GET", NOVA + "/flavors", tok)
    if not any(f["name"] == "c1" for f in fl["flavors"]):
        api("POST", NOVA + "/flavors", tok, body={"flavor": {
            "name": "c1", "ram": 64, "vcpus": 1, "disk": 1}})
        say("nova: flavor c1 created")


def cmd_prune_computes(units_path, state, keep):
    """Stop fake computes numbered above `keep` (by their pid files) and delete their
    nova-compute service records (which takes their compute nodes and resource providers
    with them), so the scheduler does not keep seeing hosts that are gone."""
    doc = load_units(units_path)
    fc = doc["fake_compute"]
    pre, hpre = fc["unit_prefix"], fc["host_prefix"]
    gone, extra = set(), []
    for f in sorted(os.listdir(doc["state_dir"])):
        m = re.match(r"^%s(\d+)\.pid$" % re.escape(pre), f)
        if m and int(m.group(1)) > keep:
            doc["units"].setdefault(pre + m.group(1), {"stop_timeout": fc["stop_timeout"]})
            extra.append(pre + m.group(1))
            gone.add(hpre + m.group(1))
    stop_units(doc, extra)
    sec = secrets(state)
    tok = token("admin", sec["ADMIN_PASSWORD"], "admin")
    v253 = {"OpenStack-API-Version": "compute 2.53"}
    _, svcs, _ = api("GET", NOVA + "/os-services?binary=nova-compute", tok, headers=v253)
    for svc in svcs["services"]:
        m = re.match(r"^%s(\d+)$" % re.escape(hpre), svc["host"])
        if m and int(m.group(1)) > keep:
            code, _, _ = api("DELETE", "%s/os-services/%s" % (NOVA, svc["id"]), tok,
                             headers=v253, ok=(204, 409))
            if code == 409:
                say("nova: compute %s still has servers; its record stays" % svc["host"])
            else:
                gone.add(svc["host"])
    for host in gone:
        try:
            os.unlink("%s/%s.conf" % (fc["conf_dir"], host))
        except FileNotFoundError:
            pass
    if gone:
        say("computes: %d beyond %s%d removed" % (len(gone), hpre, keep))


# --------------------------------------------------------------------------- commands

def main(argv):
    if len(argv) < 2:
        die("usage: tc.py units-yaml|start|wait|stop|status|alive|keystone-setup|image-flavor ...")
    cmd, args = argv[1], argv[2:]
    if cmd == "units-yaml":  # STATE COMPUTES OUT INFRA_OUT
        state, n, out, infra_out = args[0], int(args[1]), args[2], args[3]
        head = ("greenbench units file for the test cloud, written by devstack/testcloud.sh.\n"
                "Unit names follow devstack's; vars name the configs under %s." % state)
        ch = write_if_changed(out, units_yaml(state, service_units(state, n), fake_compute(state), head))
        ch |= write_if_changed(infra_out, units_yaml(state, infra_units(state), None,
                                                     "testcloud's own infrastructure: not for greenbench"))
        say("units: %s %s" % (out, "written" if ch else "unchanged"))
        return
    if cmd == "stop-all":  # FILE: every unit, plus extra fake computes left by a harness
        doc = load_units(args[0])
        names = list(doc["units"])
        pre = (doc.get("fake_compute") or {}).get("unit_prefix")
        if pre:
            for f in sorted(os.listdir(doc["state_dir"])):
                n = f[:-4]
                if f.endswith(".pid") and n.startswith(pre) and n not in doc["units"]:
                    doc["units"][n] = {"stop_timeout": doc["fake_compute"].get("stop_timeout", "10s")}
                    names.append(n)
        stop_units(doc, names)
        return
    if cmd in ("start", "wait", "stop", "alive"):
        doc = load_units(args[0])
        names = args[1:] or list(doc["units"])
        for n in names:
            if n not in doc["units"]:
                die("no unit '%s' in %s" % (n, args[0]))
        if cmd == "start":
            for n in names:
                start_unit(doc, n)
        elif cmd == "wait":
            wait_ready(doc, names)
        elif cmd == "stop":
            stop_units(doc, names)
        else:
            sys.exit(0 if all(is_alive(doc, n) for n in names) else 1)
        return
    if cmd == "status":  # FILE... : one line per unit; exit 1 if any is down
        down = 0
        tot_rss = tot_pss = 0
        queues = None
        for path in args:
            doc = load_units(path)
            for n, u in doc["units"].items():
                leader, pids = unit_pids(doc, n)
                if not pids:
                    print("%-14s down" % n)
                    down += 1
                    continue
                if "rpc" in u["ready"] and queues is None:
                    queues = rpc_queues()
                ok = (queues.get(u["ready"]["rpc"], 0) >= 1) if "rpc" in u["ready"] else probe(u["ready"])
                rss = sum(rss_kb(p, "VmRSS") for p in pids)
                pss = sum(rss_kb(p, "Pss") for p in pids)
                tot_rss += rss
                tot_pss += pss
                print("%-14s %-9s pid %-7d procs %-2d rss %5d MB  pss %5d MB  %s"
                      % (n, "ready" if ok else "NOT-READY", leader, len(pids), rss // 1024,
                         pss // 1024, yflow(u["ready"])))
                down += 0 if ok else 1
        print("total          rss %d MB, pss %d MB" % (tot_rss // 1024, tot_pss // 1024))
        sys.exit(1 if down else 0)
    if cmd == "render":  # OUT STATE TEMPLATE... [-SECTION...]: @STATE@, secrets filled in, 0600
        out, state = args[0], args[1]
        sec = secrets(state)
        sec["STATE"] = state
        text = ""
        for tmpl in (a for a in args[2:] if not a.startswith("-")):
            with open(tmpl) as f:
                text += f.read()
        drop = {a[1:] for a in args[2:] if a.startswith("-")}
        if drop:  # leave out whole INI sections, e.g. the databases for computes
            kept, skip = [], False
            for line in text.splitlines(True):
                m = re.match(r"^\[([^]]+)\]", line)
                if m:
                    skip = m.group(1) in drop
                if not skip:
                    kept.append(line)
            text = "".join(kept)
        text = re.sub(r"@([A-Z_]+)@", lambda m: sec[m.group(1)], text)
        if write_if_changed(out, text, 0o600):
            say("config: %s written" % out)
        return
    if cmd == "keystone-setup":
        cmd_keystone_setup(args[0])
        return
    if cmd == "prune-computes":  # UNITS STATE KEEP
        cmd_prune_computes(args[0], args[1], int(args[2]))
        return
    if cmd == "image-flavor":
        cmd_image_flavor(args[0])
        return
    die("unknown command '%s'" % cmd)


if __name__ == "__main__":
    main(sys.argv)
