"""Fault injection against the running daemon: a drbdsetup that dies or stalls mid-line, and reload
storms with a snippets directory that comes and goes and a snippet the TOML library once aborted on.
Each fault is bounded; FAULT_SECONDS (default 20) sets how long drbdsetup keeps being killed."""
import os
import signal
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, STANDIN_BIN, free_port, reactor_binary, wait_until

FAULT_SECONDS = float(os.environ.get("FAULT_SECONDS", "20"))


@pytest.fixture
def events2(tmp_path):
    """An initial state of two resources (bench/gen_events2.py), ended by `exists -`."""
    path = tmp_path / "state.events2"
    subprocess.run([sys.executable, str(ROOT / "bench" / "gen_events2.py"), "-n", "2", "-m", "0", "--no-sentinel",
                    "-o", str(path)], check=True)
    return path


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def drbdsetup_pids(r):
    return [int(pid) for pid, _, args in r.children() if "events2" in args]


def test_drbdsetup_killed_repeatedly(reactor, events2):
    r = reactor('[[log]]\nlevel = "debug"\n[[debugger]]\n', env={"STANDIN_EVENTS2": str(events2)})
    r.wait_notify("READY=1")
    first = wait_until(lambda: drbdsetup_pids(r), what="drbdsetup running")[0]
    baseline_fds = fds(r.proc.pid)
    killed, deadline = [], time.monotonic() + FAULT_SECONDS
    current = first
    while time.monotonic() < deadline:
        time.sleep(1)
        os.kill(current, signal.SIGKILL)
        killed.append(current)
        # The daemon notices, forgets the state and starts a new one after its backoff (2 s doubling).
        remaining = max(deadline - time.monotonic(), 0.5)
        try:
            current = wait_until(lambda: [p for p in drbdsetup_pids(r) if p not in killed], timeout=remaining,
                                 what="a new drbdsetup")[0]
        except AssertionError:
            break
    assert len(killed) >= 3, killed
    assert r.log().count("drbdsetup ended unexpectedly") >= len(killed) - 1
    current = wait_until(lambda: [p for p in drbdsetup_pids(r) if p not in killed], timeout=70, what="respawn")[0]
    # The new drbdsetup's state arrived again, nothing leaked, nothing left unreaped.
    wait_until(lambda: r.log().count("Exists resource pvc-00000-bench") > len(killed), timeout=10,
               what="the state of every drbdsetup started")
    assert r.proc.poll() is None and r.threads() == 1
    assert fds(r.proc.pid) == baseline_fds
    assert [c for c in r.children() if c[1].startswith("Z")] == []
    assert r.stop() == 0


def test_drbdsetup_stalls_mid_line(reactor, tmp_path):
    """Half a line, then nothing for a while: the loop keeps serving (a reload completes) and the line
    is applied whole once its end arrives."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stall = bin_dir / "drbdsetup"
    stall.write_text(f"""#!/bin/bash
if [ "$1" = events2 ]; then
    printf 'exists -\\ncreate resource name:stalled role:Secondary susp'
    sleep 3
    printf 'ended:no write-ordering:flush\\n'
    exec sleep 600
fi
exec {STANDIN_BIN}/drbdsetup "$@"
""")
    stall.chmod(0o755)
    r = reactor('[[log]]\nlevel = "debug"\n[[debugger]]\n',
                env={"PATH": f"{bin_dir}:{STANDIN_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}"})
    r.wait_notify("READY=1")
    time.sleep(0.5)
    mark = len(r.messages)
    started = time.monotonic()
    r.signal(signal.SIGHUP)
    i = r.wait_notify("RELOADING=1", after=mark)
    r.wait_notify("READY=1", after=i)
    assert time.monotonic() - started < 2.5, "the reload waited for the stalled line"
    assert "stalled" not in r.log()
    r.wait_log("Create resource stalled", timeout=10)
    assert r.threads() == 1
    assert r.stop() == 0


UMH = """
[[umh]]
[[umh.resource]]
command = "true"
resource-name = "none-{n}"
"""


def test_300_reloads_with_snippets_coming_and_going(reactor, tmp_path, events2):
    """300 SIGHUPs: every 3rd removes the snippets directory, the next recreates it, every 10th adds a
    snippet the TOML library used to abort on. The daemon stays up; fds and children stay flat; RSS
    growth is printed (TOMLKit never frees a parsed document, see README) and bounded loosely."""
    snippets = tmp_path / "snippets"
    r = reactor(f'snippets = "{snippets}"\n[[log]]\nlevel = "info"\n[[prometheus]]\naddress = "127.0.0.1:0"\n',
                env={"STANDIN_EVENTS2": str(events2)}, snippets={"10-umh.toml": UMH.format(n=0)})
    r.wait_notify("READY=1")
    pid = r.proc.pid

    def reload(n):
        mark = len(r.messages)
        r.signal(signal.SIGHUP)
        i = r.wait_notify("RELOADING=1", after=mark)
        r.wait_notify("READY=1", after=i)

    for n in range(20):  # warm up allocator and caches
        reload(n)
    before = (fds(pid), rss_kib(pid), len(r.children()))
    bad = 0
    for n in range(300):
        if n % 3 == 0:
            shutil.rmtree(snippets, ignore_errors=True)
        else:
            snippets.mkdir(exist_ok=True)
            (snippets / "10-umh.toml").write_text(UMH.format(n=n))
            if n % 10 == 1:
                (snippets / "20-typo.toml").write_text("[[[umh]]]\n")
                bad += 1
            else:
                (snippets / "20-typo.toml").unlink(missing_ok=True)
        reload(n)
    after = (fds(pid), rss_kib(pid), len(r.children()))
    print(f"\n300 reloads: fds {before[0]} -> {after[0]}, RSS {before[1]} -> {after[1]} KiB, "
          f"children {before[2]} -> {after[2]}")
    assert r.log().count("a table header must start with a key") >= bad
    assert r.log().count(f"Snippets path '{snippets}' does not exist or is not a directory, ignoring it.") >= 100
    assert r.proc.poll() is None and r.threads() == 1
    assert after[0] == before[0]
    assert after[2] == before[2] == 1  # drbdsetup only
    # AddressSanitizer holds freed memory in quarantine (256 MiB): RSS says nothing there.
    if b"__asan_init" not in reactor_binary().read_bytes():
        assert after[1] - before[1] < 16 * 1024, "RSS grew by more than 16 MiB over 300 reloads"
    # Gone, then recreated with a new plugin: the recreated snippet is what runs after the next reload.
    shutil.rmtree(snippets)
    reload(300)
    snippets.mkdir()
    port = free_port()
    (snippets / "30-prometheus.toml").write_text(f'[[prometheus]]\naddress = "127.0.0.1:{port}"\n')
    reload(301)
    assert b"drbd_resource_resources" in urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read()
    assert r.stop() == 0
