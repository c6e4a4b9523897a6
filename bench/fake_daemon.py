#!/usr/bin/env python3
"""A tiny FAKE drbd-reactor, only to test the benchmark harness's plumbing.

Its figures mean nothing and must never be presented: it is Python, threaded, naive.
It reads the config (-c FILE), spawns `drbdsetup events2 --full --poll`, keeps the
last-seen key:value fields per object, sends READY=1 to $NOTIFY_SOCKET after
`exists -`, serves /metrics (a few drbd_resource_*/drbd_device_* families, keep-alive,
gzip) on each [[prometheus]] address, and runs [[umh.resource]] commands (filters:
resource-name, event-type, old.role, new.role) with `sh -c`.
"""
import gzip
import http.server
import os
import socket
import subprocess
import sys
import threading
import tomllib

LOCK = threading.Lock()
RES = {}      # name -> fields
DEV = {}      # (name, volume) -> fields


def notify(msg):
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return
    if path.startswith("@"):
        path = "\0" + path[1:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.sendto(msg.encode(), path)
    finally:
        s.close()


def render():
    out = ["# TYPE drbdreactor_up gauge", "drbdreactor_up 1"]
    with LOCK:
        out.append("# TYPE drbd_resource_resources gauge")
        out.append(f"drbd_resource_resources {len(RES)}")
        out.append("# TYPE drbd_resource_role gauge")
        for name, f in sorted(RES.items()):
            for role in ("Unknown", "Primary", "Secondary"):
                v = 1 if f.get("role") == role else 0
                out.append(f'drbd_resource_role{{name="{name}",drbd_resource_role="{role}"}} {v}')
        out.append("# TYPE drbd_device_size_bytes gauge")
        for (name, vol), f in sorted(DEV.items()):
            size = int(f.get("size", "0")) * 1024
            out.append(f'drbd_device_size_bytes{{name="{name}",volume="{vol}",minor="{f.get("minor")}"}} {size}')
    return ("\n".join(out) + "\n").encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path != "/metrics":
            self.send_error(404)
            return
        body = render()
        gz = "gzip" in self.headers.get("Accept-Encoding", "")
        if gz:
            body = gzip.compress(body, 1)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        if gz:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def serve(address):
    host, _, port = address.rpartition(":")
    srv = http.server.ThreadingHTTPServer((host or "0.0.0.0", int(port)), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()


def run_umh(rules, verb, old, new):
    for r in rules:
        if "resource-name" in r and r["resource-name"] != new.get("name"):
            continue
        if "event-type" in r and r["event-type"].lower() != verb:
            continue
        if "role" in r.get("new", {}) and r["new"]["role"] != new.get("role"):
            continue
        if "role" in r.get("old", {}) and r["old"]["role"] != old.get("role", "Unknown"):
            continue
        env = dict(r.get("env", {}))
        env.update(HOME="/", TERM="Linux", PATH="/sbin:/usr/sbin:/bin:/usr/bin",
                   DRBD_RES_NAME=new.get("name", ""), DRBD_OLD_ROLE=old.get("role", "Unknown"),
                   DRBD_NEW_ROLE=new.get("role", "Unknown"))
        p = subprocess.Popen(["sh", "-c", r["command"]], env=env, stdin=subprocess.DEVNULL)
        threading.Thread(target=p.wait, daemon=True).start()


def main():
    args = sys.argv[1:]
    cfgpath = "/etc/drbd-reactor.toml"
    if "-c" in args:
        cfgpath = args[args.index("-c") + 1]
    with open(cfgpath, "rb") as f:
        cfg = tomllib.load(f)
    for p in cfg.get("prometheus", []):
        serve(p.get("address", "0.0.0.0:9942"))
    rules = [r for u in cfg.get("umh", []) for r in u.get("resource", [])]
    child = subprocess.Popen(["drbdsetup", "events2", "--full", "--poll"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    child.stdin.write(b"n\n")
    child.stdin.flush()
    for raw in child.stdout:
        line = raw.decode().strip()
        if line == "exists -":
            notify("READY=1")
            continue
        parts = line.split()
        if len(parts) < 2:
            continue
        verb, what = parts[0], parts[1]
        fields = dict(t.split(":", 1) for t in parts[2:] if ":" in t)
        name = fields.get("name")
        with LOCK:
            if what == "resource":
                old = RES.get(name, {})
                if verb == "destroy":
                    RES.pop(name, None)
                    continue
                new = dict(old)
                new.update(fields)
                RES[name] = new
            elif what == "device":
                key = (name, fields.get("volume"))
                if verb == "destroy":
                    DEV.pop(key, None)
                else:
                    DEV.setdefault(key, {}).update(fields)
                continue
            else:
                continue
        if rules and old.get("role") != new.get("role"):
            run_umh(rules, verb, old, new)


if __name__ == "__main__":
    main()
