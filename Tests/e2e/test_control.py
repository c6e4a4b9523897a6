"""The daemon's control socket end to end: the built daemon (stand-ins as in test_promoter.py) serves
JSON lines on $DRBD_REACTOR_RUN_DIR/control.sock; drbd-reactorctl status, watch and maintenance use it."""
import json
import os
import signal
import socket
import stat
import subprocess
import time

from conftest import STANDIN_BIN, built_binary, wait_until
from test_promoter import DEBUG_LOG, INITIAL, STATS, TARGET, calls, env_for, promoter
from test_umh import res, write_scenario


def ask(path, *requests):
    """Sends request lines, returns the answer lines (one per request)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(str(path))
        s.sendall("".join(r + "\n" for r in requests).encode())
        data = b""
        while data.count(b"\n") < len(requests):
            data += s.recv(65536)
    return [json.loads(line) for line in data.decode().splitlines()]


def ctl(tmp_path, *args, **kw):
    (tmp_path / "ctl.d").mkdir(exist_ok=True)
    (tmp_path / "ctl.d" / "r0.toml").write_text(promoter())
    (tmp_path / "ctl.toml").write_text(f'snippets = "{tmp_path}/ctl.d"\n')
    argv = [str(built_binary("drbd-reactorctl", "REACTORCTL_BIN")), "-c", str(tmp_path / "ctl.toml"), *args]
    env = {"PATH": f"{STANDIN_BIN}:/usr/bin:/bin", "DRBD_REACTOR_RUN_DIR": str(tmp_path / "run"), "NO_COLOR": "1",
           "STANDIN_LOG_DIR": str(tmp_path / "ctl-log"), "STANDIN_STATUS_JSON": str(tmp_path / "status.json")}
    (tmp_path / "ctl-log").mkdir(exist_ok=True)
    if kw.get("popen"):
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, env=env)


def test_status_says_why_not_here_and_maintenance_goes_through_the_socket(reactor, tmp_path):
    scenario = write_scenario(tmp_path, INITIAL, ["#sleep 30"])
    r = reactor(STATS + DEBUG_LOG + promoter(), env=env_for(tmp_path, scenario))
    r.wait_notify("READY=1")
    sock = tmp_path / "run" / "control.sock"
    wait_until(sock.exists, what="the control socket")
    assert stat.S_IMODE(os.stat(sock).st_mode) == 0o600  # root only
    r.wait_log("Detected split-brain avoidance policy")
    [status] = ask(sock, '{"command":"status"}')
    assert status["type"] == "status" and status["node"] == socket.gethostname()
    [p] = status["promoter"]
    assert p["resource"] == "r0" and p["here"] is False and p["primary_on"] is None
    assert p["why_not"].startswith("not may_promote")
    # ctl status shows it too, in text and JSON
    out = ctl(tmp_path, "status")
    assert out.returncode == 0, out.stderr
    head = next(l for l in out.stdout.splitlines() if l.startswith("Promoter: Resource r0"))
    assert f"{head}\n  why not here: not may_promote: DRBD does not allow promotion here" in out.stdout
    doc = json.loads(ctl(tmp_path, "status", "--json").stdout)
    assert doc["promoter"][0]["here"] is False and doc["promoter"][0]["why_not"].startswith("not may_promote")
    # maintenance through the control socket (no reload): the daemon re-reads the state file
    m = ctl(tmp_path, "maintenance", "on", "r0")
    assert m.returncode == 0, m.stderr
    ctl_calls = tmp_path / "ctl-log" / "systemctl.argv"
    assert "reload drbd-reactor.service" not in (ctl_calls.read_text() if ctl_calls.exists() else "")
    r.wait_log("resource 'r0' is in maintenance: its services are neither started nor stopped")
    [p] = ask(sock, '{"command":"status"}')[0]["promoter"]
    assert p["maintenance"] is True and p["why_not"].startswith("maintenance")
    [err, again] = ask(sock, '{"command":"nope"}', "not json")
    assert err["type"] == "error" and "unknown command 'nope'" in err["message"] and again["type"] == "error"
    assert r.threads() == 1
    assert r.stop() == 0
    assert not sock.exists()


def test_watch_streams_state_changes_and_promoter_decisions(reactor, tmp_path):
    scenario = write_scenario(tmp_path, INITIAL, ["#sleep 3", res("change", "r0", "Secondary", "yes")])
    r = reactor(STATS + DEBUG_LOG + promoter(), env=env_for(tmp_path, scenario))
    r.wait_notify("READY=1")
    wait_until((tmp_path / "run" / "control.sock").exists, what="the control socket")
    w = ctl(tmp_path, "watch", "--json", popen=True)
    try:
        wait_until(lambda: f"start {TARGET}" in calls(tmp_path), timeout=15, what=f"the start\n{r.log()}")
        time.sleep(0.5)
    finally:
        w.send_signal(signal.SIGINT)
        out, err = w.communicate(timeout=10)
    assert w.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["type"] == "status"
    assert {"type": "state", "event": "change", "resource": "r0", "object": "resource", "role": "Secondary",
            "may_promote": True} in lines
    decisions = [l["message"] for l in lines if l["type"] == "promoter"]
    assert "run: resource 'r0' may promote after 1000ms" in decisions
    # a text watch without a daemon is an error
    r.stop()
    p = ctl(tmp_path, "watch")
    assert p.returncode == 1 and "Control socket" in p.stderr
