"""The daemon's life under systemd: readiness, watchdog, reload, stop, bad configs, one thread."""
import os
import pty
import signal
import subprocess
import time

from conftest import FIXTURES, reactor_binary, wait_until

LOG_ONLY = """
[[log]]
level = "debug"
"""


def test_ready_watchdog_reload_stop(reactor, tmp_path):
    snippets_dir = tmp_path / "snippets"
    config = f'snippets = "{snippets_dir}"\nsnippets-monitoring-interval = 0\n' + LOG_ONLY
    r = reactor(config, env={"STANDIN_EVENTS2": str(FIXTURES / "lifecycle.full.events2")},
                watchdog_usec=200_000, snippets={"10-debugger.toml": "[[debugger]]\n"})
    ready = r.wait_notify("READY=1")
    assert r.threads() == 1
    # The fixture's initial dump holds two resources; STATUS= follows the state.
    r.wait_notify("STATUS=Running: 2 resources, 1 plugin", timeout=5)

    # Watchdog: WATCHDOG_USEC reaches the daemon and WATCHDOG=1 reaches the notify socket, again and
    # again. The period and the gaps (every WATCHDOG_USEC/2, none missed) are checked on virtual time
    # in DaemonVirtualTests and VirtualLoopTests.
    first = r.wait_notify("WATCHDOG=1")
    r.wait_notify("WATCHDOG=1", after=first + 1)

    # Reload with a broken snippet: RELOADING=1 (with MONOTONIC_USEC), error logged, READY=1 again, still running.
    (snippets_dir / "20-broken.toml").write_text("[[prometheus]\naddress = \n")
    mark = len(r.messages)
    r.signal(signal.SIGHUP)
    i = r.wait_notify("RELOADING=1", after=mark)
    assert "MONOTONIC_USEC=" in r.messages[i][1]
    r.wait_notify("READY=1", after=i)
    r.wait_log("20-broken.toml:1")
    assert r.proc.poll() is None
    assert r.threads() == 1

    # SIGTERM: STOPPING=1 and exit status 0.
    mark = len(r.messages)
    r.signal(signal.SIGTERM)
    r.proc.wait(10)
    assert r.proc.returncode == 0
    r.wait_notify("STOPPING=1", after=mark)


def run_with_config(tmp_path, text):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    p = subprocess.run([str(reactor_binary()), "-c", str(cfg)], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=10)
    return cfg, p


def test_broken_main_config_exits_nonzero_naming_file(tmp_path):
    cfg, p = run_with_config(tmp_path, "[[log]]\nlevel = \"loud\"\n")
    assert p.returncode != 0
    assert f"{cfg}:2" in p.stderr and "level" in p.stderr, p.stderr


def test_unknown_key_is_an_error(tmp_path):
    cfg, p = run_with_config(tmp_path, "statistics-poll-intervall = 5\n")
    assert p.returncode != 0
    assert f"{cfg}:1" in p.stderr and "statistics-poll-intervall" in p.stderr, p.stderr


def test_refuses_a_terminal_without_allow_tty(tmp_path):
    cfg = tmp_path / "ok.toml"
    cfg.write_text("")
    master, slave = pty.openpty()
    try:
        p = subprocess.run([str(reactor_binary()), "-c", str(cfg)], stdin=slave, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=10)
    finally:
        os.close(master)
        os.close(slave)
    assert p.returncode != 0
    assert "--allow-tty" in p.stderr and "drbd-reactorctl" in p.stderr


def test_version_and_help():
    v = subprocess.run([str(reactor_binary()), "--version"], capture_output=True, text=True, timeout=10)
    assert v.returncode == 0 and v.stdout.strip()
    h = subprocess.run([str(reactor_binary()), "--help"], capture_output=True, text=True, timeout=10)
    assert h.returncode == 0 and "--config" in h.stdout and "--allow-tty" in h.stdout


def test_sigusr1_dumps_config_as_toml(reactor):
    r = reactor(LOG_ONLY + '\n[[prometheus]]\naddress = "127.0.0.1:0"\n', env={})
    r.wait_log("Serving /metrics")
    r.signal(signal.SIGUSR1)
    r.wait_log("[[prometheus]]")
    assert 'statistics-poll-interval = 60' in r.log()
    assert r.stop() == 0


def test_notify_socket_not_leaked_to_children(reactor, tmp_path):
    r = reactor(LOG_ONLY, env={"STANDIN_EVENTS2": str(FIXTURES / "lifecycle.full.events2")},
                watchdog_usec=1_000_000)
    r.wait_notify("READY=1")
    pid = wait_until(lambda: next((c[0] for c in r.children() if "drbdsetup" in c[2]), None), what="drbdsetup child")
    environ = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
    assert not any(e.startswith((b"NOTIFY_SOCKET=", b"WATCHDOG_")) for e in environ)
    assert r.stop() == 0


def test_empty_notify_socket_means_no_listener(reactor):
    """NOTIFY_SOCKET= (empty) is no listener, as for sd_notify(3): no failed sends are logged."""
    r = reactor(LOG_ONLY, env={"NOTIFY_SOCKET": "",
                               "STANDIN_EVENTS2": str(FIXTURES / "lifecycle.full.events2")})
    r.wait_log("running with")
    time.sleep(0.3)
    assert "Failed to notify" not in r.log(), r.log()
    assert r.proc.poll() is None
    assert r.stop() == 0
