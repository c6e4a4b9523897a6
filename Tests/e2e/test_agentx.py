"""AgentX plugin end to end against the real net-snmp snmpd as AgentX master.

Each test starts its own snmpd on loopback (UDP for the SNMP tools, TCP for AgentX) with a private
config and persistent directory in tmp, runs the daemon with the prometheus scenario (two resources,
three devices, five peer devices), and queries through snmpd with snmpwalk/snmpget/snmpbulkwalk. snmpd is
killed by the test; a fake master (a Python socket server) checks that garbage does not take the daemon
down. Skipped only when net-snmp is not installed.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, free_port, wait_until
from test_prometheus import start_daemon

TOOLS = ["snmpd", "snmpwalk", "snmpget", "snmpbulkwalk"]
pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None and not Path("/usr/sbin", t).exists() for t in TOOLS),
    reason="net-snmp is not installed (apt-get install snmpd snmp)")

SUBTREE = ".1.3.6.1.4.1.23302"
ENTRY = SUBTREE + ".1.2.1"
MIB_DIRS = f"{ROOT / 'example' / 'mib'}:{ROOT / 'Tests' / 'e2e' / 'data' / 'mibs'}"

CONFIG = """
[[log]]
level = "debug"
[[agentx]]
address = "127.0.0.1:{ax_port}"
cache-max = 0
"""

# (column, minor) -> the value as snmpwalk -On prints it, from the scenario.
EXPECTED = {
    (1, 1000): "INTEGER: 1000", (2, 1000): 'STRING: "r0"', (2, 1002): 'STRING: "r1"',
    (3, 1000): 'STRING: "Primary"', (3, 1002): 'STRING: "Secondary"', (4, 1000): "INTEGER: 2",
    (5, 1001): 'STRING: "flush"', (6, 1000): "INTEGER: 2", (7, 1002): "INTEGER: 2",
    (8, 1000): "INTEGER: 10102", (8, 1002): "INTEGER: 0", (9, 1001): "INTEGER: 1",
    (10, 1000): 'STRING: "UpToDate"', (10, 1002): 'STRING: "Diskless"',
    (11, 1000): 'STRING: "/dev/vg0/r0_00000"', (11, 1002): 'STRING: "none"', (12, 1002): "INTEGER: 2",
    (13, 1000): "INTEGER: 1", (13, 1002): "INTEGER: 2", (14, 1001): "Gauge32: 2097152",
    (15, 1001): "Gauge32: 1024", (16, 1000): "Counter64: 2048", (17, 1000): "Counter64: 4096",
    (18, 1000): "Counter64: 12", (19, 1000): "Counter64: 3", (20, 1000): "Gauge32: 1",
    (21, 1000): "Gauge32: 2", (22, 1000): "INTEGER: 2", (23, 1000): 'STRING: "no"',
    (24, 1000): "INTEGER: 2", (24, 1002): "INTEGER: 1", (34, 1000): "INTEGER: 2", (34, 1001): "INTEGER: 1",
    (30, 1001): "INTEGER: 1", (32, 1002): "INTEGER: 1", (35, 1002): "INTEGER: 1", (36, 1001): "INTEGER: 1",
    (42, 1001): "INTEGER: 1", (49, 1000): "INTEGER: 0",
}


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tool(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


class Snmpd:
    """A private snmpd: AgentX master on tcp:127.0.0.1:ax_port, SNMP on udp:127.0.0.1:udp_port."""

    def __init__(self, tmp: Path, ax_port: int, udp_port: int):
        self.dir = tmp / "snmpd"
        self.dir.mkdir(exist_ok=True)
        self.ax_port, self.udp_port = ax_port, udp_port
        self.conf = self.dir / "snmpd.conf"
        self.conf.write_text(f"master agentx\nagentXSocket tcp:127.0.0.1:{ax_port}\nrocommunity public 127.0.0.1\n")
        self.proc = None
        self.starts = 0

    def start(self):
        self.starts += 1
        log = open(self.dir / f"snmpd.{self.starts}.log", "wb")
        # Its own persistent directory: snmpd writes a snmpd.conf of its own there.
        env = dict(os.environ, SNMP_PERSISTENT_DIR=str(self.dir / "persistent"), MIBS="")
        self.proc = subprocess.Popen(
            [tool("snmpd"), "-f", "-Lo", "-C", "-c", str(self.conf), "-p", str(self.dir / "snmpd.pid"),
             f"udp:127.0.0.1:{self.udp_port}"], stdout=log, stderr=log, env=env, start_new_session=True)
        log.close()
        wait_until(lambda: self.query("snmpget", ".1.3.6.1.2.1.1.3.0", check=False).returncode == 0,
                   timeout=10, what="snmpd answering")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def query(self, command, *oids, check=True, extra=()):
        env = dict(os.environ, MIBS="")
        r = subprocess.run([tool(command), "-v2c", "-c", "public", "-t", "2", "-r", "1", *extra,
                            f"udp:127.0.0.1:{self.udp_port}", *oids], capture_output=True, text=True, env=env,
                           timeout=30)
        if check:
            assert r.returncode == 0, (command, oids, r.stdout, r.stderr)
        return r


@pytest.fixture
def snmpd(tmp_path):
    d = Snmpd(tmp_path, free_port(), free_udp_port())
    yield d
    d.kill()


def walk(snmpd, command="snmpwalk") -> dict:
    """{oid: 'TYPE: value'} of the subtree, numeric OIDs."""
    out = snmpd.query(command, SUBTREE, extra=("-On",)).stdout
    values = {}
    for line in out.splitlines():
        oid, _, value = line.partition(" = ")
        values[oid] = value
    return values


def start(reactor, tmp_path, snmpd, **kw):
    r, _, feed = start_daemon(reactor, tmp_path, config=CONFIG.format(ax_port=snmpd.ax_port, **kw))
    return r, feed


def registrations(r) -> int:
    return r.log().count("Registered 1.3.6.1.4.1.23302 with the AgentX master")


def test_walk_get_and_bulk_serve_the_scenario(reactor, tmp_path, snmpd):
    snmpd.start()
    r, feed = start(reactor, tmp_path, snmpd)
    wait_until(lambda: registrations(r) == 1, what=f"registration\n{r.log()}")

    values = walk(snmpd)
    assert values[SUBTREE + ".1.1.1"] == 'STRING: "9.2.11"', values
    assert values[SUBTREE + ".1.1.2"] == 'STRING: "9.29.0"'
    rows = [k for k in values if k.startswith(ENTRY + ".")]
    assert len(rows) == 49 * 3, sorted(rows)
    for (column, minor), want in EXPECTED.items():
        assert values[f"{ENTRY}.{column}.{minor}"] == want, (column, minor)
    # Walk order is lexicographic: column by column, minors ascending.
    assert list(values)[:5] == [SUBTREE + ".1.1.1", SUBTREE + ".1.1.2", ENTRY + ".1.1000", ENTRY + ".1.1001",
                                ENTRY + ".1.1002"]
    assert walk(snmpd, "snmpbulkwalk") == values

    got = snmpd.query("snmpget", f"{ENTRY}.2.1001", f"{ENTRY}.16.1000", f"{ENTRY}.2.999", SUBTREE + ".9",
                      extra=("-On",)).stdout.splitlines()
    assert got[0].endswith('= STRING: "r0"'), got
    assert got[1].endswith("= Counter64: 2048"), got
    assert "No Such Instance" in got[2], got
    assert "No Such Object" in got[3], got

    # The shipped MIB resolves the names.
    named = snmpd.query("snmpwalk", "LINBIT-DRBD-MIB::drbdData", extra=("-M", MIB_DIRS, "-m", "LINBIT-DRBD-MIB")).stdout
    assert "LINBIT-DRBD-MIB::drbdResourceName.1002 = STRING: r1" in named, named
    assert "LINBIT-DRBD-MIB::drbdQuorum.1000 = INTEGER: true(1)" in named, named
    assert "LINBIT-DRBD-MIB::drbdPeerReplSyncSource.1001 = INTEGER: 1" in named, named
    assert "LINBIT-DRBD-MIB::drbdModuleVersion = STRING" in named, named

    # On stop the daemon closes its session: snmpd no longer has the subtree.
    assert r.stop() == 0
    assert "No Such Object" in snmpd.query("snmpget", f"{ENTRY}.2.1000", extra=("-On",)).stdout
    feed.close()


def test_reconnects_after_snmpd_restarts(reactor, tmp_path, snmpd):
    snmpd.start()
    r, feed = start(reactor, tmp_path, snmpd)
    wait_until(lambda: registrations(r) == 1, what=f"registration\n{r.log()}")
    snmpd.kill()
    r.wait_log("AgentX master at 127.0.0.1")
    time.sleep(1.5)  # a few refused attempts
    snmpd.start()
    wait_until(lambda: registrations(r) == 2, timeout=20, what=f"second registration\n{r.log()}")
    assert walk(snmpd)[f"{ENTRY}.3.1000"] == 'STRING: "Primary"'
    # Only the loss was a warning; the refused reconnects were debug messages.
    warnings = [l for l in r.log().splitlines() if l.startswith("WARN") and "AgentX master" in l]
    assert len(warnings) == 1, warnings
    assert r.proc.poll() is None and r.threads() == 1
    assert r.stop() == 0
    feed.close()


def test_reconnects_after_each_of_repeated_snmpd_restarts(reactor, tmp_path, snmpd):
    """snmpd killed and started again five times: after each start the subagent registers again and the
    walk answers; the daemon's fds and children stay flat."""
    snmpd.start()
    r, feed = start(reactor, tmp_path, snmpd)
    wait_until(lambda: registrations(r) == 1, what=f"registration\n{r.log()}")
    fds = lambda: len(os.listdir(f"/proc/{r.proc.pid}/fd"))
    baseline = (fds(), len(r.children()))
    for n in range(2, 7):
        snmpd.kill()
        time.sleep(0.5)
        snmpd.start()
        wait_until(lambda: registrations(r) == n, timeout=20, what=f"registration {n}\n{r.log()}")
        assert walk(snmpd)[f"{ENTRY}.3.1000"] == 'STRING: "Primary"'
    wait_until(lambda: (fds(), len(r.children())) == baseline, timeout=5, what=f"fds and children back to {baseline}")
    assert r.log().count("AgentX master at 127.0.0.1") >= 5
    assert r.proc.poll() is None and r.threads() == 1
    assert r.stop() == 0
    feed.close()


class FakeMaster(threading.Thread):
    """Accepts AgentX connections and answers each first read with `reply`, then holds the connection."""

    def __init__(self, port: int, reply: bytes):
        super().__init__(daemon=True)
        self.listener = socket.create_server(("127.0.0.1", port))
        self.listener.settimeout(0.2)
        self.reply = reply
        self.connections = 0
        self.received = []
        self.done = threading.Event()
        self.peers = []

    def run(self):
        while not self.done.is_set():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            self.connections += 1
            self.peers.append(conn)
            conn.settimeout(2)
            try:
                self.received.append(conn.recv(4096))
                conn.sendall(self.reply)
            except OSError:
                pass

    def close(self):
        self.done.set()
        self.join(5)
        for c in self.peers:
            c.close()
        self.listener.close()


@pytest.mark.parametrize("reply", [b"HTTP/1.1 400 Bad Request\r\n\r\n", bytes([1, 99]) + b"\0" * 18,
                                   bytes([1, 18, 0x10, 0]) + b"\0" * 12 + b"\xff\xff\xff\xfc"])
def test_garbage_from_a_fake_master_is_logged_and_survived(reactor, tmp_path, snmpd, reply):
    fake = FakeMaster(snmpd.ax_port, reply)
    fake.start()
    try:
        r, feed = start(reactor, tmp_path, snmpd)
        r.wait_log("not AgentX")
        # It sent an Open (version 1, type 1) and reconnects after the backoff.
        assert fake.received[0][:2] == b"\x01\x01"
        wait_until(lambda: fake.connections >= 2, timeout=5, what="a reconnect")
        assert r.proc.poll() is None
        assert r.log().count("WARN [agentx]") == 1, r.log()
    finally:
        fake.close()
    # A real master on the same port gets served.
    snmpd.start()
    wait_until(lambda: registrations(r) == 1, timeout=20, what=f"registration\n{r.log()}")
    assert walk(snmpd)[f"{ENTRY}.2.1000"] == 'STRING: "r0"'
    assert r.stop() == 0
    feed.close()


def test_agent_timeout_over_255_is_a_config_error(reactor, tmp_path):
    r = reactor("[[agentx]]\naddress = \"127.0.0.1:1\"\nagent-timeout = 300\n")
    assert r.proc.wait(10) != 0
    assert "drbd-reactor.toml:3: 'agentx[0].agent-timeout': expected an integer from 0 to 255, found 300" in r.log()
