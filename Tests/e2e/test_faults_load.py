"""Fault injection under load: a umh storm against the concurrency cap, a `[[log]] file` on a full
filesystem, and thousands of idle or non-reading /metrics clients beside a scraper. Each asserts that
the daemon keeps serving, that fds and children stay bounded, and the log lines that say what happened."""
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, free_port, wait_until
from test_faults import fds

# UMHPlugin.defaultMaxRunning / defaultMaxQueued and PrometheusServer.maxConnections (README, umh docs).
UMH_MAX_RUNNING = 32
UMH_MAX_QUEUED = 4096
MATCHES = 10001  # the storm's 10k changes and the initial exists event
HTTP_MAX_CONNECTIONS = 256


def metric(text: str, name: str) -> int:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return int(float(line.split()[-1]))
    raise AssertionError(f"no {name}")


def scrape(port: int, timeout=10.0) -> str:
    return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=timeout).read().decode()


def zombies(r):
    return [c for c in r.children() if c[1].startswith("Z")]


def test_umh_storm_is_capped_queued_and_dropped(reactor, tmp_path):
    """10k matching role changes (plus the initial exists, which matches too) in one burst: at most UMH_MAX_RUNNING commands at once, the queue holds
    UMH_MAX_QUEUED, the rest is dropped with one warning and counted; a scrape answers during the storm;
    afterwards every child is reaped."""
    lines = ["exists resource name:storm role:Secondary suspended:no write-ordering:flush may_promote:no promotion_score:0",
             "exists -"]
    for i in range(5000):
        lines += ["change resource name:storm role:Primary", "change resource name:storm role:Secondary"]
    events = tmp_path / "storm.events2"
    events.write_text("\n".join(lines) + "\n")
    port = free_port()
    fired = tmp_path / "fired"
    r = reactor(f'[[log]]\nlevel = "info"\n[[prometheus]]\naddress = "127.0.0.1:{port}"\n'
                f'[[umh]]\n[[umh.resource]]\nname = "storm"\ncommand = "echo x >> {fired}; sleep 0.05"\n'
                'resource-name = "storm"\n', env={"STANDIN_EVENTS2": str(events)})
    r.wait_notify("READY=1")
    most, scraped = 0, None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        most = max(most, len([c for c in r.children() if "events2" not in c[2]]))
        if scraped is None and most > 0:
            scraped = scrape(port)  # answers while commands run and wait
        text = scrape(port)
        run, dropped = metric(text, "drbdreactor_umh_commands_total"), metric(text, "drbdreactor_umh_commands_dropped_total")
        if run + dropped == MATCHES and len(r.children()) <= 2:
            break
        time.sleep(0.05)
    print(f"\numh storm: {run} run, {dropped} dropped, at most {most} children seen at once")
    assert run + dropped == MATCHES
    assert dropped > 0 and run >= UMH_MAX_RUNNING + UMH_MAX_QUEUED
    assert scraped is not None and "drbdreactor_umh_commands_total" in scraped
    assert most <= UMH_MAX_RUNNING + 1  # + a drbdadm --version query at start
    wait_until(lambda: fired.exists() and len(fired.read_text().splitlines()) == run, timeout=30,
               what="every started command finished")
    wait_until(lambda: len(r.children()) == 1, timeout=10, what="only drbdsetup left")
    assert zombies(r) == []
    log = r.log()
    assert log.count(f"{UMH_MAX_RUNNING} commands running and {UMH_MAX_QUEUED} waiting: dropping matches") >= 1
    assert "matched command(s) dropped while the queue was full" in log
    assert r.proc.poll() is None and r.threads() == 1
    assert r.stop() == 0


@pytest.fixture
def tiny_fs(tmp_path):
    """A 1 MiB tmpfs mounted for the test (root only)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    yield mnt
    if not os.environ.get("KEEP_TINY"):
        subprocess.run(["umount", "-l", str(mnt)])


def test_log_file_on_a_full_filesystem(reactor, tmp_path, tiny_fs):
    """The `[[log]] file` is on a tmpfs filled to the last block: log writes fail with ENOSPC, the daemon
    keeps running and serving /metrics; once there is room again the drops are said in the file."""
    port = free_port()
    logfile = tiny_fs / "reactor.log"
    events = tmp_path / "state.events2"
    subprocess.run([sys.executable, str(ROOT / "bench" / "gen_events2.py"), "-n", "2", "-m", "0", "--no-sentinel",
                    "-o", str(events)], check=True)
    r = reactor(f'[[log]]\nlevel = "debug"\nfile = "{logfile}"\n[[prometheus]]\naddress = "127.0.0.1:{port}"\n',
                env={"STANDIN_EVENTS2": str(events)})
    r.wait_notify("READY=1")
    wait_until(lambda: logfile.exists() and logfile.stat().st_size > 0, what="the log file written")
    filler = tiny_fs / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=4k"], capture_output=True)  # until ENOSPC
    before = fds(r.proc.pid)

    def reload():
        mark = len(r.messages)
        r.signal(signal.SIGHUP)
        r.wait_notify("READY=1", after=r.wait_notify("RELOADING=1", after=mark))
        assert "drbd_resource_resources" in scrape(port)

    # Reloads log their progress. The log file's last page still takes some; then writes fail (ENOSPC)
    # and the daemon still reloads and serves.
    sizes = []
    while len(sizes) < 5 or sizes[-1] != sizes[-5]:
        reload()
        sizes.append(logfile.stat().st_size)
        assert len(sizes) < 300, "the log file keeps growing on a full filesystem"
    for _ in range(10):
        reload()
    assert logfile.stat().st_size == sizes[-1]
    assert r.proc.poll() is None and r.threads() == 1
    # The last scrape's connection may still be closing: wait for the count, do not compare a snapshot.
    wait_until(lambda: fds(r.proc.pid) <= before, timeout=5, what=f"fds back to {before}")
    filler.unlink()
    r.signal(signal.SIGHUP)  # room again: the next entries are written, preceded by the drop count
    wait_until(lambda: "Dropped " in logfile.read_text(errors="replace"), timeout=10, what="the drop notice")
    notice = [l for l in logfile.read_text(errors="replace").splitlines() if "Dropped " in l]
    assert "log messages: the log destination did not accept them" in notice[0]
    assert int(notice[0].split("Dropped ")[1].split()[0]) > 0
    assert r.stop() == 0


def test_idle_and_non_reading_clients_beside_a_scraper(reactor, tmp_path):
    """2000 clients that connect and send nothing plus 50 that send a request and never read, while a
    scraper keeps scraping: every scrape succeeds; the daemon's fds stay within its connection limit
    (idle clients are evicted longest-idle first; non-readers hold their response until the write
    timeout)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 4096
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 2200:
        pytest.skip("RLIMIT_NOFILE too low for 2050 client sockets")
    events = tmp_path / "state.events2"
    # 300 resources: /metrics is a few MB, more than a socket buffer, so a non-reader's response stays pending.
    subprocess.run([sys.executable, str(ROOT / "bench" / "gen_events2.py"), "-n", "300", "-m", "0", "--no-sentinel",
                    "-o", str(events)], check=True)
    port = free_port()
    r = reactor(f'[[log]]\nlevel = "info"\n[[prometheus]]\naddress = "127.0.0.1:{port}"\n',
                env={"STANDIN_EVENTS2": str(events)})
    r.wait_notify("READY=1")
    scrape(port)
    baseline = fds(r.proc.pid)
    results, stop = [], threading.Event()

    def scraper():
        while not stop.is_set():
            t0 = time.monotonic()
            try:
                ok = "drbd_resource_resources" in scrape(port, timeout=20)
            except OSError as e:
                ok = f"{e}"
            results.append((ok, time.monotonic() - t0))
            time.sleep(0.1)

    thread = threading.Thread(target=scraper)
    thread.start()
    held, most = [], 0
    try:
        for i in range(50):
            s = socket.create_connection(("127.0.0.1", port))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            held.append(s)
        for i in range(2000):
            held.append(socket.create_connection(("127.0.0.1", port)))
            if i % 100 == 0:
                most = max(most, fds(r.proc.pid))
        end = time.monotonic() + 5
        while time.monotonic() < end:
            most = max(most, fds(r.proc.pid))
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join()
    failed = [x for x in results if x[0] is not True]
    lat = sorted(x[1] for x in results)
    print(f"\n2000 idle + 50 non-reading: {len(results)} scrapes, p50 {lat[len(lat) // 2] * 1000:.1f} ms, "
          f"max {lat[-1] * 1000:.1f} ms; daemon fds at most {most} (baseline {baseline})")
    assert results and failed == []
    assert most <= baseline + HTTP_MAX_CONNECTIONS + 1
    assert r.proc.poll() is None and r.threads() == 1
    for s in held:
        s.close()
    wait_until(lambda: fds(r.proc.pid) <= baseline + 2, timeout=60, what="client fds released")
    assert r.stop() == 0
