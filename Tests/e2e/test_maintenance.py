"""Maintenance end to end: drbd-reactorctl writes the state file, the built daemon reads it at start and
on SIGHUP, and its promoter keeps following DRBD but starts and stops nothing (stand-ins as in
test_promoter.py)."""
import signal
import subprocess
import time

from conftest import STANDIN_BIN, built_binary, wait_until
from test_promoter import DEBUG_LOG, INITIAL, STATS, TARGET, calls, env_for, promoter
from test_umh import dev, res, write_scenario


def ctl(tmp_path, *args):
    config = tmp_path / "ctl.toml"
    (tmp_path / "ctl.d").mkdir(exist_ok=True)
    config.write_text(f'snippets = "{tmp_path}/ctl.d"\n')
    return subprocess.run([str(built_binary("drbd-reactorctl", "REACTORCTL_BIN")), "-c", str(config), "maintenance", *args],
                          capture_output=True, text=True, timeout=30,
                          env={"PATH": f"{STANDIN_BIN}:/usr/bin:/bin", "DRBD_REACTOR_RUN_DIR": str(tmp_path / "run"),
                               "STANDIN_LOG_DIR": str(tmp_path / "ctl-log"), "NO_COLOR": "1"})


def test_a_node_in_maintenance_takes_no_resource_until_it_leaves(reactor, tmp_path):
    (tmp_path / "ctl-log").mkdir()
    p = ctl(tmp_path, "on")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("Maintenance: this node")
    assert "INFO: drbd-reactor.service is not running; it reads this when it starts" in p.stdout
    assert (tmp_path / "run" / "maintenance").read_text().splitlines()[1:] == ["*"]
    scenario = write_scenario(tmp_path, INITIAL, [res("change", "r0", "Secondary", "yes")])
    r = reactor(STATS + DEBUG_LOG + promoter(), env=env_for(tmp_path, scenario, DRBD_REACTOR_RUN_DIR=str(tmp_path / "run")))
    r.wait_notify("READY=1")
    r.wait_log("resource 'r0' is in maintenance: not starting or stopping anything")
    r.wait_log("Detected split-brain avoidance policy: 'quorum'")  # it keeps following DRBD
    # That nothing starts for as long as maintenance lasts is timing, checked on virtual time
    # (DaemonVirtualPromoterTests); here the state file drbd-reactorctl wrote is what the daemon obeys.
    assert f"start {TARGET}" not in calls(tmp_path)
    assert not any(c.startswith("stop") for c in calls(tmp_path))
    p = ctl(tmp_path, "off")
    assert p.returncode == 0 and p.stdout.startswith("Maintenance: none")
    r.signal(signal.SIGHUP)
    r.wait_log("resource 'r0' left maintenance")
    assert r.stop() == 0


def test_a_resource_put_in_maintenance_while_running_is_not_stopped(reactor, tmp_path):
    (tmp_path / "ctl-log").mkdir()
    steps = ["#sleep 2", dev("change", 0, 1000, "/dev/vg/r0_0", "UpToDate", quorum="no")]
    scenario = write_scenario(tmp_path, INITIAL, steps)
    r = reactor(STATS + DEBUG_LOG + promoter(), env=env_for(tmp_path, scenario, DRBD_REACTOR_RUN_DIR=str(tmp_path / "run")))
    r.wait_notify("READY=1")
    p = ctl(tmp_path, "on", "r0", "r9")
    assert p.returncode == 0 and p.stdout.startswith("Maintenance: r0, r9")
    r.signal(signal.SIGHUP)
    r.wait_log("resource 'r0' is in maintenance: its services are neither started nor stopped")
    r.wait_log("run: resource 'r0' lost quorum")
    r.wait_log("resource 'r0' is in maintenance: not starting or stopping anything")  # the stop it held
    time.sleep(0.5)
    assert f"stop {TARGET}" not in calls(tmp_path)
    assert r.stop() == 0
