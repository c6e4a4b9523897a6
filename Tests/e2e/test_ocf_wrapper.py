"""ocf-rs-wrapper run as ocf.rs@.service runs it, with the fake OCF agent (Tests/Support/ocf/fake-agent)
and a NOTIFY_SOCKET the test binds, as systemd would."""
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import ROOT, built_binary, wait_until

FAKE_AGENT = ROOT / "Tests" / "Support" / "ocf" / "fake-agent"
ID = "fake-agent:ip1_r0"


def wrapper_binary():
    return built_binary("ocf-rs-wrapper", "OCF_WRAPPER_BIN")


class Wrapper:
    """One ocf-rs-wrapper process with the unit's environment plus the promoter's drop-in variables."""

    def __init__(self, tmp, verb, extra_env=None, rc=None):
        self.dir = tmp
        for v, code in (rc or {}).items():
            (tmp / f"{v}.rc").write_text(f"{code}\n")
        self.notify_path = tmp / "notify.sock"
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(str(self.notify_path))
        self.notify.settimeout(0.05)
        self.messages = []
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NOTIFY_SOCKET": str(self.notify_path),
               "OCF_ROOT": "/usr/lib/ocf", "OCF_RESOURCE_INSTANCE": "ip1_r0", "monitor_inverval": "30",
               "AGENT": str(FAKE_AGENT), "OCF_RESKEY_ip": "10.0.0.1", "FAKE_AGENT_DIR": str(tmp)}
        env.update(extra_env or {})
        self.out_path = tmp / "wrapper.out"
        self.err_path = tmp / "wrapper.err"
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen([str(wrapper_binary()), *verb, "ocf.rs@ip1_r0.service"],
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)

    def calls(self):
        p = self.dir / "calls"
        return p.read_text().splitlines() if p.exists() else []

    def verbs(self):
        return [c.split()[0] for c in self.calls()]

    def out(self):
        return self.out_path.read_text(errors="replace")

    def wait_notify(self, needle, timeout=10.0):
        def find():
            while True:
                try:
                    self.messages.append(self.notify.recv(65536).decode())
                except (socket.timeout, BlockingIOError):
                    break
            return next((m for m in self.messages if needle in m.split("\n")), None)
        return wait_until(find, timeout, what=f"notify {needle!r}: {self.messages}\n{self.out()}")

    def wait(self, timeout=15.0):
        return self.proc.wait(timeout)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.notify.close()


@pytest.fixture
def wrapper(tmp_path):
    started = []

    def start(*verb, **kw):
        w = Wrapper(tmp_path, list(verb), **kw)
        started.append(w)
        return w

    yield start
    for w in started:
        w.close()


def test_start_ready_then_sigterm_runs_stop(wrapper):
    w = wrapper("start-and-monitor")
    ready = w.wait_notify("READY=1")
    assert f"STATUS={ID}: monitoring every 30 seconds" in ready.split("\n")
    assert w.verbs() == ["start"]
    # The agent gets the unit's and the drop-in's variables, never NOTIFY_SOCKET.
    assert w.calls()[0] == "start instance=ip1_r0 root=/usr/lib/ocf ip=10.0.0.1 notify=-"
    w.proc.send_signal(signal.SIGTERM)
    assert w.wait() == 0
    assert w.verbs() == ["start", "stop"]
    stopping = w.wait_notify("STOPPING=1")
    assert f"STATUS={ID}: about to exec stop" in stopping.split("\n")
    assert f"INFO [ocf_rs_wrapper] {ID}: monitoring every 30 seconds" in w.out().splitlines()
    assert f"INFO [ocf_rs_wrapper] {ID}: about to exec stop" in w.out().splitlines()


def test_sigterm_exit_status_is_stops(wrapper):
    w = wrapper("start-and-monitor", rc={"stop": 3})
    w.wait_notify("READY=1")
    w.proc.send_signal(signal.SIGINT)
    assert w.wait() == 3
    assert w.verbs() == ["start", "stop"]


def test_failed_start_exits_with_its_code(wrapper):
    w = wrapper("start-and-monitor", rc={"start": 6})
    assert w.wait() == 6
    message = f"{ID},s-a-m,start: FAILED with exit code 6"
    assert f"STATUS={message}" in w.wait_notify(f"STATUS={message}").split("\n")
    assert f"ERROR [ocf_rs_wrapper] {message}" in w.out().splitlines()
    assert w.verbs() == ["start"]
    assert not any("READY=1" in m for m in w.messages)


def test_failed_monitor_exits_with_its_code_and_output(wrapper):
    # The shortest interval is 5 s; the first monitor waits up to half an interval more.
    w = wrapper("start-and-monitor", extra_env={"monitor_interval": "1"}, rc={"monitor": 7})
    assert f"STATUS={ID}: monitoring every 5 seconds" in w.wait_notify("READY=1").split("\n")
    started = time.monotonic()
    assert w.wait(15) == 7
    assert 4.5 <= time.monotonic() - started <= 8.5
    assert w.verbs() == ["start", "monitor"]
    message = f"{ID},s-a-m,monitor: FAILED with exit code 7"
    w.wait_notify(f"STATUS={message}")
    lines = w.out().splitlines()
    assert f"ERROR [ocf_rs_wrapper] {message}" in lines
    assert "ERROR [ocf_rs_wrapper] stdout: 'monitor says hello'; stderr: 'monitor complains'" in lines


def test_stop_after_clean_exit_does_not_call_the_agent(wrapper):
    w = wrapper("stop", extra_env={"EXIT_CODE": "exited", "EXIT_STATUS": "0"})
    assert w.wait() == 0
    assert w.calls() == []
    assert w.out() == ""


def test_stop_after_failure_calls_the_agent(wrapper):
    w = wrapper("stop", extra_env={"EXIT_CODE": "exited", "EXIT_STATUS": "7"}, rc={"stop": 2})
    assert w.wait() == 2
    assert w.verbs() == ["stop"]
    assert f"STATUS={ID}: about to exec stop" in w.wait_notify("STOPPING=1").split("\n")


def test_missing_agent_is_a_failure(wrapper, tmp_path):
    w = wrapper("start-and-monitor", extra_env={"AGENT": str(tmp_path / "no-such-agent")})
    assert w.wait() == 1
    assert "no-such-agent:ip1_r0,s-a-m,start: FAILED, cannot run it:" in w.out()


def test_unknown_verb_and_missing_variables(wrapper, tmp_path):
    w = wrapper("monitor")
    assert w.wait() == 1
    assert w.err_path.read_text() == "Action 'monitor' not implemented\n"
    assert w.calls() == []
    p = subprocess.run([str(wrapper_binary()), "stop"], env={"OCF_ROOT": "/usr/lib/ocf"}, capture_output=True,
                       text=True, timeout=10)
    assert (p.returncode, p.stderr) == (1, "'AGENT' has to be set\n")
