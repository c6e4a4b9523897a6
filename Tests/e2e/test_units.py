"""The shipped systemd units, checked by systemd's own verifier."""
import shutil
import subprocess

import pytest

from conftest import ROOT, built_binary, reactor_binary

OCF_UNIT = ROOT / "systemd" / "ocf.rs@.service"
OCF_WRAPPER = "/usr/libexec/drbd-reactor/ocf-rs-wrapper"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_units_verify(tmp_path):
    units = ["drbd-reactor.service", "drbd-reactor-reload.path", "drbd-reactor-reload.service",
             "drbd-reactor-metrics.socket"]
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


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_metrics_socket_contract():
    """The optional socket unit hands the default [[prometheus]] address to drbd-reactor.service, and the
    service keeps its own listening sockets in systemd's store over a restart."""
    lines = (ROOT / "systemd" / "drbd-reactor-metrics.socket").read_text().splitlines()
    for line in ["ListenStream=9942", "Service=drbd-reactor.service", "WantedBy=sockets.target"]:
        assert line in lines, line
    assert any(l.startswith("FileDescriptorStoreMax=") for l in (ROOT / "systemd" / "drbd-reactor.service").read_text().splitlines())


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_ocf_unit_verify_with_the_promoters_drop_in(tmp_path):
    """An instance as the promoter makes it: the template plus `<instance>.service.d/reactor.conf`."""
    text = OCF_UNIT.read_text().replace(OCF_WRAPPER, str(built_binary("ocf-rs-wrapper", "OCF_WRAPPER_BIN")))
    (tmp_path / "ocf.rs@.service").write_text(text)
    dropin = tmp_path / "ocf.rs@ip1_r0.service.d"
    dropin.mkdir()
    (dropin / "reactor.conf").write_text(
        "[Unit]\nDescription=drbd-reactor controlled %N\nPartOf = drbd-services@r0.target\n\n"
        "[Service]\nEnvironment= OCF_RESKEY_ip=10.0.0.1\n"
        "Environment= AGENT=/usr/lib/ocf/resource.d/heartbeat/IPaddr2\n")
    p = subprocess.run(["systemd-analyze", "verify", "--man=no", str(tmp_path / "ocf.rs@ip1_r0.service")],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stderr.strip() == "", p.stderr


def test_ocf_unit_contract():
    """drbd-reactor 1.x's directives, the misspelt monitor_inverval included (see the README)."""
    lines = OCF_UNIT.read_text().splitlines()
    for line in ["Type=notify", "Restart=always", "Environment=OCF_ROOT=/usr/lib/ocf",
                 "Environment=OCF_RESOURCE_INSTANCE=%i", "Environment=monitor_inverval=30",
                 f"ExecStart={OCF_WRAPPER} start-and-monitor %n", f"ExecStopPost={OCF_WRAPPER} stop %n"]:
        assert line in lines, line
