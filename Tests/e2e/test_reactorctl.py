"""End-to-end tests of the built drbd-reactorctl against a temporary snippets directory and the stand-ins
(systemctl records its calls and keeps unit states in files; drbdsetup prints $STANDIN_STATUS_JSON)."""
import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import STANDIN_BIN, built_binary

PROMOTER = '[[promoter]]\n[promoter.resources.r0]\nstart = ["data.mount", "app.service"]\n'
TARGET = "drbd-services@r0.target"


def ctl_binary() -> Path:
    return built_binary("drbd-reactorctl", "REACTORCTL_BIN")


class Ctl:
    """A config dir (`drbd-reactor.toml` + `drbd-reactor.d`) and a way to run drbd-reactorctl on it."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.snippets = tmp / "drbd-reactor.d"
        self.snippets.mkdir()
        self.systemd = tmp / "run-systemd"
        self.systemd.mkdir()
        self.config = tmp / "drbd-reactor.toml"
        self.config.write_text(f'snippets = "{self.snippets}"\n')
        self.env = {
            "PATH": f"{STANDIN_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "STANDIN_LOG_DIR": str(tmp),
            "DRBD_REACTOR_SYSTEMD_DIR": str(self.systemd),
            "HOME": str(tmp),
            "NO_COLOR": "1",
            "DRBD_REACTOR_RUN_DIR": str(tmp / "run"),  # no daemon's control socket: status shows no "why"
        }

    def run(self, *args, input=None, env=None, config=True):
        argv = [str(ctl_binary())] + (["-c", str(self.config)] if config else []) + list(args)
        return subprocess.run(argv, input=input, capture_output=True, text=True, timeout=60, env={**self.env, **(env or {})})

    def write(self, name, text):
        (self.snippets / name).write_text(text)

    def names(self):
        return sorted(p.name for p in self.snippets.iterdir())

    def calls(self, tool="systemctl"):
        f = self.tmp / (tool if "." in tool else f"{tool}.argv")
        return f.read_text().splitlines() if f.exists() else []

    def set_state(self, unit, state, kind="state"):
        d = self.tmp / f"systemctl.{kind}"
        d.mkdir(exist_ok=True)
        (d / unit).write_text(state + "\n")

    def status_json(self, text):
        f = self.tmp / "status.json"
        f.write_text(text)
        self.env["STANDIN_STATUS_JSON"] = str(f)


@pytest.fixture
def ctl(tmp_path):
    return Ctl(tmp_path)


def status_of(res, role, peer_role="Secondary"):
    return json.dumps([{"name": res, "role": role, "connections": [{"name": "beta", "peer-role": peer_role}]}])


def test_ls_lists_enabled_and_disabled_snippets(ctl):
    ctl.write("r0.toml", PROMOTER)
    ctl.write("metrics.toml.disabled", '[[prometheus]]\naddress = "127.0.0.1:9000"\n')
    ctl.write("notes.txt", "not a snippet")
    p = ctl.run("ls")
    assert p.returncode == 0, p.stderr
    assert p.stdout == (f"{ctl.snippets}/metrics.toml.disabled:\n- Prometheus: 127.0.0.1:9000\n"
                        f"{ctl.snippets}/r0.toml:\n- Promoter: r0; start = [\"data.mount\", \"app.service\"]\n")
    # options may also follow the subcommand
    assert subprocess.run([str(ctl_binary()), "ls", "-c", str(ctl.config), "r0"], capture_output=True, text=True,
                          env=ctl.env).stdout == f"{ctl.snippets}/r0.toml:\n- Promoter: r0; start = [\"data.mount\", \"app.service\"]\n"


def test_ls_reports_an_invalid_snippet_with_file_and_line(ctl):
    ctl.write("bad.toml", "[[prometheus]]\nadress = \":9942\"\n")
    p = ctl.run("ls")
    assert p.returncode == 0
    assert f"{ctl.snippets}/bad.toml:2: 'prometheus[0].adress': unknown key" in p.stderr


def test_cat_shows_enabled_snippets(ctl):
    ctl.write("r0.toml", PROMOTER)
    ctl.write("off.toml.disabled", "[[debugger]]\n")
    p = ctl.run("cat", env={"PATH": f"{STANDIN_BIN}:/usr/bin:/bin"})
    assert p.returncode == 0
    assert PROMOTER in p.stdout and "debugger" not in p.stdout
    assert f"Displaying {ctl.snippets}/r0.toml..." in p.stderr


def test_disable_and_enable_rename_and_reload(ctl):
    ctl.write("r0.toml", PROMOTER)
    p = ctl.run("disable", "--now", "r0")
    assert p.returncode == 0, p.stderr
    assert ctl.names() == ["r0.toml.disabled"]
    assert f"Disabling '{ctl.snippets}/r0.toml'..." in p.stderr
    assert ctl.calls() == ["is-active --quiet drbd-reactor-reload.path", "reload drbd-reactor.service", f"stop {TARGET}"]
    p = ctl.run("enable", "r0")
    assert p.returncode == 0, p.stderr
    assert ctl.names() == ["r0.toml"]
    assert ctl.calls()[-1] == "reload drbd-reactor.service"


def test_no_reload_when_the_path_unit_does_it(ctl):
    ctl.write("r0.toml.disabled", PROMOTER)
    ctl.write("r0.toml", PROMOTER)
    ctl.set_state("drbd-reactor-reload.path", "active")
    p = ctl.run("enable")
    assert f"WARN: '{ctl.snippets}/r0.toml' already exists, doing nothing" in p.stdout
    assert "WARN: both" in p.stdout
    ctl.run("disable")
    assert ctl.names() == ["r0.toml.disabled"] or ctl.names() == ["r0.toml", "r0.toml.disabled"]
    assert "reload drbd-reactor.service" not in ctl.calls()


def test_rm_asks_and_force_does_not(ctl):
    ctl.write("a.toml", PROMOTER)
    ctl.write("b.toml.disabled", PROMOTER)
    p = ctl.run("rm", "a", input="what\nn\n")
    assert ctl.names() == ["a.toml", "b.toml.disabled"]
    assert "Unknown answer 'what', use 'y' or 'n'" in p.stdout
    p = ctl.run("rm", "a", input="YES\n")
    assert ctl.names() == ["b.toml.disabled"]
    p = ctl.run("rm", "--disabled", "-f", "b")
    assert p.returncode == 0 and ctl.names() == []
    assert ctl.calls().count("reload drbd-reactor.service") == 2


EDITOR = """#!/bin/sh
# Fake $EDITOR: round N copies what it was shown to seen.N and writes round.N (if any) into the file.
d=$(dirname "$0")
n=$(cat "$d/rounds" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$d/rounds"
cp "$1" "$d/seen.$n"
[ -f "$d/round.$n" ] && cat "$d/round.$n" > "$1"
exit 0
"""


def editor(ctl, *rounds):
    d = ctl.tmp / "editor"
    d.mkdir()
    script = d / "edit.sh"
    script.write_text(EDITOR)
    script.chmod(0o755)
    for i, text in enumerate(rounds, start=1):
        (d / f"round.{i}").write_text(text)
    return d, {"EDITOR": str(script)}


def test_edit_rejects_an_invalid_snippet_and_keeps_the_old_one(ctl):
    ctl.write("r0.toml", PROMOTER)
    d, env = editor(ctl, PROMOTER.replace("start", "strat"))  # round 2 leaves it unchanged: aborted
    p = ctl.run("edit", "r0", env=env)
    assert p.returncode == 0, p.stderr
    where = f"{ctl.snippets}/r0.toml:3: 'promoter[0].resources.r0.strat': unknown key"
    assert where in p.stderr
    assert f"#| Error: {where}" in (d / "seen.2").read_text()
    assert "WARN: Edit aborted, no new changes have been made" in p.stdout
    assert (ctl.snippets / "r0.toml").read_text() == PROMOTER
    assert ctl.names() == ["r0.toml"]
    assert ctl.calls() == []
    # the temporary file was next to the snippets directory, and is gone
    assert not [f for f in ctl.tmp.iterdir() if f.name.startswith(".r0.toml.")]


def test_edit_creates_a_new_snippet_from_the_template(ctl):
    d, env = editor(ctl, "[[prometheus]]\nenums = false\n")
    p = ctl.run("edit", "--type", "prometheus", "metrics", env=env)
    assert p.returncode == 0, p.stderr
    assert "[[prometheus]]\nenums = true" in (d / "seen.1").read_text()
    assert "#| Happy editing:" in (d / "seen.1").read_text()
    assert (ctl.snippets / "metrics.toml").read_text() == "[[prometheus]]\nenums = false\n"
    assert ctl.calls()[-1] == "reload drbd-reactor.service"


def test_edit_type_mismatch_and_empty_file(ctl):
    d, env = editor(ctl, "[[debugger]]\n", "")
    p = ctl.run("edit", "dbg", env=env)  # default type promoter
    assert "Expected exactly one promoter plugin" in p.stderr
    assert "WARN: Edit aborted, empty file saved" in p.stdout
    assert ctl.names() == []


def test_status_text_and_json(ctl):
    ctl.write("r0.toml", PROMOTER)
    ctl.write("dbg.toml.disabled", "[[debugger]]\n")
    ctl.status_json(status_of("r0", "Primary"))
    ctl.set_state(TARGET, "active")
    ctl.set_state("drbd-promote@r0.service", "active")
    ctl.set_state("data.mount", "failed")
    ctl.set_state("app.service", "active")
    ctl.set_state("app.service", "frozen", kind="freezer")
    ctl.set_state("drbd-reactor.service", "active")
    p = ctl.run()  # no subcommand: status
    assert p.returncode == 0, p.stderr
    assert p.stdout == (f"{ctl.snippets}/dbg.toml.disabled:\nDebugger (disabled): started\n\n"
                        f"{ctl.snippets}/r0.toml:\nPromoter: Resource r0 currently active on this node\n"
                        f"● {TARGET}\n● ├─ drbd-promote@r0.service\n× ├─ data.mount\n● └─ app.service(frozen)\n\n")
    assert f"show --property=FreezerState {TARGET}" in ctl.calls()
    assert "status --json r0" in ctl.calls("drbdsetup.other")[0]
    doc = json.loads(ctl.run("status", "--json").stdout)
    node = Path("/proc/sys/kernel/hostname").read_text().strip()
    assert doc["promoter"][0]["primary_on"] == node
    assert doc["promoter"][0]["target"] == {"name": TARGET, "status": "active", "freezer": "running"}
    assert doc["promoter"][0]["dependencies"][2] == {"name": "app.service", "status": "active", "freezer": "frozen"}
    assert doc["debugger"] == [{"path": f"{ctl.snippets}/dbg.toml.disabled", "enabled": False, "status": "inactive"}]
    assert ctl.run("status", "-r", "other", "--json").stdout.startswith('{"promoter":[],')


def test_status_peer_primary_and_daemon_down(ctl):
    ctl.write("r0.toml", PROMOTER)
    ctl.write("m.toml", "[[umh]]\n")
    ctl.status_json(status_of("r0", "Secondary", "Primary"))
    p = ctl.run("status")
    assert "Promoter: Resource r0 currently active on node 'beta'" in p.stdout
    assert "WARN: drbd-reactor.service is inactive: its plugins are not running" in p.stdout
    assert "UMH: started" in p.stdout


def test_evict_masks_stops_and_unmasks(ctl):
    ctl.write("r0.toml", PROMOTER)
    ctl.status_json(status_of("r0", "Primary"))
    (ctl.systemd / TARGET).symlink_to("/dev/null")  # what `systemctl mask --runtime` would leave
    p = ctl.run("evict", "-d", "1")
    assert p.returncode == 3, p.stderr  # still Primary here (events2 gave nothing: drbdsetup status at the end)
    assert p.stdout == (f"{ctl.snippets}/r0.toml:\nEvicting r0\n1..0\n"
                        "Local node still DRBD Primary, not all services stopped in time locally\n"
                        f"Re-enabling r0\nRemoved {ctl.systemd}/{TARGET}.\n")
    assert ctl.calls() == [f"mask --runtime {TARGET}", "daemon-reload", f"stop {TARGET}", "daemon-reload", f"start {TARGET}"]
    assert not os.path.lexists(ctl.systemd / TARGET)


EVENTS_PRIMARY_HERE = ("exists resource name:r0 role:Primary suspended:no may_promote:no promotion_score:0\n"
                       "exists connection name:r0 peer-node-id:1 conn-name:beta connection:Connected role:Secondary\n"
                       "exists -\n")


def test_evict_follows_events2_until_a_peer_took_over(ctl):
    ctl.write("r0.toml", PROMOTER)
    ctl.status_json(status_of("r0", "Primary"))
    events = ctl.tmp / "events2"
    events.write_text(EVENTS_PRIMARY_HERE + "#sleep 1.3\nchange resource name:r0 role:Secondary\n#sleep 0.3\n"
                      "change connection name:r0 peer-node-id:1 conn-name:beta connection:Connected role:Primary\n#sleep 2\n")
    p = ctl.run("evict", "-d", "10", env={"STANDIN_EVENTS2": str(events)})
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.startswith(f"{ctl.snippets}/r0.toml:\nEvicting r0\n10..9..")
    assert "\nNode 'beta' took over\nRe-enabling r0\n" in p.stdout
    assert "7.." not in p.stdout  # it ended when beta was Primary, not after the delay
    # followed by one events2 child, not by a drbdsetup status every second; the child is gone
    assert ctl.calls("drbdsetup") == ["drbdsetup events2 r0"]
    assert ctl.calls("drbdsetup.other") == ["drbdsetup status --json r0"]
    pid = int((ctl.tmp / "drbdsetup.pids").read_text().split()[0])
    assert not os.path.exists(f"/proc/{pid}") or "zombie" in Path(f"/proc/{pid}/status").read_text()


def test_evict_says_when_nobody_took_over(ctl):
    ctl.write("r0.toml", PROMOTER)
    ctl.status_json(status_of("r0", "Primary"))
    events = ctl.tmp / "events2"
    events.write_text(EVENTS_PRIMARY_HERE + "change resource name:r0 role:Secondary\n#sleep 2\n")
    p = ctl.run("evict", "-d", "1", "--keep-masked", env={"STANDIN_EVENTS2": str(events)})
    assert p.returncode == 4
    assert "Unfortunately no other node took over, resource in unknown state" in p.stdout
    assert ctl.calls()[-1] == f"stop {TARGET}"  # kept masked: no unmask, no start
    p = ctl.run("evict", "-d", "1", "--to", "gamma")
    assert p.returncode == 1 and "'gamma' is not a peer of resource 'r0' (peers: beta)" in p.stderr


def test_evict_refuses_mixed_snippets_and_bad_delays(ctl):
    ctl.write("r0.toml", PROMOTER + "[[debugger]]\n")
    p = ctl.run("evict")
    assert p.returncode == 1
    assert f"Error: Config file '{ctl.snippets}/r0.toml' contains mixed promoter and other plugins" in p.stderr
    assert ctl.calls() == []
    assert ctl.run("evict", "--delay", "0").returncode == 1
    assert ctl.run("evict", "--delay", "x").returncode == 1


def test_evict_unmask_only(ctl):
    ctl.write("r0.toml", PROMOTER)
    p = ctl.run("evict", "--unmask")
    assert p.returncode == 0
    assert ctl.calls() == ["daemon-reload", f"start {TARGET}"]


def test_restart(ctl):
    ctl.write("r0.toml", PROMOTER)
    assert ctl.run("restart").returncode == 0
    assert ctl.calls() == ["restart drbd-reactor.service"]
    p = ctl.run("restart", "--with-targets", "r0")
    assert p.returncode == 0
    assert ctl.names() == ["r0.toml"]
    assert ctl.calls()[1:] == ["is-active --quiet drbd-reactor-reload.path", "reload drbd-reactor.service", f"stop {TARGET}",
                               "is-active --quiet drbd-reactor-reload.path", "reload drbd-reactor.service"]


def test_start_until(ctl):
    ctl.write("r0.toml.disabled", PROMOTER)
    p = ctl.run("start-until", "data.mount", "r0")
    assert p.returncode == 0, p.stderr
    assert ctl.calls() == ["daemon-reload", "start drbd-promote@r0.service", "start data.mount"]
    assert ctl.calls("drbdadm") == ["drbdadm adjust r0"]
    assert (ctl.systemd / "data.mount.d" / "reactor.conf").exists()
    assert (ctl.systemd / f"{TARGET}.d" / "reactor.conf").exists()
    assert f"- drbd-reactorctl enable {ctl.snippets}/r0.toml.disabled # on all cluster nodes" in p.stdout
    p = ctl.run("start-until", "nope.service", "r0")
    assert p.returncode == 1 and "Could not find unit 'nope.service' in start list" in p.stderr
    p = ctl.run("start-until", "1", "r1")
    assert p.returncode == 1 and f"File '{ctl.snippets}/r1.toml.disabled' does not exist" in p.stderr


def test_errors_and_exit_codes(ctl):
    bad = ctl.tmp / "bad.toml"
    bad.write_text("statistics-poll-interval = 5\n")
    p = ctl.run("-c", str(bad), "ls", config=False)
    assert p.returncode == 1 and "Could not get snippets path from config file" in p.stderr
    # usage errors exit 1, as the original's clap 2
    assert ctl.run("--bogus").returncode == 1
    assert ctl.run("rm").returncode == 1
    assert ctl.run("--context", "prod", "ls").returncode == 1
    p = ctl.run("r0")  # a word that is no subcommand does not run status
    assert p.returncode == 1 and "unrecognized subcommand 'r0'" in p.stderr and p.stdout == ""
    p = ctl.run("--help")
    assert p.returncode == 0 and "start-until" in p.stdout
    p = ctl.run("generate-completion", "bash")
    assert p.returncode == 0 and "drbd-reactorctl" in p.stdout


@pytest.mark.parametrize("verb,args", [
    ("reload", ["enable", "r0"]), ("stop", ["disable", "--now", "r0"]), ("restart", ["restart"]),
    ("reload", ["rm", "-f", "r0"]), ("mask", ["evict", "-d", "1"]), ("daemon-reload", ["evict", "--unmask"]),
    ("daemon-reload", ["start-until", "1", "r0"]),
])
def test_a_failing_systemctl_call_fails_the_command(ctl, verb, args):
    name = "r0.toml.disabled" if args[0] in ("enable", "start-until") else "r0.toml"
    ctl.write(name, PROMOTER)
    ctl.status_json(status_of("r0", "Primary"))
    p = ctl.run(*args, env={"STANDIN_SYSTEMCTL_FAIL": verb})
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert f"Error: Command 'systemctl {verb}" in p.stderr and "failed (exit status 1)" in p.stderr
    assert any(c.startswith(verb) for c in ctl.calls())


def test_shipped_bash_completion_is_current_and_valid():
    """example/ctl.completion.bash is what the binary generates (regenerate it with
    `drbd-reactorctl generate-completion bash > example/ctl.completion.bash`) and bash parses it."""
    shipped = Path(__file__).resolve().parents[2] / "example" / "ctl.completion.bash"
    generated = subprocess.run([str(ctl_binary()), "generate-completion", "bash"], check=True,
                               capture_output=True, text=True).stdout
    assert generated == shipped.read_text(), "example/ctl.completion.bash is stale: regenerate it"
    subprocess.run(["bash", "-n", str(shipped)], check=True)
    out = subprocess.run(["bash", "-c", f"source {shipped}; complete -p drbd-reactorctl"], check=True,
                         capture_output=True, text=True).stdout
    assert "drbd-reactorctl" in out


def test_check_says_whether_all_is_well(ctl):
    ctl.write("r0.toml", PROMOTER)
    ctl.write("m.toml.disabled", '[[prometheus]]\naddress = "127.0.0.1:9000"\n')
    ctl.env["STANDIN_SH_RESOURCES"] = "r0 r1"
    p = ctl.run("check")
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout == "All is well\n"
    assert ctl.calls("drbdadm") == ["drbdadm sh-resources"]
    assert f"show --property=LoadState {TARGET}" in ctl.calls() and "show --property=LoadState app.service" in ctl.calls()
    # a start unit systemd does not know, a resource DRBD does not have, a snippet that does not load
    ctl.set_state("app.service", "not-found", kind="load")
    ctl.write("r2.toml", PROMOTER.replace("r0", "r2"))
    ctl.write("bad.toml", "[[umh]]\nfoo = 1\n")
    p = ctl.run("check")
    assert p.returncode == 1
    assert f"{ctl.snippets}/bad.toml:\n  ERROR: {ctl.snippets}/bad.toml:2: 'umh[0].foo': unknown key" in p.stdout
    assert "ERROR: unit 'app.service' of resource 'r0' is not known to systemd (LoadState=not-found)" in p.stdout
    assert f"{ctl.snippets}/r2.toml:\n" in p.stdout
    assert "ERROR: resource 'r2' is not a DRBD resource of this node ('drbdadm sh-resources' does not list it)" in p.stdout
    assert p.stdout.endswith("5 problems found\n")  # bad.toml twice (alone and in the daemon's full load), app.service in r0 and r2, r2
    p = ctl.run("check", "r0", env={"STANDIN_SH_RESOURCES_FAIL": "1"})
    assert p.returncode == 1 and "'drbdadm sh-resources' failed" in p.stdout
