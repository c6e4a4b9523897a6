"""drbd-reactorctl cluster contexts against REAL OpenSSH servers on loopback.

Each node is its own sshd (127.0.0.1, its own port and host key, made here in tmp_path) whose
ForceCommand enters the node: its own working directory (so `-c drbd-reactor.toml` is that node's
config and snippets), its own stand-in logs, the built drbd-reactorctl first in PATH, and a record of the
command ssh delivered. The client uses an ssh config and known_hosts made here
(DRBD_REACTORCTL_SSH="ssh -F FILE"); the context file lives in $XDG_CONFIG_HOME/drbd-reactorctl/.
Every sshd is stopped by the test.
"""
import getpass
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from conftest import STANDIN_BIN, built_binary, free_port, wait_until

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
pytestmark = pytest.mark.skipif(
    not (os.path.exists(SSHD) and shutil.which("ssh") and shutil.which("ssh-keygen")) or os.geteuid() != 0,
    reason="needs openssh-server and openssh-client (scripts/setup) and root (sshd's privilege separation)")

PROMOTER = '[[promoter]]\n[promoter.resources.r0]\nstart = ["app.service"]\n'
TARGET = "drbd-services@r0.target"

ENTER = """#!/bin/sh
# ForceCommand of this node's sshd: run what ssh delivered inside the node.
cd "{dir}" || exit 97
printf '%s\\n' "$SSH_ORIGINAL_COMMAND" >> "{dir}/ssh-commands"
export PATH="{dir}/bin:{standins}:/usr/bin:/bin" STANDIN_LOG_DIR="{dir}" NO_COLOR=1
export DRBD_REACTOR_SYSTEMD_DIR="{dir}/run-systemd" STANDIN_STATUS_JSON="{dir}/status.json"
{extra}
exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"
"""


def keygen(path: Path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


class Node:
    """One node: a directory and an sshd serving it."""

    def __init__(self, cluster, name, extra_env=""):
        self.name = name
        self.host = f"node-{name}"
        self.dir = cluster.tmp / self.host
        (self.dir / "bin").mkdir(parents=True)
        (self.dir / "run-systemd").mkdir()
        (self.dir / "drbd-reactor.d").mkdir()
        (self.dir / "bin" / "drbd-reactorctl").symlink_to(built_binary("drbd-reactorctl", "REACTORCTL_BIN"))
        (self.dir / "drbd-reactor.toml").write_text(f'snippets = "{self.dir}/drbd-reactor.d"\n')
        (self.dir / "status.json").write_text(f'[{{"name":"r0","role":"Secondary","connections":[]}}]')
        enter = self.dir / "enter"
        enter.write_text(ENTER.format(dir=self.dir, standins=STANDIN_BIN, extra=extra_env))
        enter.chmod(0o755)
        keygen(self.dir / "hostkey")
        self.port = free_port()
        (self.dir / "sshd_config").write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {self.dir}/hostkey\nPidFile none\n"
            f"AuthorizedKeysFile {cluster.tmp}/authorized_keys\nStrictModes no\nUsePAM no\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
            f"ForceCommand {enter}\nLogLevel ERROR\n")
        self.proc = None
        self.start()

    def start(self):
        self.log = open(self.dir / "sshd.log", "ab")
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.dir / "sshd_config")],
                                     stdout=self.log, stderr=subprocess.STDOUT)

        def listening():
            assert self.proc.poll() is None, (self.dir / "sshd.log").read_text()
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0
        wait_until(listening, what=f"sshd of {self.host}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None
        self.log.close()

    def write(self, name, text):
        (self.dir / "drbd-reactor.d" / name).write_text(text)

    def names(self):
        return sorted(p.name for p in (self.dir / "drbd-reactor.d").iterdir())

    def calls(self, tool="systemctl"):
        f = self.dir / f"{tool}.argv"
        return f.read_text().splitlines() if f.exists() else []

    def ssh_commands(self):
        f = self.dir / "ssh-commands"
        return f.read_text().splitlines() if f.exists() else []


class Cluster:
    """Nodes, the client's ssh config and known_hosts, the context files, and a way to run drbd-reactorctl."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.nodes = {}
        keygen(tmp / "userkey")
        shutil.copy(tmp / "userkey.pub", tmp / "authorized_keys")
        self.contexts = tmp / "xdg" / "drbd-reactorctl"
        self.contexts.mkdir(parents=True)
        self.user = getpass.getuser()
        self.env = {
            "PATH": f"{STANDIN_BIN}:/usr/bin:/bin", "HOME": str(tmp), "XDG_CONFIG_HOME": str(tmp / "xdg"),
            "NO_COLOR": "1", "STANDIN_LOG_DIR": str(tmp), "DRBD_REACTORCTL_SSH": f"ssh -F {tmp}/ssh_config",
        }

    def add(self, name, extra_env=""):
        node = Node(self, name, extra_env)
        self.nodes[name] = node
        self.write_ssh_config()
        return node

    def write_ssh_config(self):
        config, known = "", ""
        for n in self.nodes.values():
            config += f"Host {n.host}\n  HostName 127.0.0.1\n  Port {n.port}\n  HostKeyAlias {n.host}\n"
            known += f"{n.host} {(n.dir / 'hostkey.pub').read_text().split(' ', 2)[0]} " \
                     f"{(n.dir / 'hostkey.pub').read_text().split(' ', 2)[1]}\n"
        config += (f"Host *\n  IdentityFile {self.tmp}/userkey\n  IdentitiesOnly yes\n"
                   f"  UserKnownHostsFile {self.tmp}/known_hosts\n  StrictHostKeyChecking yes\n  LogLevel ERROR\n"
                   "  ConnectTimeout 10\n")
        (self.tmp / "ssh_config").write_text(config)
        (self.tmp / "known_hosts").write_text(known)

    def context(self, name, text):
        (self.contexts / f"{name}.toml").write_text(text)

    def context_of(self, *names, ctx="prod"):
        self.context(ctx, "".join(f'[nodes.{n}]\nhostname = "node-{n}"\nuser = "{self.user}"\n' for n in names))

    def run(self, *args, cwd=None, env=None):
        argv = [str(built_binary("drbd-reactorctl", "REACTORCTL_BIN")), "-c", "drbd-reactor.toml", *args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=cwd or self.tmp,
                              env={**self.env, **(env or {})})

    def stop(self):
        for n in self.nodes.values():
            n.stop()


@pytest.fixture
def cluster(tmp_path):
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation directory
    c = Cluster(tmp_path)
    yield c
    c.stop()


def test_status_runs_on_every_node_over_ssh_grouped_per_node(cluster):
    a, b, c = cluster.add("a"), cluster.add("b"), cluster.add("c")
    for n in (a, b, c):
        n.write("r0.toml", PROMOTER)
    (b.dir / "status.json").write_text('[{"name":"r0","role":"Primary","connections":[]}]')
    cluster.context_of("c", "a", "b")
    p = cluster.run("--context", "prod", "status")
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert out.startswith("Checking ssh connection to all remote nodes: ✓\n")
    # groups in host order, each with that node's own view (b is Primary, its hostname is its uname -n
    # as far as drbdsetup is concerned: it reports "this node")
    ia, ib, ic = out.index("➞ node-a:\n"), out.index("➞ node-b:\n"), out.index("➞ node-c:\n")
    assert ia < ib < ic
    assert f"{a.dir}/drbd-reactor.d/r0.toml:" in out[ia:ib]
    assert "currently active on this node" in out[ib:ic] and "currently active on this node" not in out[ia:ib]
    assert f"{c.dir}/drbd-reactor.d/r0.toml:" in out[ic:]
    # ssh delivered the command line unchanged, with --local so the node does not fan out again
    for n in (a, b, c):
        assert n.ssh_commands() == ["true", "drbd-reactorctl --local -c drbd-reactor.toml --context prod status"]
        assert f"show --property=ActiveState {TARGET}" in n.calls()


def test_disable_now_changes_every_node_and_nodes_limits_them(cluster):
    a, b = cluster.add("a"), cluster.add("b")
    for n in (a, b):
        n.write("r0.toml", PROMOTER)
    cluster.context_of("a", "b")
    p = cluster.run("--context", "prod", "--nodes", "b", "disable", "--now", "r0")
    assert p.returncode == 0, p.stderr
    assert a.names() == ["r0.toml"] and a.ssh_commands() == []
    assert b.names() == ["r0.toml.disabled"]
    assert b.calls()[-1] == f"stop {TARGET}"
    assert "➞ node-a:" not in p.stdout and "➞ node-b:" in p.stdout
    assert f"Disabling '{b.dir}/drbd-reactor.d/r0.toml'..." in p.stderr
    p = cluster.run("disable", "--context", "prod", "--now", "r0")  # options after the subcommand too
    assert p.returncode == 0, p.stderr
    assert a.names() == ["r0.toml.disabled"] and a.calls()[-1] == f"stop {TARGET}"
    p = cluster.run("--context", "prod", "--nodes", "a,zz", "ls")
    assert p.returncode == 1 and "Context 'prod' has no node 'zz'" in p.stderr


def test_a_failing_node_is_named_and_fails_the_command(cluster):
    a = cluster.add("a")
    b = cluster.add("b", extra_env="export STANDIN_SYSTEMCTL_FAIL=reload")
    for n in (a, b):
        n.write("r0.toml.disabled", PROMOTER)
    cluster.context_of("a", "b")
    p = cluster.run("--context", "prod", "enable")
    assert p.returncode == 1
    assert "Error: node 'b' (node-b) failed: exit status 1" in p.stderr
    assert "node 'a'" not in p.stderr
    assert "Error: Failed on node 'b'" in p.stderr
    assert "Error: Command 'systemctl reload drbd-reactor.service' failed" in p.stderr  # b's own error
    assert a.names() == ["r0.toml"] and b.names() == ["r0.toml"]  # b renamed, but its reload failed


def test_an_unreachable_node_stops_the_command_everywhere(cluster):
    a, b = cluster.add("a"), cluster.add("b")
    for n in (a, b):
        n.write("r0.toml", PROMOTER)
    cluster.context_of("a", "b")
    b.stop()
    p = cluster.run("--context", "prod", "disable", "r0")
    assert p.returncode == 1
    assert "Error: node 'b' (" in p.stderr and "is not reachable: ssh failed (exit status 255)" in p.stderr
    assert a.names() == ["r0.toml"] and a.ssh_commands() == ["true"]  # checked, but nothing ran
    b.start()  # for the fixture's stop


def test_nodes_script_and_contexts_that_must_not_run_here(cluster):
    a = cluster.add("a")
    a.write("r0.toml", PROMOTER)
    script = cluster.contexts / "nodes.sh"
    script.write_text(f'#!/bin/sh\nprintf \'[nodes.a]\\nhostname = "node-a"\\nuser = "{cluster.user}"\\n\'\n')
    script.chmod(0o755)
    cluster.context("gen", 'nodes-script = "nodes.sh"\n')
    p = cluster.run("--context", "gen", "ls")
    assert p.returncode == 0, p.stderr
    assert "➞ node-a:\n" in p.stdout and f"{a.dir}/drbd-reactor.d/r0.toml:" in p.stdout
    # a nodes-script that prints no node: an error, never "this node"
    empty = cluster.contexts / "empty.sh"
    empty.write_text("#!/bin/sh\nexit 0\n")
    empty.chmod(0o755)
    cluster.context("none-found", 'nodes-script = "empty.sh"\n')
    (cluster.tmp / "drbd-reactor.toml").write_text(f'snippets = "{cluster.tmp}"\n')
    p = cluster.run("--context", "none-found", "ls")
    assert p.returncode == 1 and "Context 'none-found'" in p.stderr and "has no nodes" in p.stderr
    assert p.stdout == ""
    cluster.context("broken", 'nodes-script = "missing.sh"\n')
    assert cluster.run("--context", "broken", "ls").returncode == 1
    cluster.context("typo", '[nodes.a]\nhostnme = "x"\n')
    p = cluster.run("--context", "typo", "ls")
    assert p.returncode == 1 and "'nodes.a.hostnme': unknown key" in p.stderr


def test_local_only_commands_ignore_the_context(cluster):
    """evict, start-until and restart without snippets run on this node only, as in the original."""
    cluster.context("far", '[nodes.x]\nhostname = "unreachable.invalid"\n')
    local = cluster.tmp / "here"
    (local / "d").mkdir(parents=True)
    (local / "drbd-reactor.toml").write_text(f'snippets = "{local}/d"\n')
    p = cluster.run("--context", "far", "restart", cwd=local)
    assert p.returncode == 0, p.stderr
    assert (cluster.tmp / "systemctl.argv").read_text().splitlines() == ["restart drbd-reactor.service"]
    p = cluster.run("--context", "far", "evict", cwd=local)
    assert p.returncode == 0, p.stderr
    p = cluster.run("--context", "far", "rm", "r0", cwd=local)
    assert p.returncode == 1 and "needs --force" in p.stderr


def test_this_node_of_a_context_runs_without_ssh(cluster):
    a = cluster.add("a")
    a.write("a.toml", PROMOTER)
    here = cluster.tmp / "here"
    (here / "d").mkdir(parents=True)
    (here / "d" / "h.toml").write_text("[[debugger]]\n")
    (here / "drbd-reactor.toml").write_text(f'snippets = "{here}/d"\n')
    me = socket.gethostname()
    cluster.context("mixed", f'[nodes.a]\nhostname = "node-a"\nuser = "{cluster.user}"\n[nodes.me]\nhostname = "{me}"\n')
    p = cluster.run("--context", "mixed", "ls", cwd=here)
    assert p.returncode == 0, p.stderr
    assert f"➞ {me}:\n{here}/d/h.toml:\n- Debugger\n" in p.stdout
    assert f"➞ node-a:\n{a.dir}/drbd-reactor.d/a.toml:\n" in p.stdout
    assert a.ssh_commands() == ["true", "drbd-reactorctl --local -c drbd-reactor.toml --context mixed ls"]


def test_evict_to_holds_the_other_peers_over_ssh(cluster):
    """evict --to b: c's target is masked (over ssh) while this node lets r0 go, and unmasked after."""
    b, c = cluster.add("b"), cluster.add("c")
    cluster.context_of("b", "c")
    here = cluster.tmp / "here"
    (here / "d").mkdir(parents=True)
    (here / "d" / "r0.toml").write_text(PROMOTER)
    (here / "drbd-reactor.toml").write_text(f'snippets = "{here}/d"\n')
    (here / "status.json").write_text('[{"name":"r0","role":"Primary","connections":['
                                      '{"name":"b","peer-role":"Secondary"},{"name":"c","peer-role":"Secondary"}]}]')
    (here / "events2").write_text(
        "exists resource name:r0 role:Primary may_promote:no promotion_score:0\n"
        "exists connection name:r0 peer-node-id:1 conn-name:b connection:Connected role:Secondary\n"
        "exists connection name:r0 peer-node-id:2 conn-name:c connection:Connected role:Secondary\nexists -\n#sleep 0.5\n"
        "change resource name:r0 role:Secondary\n"
        "change connection name:r0 peer-node-id:1 conn-name:b connection:Connected role:Primary\n#sleep 2\n")
    env = {"STANDIN_STATUS_JSON": str(here / "status.json"), "STANDIN_EVENTS2": str(here / "events2"),
           "STANDIN_LOG_DIR": str(here), "DRBD_REACTOR_SYSTEMD_DIR": str(here)}
    p = cluster.run("--context", "prod", "evict", "--to", "b", cwd=here, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Holding r0 on 'c' so that 'b' takes over\n" in p.stdout and "Node 'b' took over" in p.stdout
    assert c.calls() == [f"mask --runtime {TARGET}", f"unmask --runtime {TARGET}"]
    assert b.calls() == [] and b.ssh_commands() == []
    assert (here / "systemctl.argv").read_text().splitlines()[:3] == [f"mask --runtime {TARGET}", "daemon-reload", f"stop {TARGET}"]
    # the held peer is unreachable: nothing is touched here
    c.stop()
    p = cluster.run("--context", "prod", "evict", "--to", "b", cwd=here, env=env)
    assert p.returncode == 1 and "Failed on node 'c'" in p.stderr
    assert (here / "systemctl.argv").read_text().splitlines().count(f"mask --runtime {TARGET}") == 1
    c.start()
