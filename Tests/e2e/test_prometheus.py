"""Prometheus plugin end to end: exposition against a scenario, promtool, a real Prometheus server,
HTTP abuse on the one loop, and bind failures.

The scenario (data/prometheus.full.events2) has two resources, three volumes, three peers and every
object kind, as `drbdsetup events2 --full` prints them. It is fed through a FIFO, so the test decides
when the later `destroy` lines arrive instead of guessing with sleeps.
"""
import errno
import gzip
import http.client
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import STANDIN_BIN, free_port, wait_until

DATA = Path(__file__).resolve().parent / "data"
SCENARIO = DATA / "prometheus.full.events2"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PROMPT = 2.0  # seconds a scrape may take while others misbehave: "not stalled", not a benchmark

CONFIG = """
[[log]]
level = "debug"
[[prometheus]]
address = "127.0.0.1:{port}"
enums = true
"""

# Every metric the published DRBD Grafana dashboard (grafana.com 14339) queries.
GRAFANA = [
    "drbdreactor_up", "drbd_resource_role", "drbd_connection_state", "drbd_device_quorum",
    "drbd_device_unintentionaldiskless", "drbd_peerdevice_outofsync_bytes", "drbd_resource_resources",
    "drbd_device_read_bytes_total", "drbd_device_written_bytes_total",
]

# The families of the issue, by scope, with their label names (before the state label of enum families).
RESOURCE = ["drbd_resource_suspended", "drbd_resource_maypromote", "drbd_resource_promotionscore",
            "drbd_resource_forceiofailures"]
CONNECTION = ["drbd_connection_congested", "drbd_connection_apinflight_bytes", "drbd_connection_rsinflight_bytes"]
PEER_DEVICE = ["drbd_peerdevice_outofsync_bytes", "drbd_peerdevice_sent_bytes", "drbd_peerdevice_received_bytes"]
DEVICE = ["drbd_device_client", "drbd_device_unintentionaldiskless", "drbd_device_quorum", "drbd_device_open",
          "drbd_device_size_bytes", "drbd_device_read_bytes_total", "drbd_device_written_bytes_total",
          "drbd_device_alwrites_total", "drbd_device_bmwrites_total", "drbd_device_upperpending",
          "drbd_device_lowerpending", "drbd_device_alsuspended"]
RESOURCES = ["r0", "r1"]
CONNECTIONS = [("r0", "node-b", "1"), ("r0", "node-c", "2"), ("r1", "node-a", "0")]
PEER_DEVICES = [("r0", "node-b", "1", "0"), ("r0", "node-b", "1", "1"), ("r0", "node-c", "2", "0"),
                ("r0", "node-c", "2", "1"), ("r1", "node-a", "0", "0")]
DEVICES = [("r0", "0", "1000"), ("r0", "1", "1001"), ("r1", "0", "1002")]
ROLES = ["Unknown", "Primary", "Secondary"]
CONNECTION_STATES = ["StandAlone", "Disconnecting", "Unconnected", "Timeout", "BrokenPipe", "NetworkFailure",
                     "ProtocolError", "TearDown", "Connecting", "Connected"]
DISK_STATES = ["Diskless", "Attaching", "Detaching", "Failed", "Negotiating", "Inconsistent", "Outdated",
               "DUnknown", "Consistent", "UpToDate"]

# Exact lines: KiB x1024, sectors x512, booleans, scores, states.
EXACT = """
drbdreactor_up 1
drbd_version{kmod="9.2.11",utils="9.29.0"} 1
drbd_resource_resources 2
drbd_resource_role{name="r0",drbd_resource_role="Primary"} 1
drbd_resource_role{name="r0",drbd_resource_role="Secondary"} 0
drbd_resource_role{name="r1",drbd_resource_role="Secondary"} 1
drbd_resource_role{name="r1",drbd_resource_role="Unknown"} 0
drbd_resource_promotionscore{name="r0"} 10102
drbd_resource_maypromote{name="r1"} 0
drbd_connection_state{name="r0",conn_name="node-b",peer_node_id="1",drbd_connection_state="Connected"} 1
drbd_connection_state{name="r1",conn_name="node-a",peer_node_id="0",drbd_connection_state="Connecting"} 1
drbd_connection_state{name="r1",conn_name="node-a",peer_node_id="0",drbd_connection_state="Connected"} 0
drbd_connection_congested{name="r0",conn_name="node-c",peer_node_id="2"} 1
drbd_connection_apinflight_bytes{name="r0",conn_name="node-b",peer_node_id="1"} 4096
drbd_connection_rsinflight_bytes{name="r0",conn_name="node-c",peer_node_id="2"} 1048576
drbd_peerdevice_outofsync_bytes{name="r0",conn_name="node-c",peer_node_id="2",volume="1"} 5120000
drbd_peerdevice_outofsync_bytes{name="r0",conn_name="node-b",peer_node_id="1",volume="1"} 0
drbd_peerdevice_sent_bytes{name="r0",conn_name="node-c",peer_node_id="2",volume="1"} 1228800
drbd_peerdevice_received_bytes{name="r0",conn_name="node-c",peer_node_id="2",volume="0"} 16384
drbd_device_state{name="r0",volume="1",minor="1001",drbd_device_state="UpToDate"} 1
drbd_device_state{name="r1",volume="0",minor="1002",drbd_device_state="Diskless"} 1
drbd_device_state{name="r1",volume="0",minor="1002",drbd_device_state="UpToDate"} 0
drbd_device_client{name="r1",volume="0",minor="1002"} 0
drbd_device_unintentionaldiskless{name="r1",volume="0",minor="1002"} 1
drbd_device_unintentionaldiskless{name="r0",volume="0",minor="1000"} 0
drbd_device_quorum{name="r1",volume="0",minor="1002"} 0
drbd_device_quorum{name="r0",volume="1",minor="1001"} 1
drbd_device_open{name="r0",volume="0",minor="1000"} 1
drbd_device_size_bytes{name="r0",volume="0",minor="1000"} 1073741824
drbd_device_size_bytes{name="r0",volume="1",minor="1001"} 2147483648
drbd_device_read_bytes_total{name="r0",volume="0",minor="1000"} 2097152
drbd_device_written_bytes_total{name="r0",volume="0",minor="1000"} 4194304
drbd_device_written_bytes_total{name="r0",volume="1",minor="1001"} 307200
drbd_device_alwrites_total{name="r0",volume="0",minor="1000"} 12
drbd_device_bmwrites_total{name="r0",volume="0",minor="1000"} 3
drbd_device_upperpending{name="r0",volume="0",minor="1000"} 1
drbd_device_lowerpending{name="r0",volume="0",minor="1000"} 2
drbd_device_alsuspended{name="r0",volume="0",minor="1000"} 0
"""

# What drbdsetup prints when r1 goes away (children first, as DRBD does), then the resource.
DESTROY_R1 = """\
destroy peer-device name:r1 peer-node-id:0 conn-name:node-a volume:0
destroy path name:r1 peer-node-id:0 conn-name:node-a local:ipv4:10.0.0.1:7001 peer:ipv4:10.0.0.9:7001
destroy connection name:r1 peer-node-id:0 conn-name:node-a
destroy device name:r1 volume:0 minor:1002
destroy resource name:r1
"""

# promtool lints the original's counter names without `_total` (kept for drop-in compatibility).
ALLOWED_LINT = {
    'drbd_peerdevice_received_bytes counter metrics should have "_total" suffix',
    'drbd_peerdevice_sent_bytes counter metrics should have "_total" suffix',
}


# ---------------------------------------------------------------------------------------------------------
# helpers

class Feed:
    """The stand-in drbdsetup's $STANDIN_EVENTS2 as a FIFO the test writes to when it wants."""

    def __init__(self, path: Path):
        self.path = path
        os.mkfifo(path)
        self.fd = None

    def write(self, text: str):
        if self.fd is None:
            def opened():
                try:
                    self.fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
                    return True
                except OSError as e:
                    if e.errno == errno.ENXIO:  # no reader yet: drbdsetup not started
                        return False
                    raise
            wait_until(opened, timeout=10, what="drbdsetup opening the scenario FIFO")
            os.set_blocking(self.fd, True)
        os.write(self.fd, text.encode())

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def start_daemon(reactor, tmp_path, port=None, config=None, scenario=SCENARIO.read_text()):
    port = port or free_port()
    feed = Feed(tmp_path / "scenario.fifo")
    r = reactor(config or CONFIG.format(port=port), env={"STANDIN_EVENTS2": str(feed.path)})
    feed.write(scenario)
    r.wait_notify("READY=1")
    r.wait_log("Initial DRBD state received: 2 resources.")
    return r, port, feed


def get(port, path="/metrics", method="GET", headers=None, timeout=PROMPT):
    """One request on a fresh connection; returns (response, body, seconds)."""
    start = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    return resp, body, time.monotonic() - start


def scrape(port, timeout=PROMPT) -> str:
    resp, body, elapsed = get(port, timeout=timeout)
    assert resp.status == 200, (resp.status, body[:200])
    assert elapsed < timeout, f"scrape took {elapsed:.2f}s"
    return body.decode()


def assert_prompt_scrape(port, what):
    try:
        text = scrape(port)
    except (OSError, http.client.HTTPException) as e:
        raise AssertionError(f"a normal scrape failed during {what}: {e!r}") from e
    assert "drbd_resource_resources 2" in text.splitlines(), what


def samples(text: str) -> dict:
    """{'name{labels}': 'value'} of every sample line."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = value
    return out


def labels(**kw) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in kw.items()) + "}"


def drbd_section(text: str) -> list:
    """The exposition without the process and daemon-health families, which change on every scrape."""
    lines = text.splitlines()
    end = next(i for i, l in enumerate(lines) if l.startswith("# HELP process_") or
               l.startswith("# HELP drbdreactor_events2"))
    return lines[:end]


def raw_exchange(port, data: bytes, timeout=PROMPT) -> bytes:
    """Sends bytes, reads until the daemon closes (or `timeout`)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
        return out


def closed_by_peer(s: socket.socket) -> bool:
    """Whether the daemon closed this (otherwise silent) connection."""
    r, _, _ = select.select([s], [], [], 0)
    if not r:
        return False
    try:
        return s.recv(1, socket.MSG_PEEK) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


class Scraper(threading.Thread):
    """A well-behaved client scraping in a loop on fresh connections, recording failures and latency."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.stop_event = threading.Event()
        self.count = 0
        self.worst = 0.0
        self.errors = []

    def run(self):
        while not self.stop_event.is_set():
            try:
                resp, body, elapsed = get(self.port)
                if resp.status != 200 or b"drbd_resource_resources 2\n" not in body:
                    self.errors.append(f"status {resp.status}")
                self.worst = max(self.worst, elapsed)
                self.count += 1
            except (OSError, http.client.HTTPException) as e:
                self.errors.append(repr(e))
            self.stop_event.wait(0.05)

    def finish(self):
        self.stop_event.set()
        self.join(5)
        assert not self.errors, f"background scrapes failed: {self.errors[:5]}"
        assert self.count > 0
        assert self.worst < PROMPT, f"slowest background scrape {self.worst:.2f}s"


# ---------------------------------------------------------------------------------------------------------
# 1. exposition

def test_exposition_matches_scenario(reactor, tmp_path):
    r, port, feed = start_daemon(reactor, tmp_path)
    try:
        resp, body, _ = get(port)
        assert resp.status == 200
        assert resp.getheader("Content-Type") == CONTENT_TYPE
        text = body.decode()
        lines = set(text.splitlines())
        for line in EXACT.strip().splitlines():
            assert line in lines, f"missing exact line {line!r}"
        got = samples(text)

        # Every sample of every family of the issue, with exactly the right label sets.
        def expect(family, label_sets, states=None, state_label=None):
            series = {k for k in got if k.split("{")[0] == family}
            want = set()
            for ls in label_sets:
                if states:
                    for st in states:
                        want.add(family + labels(**ls, **{state_label: st}))
                else:
                    want.add(family + labels(**ls))
            assert series == want, f"{family}: extra {series - want}, missing {want - series}"

        expect("drbd_resource_role", [dict(name=n) for n in RESOURCES], ROLES, "drbd_resource_role")
        for f in RESOURCE:
            expect(f, [dict(name=n) for n in RESOURCES])
        conn_sets = [dict(name=n, conn_name=c, peer_node_id=p) for n, c, p in CONNECTIONS]
        expect("drbd_connection_state", conn_sets, CONNECTION_STATES, "drbd_connection_state")
        for f in CONNECTION:
            expect(f, conn_sets)
        for f in PEER_DEVICE:
            expect(f, [dict(name=n, conn_name=c, peer_node_id=p, volume=v) for n, c, p, v in PEER_DEVICES])
        dev_sets = [dict(name=n, volume=v, minor=m) for n, v, m in DEVICES]
        expect("drbd_device_state", dev_sets, DISK_STATES, "drbd_device_state")
        for f in DEVICE:
            expect(f, dev_sets)

        # Enum families: exactly one current value per object.
        for family in ("drbd_resource_role", "drbd_connection_state", "drbd_device_state"):
            ones = [k for k, v in got.items() if k.startswith(family + "{") and v == "1"]
            assert len(ones) == {"drbd_resource_role": 2, "drbd_connection_state": 3, "drbd_device_state": 3}[family]

        # Types: the original's (counters for I/O and transfer, gauges otherwise).
        types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
        for f in ["drbd_peerdevice_sent_bytes", "drbd_peerdevice_received_bytes", "drbd_device_read_bytes_total",
                  "drbd_device_written_bytes_total", "drbd_device_alwrites_total", "drbd_device_bmwrites_total"]:
            assert types[f] == "counter", f
        for f in ["drbdreactor_up", "drbd_version", "drbd_resource_resources", "drbd_resource_role",
                  "drbd_connection_state", "drbd_device_state", "drbd_peerdevice_outofsync_bytes",
                  *RESOURCE, *CONNECTION, "drbd_device_size_bytes", "drbd_device_quorum"]:
            assert types[f] == "gauge", f

        for metric in GRAFANA:
            assert any(k.split("{")[0] == metric for k in got), f"Grafana queries {metric}"
        for metric in ["process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds",
                       "process_start_time_seconds", "drbdreactor_events2_lines_total",
                       "drbdreactor_drbdsetup_restarts_total", "drbdreactor_events2_unparsed_lines_total",
                       "drbdreactor_umh_commands_total", "drbdreactor_umh_commands_failed_total",
                       "drbdreactor_scrapes_total"]:
            assert metric in got, metric

        # drbd_version came from the stand-in drbdadm, run once as `drbdadm --version`.
        assert (tmp_path / "drbdadm.argv").read_text().splitlines() == ["drbdadm --version"]

        # The resource goes away: its series disappear, the other resource's stay.
        feed.write(DESTROY_R1)
        def r1_gone():
            t = scrape(port)
            return t if 'name="r1"' not in t and "drbd_resource_resources 1" in t.splitlines() else None
        text = wait_until(r1_gone, timeout=5, interval=0.1, what="r1's series to disappear")
        assert 'drbd_device_size_bytes{name="r0",volume="0",minor="1000"} 1073741824' in text.splitlines()
        assert 'drbd_resource_role{name="r0",drbd_resource_role="Primary"} 1' in text.splitlines()
        assert r.threads() == 1
        assert r.proc.poll() is None
    finally:
        feed.close()
    assert r.stop() == 0


def test_promtool_check_metrics(reactor, tmp_path):
    promtool = shutil.which("promtool") or ("/usr/bin/promtool" if os.path.exists("/usr/bin/promtool") else None)
    if not promtool:
        pytest.skip("promtool not found (Debian package 'prometheus' provides /usr/bin/promtool)")
    r, port, feed = start_daemon(reactor, tmp_path)
    try:
        for accept_gzip in (False, True):
            resp, body, _ = get(port, headers={"Accept-Encoding": "gzip"} if accept_gzip else {})
            if accept_gzip:
                assert resp.getheader("Content-Encoding") == "gzip"
                body = gzip.decompress(body)
            p = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, timeout=30)
            findings = [l.strip() for l in (p.stdout + p.stderr).decode().splitlines() if l.strip()]
            unexpected = [l for l in findings if l not in ALLOWED_LINT]
            assert not unexpected, f"promtool (exit {p.returncode}): {findings}"
            # 0: clean; 3: lint findings only (1 would be a parse error).
            assert p.returncode in (0, 3) and (p.returncode == 0) == (not findings), (p.returncode, findings)
    finally:
        feed.close()
    assert r.stop() == 0


# ---------------------------------------------------------------------------------------------------------
# 2. a real Prometheus server

def test_real_prometheus_server_scrapes(reactor, tmp_path):
    prometheus = shutil.which("prometheus") or ("/usr/bin/prometheus" if os.path.exists("/usr/bin/prometheus") else None)
    if not prometheus:
        pytest.skip("prometheus not found (Debian package 'prometheus' provides /usr/bin/prometheus)")
    r, port, feed = start_daemon(reactor, tmp_path)
    prom_port = free_port()
    (tmp_path / "prometheus.yml").write_text(f"""
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: drbd-reactor
    static_configs:
      - targets: ["127.0.0.1:{port}"]
""")
    prom_log = open(tmp_path / "prometheus.log", "wb")
    prom = subprocess.Popen(
        [prometheus, f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
        stdin=subprocess.DEVNULL, stdout=prom_log, stderr=prom_log, start_new_session=True)
    try:
        def query(q):
            url = f"http://127.0.0.1:{prom_port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    data = json.load(resp)
            except OSError:
                assert prom.poll() is None, (tmp_path / "prometheus.log").read_text()
                return None
            assert data["status"] == "success", data
            return data["data"]["result"]

        def found():
            result = query("drbd_resource_resources")
            return result if result and result[0]["value"][1] == "2" else None
        result = wait_until(found, timeout=30, interval=0.5, what="Prometheus to have drbd_resource_resources 2")
        assert result[0]["metric"]["job"] == "drbd-reactor"
        assert result[0]["metric"]["instance"] == f"127.0.0.1:{port}"
        # Enum and labelled series made it through Prometheus' own parser too.
        role = query('drbd_resource_role{name="r0",drbd_resource_role="Primary"}')
        assert role and role[0]["value"][1] == "1"
        up = query('up{job="drbd-reactor"}')
        assert up and up[0]["value"][1] == "1"
    finally:
        prom.terminate()
        try:
            prom.wait(15)
        except subprocess.TimeoutExpired:
            prom.kill()
            prom.wait(5)
        prom_log.close()
        feed.close()
    assert r.threads() == 1
    assert r.stop() == 0


# ---------------------------------------------------------------------------------------------------------
# 3. HTTP abuse on the one loop

TRICKLED = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"


def test_abusive_clients_do_not_stall_scrapes(reactor, tmp_path):
    r, port, feed = start_daemon(reactor, tmp_path)
    scraper = Scraper(port)
    opened = []
    try:
        scraper.start()

        # (a) connects and sends nothing.
        silent = socket.create_connection(("127.0.0.1", port))
        opened.append(silent)
        silent_since = time.monotonic()
        time.sleep(0.2)
        assert_prompt_scrape(port, "a silent client")

        # (b) trickles a valid request one byte every 0.2 s (within the 10 s header deadline).
        trickler = socket.create_connection(("127.0.0.1", port))
        opened.append(trickler)
        trickle_result = {}

        def trickle():
            try:
                for b in TRICKLED:
                    trickler.sendall(bytes([b]))
                    time.sleep(0.2)
                trickler.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = trickler.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                trickle_result["head"] = data
            except OSError as e:
                trickle_result["error"] = e
        trickle_thread = threading.Thread(target=trickle, daemon=True)
        trickle_thread.start()
        time.sleep(0.5)
        assert_prompt_scrape(port, "a trickling client")

        # (f) sends many pipelined requests and never reads the (large) answers.
        hog = socket.socket()
        hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        hog.connect(("127.0.0.1", port))
        opened.append(hog)
        hog.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 400)
        time.sleep(0.3)
        assert_prompt_scrape(port, "a client that does not read")

        # (c) garbage: 400 and close.
        for junk in (b"\x00\x01\x02\xff garbage \x7f\r\n\r\n", b"HELLO THERE\r\n\r\n", b"GET /metrics HTTP/9\r\n\r\n",
                     b"GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n"):
            answer = raw_exchange(port, junk)
            assert answer.startswith(b"HTTP/1.1 400 "), (junk, answer[:100])
            assert_prompt_scrape(port, f"garbage {junk!r}")

        # (d) an oversized head (> 8 KiB): 431 and close.
        big = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000
        answer = raw_exchange(port, big)
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:100]
        big_complete = b"GET /metrics HTTP/1.1\r\n" + b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 100) for i in range(90)) + b"\r\n"
        assert len(big_complete) > 8192
        answer = raw_exchange(port, big_complete)
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:100]
        assert_prompt_scrape(port, "oversized headers")

        # The ordinary things still work while (a), (b) and (f) hang around.
        check_http_features(port)
        assert r.threads() == 1

        # The trickled request completes and is answered.
        trickle_thread.join(15)
        assert "error" not in trickle_result, trickle_result
        assert trickle_result.get("head", b"").startswith(b"HTTP/1.1 200 "), trickle_result
        # The silent client is cut at the header deadline (10 s), not kept forever.
        wait_until(lambda: closed_by_peer(silent), timeout=15, interval=0.1, what="the silent client to be closed")
        assert time.monotonic() - silent_since >= 9, "the silent client was closed before its deadline"
        assert r.threads() == 1
        assert r.proc.poll() is None
        scraper.finish()
    finally:
        scraper.stop_event.set()
        for s in opened:
            s.close()
        feed.close()
    assert "Too many" not in r.log()
    assert r.stop() == 0


def check_http_features(port):
    # keep-alive: two requests on one connection.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=PROMPT)
    try:
        conn.request("GET", "/metrics")
        first = conn.getresponse()
        first_body = first.read()
        sock = conn.sock
        assert first.status == 200 and sock is not None, "connection not kept alive"
        conn.request("GET", "/metrics")
        second = conn.getresponse()
        second_body = second.read()
        assert second.status == 200 and conn.sock is sock, "second request needed a new connection"
        assert drbd_section(first_body.decode()) == drbd_section(second_body.decode())
    finally:
        conn.close()

    # HEAD: the headers of GET, no body.
    answer = raw_exchange(port, b"HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, rest = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 "), answer[:200]
    assert f"Content-Type: {CONTENT_TYPE}".encode() in head.split(b"\r\n")
    assert re.search(rb"\r\nContent-Length: [1-9]\d*", head), head
    assert rest == b"", "HEAD answered with a body"

    # gzip: same exposition apart from the process and health families.
    resp, body, _ = get(port, headers={"Accept-Encoding": "gzip"})
    assert resp.status == 200 and resp.getheader("Content-Encoding") == "gzip"
    assert resp.getheader("Content-Type") == CONTENT_TYPE
    plain = scrape(port)
    assert drbd_section(gzip.decompress(body).decode()) == drbd_section(plain)

    resp, body, _ = get(port, "/nope")
    assert resp.status == 404
    resp, body, _ = get(port, "/metrics", method="POST")
    assert resp.status == 405
    resp, body, _ = get(port, "/")
    assert resp.status == 200 and b"/metrics" in body

    # HTTP/1.0: answered, then closed (no keep-alive asked for).
    answer = raw_exchange(port, b"GET /metrics HTTP/1.0\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert re.match(rb"HTTP/1\.[01] 200 ", head), head[:100]
    assert b"drbd_resource_resources 2\n" in body
    length = int(re.search(rb"\r\nContent-Length: (\d+)", head).group(1))
    assert len(body) == length


def test_many_idle_connections_are_capped(reactor, tmp_path):
    r, port, feed = start_daemon(reactor, tmp_path)
    conns = []
    try:
        for _ in range(300):
            # A burst of 300 connects can overflow the 128-entry accept queue: the kernel drops the SYN
            # and the client retries after 1 s, so allow for a retry or two.
            conns.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        # The daemon keeps 256 open: each connect beyond that closes the longest idle one.
        wait_until(lambda: sum(closed_by_peer(s) for s in conns) >= 300 - 256, timeout=5, interval=0.1,
                   what="connections beyond the cap to be closed")
        time.sleep(0.3)
        closed = sum(closed_by_peer(s) for s in conns)
        assert closed == 300 - 256, closed
        assert r.threads() == 1 and r.proc.poll() is None
        # The held ones are still open; once they go, scrapes are served again at once.
        for s in conns:
            s.close()
        conns.clear()
        # Generous bound: 256 EOFs are handled by a debug build on a loaded machine.
        wait_until(lambda: _scrape_ok(port), timeout=10, interval=0.05, what="a scrape after the idle clients left")
        assert r.threads() == 1
    finally:
        for s in conns:
            s.close()
        feed.close()
    assert r.stop() == 0


def _scrape_ok(port):
    try:
        return "drbd_resource_resources 2" in scrape(port).splitlines()
    except (OSError, http.client.HTTPException):
        return False


def test_scrape_completes_while_connection_slots_are_held(reactor, tmp_path):
    r, port, feed = start_daemon(reactor, tmp_path)
    conns = []
    try:
        for _ in range(300):
            # A burst of 300 connects can overflow the 128-entry accept queue: the kernel drops the SYN
            # and the client retries after 1 s, so allow for a retry or two.
            conns.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        time.sleep(0.2)
        assert_prompt_scrape(port, "300 idle connections")
    finally:
        for s in conns:
            s.close()
        feed.close()
        r.stop()


# ---------------------------------------------------------------------------------------------------------
# 4. bind failure

def test_bind_failure_is_logged_and_the_rest_runs(reactor, tmp_path):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    taken = blocker.getsockname()[1]
    good = free_port()
    config = f"""
[[log]]
level = "debug"
[[prometheus]]
address = "127.0.0.1:{taken}"
[[prometheus]]
address = "127.0.0.1:{good}"
enums = true
[[debugger]]
"""
    try:
        r, _, feed = start_daemon(reactor, tmp_path, port=good, config=config)
        try:
            r.wait_log(f"127.0.0.1:{taken}")
            log = r.log()
            failure = [l for l in log.splitlines() if f"127.0.0.1:{taken}" in l]
            assert any("ERROR" in l and "Failed to start prometheus" in l for l in failure), failure
            assert any("in use" in l.lower() or "EADDRINUSE" in l for l in failure), failure
            assert f"Serving /metrics on 127.0.0.1:{good}." in log
            text = scrape(good)
            assert "drbd_resource_resources 2" in text.splitlines()
            assert 'drbd_resource_role{name="r0",drbd_resource_role="Primary"} 1' in text.splitlines()
            # The debugger plugin runs too, and the daemon follows later changes.
            feed.write(DESTROY_R1)
            r.wait_log("Destroy resource r1")
            wait_until(lambda: "drbd_resource_resources 1" in scrape(good).splitlines(), timeout=5,
                       what="the resource count to drop")
            # The blocked port is still the blocker's, untouched.
            assert r.proc.poll() is None and r.threads() == 1
        finally:
            feed.close()
        assert r.stop() == 0
    finally:
        blocker.close()


# ---------------------------------------------------------------------------------------------------------
# 5. large expositions are streamed

GENERATOR = Path(__file__).resolve().parents[2] / "bench" / "gen_events2.py"


def read_response(s: socket.socket, buffered: bytes = b""):
    """Reads one HTTP response with a Content-Length from `s`; returns (head, body, bytes left over)."""
    data = buffered
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        assert chunk, "connection closed before the head was complete"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"\r\nContent-Length: (\d+)\r\n", head + b"\r\n").group(1))
    while len(rest) < length:
        chunk = s.recv(1 << 20)
        assert chunk, f"connection closed after {len(rest)} of {length} body bytes"
        rest += chunk
    return head.decode(), rest[:length], rest[length:]


def well_formed(text: str):
    """Every line a HELP/TYPE comment or a sample; nothing cut or glued at chunk boundaries."""
    sample = re.compile(r'^[a-z_0-9]+(\{[a-z_0-9]+="[^"]*"(,[a-z_0-9]+="[^"]*")*\})? -?[0-9.e+]+$')
    bad = [l for l in text.splitlines() if not (l.startswith("# HELP ") or l.startswith("# TYPE ") or sample.match(l))]
    assert not bad, bad[:3]
    assert text.endswith("\n")


def test_large_exposition_is_streamed_consistently(reactor, tmp_path):
    """A body of many chunks: its Content-Length is exact, plain and gzip agree, pipelined responses
    follow each other correctly, and a response that is slowly read while the World changes keeps the
    state it started with, while other clients see the new one at once."""
    scenario = subprocess.run([sys.executable, str(GENERATOR), "-n", "300", "-m", "0", "--no-sentinel"],
                              check=True, capture_output=True, text=True).stdout
    port = free_port()
    feed = Feed(tmp_path / "scenario.fifo")
    r = reactor(CONFIG.format(port=port), env={"STANDIN_EVENTS2": str(feed.path)})
    try:
        feed.write(scenario)
        r.wait_notify("READY=1")
        wait_until(lambda: "drbd_resource_resources 300" in scrape(port).splitlines(), timeout=10,
                   what="all 300 resources in /metrics")

        resp, plain, _ = get(port)
        assert int(resp.getheader("Content-Length")) == len(plain)
        assert len(plain) > 1_000_000  # several chunks
        well_formed(plain.decode())
        resp, zipped, _ = get(port, headers={"Accept-Encoding": "gzip"})
        assert resp.getheader("Content-Encoding") == "gzip"
        assert drbd_section(gzip.decompress(zipped).decode()) == drbd_section(plain.decode())

        # Two pipelined requests on one connection: the second response starts right after the first body.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 2)
            _, first, rest = read_response(s)
            _, second, _ = read_response(s, rest)
            assert drbd_section(first.decode()) == drbd_section(second.decode()) == drbd_section(plain.decode())

        # A slow reader: takes a little of its response, then stops while a resource goes away.
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        slow.settimeout(10)
        slow.connect(("127.0.0.1", port))
        slow.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        started = slow.recv(16384)
        feed.write("destroy resource name:pvc-00000-bench\n")
        wait_until(lambda: "drbd_resource_resources 299" in scrape(port).splitlines(), timeout=PROMPT,
                   what="other clients to see the destroyed resource while the slow one is not reading")
        head, body, _ = read_response(slow, started)
        slow.close()
        assert head.startswith("HTTP/1.1 200 ")
        old = body.decode()
        well_formed(old)
        assert "drbd_resource_resources 300" in old.splitlines()
        assert 'name="pvc-00000-bench"' in old
        new = scrape(port)
        assert 'name="pvc-00000-bench"' not in new
        assert r.threads() == 1
    finally:
        feed.close()
    assert r.stop() == 0


def test_a_hanging_resolver_stalls_nothing(reactor, tmp_path):
    """Host names (agentx's master, a prometheus address) are resolved by a child `getent` the loop
    watches: with a resolver that never answers, scrapes and watchdog pings go on, and each resolution
    gives up after 5 s with a log line."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    getent = bin_dir / "getent"
    getent.write_text("#!/bin/sh\nexec sleep 60\n")
    getent.chmod(0o755)
    port, other = free_port(), free_port()
    config = CONFIG.format(port=port) + f"""
[[prometheus]]
address = "stalled.example:{other}"
[[agentx]]
address = "stalled.example:705"
"""
    feed = Feed(tmp_path / "scenario.fifo")
    try:
        r = reactor(config, watchdog_usec=400_000, env={
            "STANDIN_EVENTS2": str(feed.path), "PATH": f"{bin_dir}:{STANDIN_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}"})
        feed.write(SCENARIO.read_text())
        r.wait_notify("READY=1")
        start = len(r.messages)
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            assert_prompt_scrape(port, "a stalled name resolution")
            r.poll_notify()
            time.sleep(0.1)
        pings = [t for t, m in r.messages[start:] if "WATCHDOG=1" in m.split("\n")]
        assert len(pings) >= 20, f"only {len(pings)} watchdog pings in 6 s"
        r.wait_log("Failed to serve /metrics on stalled.example")
        r.wait_log("cannot resolve 'stalled.example:705': no answer from the resolver within 5")
        assert r.threads() == 1
        assert r.stop() == 0
    finally:
        feed.close()
