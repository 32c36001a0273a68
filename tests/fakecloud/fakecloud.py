#!/usr/bin/python3
"""fakecloud.py - a fake keystone v3 + nova + glance + neutron for greenbench's API tests.

Owns: an in-memory cloud on 127.0.0.1 (never any other address) with fault injection
through a control API. Stdlib only. Never used outside the test suite.

Usage: fakecloud.py [--port N] [--password PW] [--token-ttl S] [--tls CERT KEY]
Prints "PORT <n>" on stdout once listening; exits on SIGTERM or when stdin closes.

Control API (no auth; delay: sleep, then handle the request; delay_after: handle it, sleep,
then answer; drop: sleep, then close without handling it):
  POST /_control/fault   {"method": "GET", "path": "<regex on path>", "times": 1,
                          "action": "status|delay|delay_after|close|drop|truncate|
                                     malformed|huge|huge_chunked|revoke",
                          "status": 503, "retry_after": "1", "delay": 2.0, "size": N}
  POST /_control/config  {"build_time": 0.3, "delete_time": 0.2, "token_ttl": 3600,
                          "error_name": "<regex>", "fault_message": "...",
                          "revoke_tokens": true}
  POST /_control/reset   forget everything
  GET  /_control/state   {"servers": [...live...], "n_server_posts": N, "n_auth": N,
                          "log": [{"method", "path", "request_id", "api_version",
                                   "nova_api_version", "has_token", "conn"}...]}
                         (conn: the number of the TCP connection the request came on)
"""
import argparse
import json
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

IMAGE_ID = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
NET_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
FLAVORS = [
    {"id": "1", "name": "c1", "ram": 64, "vcpus": 1, "disk": 1},
    {"id": "42", "name": "m1.nano", "ram": 128, "vcpus": 1, "disk": 1},
]


class Cloud:
    def __init__(self, password, token_ttl):
        self.lock = threading.Lock()
        self.password = password
        self.token_ttl = token_ttl
        self.reset()

    def reset(self):
        self.tokens = set()
        self.servers = {}  # id -> dict(name, created, deleted_at, ...)
        self.flavors = {}  # id -> name: flavors created through the API
        self.faults = []
        self.log = []
        self.n_server_posts = 0
        self.n_auth = 0
        self.inflight = 0
        self.n_connections = 0
        self.max_inflight = 0
        self.build_time = 0.3
        self.delete_time = 0.2
        self.error_name = None
        self.fault_message = "No valid host was found. There are not enough hosts available."

    def status_of(self, s, now):
        if s["deleted_at"] is not None:
            return "GONE" if now >= s["deleted_at"] + self.delete_time else "DELETING"
        if now < s["created"] + self.build_time:
            return "BUILD"
        return "ERROR" if s["error"] else "ACTIVE"

    def take_fault(self, method, path):
        for f in self.faults:
            if f.get("method", method) != method or not re.search(f.get("path", ""), path):
                continue
            f["times"] = f.get("times", 1) - 1
            if f["times"] <= 0:
                self.faults.remove(f)
            return f
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    cloud = None  # set in main
    tls = False

    def log_message(self, fmt, *args):  # quiet
        pass

    def setup(self):
        super().setup()
        with self.cloud.lock:
            self.cloud.n_connections += 1
            self.conn_id = self.cloud.n_connections

    # ---- plumbing ----
    def body_json(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return "malformed"

    def send(self, status, obj=None, headers=None, raw=None):
        data = raw if raw is not None else (b"" if obj is None else json.dumps(obj).encode())
        fault = getattr(self, "fault", None)
        action = fault.get("action") if fault else None
        if action == "delay_after":
            time.sleep(fault.get("delay", 1.0))
        if action == "malformed":
            data, status = b'{"server": {"id": "abc", ', 200 if status < 300 else status
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        rid = "req-" + str(uuid.uuid4())
        self.send_header("X-Openstack-Request-Id", rid)
        if self.path.startswith("/compute/"):
            self.send_header("x-compute-request-id", rid)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if action == "truncate":
            self.send_header("Content-Length", str(len(data) + 100))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, kind, message, headers=None):
        self.send(status, {kind: {"code": status, "message": message}}, headers)

    def handle_any(self, method):
        c = self.cloud
        path = self.path
        if path.startswith("/_control/"):
            return self.control(method, path)
        with c.lock:
            c.log.append({
                "method": method, "path": path,
                "request_id": self.headers.get("X-OpenStack-Request-ID"),
                "api_version": self.headers.get("OpenStack-API-Version"),
                "nova_api_version": self.headers.get("X-OpenStack-Nova-API-Version"),
                "has_token": self.headers.get("X-Auth-Token") is not None,
                "conn": self.conn_id,
            })
            self.fault = c.take_fault(method, path)
        f = self.fault
        body = self.body_json() if method in ("POST", "PUT") else None
        if f:
            a = f.get("action")
            if a == "revoke":
                with c.lock:
                    c.tokens.clear()
            elif a == "delay":
                time.sleep(f.get("delay", 1.0))
            elif a == "close":
                self.close_connection = True
                return
            elif a == "drop":  # stall, then hang up having made nothing
                time.sleep(f.get("delay", 1.0))
                self.close_connection = True
                return
            elif a == "status":
                hdr = {}
                if "retry_after" in f:
                    hdr["Retry-After"] = str(f["retry_after"])
                msg = f.get("message", "injected fault")
                if f.get("echo_token"):  # a service that quotes the request's token back
                    msg += " (token %s)" % self.headers.get("X-Auth-Token", "")
                return self.error(f.get("status", 500), "computeFault", msg, hdr)
            elif a == "huge":
                size = f.get("size", 17 << 20)
                return self.send(200, raw=b'{"x": "' + b"a" * size + b'"}')
            elif a == "huge_chunked":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"a" * 65536
                try:
                    self.wfile.write(b'%x\r\n{"x": "\r\n' % 7)
                    for _ in range(f.get("size", 17 << 20) // len(chunk)):
                        self.wfile.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                    self.wfile.write(b'2\r\n"}\r\n0\r\n\r\n')
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True
                return
        if path.startswith("/identity/v3/auth/tokens") and method == "POST":
            return self.auth(body)
        with c.lock:
            if self.headers.get("X-Auth-Token") not in c.tokens:
                return self.error(401, "error", "The request you have made requires authentication.")
        if path.startswith("/compute/v2.1/"):
            return self.compute(method, path[len("/compute/v2.1"):], body)
        if path.startswith("/image/v2/"):
            return self.image(method, path[len("/image/v2"):])
        if path.startswith("/placement/"):
            if path.startswith("/placement/allocation_candidates"):
                return self.send(200, {"allocation_requests": [], "provider_summaries": {}})
            return self.error(404, "itemNotFound", "no such placement resource")
        if path.startswith("/network/v2.0/"):
            return self.network(method, path[len("/network/v2.0"):])
        return self.error(404, "itemNotFound", "no such resource")

    def counted(self, method):
        c = self.cloud
        with c.lock:
            c.inflight += 1
            c.max_inflight = max(c.max_inflight, c.inflight)
        try:
            self.handle_any(method)
        finally:
            with c.lock:
                c.inflight -= 1

    def do_GET(self):
        self.counted("GET")

    def do_POST(self):
        self.counted("POST")

    def do_PUT(self):
        self.counted("PUT")

    def do_DELETE(self):
        self.counted("DELETE")

    # ---- control ----
    def control(self, method, path):
        c = self.cloud
        self.fault = None
        body = self.body_json() if method == "POST" else None
        with c.lock:
            if path == "/_control/fault" and method == "POST":
                c.faults.append(body)
                return self.send(200, {"ok": True})
            if path == "/_control/config" and method == "POST":
                for k in ("build_time", "delete_time", "token_ttl", "error_name", "fault_message"):
                    if k in body:
                        setattr(c, k, body[k])
                if body.get("revoke_tokens"):
                    c.tokens.clear()
                return self.send(200, {"ok": True})
            if path == "/_control/reset" and method == "POST":
                c.reset()
                return self.send(200, {"ok": True})
            if path == "/_control/state" and method == "GET":
                now = time.monotonic()
                live = [{"id": k, "name": s["name"], "status": c.status_of(s, now)}
                        for k, s in c.servers.items() if c.status_of(s, now) != "GONE"]
                return self.send(200, {"servers": live, "n_server_posts": c.n_server_posts,
                                       "n_auth": c.n_auth, "log": c.log,
                                       "flavors": sorted(c.flavors.values()),
                                       "max_inflight": c.max_inflight,
                                       "n_connections": c.n_connections,
                                       "faults_left": len(c.faults)})
        return self.error(404, "itemNotFound", "no such control")

    # ---- keystone ----
    def auth(self, body):
        c = self.cloud
        try:
            pw = body["auth"]["identity"]["password"]["user"]
            ok = pw["password"] == c.password and pw.get("name") == "admin"
            scope = body["auth"]["scope"]["project"]
            ok = ok and (scope.get("name") == "admin" or scope.get("id") == "p-admin")
        except (TypeError, KeyError):
            return self.error(400, "error", "malformed auth request")
        if not ok:
            return self.error(401, "error", "The request you have made requires authentication.")
        token = "tok-" + uuid.uuid4().hex
        port = self.server.server_address[1]
        base = "%s://127.0.0.1:%d" % ("https" if Handler.tls else "http", port)
        with c.lock:
            c.tokens.add(token)
            c.n_auth += 1
            ttl = c.token_ttl
        exp = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(time.time() + ttl))

        def svc(typ, path, region="RegionOne"):
            return {"type": typ, "name": typ, "endpoints": [
                {"interface": i, "region": region, "region_id": region,
                 "url": base + path} for i in ("public", "internal", "admin")]}
        catalog = [svc("identity", "/identity/v3"), svc("compute", "/compute/v2.1"),
                   svc("image", "/image"), svc("network", "/network"),
                   svc("placement", "/placement"),
                   svc("compute", "/other-region/compute/v2.1", "RegionTwo")]
        self.send(201, {"token": {"expires_at": exp, "catalog": catalog,
                                  "project": {"id": "p-admin", "name": "admin"}}},
                  {"X-Subject-Token": token})

    # ---- glance / neutron ----
    def image(self, method, path):
        img = {"id": IMAGE_ID, "name": "cirros", "status": "active"}
        if path.startswith("/images?"):
            m = re.search(r"name=([^&]*)", path)
            name = m.group(1) if m else None
            return self.send(200, {"images": [img] if name in (None, "cirros") else []})
        if path == "/images/" + IMAGE_ID:
            return self.send(200, img)
        return self.error(404, "itemNotFound", "no image")

    def network(self, method, path):
        net = {"id": NET_ID, "name": "private"}
        m = re.search(r"name=([^&]*)", path)
        if path.startswith("/networks"):
            return self.send(200, {"networks": [net] if m and m.group(1) == "private" else []})
        return self.error(404, "itemNotFound", "no network")

    # ---- nova ----
    def compute(self, method, path, body):
        c = self.cloud
        now = time.monotonic()
        if path == "/flavors/detail" and method == "GET":
            with c.lock:
                made = [{"id": k, "name": v} for k, v in c.flavors.items()]
            return self.send(200, {"flavors": FLAVORS + made})
        if path == "/flavors" and method == "POST":
            if not isinstance(body, dict) or not isinstance(body.get("flavor"), dict):
                return self.error(400, "badRequest", "malformed request body")
            fid = str(uuid.uuid4())
            with c.lock:
                c.flavors[fid] = body["flavor"].get("name", "")
            return self.send(200, {"flavor": {"id": fid, "name": c.flavors[fid]}})
        m = re.match(r"^/flavors/([0-9a-f-]{36})$", path)
        if m and method == "DELETE":
            with c.lock:
                if c.flavors.pop(m.group(1), None) is None:
                    return self.error(404, "itemNotFound", "Flavor %s could not be found." % m.group(1))
            return self.send(202)
        if path.startswith("/servers/detail") and method == "GET":
            from urllib.parse import parse_qs, urlparse
            q = parse_qs(urlparse(path).query)
            limit = int(q.get("limit", ["1000"])[0])
            marker = q.get("marker", [None])[0]
            with c.lock:
                ids = sorted(k for k, s in c.servers.items() if c.status_of(s, now) != "GONE")
            if marker:
                ids = [i for i in ids if i > marker]
            page = ids[:limit]
            out = {"servers": [{"id": i} for i in page]}
            if len(ids) > limit:
                port = self.server.server_address[1]
                out["servers_links"] = [{"rel": "next", "href":
                    "http://127.0.0.1:%d/compute/v2.1/servers/detail?limit=%d&marker=%s"
                    % (port, limit, page[-1])}]
            return self.send(200, out)
        if path == "/servers" and method == "POST":
            if body == "malformed" or not isinstance(body, dict) or "server" not in body:
                return self.error(400, "badRequest", "malformed request body")
            s = body["server"]
            if s.get("imageRef") != IMAGE_ID or s.get("flavorRef") not in ("1", "42"):
                return self.error(400, "badRequest", "bad image or flavor")
            nets = s.get("networks")
            if nets not in ("none", "auto") and nets != [{"uuid": NET_ID}]:
                return self.error(400, "badRequest", "bad networks")
            sid = str(uuid.uuid4())
            with c.lock:
                c.n_server_posts += 1
                err = bool(c.error_name and re.search(c.error_name, s.get("name", "")))
                c.servers[sid] = {"name": s.get("name", ""), "created": now,
                                  "deleted_at": None, "error": err}
            return self.send(202, {"server": {"id": sid, "links": [],
                                              "adminPass": "x", "security_groups": []}})
        if path.startswith("/servers?") and method == "GET":
            m = re.search(r"name=([^&]*)", path)
            from urllib.parse import unquote
            rx = unquote(m.group(1)) if m else ""
            with c.lock:
                found = [{"id": k, "name": s["name"]} for k, s in c.servers.items()
                         if c.status_of(s, now) != "GONE" and re.search(rx, s["name"])]
            return self.send(200, {"servers": found})
        m = re.match(r"^/servers/([0-9a-f-]{36})$", path)
        if m:
            with c.lock:
                s = c.servers.get(m.group(1))
                st = c.status_of(s, now) if s else "GONE"
                if st == "GONE":
                    return self.error(404, "itemNotFound",
                                      "Instance %s could not be found." % m.group(1))
                if method == "DELETE":
                    if s["deleted_at"] is None:
                        s["deleted_at"] = now
                    return self.send(204)
                out = {"id": m.group(1), "name": s["name"],
                       "status": "ACTIVE" if st == "DELETING" else st}
                if st == "ERROR":
                    out["fault"] = {"code": 500, "message": c.fault_message}
            return self.send(200, {"server": out})
        return self.error(404, "itemNotFound", "no such compute resource")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--password", default="s3cret-pw")
    ap.add_argument("--token-ttl", type=float, default=3600)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    a = ap.parse_args()
    Handler.cloud = Cloud(a.password, a.token_ttl)
    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            if not isinstance(sys.exc_info()[1], (ConnectionError, OSError)):  # clients hanging up are tests
                super().handle_error(request, client_address)
    srv = Server(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    if a.tls:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        Handler.tls = True
    print("PORT %d" % srv.server_address[1], flush=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        sys.stdin.read()  # the test closes our stdin (or dies): then we go
    except KeyboardInterrupt:
        pass
    srv.shutdown()


if __name__ == "__main__":
    main()
