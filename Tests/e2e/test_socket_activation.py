"""Socket activation: the daemon serves /metrics on a listening socket systemd (here systemd-socket-activate,
which passes it as LISTEN_FDS and execs the daemon on the first connection) handed over, and keeps it
open over reloads."""
import os
import subprocess
import shutil
import signal
import socket
import urllib.request

import pytest

from conftest import free_port, wait_until

pytestmark = pytest.mark.skipif(shutil.which("systemd-socket-activate") is None,
                                reason="systemd-socket-activate not installed")

# One resource and the end of the initial dump, so READY=1 comes at once.
EVENTS2 = "exists resource name:r0 role:Secondary suspended:no force-io-failures:no may_promote:no promotion_score:0\nexists -\n"


def config(port, enums="false"):
    return f'[[log]]\nlevel = "info"\n[[prometheus]]\naddress = "127.0.0.1:{port}"\nenums = {enums}\n'


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        return r.read().decode()


def events(tmp_path):
    path = tmp_path / "events2"
    path.write_text(EVENTS2)
    return {"STANDIN_EVENTS2": str(path)}


def activated(reactor, tmp_path, port, text, name="metrics"):
    """The daemon under systemd-socket-activate listening on `port`, after the first connection (which
    makes systemd-socket-activate exec it)."""
    # systemd-socket-activate passes on only PATH, HOME, TERM, USER and what -E names.
    keep = [arg for var in ("NOTIFY_SOCKET", "STANDIN_EVENTS2", "STANDIN_LOG_DIR") for arg in ("-E", var)]
    r = reactor(text, env=events(tmp_path), launcher=["systemd-socket-activate", "-l", f"127.0.0.1:{port}", f"--fdname={name}", *keep])
    wait_until(lambda: connects(port), what=f"systemd-socket-activate listening on {port}")
    return r


def connects(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        return True
    except ConnectionRefusedError:
        return False


def test_serves_metrics_on_the_passed_socket(reactor, tmp_path):
    port = free_port()
    r = activated(reactor, tmp_path, port, config(port))
    r.wait_notify("READY=1")
    assert 'name="r0"' in scrape(port)
    r.wait_log(f"systemd passed a listening socket on 127.0.0.1:{port} ('metrics')")
    # Had the daemon bound a socket of its own, that would have failed (EADDRINUSE) and been logged.
    assert "Failed to start prometheus" not in r.log()
    assert os.readlink(f"/proc/{r.proc.pid}/fd/3") == f"socket:[{listener_inode(r.proc.pid, port)}]"
    assert r.stop() == 0


def test_reload_keeps_the_listening_socket(reactor, tmp_path):
    """A changed [[prometheus]] table restarts the instance, not the socket: same inode before and after."""
    port = free_port()
    r = activated(reactor, tmp_path, port, config(port))
    r.wait_notify("READY=1")
    before = listener_inode(r.proc.pid, port)
    r.config_path.write_text(config(port, enums="true"))
    after_index = len(r.messages)
    r.signal(signal.SIGHUP)
    r.wait_notify("READY=1", after=after_index)
    r.wait_log("Configuration reloaded")
    assert "drbdreactor_up 1" in scrape(port)
    assert listener_inode(r.proc.pid, port) == before
    assert "Closing the listening socket" not in r.log()
    assert r.stop() == 0


def test_unused_passed_socket_is_closed(reactor, tmp_path):
    """A passed socket no [[prometheus]] wants is closed after start, so the port is free again."""
    port, other = free_port(), free_port()
    r = activated(reactor, tmp_path, other, config(port))
    r.wait_log(f"Closing the listening socket on 127.0.0.1:{other}")
    assert "drbdreactor_up 1" in scrape(port)
    wait_until(lambda: listener_inode(r.proc.pid, other) is None, what="the passed socket closed")
    assert r.stop() == 0


def listener_inode(pid, port):
    """The inode of the daemon's TCP socket listening on 127.0.0.1:port (from /proc/net/tcp), if it holds one."""
    want = f"0100007F:{port:04X}"
    inodes = set()
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[1] == want and fields[3] == "0A":  # state 0A: LISTEN
                inodes.add(fields[9])
    held = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            held.add(target[8:-1])
    found = inodes & held
    return next(iter(found), None)


def test_the_daemon_links_libsystemd_and_only_the_system_layer_imports_it():
    """sd_notify, sd_listen_fds_with_names and sd_journal_sendv come from libsystemd; the C module stays
    behind the System layer."""
    from conftest import ROOT, reactor_binary
    p = subprocess.run(["ldd", str(reactor_binary())], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert any(l.strip().startswith("libsystemd.so.0 =>") for l in p.stdout.splitlines()), p.stdout
    importers = sorted(str(f.relative_to(ROOT)) for d in ("Sources", "Tests") for f in (ROOT / d).rglob("*.swift")
                       if any(l.strip() == "import CSystemd" for l in f.read_text().splitlines()))
    assert importers, "nothing imports CSystemd"
    assert all(i.startswith("Sources/ReactorSystem/") for i in importers), importers
