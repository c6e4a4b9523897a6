"""The shipped systemd units, checked by systemd's own verifier."""
import shutil
import subprocess

import pytest

from conftest import ROOT, reactor_binary


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_units_verify(tmp_path):
    units = ["drbd-reactor.service", "drbd-reactor-reload.path", "drbd-reactor-reload.service"]
    for u in units:
        text = (ROOT / "systemd" / u).read_text()
        # Point ExecStart at the built binary: verify checks that the executable exists.
        text = text.replace("/usr/sbin/drbd-reactor", str(reactor_binary()))
        (tmp_path / u).write_text(text)
    p = subprocess.run(["systemd-analyze", "verify", "--man=no", *[str(tmp_path / u) for u in units]],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "error" not in p.stderr.lower(), p.stderr


def test_service_unit_contract():
    text = (ROOT / "systemd" / "drbd-reactor.service").read_text()
    for line in ["Type=notify", "ExecReload=/usr/bin/env kill -HUP $MAINPID", "After=network-online.target",
                 "After=snmpd.service", "ExecStart=/usr/sbin/drbd-reactor"]:
        assert line in text.splitlines(), line
    assert any(l.startswith("WatchdogSec=") for l in text.splitlines())
    path = (ROOT / "systemd" / "drbd-reactor-reload.path").read_text()
    assert "PathChanged=/etc/drbd-reactor.d" in path.splitlines()
