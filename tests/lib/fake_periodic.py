"""fake_periodic.py PORT MODDIR INTERVAL [CONF] - a stand-in for nova-compute's periodic task.

Installs greenprof's bootstrap from GREENBENCH_PROFILE (as the .pth hook would; run it with
-S so that an installed greenprof's .pth hook stays out; the build
tree is on sys.path through GREENPROF_BUILD), imports the module
fakenova.compute.resource_tracker from MODDIR (written by the test), makes one start-up call,
then listens on 127.0.0.1:PORT (its readiness probe) and calls
ResourceTracker.update_available_resource every INTERVAL seconds with a context that has no
request id, like nova's periodic tasks. Runs until killed. With CONF, first appends to
CONF.seen what it found there at start: "profiled=0|1 <the [database] connection line or
'no connection'>", as a service reading its config would.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.environ.get("GREENPROF_BUILD", "build/profiler"))
from greenprof import _bootstrap  # noqa: E402

_bootstrap.install_from_env()
if len(sys.argv) > 4:
    with open(sys.argv[4]) as f:
        found = [ln.strip() for ln in f if ln.startswith("connection")]
    with open(sys.argv[4] + ".seen", "a") as f:
        f.write("profiled=%d %s\n" % ("GREENBENCH_PROFILE" in os.environ,
                                       found[-1] if found else "no connection"))
sys.path.insert(0, sys.argv[2])
from fakenova.compute import resource_tracker  # noqa: E402


class Context:
    global_request_id = None


rt = resource_tracker.ResourceTracker()
rt.update_available_resource(Context(), "fake-1", startup=True)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(8)
while True:
    time.sleep(float(sys.argv[3]))
    rt.update_available_resource(Context(), "fake-1")
