"""promoter + the systemd bus end to end, without systemd: a real dbus-daemon (Debian's dbus-daemon) on a unix
socket of the test, Tests/Support/fake-systemd-manager owning org.freedesktop.systemd1 on it (answers
Subscribe, emits the PropertiesChanged and JobRemoved signals the test asks for), and the daemon pointed at it
with DRBD_REACTOR_SYSTEMD_BUS; actions still go through the stand-in systemctl.

Covers: the daemon subscribes; a start unit of r0 that fails under an active target is started again (systemctl
show, then start of the target) within 2 s, the failure logged with the resource; job results logged; both
counted in /metrics and in the control socket's status; without a bus it says so once at info and the
promoter works as before.
"""
import json
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import free_port, wait_until
from test_promoter import INITIAL, STATS, TARGET, calls, env_for, promoter, wait_call
from test_umh import write_scenario

FAKE_MANAGER = Path(__file__).resolve().parents[1] / "Support" / "fake-systemd-manager"
pytestmark = pytest.mark.skipif(shutil.which("dbus-daemon") is None, reason="needs dbus-daemon (Debian package dbus-daemon)")


class Process:
    """A helper process whose stdout lines are collected by a thread."""

    def __init__(self, argv, stdin=None):
        self.proc = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_line(self, prefix, timeout=10.0):
        wait_until(lambda: any(l.startswith(prefix) for l in self.lines), timeout, what=f"{prefix!r} in {self.lines}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def bus(tmp_path):
    """A dbus-daemon and the fake manager on it; yields (address, manager)."""
    address = f"unix:path={tmp_path}/bus"
    daemon = Process(["dbus-daemon", "--session", "--nofork", "--nopidfile", f"--address={address}", "--print-address"])
    manager = None
    try:
        daemon.wait_line("unix:path=")
        manager = Process([sys.executable, str(FAKE_MANAGER), address], stdin=subprocess.PIPE)
        manager.wait_line("ready")
        yield address, manager
    finally:
        if manager:
            manager.stop()
        daemon.stop()


def emit(manager, **command):
    line = json.dumps(command)
    manager.proc.stdin.write(line + "\n")
    manager.proc.stdin.flush()
    manager.wait_line("emitted " + line)


def control_status(tmp_path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(str(tmp_path / "run" / "control.sock"))
    s.sendall(b'{"command":"status"}\n')
    data = b""
    while not data.endswith(b"\n"):
        data += s.recv(65536)
    s.close()
    return json.loads(data)


def metrics(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as resp:
        return resp.read().decode()


def test_a_failed_service_is_started_again_at_once_and_counted(reactor, tmp_path, bus):
    address, manager = bus
    port = free_port()
    scenario = write_scenario(tmp_path, INITIAL, [])
    config = STATS + promoter("adjust-resource-on-start = false") + f'[[prometheus]]\naddress = "127.0.0.1:{port}"\n'
    r = reactor(config, env=env_for(tmp_path, scenario, DRBD_REACTOR_SYSTEMD_BUS=address))
    r.wait_notify("READY=1")
    manager.wait_line("subscribed")
    r.wait_log("Watching the promoters' systemd units over")
    r.wait_log("Started promoter plugin.")
    time.sleep(0.5)  # the initial start (a peer is Primary: nothing to do) is over
    # The target runs (the stand-in systemctl's state), its service too; then the service dies.
    state = tmp_path / "systemctl.state"
    state.mkdir(exist_ok=True)
    (state / TARGET).write_text("active\n")
    emit(manager, unit=TARGET, active="active", sub="active")
    emit(manager, unit="a.service", active="active", sub="running", result="success")
    before = list(calls(tmp_path))
    emit(manager, unit="a.service", active="failed", sub="failed", result="exit-code")
    failed = time.monotonic()
    started = wait_call(r, tmp_path, f"start {TARGET}", timeout=5)
    assert started - failed < 2.0, f"started again after {started - failed:.2f} s"
    new = calls(tmp_path)[len(before):]
    assert new.index(f"show --property=ActiveState {TARGET}") < new.index(f"reset-failed {TARGET}") < new.index(f"start {TARGET}"), new
    log = r.log()
    assert "systemd: unit failed: a.service: exit-code" in log
    assert "systemd: starting 'drbd-services@r0.target' again in 1000ms" in log
    line = next(l for l in log.splitlines() if "systemd: unit failed" in l)
    assert "resource=r0" in line, line  # the resource travels with the entry (DRBD_RESOURCE= in the journal)
    emit(manager, job=41, unit=TARGET, result="done")
    emit(manager, job=42, unit="other.service", result="failed")  # not r0's
    r.wait_log(f"systemd: job of '{TARGET}' finished: done")

    text = metrics(port)
    assert 'drbdreactor_promoter_unit_failures_total{resource="r0",unit="a.service"} 1' in text
    assert 'drbdreactor_promoter_restarts_total{resource="r0"} 1' in text
    assert 'drbdreactor_promoter_job_results_total{resource="r0",result="done"} 1' in text
    assert "other.service" not in text
    status = control_status(tmp_path)
    r0 = next(p for p in status["promoter"] if p["resource"] == "r0")
    assert r0["unit_failures"] == {"a.service": 1} and r0["last_unit_failure"] == "a.service: exit-code"
    assert r0["restarts"] == 1 and r0["job_results"] == {"done": 1}
    assert r.threads() == 1
    assert r.stop() == 0


def test_without_a_bus_the_promoter_says_so_once_and_works_as_before(reactor, tmp_path):
    scenario = write_scenario(tmp_path, INITIAL, [])
    r = reactor(STATS + promoter("adjust-resource-on-start = false"), env=env_for(tmp_path, scenario))
    r.wait_notify("READY=1")
    r.wait_log("Started promoter plugin.")
    mark = len(r.messages)
    r.signal(signal.SIGHUP)
    r.wait_notify("READY=1", after=mark + 1)
    time.sleep(0.3)
    log = r.log()
    assert log.count("Not watching the promoters' systemd units over D-Bus") == 1, log
    assert "Watching the promoters' systemd units over" not in log
    assert r.stop() == 0
