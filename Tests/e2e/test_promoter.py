"""promoter end to end: the built daemon with a stand-in systemctl (records its calls, answers
`show --property=ActiveState` from a state file), the scripted stand-in drbdsetup and drbdadm.

Covers: the drop-ins are written where DRBD_REACTOR_SYSTEMD_DIR says and pass `systemd-analyze verify`;
one daemon-reload before the promoter starts; may_promote -> after the promote delay the target is
started; quorum lost -> stopped; a hanging systemctl delays neither umh nor prometheus; reload keeps an
unchanged promoter; stop-services-on-exit.
"""
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import free_port, wait_until
from test_umh import conn, dev, pdev, q, res, write_scenario

STATS = "statistics-poll-interval = 0\n"
DEBUG_LOG = '[[log]]\nlevel = "debug"\n'
TARGET = "drbd-services@r0.target"
NODE = socket.gethostname()
# The stand-in drbdsetup's status for r0 with a Primary peer: the initial start is skipped.
PEER_PRIMARY = [{"name": "r0", "role": "Secondary", "connections": [{"peer-node-id": 1, "peer-role": "Primary"}]}]


# r0: one UpToDate volume (no disk delay), a connected UpToDate peer; r1: a resource only.
INITIAL = [
    res("exists", "r0", "Secondary", "no"),
    dev("exists", 0, 1000, "/dev/vg/r0_0", "UpToDate"),
    conn("exists", "Connected", "Secondary"),
    pdev("exists", 0, "Established", "UpToDate"),
    res("exists", "r1", "Secondary", "no"),
    "exists -",
]


def promoter(extra="", start='["a.service"]') -> str:
    # Second in preferred-nodes: a promote delay of 1 s.
    return f"""
[[promoter]]
[promoter.resources.r0]
start = {start}
preferred-nodes = ["some-other-node", {q(NODE)}]
{extra}
"""


def umh_r1_primary(out: Path) -> str:
    """A umh rule that writes `out/r1-primary` (the time) when r1 becomes Primary: proof that the
    other plugins run while the promoter is stuck or not started."""
    return f"""
[[umh]]
[[umh.resource]]
name = "r1-primary"
command = 'date +%s.%N > "$OUT/r1-primary"'
env = {{ OUT = {q(out)} }}
resource-name = "r1"
new.role = "Primary"
"""


def env_for(tmp_path: Path, scenario: Path, **extra) -> dict:
    status = tmp_path / "status.json"
    status.write_text(json.dumps(PEER_PRIMARY))
    env = {"STANDIN_EVENTS2": str(scenario), "STANDIN_STATUS_JSON": str(status),
           "DRBD_REACTOR_SYSTEMD_DIR": str(tmp_path / "systemd")}
    env.update(extra)
    return env


def calls(tmp_path: Path):
    f = tmp_path / "systemctl.argv"
    return f.read_text().splitlines() if f.exists() else []


def wait_call(r, tmp_path, line, timeout=10.0):
    wait_until(lambda: line in calls(tmp_path), timeout,
               what=f"systemctl {line!r}\ncalls: {calls(tmp_path)}\n{r.log()}")
    return time.monotonic()


def test_may_promote_starts_after_the_delay_and_quorum_loss_stops(reactor, tmp_path):
    steps = [
        res("change", "r0", "Secondary", "yes"),
        "#sleep 2.5",
        dev("change", 0, 1000, "/dev/vg/r0_0", "UpToDate", quorum="no"),
    ]
    scenario = write_scenario(tmp_path, INITIAL, steps, pause="0.2")
    r = reactor(STATS + DEBUG_LOG + promoter(), env=env_for(tmp_path, scenario))
    r.wait_notify("READY=1")
    # Drop-ins first, then one daemon-reload, then the promoter starts (adjust: sh-ll-dev says none).
    wait_call(r, tmp_path, "daemon-reload")
    units = tmp_path / "systemd"
    assert (units / "a.service.d" / "reactor.conf").is_file()
    assert "Requires = a.service" in (units / f"{TARGET}.d" / "reactor.conf").read_text()
    assert not list(units.rglob("*.tmp"))
    wait_until(lambda: (tmp_path / "drbdadm.argv").exists() and "drbdadm adjust r0" in (tmp_path / "drbdadm.argv").read_text(),
               what=f"drbdadm adjust\n{r.log()}")

    r.wait_log("run: resource 'r0' may promote after 1000ms")
    logged = time.monotonic()
    assert f"start {TARGET}" not in calls(tmp_path)
    started = wait_call(r, tmp_path, f"start {TARGET}")
    assert started - logged >= 0.8, f"started {started - logged:.2f} s after the log line"
    wait_call(r, tmp_path, f"show --property=ActiveState {TARGET}")
    c = calls(tmp_path)
    assert c.index(f"reset-failed {TARGET}") < c.index(f"start {TARGET}") < c.index(f"show --property=ActiveState {TARGET}")
    assert c.count("daemon-reload") == 1

    wait_call(r, tmp_path, f"stop {TARGET}")
    r.wait_log("run: resource 'r0' lost quorum")
    assert (tmp_path / "journalctl.argv").read_text().splitlines() == ["--flush --sync"]
    assert "Detected split-brain avoidance policy: 'quorum'" in r.log()
    assert "Starting 'r0' failed" not in r.log()
    assert r.threads() == 1
    assert r.stop() == 0


def test_a_hanging_systemctl_delays_no_other_plugin(reactor, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    port = free_port()
    steps = [res("change", "r0", "Secondary", "yes"), "#sleep 2", res("change", "r1", "Primary", "no")]
    scenario = write_scenario(tmp_path, INITIAL, steps)
    config = STATS + DEBUG_LOG + promoter() + f"""
[[prometheus]]
address = "127.0.0.1:{port}"
""" + umh_r1_primary(out)
    r = reactor(config, env=env_for(tmp_path, scenario, STANDIN_SYSTEMCTL_HANG="start"))
    r.wait_notify("READY=1")
    hanging = wait_call(r, tmp_path, f"start {TARGET}")
    # systemctl start never returns; umh still fires and prometheus still answers.
    wait_until(lambda: (out / "r1-primary").exists(), timeout=10, what=f"the umh rule\n{r.log()}")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as resp:
        assert resp.status == 200 and b"drbd_resource_maypromote" in resp.read()
    assert time.monotonic() - hanging < 8
    assert f"show --property=ActiveState {TARGET}" not in calls(tmp_path)
    assert any(c[2] == "sleep 1000" for c in r.children()), r.children()  # the stand-in execs sleep
    assert r.threads() == 1
    # Stop does not wait for the hanging systemctl (it gets SIGTERM).
    t = time.monotonic()
    assert r.stop(timeout=20) == 0
    assert time.monotonic() - t < 5


def test_reload_keeps_an_unchanged_promoter_and_stop_services_on_exit(reactor, tmp_path):
    scenario = write_scenario(tmp_path, INITIAL, [])
    config = STATS + promoter("stop-services-on-exit = true\nadjust-resource-on-start = false")
    r = reactor(config, env=env_for(tmp_path, scenario))
    r.wait_notify("READY=1")
    wait_call(r, tmp_path, "daemon-reload")
    r.wait_log("Started promoter plugin.")
    before = tmp_path / "systemd" / f"{TARGET}.d" / "reactor-50-before.conf"
    assert before.is_file()
    mark = len(r.messages)
    r.signal(__import__("signal").SIGHUP)
    r.wait_notify("READY=1", after=mark + 1)
    time.sleep(0.5)
    assert calls(tmp_path).count("daemon-reload") == 1, calls(tmp_path)
    assert r.log().count("Started promoter plugin.") == 1
    # A changed section: the old instance stops (and with it the services), the new one gets its
    # drop-ins, a daemon-reload, and starts.
    r.config_path.write_text(config.replace("stop-services-on-exit = true", "stop-services-on-exit = true\nsleep-before-promote-factor = 2"))
    mark = len(r.messages)
    r.signal(__import__("signal").SIGHUP)
    r.wait_notify("READY=1", after=mark + 1)
    wait_until(lambda: r.log().count("Started promoter plugin.") == 2, what=f"the new promoter\n{r.log()}")
    wait_until(lambda: f"stop {TARGET}" in calls(tmp_path), what=f"the old promoter's exit stop\n{calls(tmp_path)}")
    assert calls(tmp_path).count("daemon-reload") == 3, calls(tmp_path)  # the old one's exit, the new one's
    assert before.is_file()
    # Exit: the Before= ordering goes first, then a reload and the stop.
    assert r.stop() == 0
    c = calls(tmp_path)
    assert c[-2:] == ["daemon-reload", f"stop {TARGET}"], c
    assert not before.exists()


def test_a_bad_start_entry_is_logged_and_the_promoter_not_started(reactor, tmp_path):
    scenario = write_scenario(tmp_path, INITIAL, [])
    r = reactor(STATS + promoter(start='["/mnt/data"]'), env=env_for(tmp_path, scenario))
    r.wait_notify("READY=1")
    r.wait_log("Could not start promoter plugin, ignoring it: Service name '/mnt/data' contains a '/'")
    time.sleep(0.3)
    assert "daemon-reload" not in calls(tmp_path)
    assert not (tmp_path / "systemd").exists()


# The drbd-utils units the drop-ins extend, for systemd-analyze; the shim and the ocf
# wrapper are replaced by /bin/true because verify wants executables that exist.
UTILS_UNITS = {
    "drbd-services@.target": "[Unit]\nDescription=Services for DRBD resource %I\nBindsTo=drbd-promote@%i.service\n",
    "drbd-promote@.service": """[Unit]
PartOf=drbd-services@%i.target
OnFailureJobMode=replace-irreversibly
[Service]
Type=oneshot
RemainAfterExit=yes
ExecCondition=/bin/true primary %I
ExecStop=/bin/true secondary %I
""",
    "drbd-demote-or-escalate@.service": """[Unit]
Conflicts=drbd-promote@%i.service
RefuseManualStart=yes
RefuseManualStop=yes
FailureAction=reboot
[Service]
TimeoutSec=60
Type=oneshot
ExecStart=/bin/true secondary-or-escalate %I
""",
    "ocf.rs@.service": """[Service]
Type=notify
Restart=always
Environment=OCF_ROOT=/usr/lib/ocf
Environment=OCF_RESOURCE_INSTANCE=%i
ExecStart=/bin/true start-and-monitor %n
ExecStopPost=/bin/true stop %n
""",
    "a.service": "[Service]\nExecStart=/bin/true\n",
    "mnt-data.mount": "[Mount]\nWhat=/dev/vg/data\nWhere=/mnt/data\n",
}


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_generated_drop_ins_pass_systemd_analyze_verify(reactor, tmp_path):
    scenario = write_scenario(tmp_path, INITIAL, [])
    start = '["mnt-data.mount", "a.service", "ocf:heartbeat:IPaddr2 ip ip=10.43.7.223 \\"nic=eth 0\\""]'
    name = "res-1"
    config = STATS + f"""
[[promoter]]
[promoter.resources.{name}]
start = {start}
on-drbd-demote-failure = "reboot"
adjust-resource-on-start = false
"""
    r = reactor(config, env=env_for(tmp_path, scenario))
    r.wait_notify("READY=1")
    wait_call(r, tmp_path, "daemon-reload")
    r.stop()
    generated = tmp_path / "systemd"
    escaped = "res\\x2d1"
    expected = {
        f"drbd-promote@{escaped}.service.d/reactor.conf", f"drbd-demote-or-escalate@{escaped}.service.d/reactor.conf",
        "mnt-data.mount.d/reactor-50-mount.conf", "mnt-data.mount.d/reactor.conf", "a.service.d/reactor.conf",
        f"ocf.rs@ip_{escaped}.service.d/reactor.conf", f"drbd-services@{escaped}.target.d/reactor.conf",
        f"drbd-services@{escaped}.target.d/reactor-50-before.conf",
    }
    assert {str(p.relative_to(generated)) for p in generated.rglob("*") if p.is_file()} == expected
    ocf = (generated / f"ocf.rs@ip_{escaped}.service.d/reactor.conf").read_text()
    assert "Environment= OCF_RESKEY_nic=eth\\x200" in ocf.splitlines()
    assert "Environment= AGENT=/usr/lib/ocf/resource.d/heartbeat/IPaddr2" in ocf.splitlines()

    units = tmp_path / "units"
    shutil.copytree(generated, units)
    for f in units.rglob("*.conf"):
        f.write_text(f.read_text().replace("/usr/lib/drbd/scripts/drbd-service-shim.sh", "/bin/true"))
    for unit, text in UTILS_UNITS.items():
        (units / unit).write_text(text)
    names = [f"drbd-services@{escaped}.target", f"drbd-promote@{escaped}.service",
             f"drbd-demote-or-escalate@{escaped}.service", f"ocf.rs@ip_{escaped}.service", "a.service", "mnt-data.mount"]
    p = subprocess.run(["systemd-analyze", "verify", "--man=no", *[str(units / n) for n in names]],
                       capture_output=True, text=True, timeout=60,
                       env={**os.environ, "SYSTEMD_UNIT_PATH": f"{units}:"})
    assert p.returncode == 0, p.stderr
    bad = [l for l in p.stderr.splitlines() if any(w in l.lower() for w in ("unknown", "ignoring", "error", "invalid", "failed"))]
    assert not bad, p.stderr


@pytest.mark.parametrize("versions, problem", [
    ({"STANDIN_UTILS_CODE": "0x091c00"}, "drbd-utils minimum version ('9.29.0') not fulfilled by '9.28.0'"),
    ({"STANDIN_KMOD_CODE": "0x090106"}, "DRBD kernel module minimum version ('9.1.7') not fulfilled by '9.1.6'"),
    ({"STANDIN_KMOD_CODE": "garbage"}, "the DRBD kernel module looks not installed or not loaded"),
])
def test_old_drbd_versions_keep_promoters_from_starting_but_not_the_rest(reactor, tmp_path, versions, problem):
    out = tmp_path / "out"
    out.mkdir()
    steps = [res("change", "r0", "Secondary", "yes"), "#sleep 1.5", res("change", "r1", "Primary", "no")]
    scenario = write_scenario(tmp_path, INITIAL, steps)
    config = STATS + DEBUG_LOG + promoter() + umh_r1_primary(out)
    r = reactor(config, env=env_for(tmp_path, scenario, **versions))
    r.wait_notify("READY=1")
    r.wait_log(f"Not starting 1 promoter plugin(s): {problem}")
    wait_until(lambda: (out / "r1-primary").exists(), timeout=10, what=f"the umh rule\n{r.log()}")
    assert "daemon-reload" not in calls(tmp_path)
    assert not any(c.startswith("start ") for c in calls(tmp_path))
    assert r.proc.poll() is None
    assert r.stop() == 0


def test_drbdadm_version_is_asked_once_for_every_plugin_that_shows_or_checks_it(reactor, tmp_path):
    # The promoter's version check, prometheus' drbd_version and agentx' ModuleVersion/UtilsVersion all
    # need `drbdadm --version`: one child answers all three.
    scenario = write_scenario(tmp_path, INITIAL, [])
    port, ax_port = free_port(), free_port()  # nobody listens on ax_port: agentx keeps retrying
    config = (STATS + DEBUG_LOG + promoter("adjust-resource-on-start = false")
              + f'[[prometheus]]\naddress = "127.0.0.1:{port}"\n'
              + f'[[agentx]]\naddress = "127.0.0.1:{ax_port}"\n')
    r = reactor(config, env=env_for(tmp_path, scenario))
    r.wait_notify("READY=1")
    r.wait_log("Started promoter plugin.")
    def versions():
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        return 'drbd_version{kmod="9.2.11",utils="9.29.0"} 1' in text
    wait_until(versions, what=f"drbd_version from the stand-in drbdadm\n{r.log()}")
    argv = tmp_path / "drbdadm.argv"
    assert argv.read_text().splitlines().count("drbdadm --version") == 1, argv.read_text()
    # A reload forgets the answer (drbd-utils may have been updated) but asks only for what it starts:
    # with the same config, nothing.
    mark = len(r.messages)
    r.signal(__import__("signal").SIGHUP)
    r.wait_notify("READY=1", after=mark + 1)
    time.sleep(0.5)
    assert argv.read_text().splitlines().count("drbdadm --version") == 1, argv.read_text()
