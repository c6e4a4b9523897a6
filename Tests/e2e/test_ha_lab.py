"""The HA lab's process tier: the shipped scenarios (Tests/HALab/scenarios) on three real systemd nodes.

`scripts/ha-lab` boots each node with systemd-nspawn from the cached Debian tree plus drbd-utils' real
units and shim, runs the daemon under test with this repository's unit and the scenario's snippets,
points drbdsetup/drbdadm at one `drbd-sim serve`, plays the fault timeline and checks the expectations
from the dummy services' start/stop log (see the format at the top of scripts/ha-lab). Each scenario is
one test; each must print one JSON line per expectation, all `ok`, and exit 0.

Also: the lab reports a broken expectation (exit 1), stops every container and the drbd-sim server when
interrupted, and drbd-sim itself takes hundreds of calls at once (a full listen backlog).

The scenarios are skipped (with the reason) when not root, when systemd-nspawn or nsenter is missing, or
when the lab tree cannot be built (no Debian mirror for debootstrap / `apt-get download drbd-utils`).
Environment: REACTOR_BIN (the daemon under test: any 1.x-compatible binary), DRBD_SIM_BIN, NSPAWN_CACHE,
HALAB_CACHE.
"""
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ROOT, built_binary, reactor_binary

LAB = ROOT / "scripts" / "ha-lab"
SCENARIOS = sorted((ROOT / "Tests" / "HALab" / "scenarios").glob("*.toml"))
# A lab that cannot be set up here (no mirror, no namespaces) is a skip, not a failure.
SETUP_ERRORS = ("apt-get download", "debootstrap", "needs root", "is not installed", "not booted within",
                "systemd-nspawn exited")


def preconditions():
    if os.geteuid() != 0:
        pytest.skip("systemd-nspawn --boot needs root")
    for tool in ("systemd-nspawn", "nsenter"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed (Debian packages systemd-container, util-linux; see scripts/setup)")


def sim_binary() -> Path:
    """drbd-sim: the release build when there is one (scripts/test builds it: with 100 resources on three
    nodes the debug build is too slow to keep up), else what built_binary finds."""
    release = ROOT / ".build" / "release" / "drbd-sim"
    if not os.environ.get("DRBD_SIM_BIN") and release.exists():
        return release
    return built_binary("drbd-sim", "DRBD_SIM_BIN").resolve()


def lab_env():
    return dict(os.environ, REACTOR_BIN=str(reactor_binary().resolve()), DRBD_SIM_BIN=str(sim_binary()))


def lab_processes(pid: int):
    """The containers (and their processes) one ha-lab run started: nspawn runs with --machine=halab-NODE-PID."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if any(a.startswith(b"--machine=halab-") and a.endswith(f"-{pid}".encode()) for a in args):
            found.append(cmdline.parent.name)
    return found


def run_lab(*args, timeout=600):
    p = subprocess.Popen([str(LAB), "--json", *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=lab_env())
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
        pytest.fail(f"ha-lab did not finish in {timeout}s:\n{out}\n{err[-3000:]}")
    lines = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    lab_errors = [l["detail"] for l in lines if l.get("expect") == "lab"]
    if lab_errors and any(s in lab_errors[0] for s in SETUP_ERRORS):
        pytest.skip(f"the HA lab cannot run here: {lab_errors[0][:2000]}")
    assert not lab_processes(p.pid), "ha-lab left containers running"
    return p.returncode, lines, err


# The target for these two (all 100 active within 2 s of the promote delay) is not met on this
# project's 2-core machine: 6-9.6 s measured (`make bench-ha`, README Performance), most of it the survivor's
# systemd running 100 start transactions beside the third node's. Their expectations here (all 100
# elsewhere within 40 s, at most one node at a time) hold since the daemon batches its `systemctl` calls
# (before: 25 s on the idle machine, some resources nowhere after 40 s under load); xfail (not strict)
# until the target holds, timing is never asserted in a test.
KNOWN = {"failover-100-files", "failover-100-section"}
PARAMS = [pytest.param(s, marks=pytest.mark.xfail(reason="100-resource failover target (3 s) not met on 2 cores: 6-9.6 s measured",
                                                  strict=False)) if s.stem in KNOWN else s for s in SCENARIOS]


@pytest.mark.parametrize("scenario", PARAMS, ids=[s.stem for s in SCENARIOS])
def test_shipped_scenario(scenario: Path):
    preconditions()
    start = time.monotonic()
    rc, lines, err = run_lab(scenario)
    print(f"{scenario.stem}: {time.monotonic() - start:.1f}s")
    for l in lines:
        print(json.dumps(l))
    failed = [l for l in lines if not l["ok"]]
    assert lines and not failed and rc == 0, f"exit {rc}; failed: {failed}\n--- ha-lab stderr\n{err[-6000:]}"
    expected = len(__import__("tomllib").loads(scenario.read_text()).get("expect", []))
    assert len(lines) == expected, f"{len(lines)} JSON lines for {expected} expectations"


def test_a_broken_expectation_fails_the_run(tmp_path):
    """The preferred node gets the services, so expecting them on another node must fail (exit 1)."""
    preconditions()
    scenario = tmp_path / "wrong-node.toml"
    text = (ROOT / "Tests" / "HALab" / "scenarios" / "preferred-node.toml").read_text()
    text = text.replace('node = "n3"\nwithin = 15', 'node = "n1"\nwithin = 5')
    assert 'node = "n1"\nwithin = 5' in text
    scenario.write_text(text)
    rc, lines, err = run_lab(scenario)
    on = [l for l in lines if l["expect"] == "services-on"]
    assert rc == 1 and len(on) == 1 and not on[0]["ok"] and "n3" in on[0]["detail"], (rc, lines, err[-3000:])


def test_interrupted_run_stops_everything(tmp_path):
    """Ctrl-C while the nodes run: every container and the drbd-sim server are stopped, the work directory removed."""
    preconditions()
    # SIGINT back to its default in the child: a shell started in the background (a CI job, `cmd &`)
    # ignores it, the ignore is inherited, and bash cannot trap a signal ignored on entry.
    p = subprocess.Popen([str(LAB), str(ROOT / "Tests" / "HALab" / "scenarios" / "promote.toml")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=lab_env(),
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen, deadline = "", time.monotonic() + 180
    try:
        while "nodes booted" not in seen and time.monotonic() < deadline:
            line = p.stderr.readline()
            if not line:
                break
            seen += line
        if "nodes booted" not in seen:
            p.kill()
            p.communicate()
            if any(s in seen for s in SETUP_ERRORS) or "apt-get" in seen:
                pytest.skip(f"the HA lab cannot run here: {seen[-2000:]}")
            pytest.fail(f"the nodes never booted:\n{seen[-3000:]}")
        assert lab_processes(p.pid), "no containers while the scenario runs"
        work = [d for d in Path("/tmp").glob("ha-lab-promote-*")]
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert p.returncode == 130, (p.returncode, err[-2000:])
    assert not lab_processes(p.pid), "containers left running after Ctrl-C"
    assert work and not [w for w in work if w.exists()], f"work directories left: {work}"
    left = []
    for c in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = c.read_bytes().decode(errors="replace")
        except OSError:
            continue
        if any(str(w) in text for w in work):
            left.append(text.replace("\0", " "))
    assert not left, f"processes of the interrupted run left (the drbd-sim server?): {left}"


def start_sim(tmp_path, resources=1):
    sim = sim_binary()
    cluster = "".join(f'[[node]]\nname = "n{i}"\n' for i in (1, 2, 3))
    cluster += "".join(f'[[resource]]\nname = "r{i:02d}"\nminor = {i}\n' for i in range(resources))
    (tmp_path / "c.toml").write_text(cluster)
    sock = tmp_path / "sock"
    server = subprocess.Popen([str(sim), "serve", "--socket", str(sock), str(tmp_path / "c.toml")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not sock.exists():
        assert server.poll() is None and time.monotonic() < deadline, "drbd-sim serve did not start"
        time.sleep(0.02)
    return sim, sock, server


def test_drbd_sim_survives_a_client_that_went_away(tmp_path):
    """An events2 client that disconnects before its dump is written (a killed node): the server's write
    fails with EPIPE; it must not die of SIGPIPE (which took every node's DRBD down in the lab)."""
    import socket as sockets
    sim, sock, server = start_sim(tmp_path, resources=50)
    try:
        for _ in range(20):
            s = sockets.socket(sockets.AF_UNIX, sockets.SOCK_STREAM)
            s.connect(str(sock))
            s.sendall(b"exec\tn1\tdrbdsetup\tevents2\t--full\n")
            s.close()
        subprocess.run([str(sim), "ctl", "--socket", str(sock), "crash", "n1"], capture_output=True, timeout=30)
        time.sleep(0.5)
        state = subprocess.run([str(sim), "ctl", "--socket", str(sock), "state"], capture_output=True, text=True, timeout=30)
        assert server.poll() is None, f"drbd-sim serve died: exit status {server.returncode}"
        assert state.returncode == 0 and '"n1"' in state.stdout, state
    finally:
        server.terminate()
        server.wait(10)


def test_drbd_sim_takes_hundreds_of_calls_at_once(tmp_path):
    """300 drbdsetup calls at once (100 promoters starting on three nodes): none may fail to connect
    (a full listen backlog is EAGAIN on a non-blocking unix socket; the client waits its turn)."""
    sim, sock, server = start_sim(tmp_path, resources=100)
    try:
        calls = [subprocess.Popen([str(sim), "exec", "--socket", str(sock), "--node", f"n{1 + i % 3}", "--",
                                   "drbdsetup", "status", "--json", f"r{i % 100:02d}"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(300)]
        results = [(c.wait(120), c.stdout.read(), c.stderr.read()) for c in calls]
        for c in calls:
            c.stdout.close()
            c.stderr.close()
    finally:
        server.terminate()
        server.wait(10)
    failed = [(rc, err) for rc, out, err in results if rc != 0]
    assert not failed, f"{len(failed)} of 300 calls failed, e.g. {failed[:3]}"
    assert all('"name": "r' in out for _, out, _ in results)
