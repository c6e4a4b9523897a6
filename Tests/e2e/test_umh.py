"""umh end to end: the built daemon, a scripted stand-in drbdsetup, and rules whose commands write their
whole environment to files.

Covers issue 5's "Done when": against a scenario each rule runs exactly once per matching transition with
exactly the documented variables, a hanging command delays nothing else, no zombie is left, the daemon is
still one thread; plus stop with a command still running, and umh config errors.
"""
import json
import signal
import subprocess
import time
from pathlib import Path

from conftest import reactor_binary, wait_until

# Variables the shell (dash, bash) may add by itself when it runs `env`; everything else in a dump must be
# accounted for by the rule's env, the fixed three, or the event's variables.
SHELL_VARS = {"PWD", "OLDPWD", "SHLVL", "_"}
FIXED = {"HOME": "/", "TERM": "Linux", "PATH": "/sbin:/usr/sbin:/bin:/usr/bin"}

# Writes the command's whole environment to a file of its own (dash has no $RANDOM; $$ is unique among
# concurrently running commands, the nanosecond time orders dumps of one rule).
DUMP = 'env > "$OUT/env-$(date +%s%N)-$$"'

STATS = "statistics-poll-interval = 0\n"
DEBUG_LOG = '[[log]]\nlevel = "debug"\n'

RES = "suspended:no force-io-failures:no write-ordering:flush"
DEV_STATS = "size:1048576 read:0 written:0 al-writes:0 bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no blocked:no"
CONN_STATS = "ap-in-flight:0 rs-in-flight:0"
PD_STATS = "received:0 sent:0 out-of-sync:0 pending:0 unacked:0"


def res(verb, name, role, may_promote, score=10):
    return f"{verb} resource name:{name} role:{role} {RES} may_promote:{may_promote} promotion_score:{score}"


def dev(verb, volume, minor, backing, disk, client="no", open_="no", quorum="yes", name="r0"):
    return (f"{verb} device name:{name} volume:{volume} minor:{minor} backing_dev:{backing} disk:{disk} "
            f"client:{client} open:{open_} quorum:{quorum} {DEV_STATS}")


def conn(verb, cstate, role, congested="no", name="r0", peer=1, conn_name="peer-a"):
    return (f"{verb} connection name:{name} peer-node-id:{peer} conn-name:{conn_name} connection:{cstate} "
            f"role:{role} congested:{congested} {CONN_STATS}")


def pdev(verb, volume, repl, peer_disk, peer_client="no", resync_suspended="no", name="r0", peer=1):
    return (f"{verb} peer-device name:{name} peer-node-id:{peer} conn-name:peer-a volume:{volume} "
            f"replication:{repl} peer-disk:{peer_disk} peer-client:{peer_client} "
            f"resync-suspended:{resync_suspended} {PD_STATS}")


# r0: volume 0 with a disk, volume 1 diskless client, peer 1 connected with both peer devices; r1: a
# resource only (to check resource-name filters).
INITIAL = [
    res("exists", "r0", "Secondary", "no"),
    dev("exists", 0, 1000, "/dev/vg/r0_0", "UpToDate"),
    dev("exists", 1, 1001, "none", "Diskless", client="yes"),
    conn("exists", "Connected", "Secondary"),
    pdev("exists", 0, "Established", "UpToDate"),
    pdev("exists", 1, "Established", "UpToDate"),
    res("exists", "r1", "Secondary", "no"),
    "exists -",
]


def write_scenario(tmp: Path, initial, steps, pause="0.2") -> Path:
    """The stand-in's input: the initial state, a pause so that READY=1 comes first, then every step
    separated by `pause` seconds; then the stand-in waits on stdin like drbdsetup --poll."""
    lines = list(initial) + ["#sleep 1"]
    for step in steps:
        lines += [step, f"#sleep {pause}"]
    path = tmp / "scenario.events2"
    path.write_text("\n".join(lines) + "\n")
    return path


def read_dumps(out: Path):
    """Every environment dump in `out`, as (rule, variables) in the order the commands ran."""
    dumps = []
    for f in sorted(out.glob("env-*"), key=lambda p: int(p.name.split("-")[1])):
        text = f.read_text()
        assert text.endswith("\n"), f"{f} is incomplete"
        variables = dict(line.split("=", 1) for line in text.splitlines())
        dumps.append(variables)
    return dumps


def strip_shell(variables: dict) -> dict:
    return {k: v for k, v in variables.items() if k not in SHELL_VARS}


def rule_env(out: Path, rule: str) -> dict:
    return {"OUT": str(out), "RULE": rule}


def q(text) -> str:
    """A TOML basic string (JSON's escapes are valid TOML)."""
    return json.dumps(str(text))


def toml_env(out: Path, rule: str) -> str:
    return f'env = {{ OUT = {q(out)}, RULE = {q(rule)} }}\n'


def no_lingering_zombies(r, grace=3.0):
    """A child that just exited is a zombie until the loop reaps it; a zombie that stays is a bug. Every
    zombie seen now must be gone (reaped) within `grace` seconds."""
    zombies = {pid for pid, stat, _ in r.children() if stat.startswith("Z")}
    if zombies:
        wait_until(lambda: not zombies & {pid for pid, stat, _ in r.children() if stat.startswith("Z")},
                   timeout=grace, what=f"zombies {zombies} to be reaped: {r.children()}")


def watch_children(r, seconds: float, interval=0.05, max_zombie_age=1.0):
    """Samples the daemon's children and threads for `seconds`: one thread all along, and no child stays a
    zombie (state Z) for longer than `max_zombie_age` (a brief one between exit and reaping is normal)."""
    first_seen = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = time.monotonic()
        assert r.proc.poll() is None, r.log()
        assert r.threads() == 1
        zombies = {pid for pid, stat, _ in r.children() if stat.startswith("Z")}
        first_seen = {pid: first_seen.get(pid, now) for pid in zombies}
        stale = {pid: now - t for pid, t in first_seen.items() if now - t > max_zombie_age}
        assert not stale, f"zombies not reaped: {stale} {r.children()}"
        time.sleep(interval)


def process_gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    # Reparented to an init that does not reap: dead all the same.
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


# ---------------------------------------------------------------------------------------------------------
# 1. Every rule type, every filter kind, exactly the documented environment
# ---------------------------------------------------------------------------------------------------------

def matrix_config(out: Path) -> str:
    def rule(kind, name, body, command=DUMP):
        return f'\n[[umh.{kind}]]\nname = "{name}"\ncommand = {q(command)}\n' + toml_env(out, name) + body

    return STATS + DEBUG_LOG + "\n[[umh]]\n" + "".join([
        # resource: resource-name, event-type, old NotEquals (inline table), new Equals.
        rule("resource", "res-promoted",
             'resource-name = "r0"\nevent-type = "Change"\n'
             'old.role = { operator = "NotEquals", value = "Primary" }\nnew.role = "Primary"\n'),
        # resource: NotEquals on the object (inline table) and on old (dotted keys).
        rule("resource", "res-may-promote",
             'resource-name = { operator = "NotEquals", value = "r1" }\n'
             'old.may-promote.operator = "NotEquals"\nold.may-promote.value = true\nnew.may-promote = true\n'),
        # device: event-type Exists, volume, new disk state.
        rule("device", "dev-exists-diskless",
             'event-type = "Exists"\nvolume = 1\nnew.disk-state = "Diskless"\n'),
        # device: old Equals, new NotEquals.
        rule("device", "dev-lost-disk",
             'event-type = "Change"\nvolume = 0\nold.disk-state = "UpToDate"\n'
             'new.disk-state = { operator = "NotEquals", value = "UpToDate" }\n'),
        # device: booleans.
        rule("device", "dev-opened", 'resource-name = "r0"\nold.open = false\nnew.open = true\n'),
        # peerdevice: object fields and two state fields.
        rule("peerdevice", "pd-sync-source",
             'peer-node-id = 1\nvolume = 0\nnew.replication-state = "SyncSource"\n'
             'new.peer-disk-state = "Inconsistent"\n'),
        # peerdevice: event-type NotEquals (dotted), booleans.
        rule("peerdevice", "pd-resync-suspended",
             'event-type.operator = "NotEquals"\nevent-type.value = "Exists"\n'
             'new.resync-suspended = true\nnew.peer-client = false\n'),
        # connection: conn-name and booleans.
        rule("connection", "conn-congested",
             'new.conn-name = "peer-a"\nold.congested = false\nnew.congested = true\n'),
        # connection: lost (old Equals, new NotEquals, peer role).
        rule("connection", "conn-lost",
             command=DUMP + '; echo "lost peer $DRBD_PEER_NODE_ID" >&2; exit 3', body=
             'peer-node-id = 1\nevent-type = "Change"\nold.connection-state = "Connected"\n'
             'new.connection-state = { operator = "NotEquals", value = "Connected" }\nnew.peer-role = "Unknown"\n'),
        # connection: only event-type; fires on every connection change.
        rule("connection", "conn-changes", 'event-type = "Change"\n'),
        # Never matches anything in the scenario: no peer 2, no resource r9.
        rule("connection", "never-peer-2", "peer-node-id = 2\n"),
        rule("resource", "never-r9", 'resource-name = "r9"\n'),
    ])


STEPS = [
    res("change", "r1", "Primary", "no"),                      # t1: nothing (res-promoted wants r0)
    res("change", "r0", "Secondary", "yes", score=20),         # t2: res-may-promote
    res("change", "r0", "Primary", "no", score=20),            # t3: res-promoted
    res("change", "r1", "Secondary", "yes"),                   # t4: nothing (res-may-promote: not r1)
    res("change", "r0", "Primary", "no", score=30),            # t5: score only; a change, but nothing matches
    pdev("change", 0, "SyncSource", "Inconsistent"),           # t6: pd-sync-source
    pdev("change", 1, "SyncSource", "Inconsistent"),           # t7: nothing (volume 1)
    pdev("change", 1, "PausedSyncS", "Inconsistent", resync_suspended="yes"),  # t8: pd-resync-suspended
    dev("change", 0, 1000, "/dev/vg/r0_0", "Failed"),          # t9: dev-lost-disk
    dev("change", 0, 1000, "none", "Diskless"),                # t10: nothing (old is Failed)
    dev("change", 1, 1001, "none", "Diskless", client="yes", open_="yes"),  # t11: dev-opened
    conn("change", "Connected", "Secondary", congested="yes"),  # t12: conn-congested, conn-changes
    conn("change", "Connected", "Secondary", congested="no"),   # t13: conn-changes
    conn("change", "NetworkFailure", "Unknown"),               # t14: conn-lost, conn-changes
]


def resource_env(name, old_role, new_role, old_mp, new_mp):
    return {"DRBD_RES_NAME": name, "DRBD_OLD_ROLE": old_role, "DRBD_NEW_ROLE": new_role,
            "DRBD_OLD_MAY_PROMOTE": old_mp, "DRBD_NEW_MAY_PROMOTE": new_mp}


def local_device(volume, minor, backing):
    return {"DRBD_RES_NAME": "r0", "DRBD_VOLUME": str(volume),
            "DRBD_MINOR": str(minor), f"DRBD_MINOR_{volume}": str(minor),
            "DRBD_BACKING_DEV": backing, f"DRBD_BACKING_DEV_{volume}": backing}


def device_env(volume, minor, backing, disk, client, quorum, open_):
    env = local_device(volume, minor, backing)
    for key, (old, new) in {"DISK_STATE": disk, "CLIENT": client, "QUORUM": quorum, "OPEN": open_}.items():
        env[f"DRBD_OLD_{key}"] = old
        env[f"DRBD_NEW_{key}"] = new
    return env


def peer_device_env(volume, minor, backing, peer_disk, peer_client, resync_suspended, replication):
    env = local_device(volume, minor, backing)
    env["DRBD_PEER_NODE_ID"] = "1"
    for key, (old, new) in {"PEER_DISK_STATE": peer_disk, "PEER_CLIENT": peer_client,
                            "PEER_RESYNC_SUSPENDED": resync_suspended,
                            "PEER_REPLICATION_STATE": replication}.items():
        env[f"DRBD_OLD_{key}"] = old
        env[f"DRBD_NEW_{key}"] = new
    return env


def connection_env(conn_state, peer_role, congested, conn_name=("peer-a", "peer-a")):
    env = {"DRBD_RES_NAME": "r0", "DRBD_PEER_NODE_ID": "1", "DRBD_CSTATE": conn_state[1]}
    for key, (old, new) in {"CONN_NAME": conn_name, "CONN_STATE": conn_state, "PEER_ROLE": peer_role,
                            "CONGESTED": congested}.items():
        env[f"DRBD_OLD_{key}"] = old
        env[f"DRBD_NEW_{key}"] = new
    return env


def test_every_rule_type_runs_once_per_match_with_exactly_its_variables(reactor, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    scenario = write_scenario(tmp_path, INITIAL, STEPS)
    r = reactor(matrix_config(out), env={"STANDIN_EVENTS2": str(scenario)}, watchdog_usec=2_000_000)
    r.wait_notify("READY=1")

    expected = [
        # Before READY: the initial state arrives as Exists updates (old is the empty state).
        ("dev-exists-diskless", device_env(1, 1001, "none", ("DUnknown", "Diskless"), ("false", "true"),
                                           ("false", "true"), ("false", "false"))),
        ("res-may-promote", resource_env("r0", "Secondary", "Secondary", "false", "true")),
        ("res-promoted", resource_env("r0", "Secondary", "Primary", "true", "false")),
        ("pd-sync-source", peer_device_env(0, 1000, "/dev/vg/r0_0", ("UpToDate", "Inconsistent"),
                                           ("false", "false"), ("false", "false"),
                                           ("Established", "SyncSource"))),
        ("pd-resync-suspended", peer_device_env(1, 1001, "none", ("Inconsistent", "Inconsistent"),
                                                ("false", "false"), ("false", "true"),
                                                ("SyncSource", "PausedSyncS"))),
        ("dev-lost-disk", device_env(0, 1000, "/dev/vg/r0_0", ("UpToDate", "Failed"), ("false", "false"),
                                     ("true", "true"), ("false", "false"))),
        ("dev-opened", device_env(1, 1001, "none", ("Diskless", "Diskless"), ("true", "true"),
                                  ("true", "true"), ("false", "true"))),
        ("conn-congested", connection_env(("Connected", "Connected"), ("Secondary", "Secondary"),
                                          ("false", "true"))),
        ("conn-changes", connection_env(("Connected", "Connected"), ("Secondary", "Secondary"),
                                        ("false", "true"))),
        ("conn-changes", connection_env(("Connected", "Connected"), ("Secondary", "Secondary"),
                                        ("true", "false"))),
        ("conn-lost", connection_env(("Connected", "NetworkFailure"), ("Secondary", "Unknown"),
                                     ("false", "false"))),
        ("conn-changes", connection_env(("Connected", "NetworkFailure"), ("Secondary", "Unknown"),
                                        ("false", "false"))),
    ]

    # The last transition fires two rules; then every command has finished (the daemon logged it).
    wait_until(lambda: len(list(out.glob("env-*"))) >= len(expected), timeout=20,
               what=f"{len(expected)} environment dumps\n{r.log()}")
    wait_until(lambda: r.log().count("command finished successfully") >= len(expected) - 1
               and "rule 'conn-lost': command failed" in r.log(), timeout=10,
               what=f"every command to finish\n{r.log()}")
    # Nothing more comes: give a stray late match a moment to show up.
    time.sleep(0.5)
    dumps = read_dumps(out)

    for d in dumps:
        assert not any(k in d for k in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "STANDIN_EVENTS2",
                                        "STANDIN_LOG_DIR")), f"daemon environment leaked: {d}"

    got_by_rule = {}
    for d in dumps:
        got_by_rule.setdefault(d.get("RULE"), []).append(strip_shell(d))
    want_by_rule = {}
    for rule, event_vars in expected:
        want_by_rule.setdefault(rule, []).append({**rule_env(out, rule), **FIXED, **event_vars})

    assert sorted(got_by_rule) == sorted(want_by_rule), (sorted(got_by_rule), sorted(want_by_rule))
    for rule, want in want_by_rule.items():
        got = got_by_rule[rule]
        assert len(got) == len(want), f"{rule} ran {len(got)} times, expected {len(want)}: {got}"
        for g, w in zip(got, want):
            assert g == w, (f"rule {rule}: unexpected {sorted(set(g.items()) - set(w.items()))}, "
                            f"missing {sorted(set(w.items()) - set(g.items()))}")

    log = r.log()
    for rule, _ in expected:
        assert f"rule '{rule}' matched" in log
    assert "rule 'never-peer-2' matched" not in log and "rule 'never-r9' matched" not in log
    # Output and failures are logged with the rule's name.
    assert "rule 'conn-lost' stderr: lost peer 1" in log
    assert "rule 'conn-lost': command failed (exit status 3)" in log
    assert r.threads() == 1
    no_lingering_zombies(r)
    assert r.stop() == 0


# ---------------------------------------------------------------------------------------------------------
# 2. A hanging command delays nothing; timeout, reaping, one thread
# ---------------------------------------------------------------------------------------------------------

# Records that it got SIGTERM, ends its own child, and exits; until then it waits for a sleep that never ends.
TERM_AWARE_HANG = ('trap \'date +%s.%N > "$OUT/hang-timeout.term"; kill $child; exit 143\' TERM; '
                   'sleep 1000 & child=$!; echo "$$ $child" > "$OUT/hang-timeout.pids"; '
                   'date +%s.%N > "$OUT/hang-timeout.started"; wait')
FOREVER_HANG = 'date +%s.%N > "$OUT/hang-forever.started"; echo $$ > "$OUT/hang-forever.pid"; exec sleep 1000'
STAMP = 'date +%s.%N > "$OUT/$RULE-$(date +%s%N)-$$"'


def hang_config(out: Path) -> str:
    env = f'env = {{ OUT = {q(out)} }}\n'
    return STATS + DEBUG_LOG + f"""
[[umh]]
[[umh.resource]]
name = "hang-forever"
command = {q(FOREVER_HANG)}
{env}event-type = "Change"
new.role = "Primary"

[[umh.resource]]
name = "hang-timeout"
command = {q(TERM_AWARE_HANG)}
timeout = 1
{env}event-type = "Change"
new.role = "Primary"

[[umh.device]]
name = "later-device"
command = {q(STAMP)}
{toml_env(out, "later-device")}event-type = "Change"

[[umh.connection]]
name = "later-connection"
command = {q(STAMP)}
{toml_env(out, "later-connection")}event-type = "Change"

[[umh.peerdevice]]
name = "later-peerdevice"
command = {q(STAMP)}
{toml_env(out, "later-peerdevice")}event-type = "Change"
"""


def stamps(out: Path, rule: str):
    return sorted(float(p.read_text()) for p in out.glob(f"{rule}-*") if p.read_text().endswith("\n"))


def test_hanging_command_delays_nothing_and_timeout_terminates_it(reactor, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    # t1 starts both hangs; the others follow 0.5 s apart, then the same again after the timeout fired.
    steps = [
        res("change", "r0", "Primary", "no"),
        dev("change", 0, 1000, "/dev/vg/r0_0", "UpToDate", open_="yes"),
        conn("change", "Connected", "Secondary", congested="yes"),
        pdev("change", 0, "SyncSource", "Inconsistent"),
        "#sleep 1.5",
        dev("change", 0, 1000, "/dev/vg/r0_0", "UpToDate", open_="no"),
        conn("change", "Connected", "Secondary", congested="no"),
        pdev("change", 0, "Established", "UpToDate"),
    ]
    scenario = write_scenario(tmp_path, INITIAL, steps, pause="0.5")
    r = reactor(hang_config(out), env={"STANDIN_EVENTS2": str(scenario)})
    r.wait_notify("READY=1")

    started = out / "hang-forever.started"
    wait_until(lambda: started.exists() and started.read_text().endswith("\n"), timeout=10,
               what=f"the hanging command to start\n{r.log()}")
    t1 = float(started.read_text())
    forever_pid = int(wait_until(lambda: (out / "hang-forever.pid").exists()
                                 and (out / "hang-forever.pid").read_text().strip(), what="hang-forever pid"))

    # First round: the later lines come 0.5, 1.0 and 1.5 s after t1; the timeout fires at 1 s. Sample
    # children and threads all along.
    watch_children(r, 2.0)
    # Each later rule ran within 2 s of its line (the point: not after the hangs ended; hang-forever never
    # does, and later-device's line comes before hang-timeout's timeout).
    for rule, offset in (("later-device", 0.5), ("later-connection", 1.0), ("later-peerdevice", 1.5)):
        wait_until(lambda: stamps(out, rule), timeout=10, what=f"{rule} to run\n{r.log()}")
        first = stamps(out, rule)[0]
        assert first - t1 < offset + 2.0, f"{rule} ran {first - t1:.2f} s after t1\n{r.log()}"
    assert not process_gone(forever_pid), "the hanging command without timeout is still running"
    assert str(forever_pid) in {c[0] for c in r.children()}

    # timeout = 1: SIGTERM (its trap ran), then the command and its own child are gone and reaped.
    term = out / "hang-timeout.term"
    wait_until(lambda: term.exists() and term.read_text().endswith("\n"), timeout=10,
               what=f"the timed-out command to get SIGTERM\n{r.log()}")
    assert stamps(out, "later-device")[0] < float(term.read_text()), "later-device waited for hang-timeout"
    sh_pid, sleep_pid = map(int, (out / "hang-timeout.pids").read_text().split())
    wait_until(lambda: process_gone(sh_pid) and process_gone(sleep_pid), timeout=10,
               what="the timed-out command to be gone")
    assert str(sh_pid) not in {c[0] for c in r.children()}
    r.wait_log("rule 'hang-timeout': command still running after 1 s, sending SIGTERM")
    assert "rule 'hang-timeout': command did not exit after SIGTERM" not in r.log()

    # Second round, after the timeout fired (lines 3.5, 4.0, 4.5 s after t1): each rule once per transition.
    watch_children(r, 3.0)
    for rule in ("later-device", "later-connection", "later-peerdevice"):
        wait_until(lambda: len(stamps(out, rule)) >= 2, timeout=10, what=f"{rule} to run twice\n{r.log()}")
    watch_children(r, 0.5)
    for rule in ("later-device", "later-connection", "later-peerdevice"):
        assert len(stamps(out, rule)) == 2, rule
    log = r.log()
    assert log.count("rule 'hang-forever' matched") == 1 and log.count("rule 'hang-timeout' matched") == 1
    assert not process_gone(forever_pid)
    no_lingering_zombies(r)
    assert r.threads() == 1

    # Stop: the remaining hang gets SIGTERM, is reaped, the daemon exits 0.
    assert r.stop(timeout=20) == 0
    assert process_gone(forever_pid)


# ---------------------------------------------------------------------------------------------------------
# 3. Stopping the daemon while a command hangs
# ---------------------------------------------------------------------------------------------------------

# umh's SIGKILL grace is 5 s and the daemon's stop bound 15 s: a generous functional bound above both.
STOP_BOUND = 30.0


def stop_config(out: Path, command: str) -> str:
    return STATS + DEBUG_LOG + f"""
[[umh]]
[[umh.resource]]
name = "hang"
command = {q(command)}
env = {{ OUT = {q(out)} }}
event-type = "Change"
new.role = "Primary"
"""


def start_hang(reactor, tmp_path, command):
    out = tmp_path / "out"
    out.mkdir()
    scenario = write_scenario(tmp_path, INITIAL, [res("change", "r0", "Primary", "no")])
    r = reactor(stop_config(out, command), env={"STANDIN_EVENTS2": str(scenario)})
    r.wait_notify("READY=1")
    pid = int(wait_until(lambda: (out / "pid").exists() and (out / "pid").read_text().strip(), timeout=10,
                         what=f"the hanging command to start\n{r.log()}"))
    wait_until(lambda: str(pid) in {c[0] for c in r.children()}, what="the command as the daemon's child")
    return r, pid


def test_sigterm_while_a_command_hangs_stops_promptly(reactor, tmp_path):
    r, pid = start_hang(reactor, tmp_path, 'echo $$ > "$OUT/pid"; exec sleep 1000')
    mark = len(r.messages)
    r.signal(signal.SIGTERM)
    # The command gets SIGTERM at once, so this is well inside the grace period.
    r.proc.wait(timeout=STOP_BOUND)
    assert r.proc.returncode == 0
    r.wait_notify("STOPPING=1", after=mark)
    assert process_gone(pid)
    log = r.log()
    assert "sending SIGTERM to 1 running command(s)" in log
    assert "sending SIGKILL" not in log


def test_sigterm_with_a_command_ignoring_sigterm_stops_within_the_grace(reactor, tmp_path):
    # SIGTERM is ignored (and stays ignored across exec): only the grace period's SIGKILL ends it.
    r, pid = start_hang(reactor, tmp_path, 'trap "" TERM; echo $$ > "$OUT/pid"; exec sleep 1000')
    r.signal(signal.SIGTERM)
    r.proc.wait(timeout=STOP_BOUND)
    assert r.proc.returncode == 0
    assert process_gone(pid)
    log = r.log()
    assert "rule 'hang': command did not exit after SIGTERM, sending SIGKILL" in log


# ---------------------------------------------------------------------------------------------------------
# 4. Config errors
# ---------------------------------------------------------------------------------------------------------

def run_config(tmp_path: Path, text: str, snippet=None):
    cfg = tmp_path / "drbd-reactor.toml"
    if snippet is not None:
        d = tmp_path / "snippets"
        d.mkdir(exist_ok=True)
        (d / "umh.toml").write_text(snippet)
        text = f'snippets = "{d}"\n' + text
    cfg.write_text(text)
    p = subprocess.run([str(reactor_binary()), "-c", str(cfg)], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=10)
    return cfg, p


BAD_RULES = {
    # unknown field: disk-state is a device field, not a resource one
    "unknown-field": ('[[umh]]\n[[umh.resource]]\ncommand = "true"\nold.disk-state = "UpToDate"\n',
                      4, "umh[0].resource[0].old.disk-state", "unknown key"),
    # unknown object field at the rule's top level
    "unknown-top-field": ('[[umh]]\n[[umh.connection]]\ncommand = "true"\nrole = "Primary"\n',
                          4, "umh[0].connection[0].role", "unknown key"),
    # bad enum value (DRBD spells it UpToDate), in the second rule
    "bad-enum": ('[[umh]]\n[[umh.device]]\ncommand = "true"\n\n[[umh.device]]\ncommand = "true"\n'
                 'new.disk-state = "Uptodate"\n', 7, "umh[0].device[1].new.disk-state", "Uptodate"),
    "bad-event-type": ('[[umh]]\n[[umh.peerdevice]]\ncommand = "true"\nevent-type = "Changed"\n',
                       4, "umh[0].peerdevice[0].event-type", "Changed"),
    # bad operator, inline table
    "bad-operator": ('[[umh]]\n[[umh.connection]]\ncommand = "true"\n'
                     'old.connection-state = { operator = "Equal", value = "Connected" }\n',
                     4, "umh[0].connection[0].old.connection-state.operator", "Equal"),
    # bad operator, dotted notation
    "bad-operator-dotted": ('[[umh]]\n[[umh.resource]]\ncommand = "true"\n'
                            'new.role.operator = "NotEqual"\nnew.role.value = "Primary"\n',
                            4, "umh[0].resource[0].new.role.operator", "NotEqual"),
}


def test_umh_config_errors_name_file_line_and_key_path(tmp_path):
    for case, (text, line, key_path, word) in BAD_RULES.items():
        d = tmp_path / case
        d.mkdir()
        cfg, p = run_config(d, text)
        assert p.returncode != 0, (case, p.stderr)
        assert f"{cfg}:{line}" in p.stderr, (case, p.stderr)
        assert key_path in p.stderr, (case, p.stderr)
        assert word in p.stderr, (case, p.stderr)
        # Whatever the daemon writes, it did not start anything (no READY, no drbdsetup).
        assert "running with" not in p.stderr, (case, p.stderr)


def test_umh_config_error_in_a_snippet_names_the_snippet(tmp_path):
    cfg, p = run_config(tmp_path, "", snippet='[[umh]]\n[[umh.resource]]\ncommand = "true"\n'
                                              'new.role = { operator = "NotEquals", value = "primary" }\n')
    assert p.returncode != 0, p.stderr
    assert f"{tmp_path / 'snippets' / 'umh.toml'}:4" in p.stderr, p.stderr
    assert "umh[0].resource[0].new.role.value" in p.stderr and "primary" in p.stderr, p.stderr
