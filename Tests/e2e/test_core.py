"""DRBD core end to end: drbdsetup ingest, statistics polls, garbage lines, respawn and flush."""
import time

from conftest import FIXTURES, wait_until

DEBUG = """
statistics-poll-interval = 1
[[log]]
level = "debug"
[[debugger]]
"""


def test_ingest_poll_and_debugger(reactor, tmp_path):
    r = reactor(DEBUG, env={"STANDIN_EVENTS2": str(FIXTURES / "events2-all-create-change.full.events2")})
    r.wait_notify("READY=1")
    r.wait_log("Change resource some-resource: role Secondary -> Primary")
    argv = (tmp_path / "drbdsetup.argv").read_text().splitlines()
    assert argv[0].split()[-3:] == ["events2", "--full", "--poll"]
    # One "n" per statistics-poll-interval (1 s).
    polls = wait_until(lambda: (tmp_path / "drbdsetup.polls").exists()
                       and len((tmp_path / "drbdsetup.polls").read_text().splitlines()) >= 2, timeout=5,
                       what="two statistics polls")
    assert polls
    assert r.threads() == 1
    assert r.stop() == 0


def test_garbage_lines_do_not_stop_anything(reactor, tmp_path):
    scenario = tmp_path / "scenario.events2"
    scenario.write_text("\n".join([
        "exists resource name:r0 role:Secondary suspended:no may_promote:no promotion_score:0",
        "this is not an events2 line",
        "exists gizmo name:r0 foo:bar",
        "exists device name:r0 volume:notanumber minor:1",
        "exists resource name:r0 role:Secondary brand-new-key:42 may_promote:no",
        "\x00\x01\x02 binary junk \xff",
        "exists -",
        "change resource name:r0 role:Primary may_promote:no",
    ]) + "\n", errors="surrogateescape")
    r = reactor(DEBUG, env={"STANDIN_EVENTS2": str(scenario)})
    r.wait_notify("READY=1")
    r.wait_log("Change resource r0: role Secondary -> Primary")
    log = r.log()
    assert "Ignoring events2 line" in log and "this is not an events2 line" in log
    assert "gizmo" in log and "notanumber" in log
    assert r.proc.poll() is None and r.threads() == 1
    assert r.stop() == 0


def test_respawn_and_flush(reactor, tmp_path):
    r = reactor(DEBUG, env={"STANDIN_EVENTS2": str(FIXTURES / "events2-all-create-change.full.events2"),
                            "STANDIN_EXIT_AFTER_REPLAY": "1", "STANDIN_EXIT_STATUS": "3"})
    r.wait_notify("READY=1")
    r.wait_log("drbdsetup ended unexpectedly (exit status 3)")
    # Everything drbdsetup reported is forgotten: plugins are told it is gone.
    r.wait_log("Destroy resource some-resource")
    # Respawned after the 2 s backoff.
    wait_until(lambda: len((tmp_path / "drbdsetup.argv").read_text().splitlines()) >= 2, timeout=8,
               what="drbdsetup respawn")
    assert r.proc.poll() is None and r.threads() == 1
    assert r.stop() == 0


def test_unopenable_log_file_fails_start(reactor, tmp_path):
    """A `[[log]] file` that cannot be opened stops the start with a message on stderr (exit 1), as 1.x
    does, instead of running with the configured log missing."""
    missing = tmp_path / "no" / "such" / "dir" / "reactor.log"
    r = reactor(f'[[log]]\nlevel = "info"\nfile = "{missing}"\n')
    assert r.proc.wait(timeout=10) == 1
    assert f"drbd-reactor: cannot open log file '{missing}': No such file or directory" in r.log()
