"""drbd-reactor.service under a real systemd as PID 1, in a systemd-nspawn container.

The other end-to-end tests fake systemd's notify socket; this one boots a minimal Debian tree
(debootstrap, cached under .cache/nspawn) with `systemd-nspawn --boot` and lets the container's systemd run
the shipped unit file (systemd/drbd-reactor.service) with the built daemon and the stand-in drbdsetup
replaying a recorded events2 stream. A driver unit inside the container (Tests/systemd/driver.sh) starts,
reloads and stops the service, scrapes /metrics, exercises the watchdog, records what it saw in a
bind-mounted directory and powers the container off; this file asserts on those records. Meanwhile (a
background job of the driver) the shipped systemd/ocf.rs@.service runs the built ocf-rs-wrapper as the
instance ocf.rs@dummy_r0.service, with a promoter-style drop-in whose AGENT= is the fake OCF agent
(Tests/Support/ocf/fake-agent): start (READY=1), monitors, a failing monitor (exit status, restart), stop.

The cached tree is never modified: the container runs with --volatile=overlay and every file under test is
bind-mounted read-only (the daemon and the wrapper at their units' ExecStart= paths, the Swift runtime
libraries the tree lacks at their host paths, so the binaries' RUNPATH finds them).

Skipped (with the reason) when not root, when systemd-nspawn or debootstrap is missing, when the tree cannot
be built (mirror unreachable) or when the container never reaches the driver (no namespaces, no cgroups...).
Environment: REACTOR_BIN (the daemon), OCF_WRAPPER_BIN (ocf-rs-wrapper), NSPAWN_CACHE (tree cache directory), NSPAWN_MIRROR (Debian mirror),
NSPAWN_SUITE (Debian suite; default: the host's when it is Debian, else bookworm).
"""
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, STANDIN_BIN, built_binary, reactor_binary

HERE = ROOT / "Tests" / "systemd"
CACHE = Path(os.environ.get("NSPAWN_CACHE", ROOT / ".cache" / "nspawn"))
MIRROR = os.environ.get("NSPAWN_MIRROR", "http://deb.debian.org/debian")
# procps: the unit's ExecReload= runs `kill` through /usr/bin/env.
PACKAGES = "systemd,systemd-sysv,dbus,procps"
FIXTURE = FIXTURES / "lifecycle.full.events2"
UNIT = ROOT / "systemd" / "drbd-reactor.service"
SOCKET_UNIT = ROOT / "systemd" / "drbd-reactor-metrics.socket"
OCF_UNIT = ROOT / "systemd" / "ocf.rs@.service"
OCF_INSTANCE = "ocf.rs@dummy_r0.service"
FAKE_AGENT = ROOT / "Tests" / "Support" / "ocf" / "fake-agent"
# Where the promoter-style drop-in (Tests/systemd/ocf-reactor.conf) points AGENT=.
FAKE_AGENT_PATH = "/usr/lib/ocf/resource.d/e2e/fake-agent"
MACHINE = "drbd-reactor-e2e"
DEBOOTSTRAP_TIMEOUT = 1200
BOOT_TIMEOUT = 180


# ---- the tree -----------------------------------------------------------------------------------------

def host_suite() -> str:
    if os.environ.get("NSPAWN_SUITE"):
        return os.environ["NSPAWN_SUITE"]
    info = {}
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            k, _, v = line.partition("=")
            info[k] = v.strip('"')
    if info.get("ID") == "debian" and info.get("VERSION_CODENAME"):
        return info["VERSION_CODENAME"]
    return "bookworm"


@contextlib.contextmanager
def cache_lock():
    """One tree build or container boot at a time (nspawn locks the tree; the suite may run in parallel)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def mounts_under(path: Path):
    real = os.path.realpath(path)
    found = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        target = line.split()[1].replace("\\040", " ")
        if target == real or target.startswith(real + "/"):
            found.append(target)
    return found


def remove_tree(path: Path):
    """Removes a half-built tree, after unmounting what debootstrap may have left mounted in it."""
    if not os.path.lexists(path):
        return
    for target in sorted(mounts_under(path), key=len, reverse=True):
        subprocess.run(["umount", "-l", target], capture_output=True)
    left = mounts_under(path)
    if left:
        pytest.fail(f"cannot remove {path}: still mounted: {left}")
    shutil.rmtree(path)


def build_tree() -> Path:
    """The cached Debian tree (debootstrap --variant=minbase), built when missing."""
    suite = host_suite()
    key = hashlib.sha256(f"{suite} {PACKAGES} {MIRROR}".encode()).hexdigest()[:10]
    tree = CACHE / f"debian-{suite}-{key}"
    marker = tree / ".drbd-reactor-e2e-complete"
    if marker.exists():
        return tree
    tmp = CACHE / f"debian-{suite}-{key}.tmp"
    remove_tree(tmp)
    remove_tree(tree)
    cmd = ["debootstrap", "--variant=minbase", f"--include={PACKAGES}", suite, str(tmp), MIRROR]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=DEBOOTSTRAP_TIMEOUT)
    except subprocess.TimeoutExpired:
        remove_tree(tmp)
        pytest.skip(f"{' '.join(cmd)} did not finish in {DEBOOTSTRAP_TIMEOUT}s (mirror unreachable or slow?)")
    if p.returncode != 0:
        log = (p.stdout + p.stderr).strip().splitlines()[-15:]
        with contextlib.suppress(OSError):
            log += (tmp / "debootstrap" / "debootstrap.log").read_text(errors="replace").splitlines()[-15:]
        remove_tree(tmp)
        pytest.skip(f"cannot build the container tree: {' '.join(cmd)} exited {p.returncode}:\n" + "\n".join(log))
    (tmp / ".drbd-reactor-e2e-complete").write_text(f"{' '.join(cmd)}\n")
    tmp.rename(tree)
    return tree


# ---- what goes into the container ---------------------------------------------------------------------

def exists_in_tree(root: Path, path: str) -> bool:
    """Whether `path` exists inside `root`, following symlinks as the container would see them."""
    todo = [c for c in path.split("/") if c]
    done = []
    hops = 0
    while todo:
        c = todo.pop(0)
        if c == ".":
            continue
        if c == "..":
            if done:
                done.pop()
            continue
        p = root.joinpath(*done, c)
        if p.is_symlink():
            hops += 1
            if hops > 40:
                return False
            target = os.readlink(p)
            if target.startswith("/"):
                done = []
            todo = [x for x in target.split("/") if x] + todo
            continue
        if not p.exists():
            return False
        done.append(c)
    return True


def missing_libraries(binary: Path, tree: Path):
    """The shared libraries the binary loads on this host that the tree lacks (the Swift runtime)."""
    p = subprocess.run(["ldd", str(binary)], capture_output=True, text=True)
    assert p.returncode == 0, f"ldd {binary}: {p.stderr}"
    libs = []
    for line in p.stdout.splitlines():
        assert "not found" not in line, f"ldd {binary}: {line.strip()}"
        m = re.search(r"(/\S+) \(0x", line)
        if m and not exists_in_tree(tree, m.group(1)):
            libs.append(os.path.realpath(m.group(1)) + ":" + m.group(1))
    return libs


def exec_path(unit: Path = UNIT, key: str = "ExecStart") -> str:
    for line in unit.read_text().splitlines():
        if line.startswith(f"{key}="):
            path = line.split("=", 1)[1].lstrip("-@:+!").split()[0]
            assert path.startswith("/"), f"{unit}: {key}= is not an absolute path: {line}"
            return path
    raise AssertionError(f"{unit}: no {key}=")


def wrapper_path() -> str:
    """Where the wrapper goes: the ocf.rs@.service's ExecStart= (and ExecStopPost=) path."""
    path = exec_path(OCF_UNIT)
    assert exec_path(OCF_UNIT, "ExecStopPost") == path, f"{OCF_UNIT}: ExecStart= and ExecStopPost= run different binaries"
    return path


def preconditions():
    if os.geteuid() != 0:
        pytest.skip("systemd-nspawn --boot needs root")
    for tool in ("systemd-nspawn", "debootstrap", "ldd"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed (Debian packages: systemd-container debootstrap; see scripts/setup)")


def boot(tree: Path, binary: Path, wrapper: Path, results: Path, console: Path):
    """Boots the container; returns (exit status or None when it hung and was killed, seconds)."""
    dropins = f"/etc/systemd/system/{OCF_INSTANCE}.d"
    ro = [
        f"{binary}:{exec_path()}",
        f"{UNIT}:/usr/lib/systemd/system/drbd-reactor.service",
        f"{SOCKET_UNIT}:/usr/lib/systemd/system/drbd-reactor-metrics.socket",
        f"{HERE / 'metrics-socket.conf'}:/etc/systemd/system/drbd-reactor-metrics.socket.d/e2e.conf",
        f"{HERE / 'e2e.conf'}:/etc/systemd/system/drbd-reactor.service.d/e2e.conf",
        f"{HERE / 'drbd-reactor.toml'}:/etc/drbd-reactor.toml",
        f"{HERE / 'reactor-e2e.service'}:/etc/systemd/system/reactor-e2e.service",
        f"{HERE / 'driver.sh'}:/opt/e2e/driver.sh",
        f"{STANDIN_BIN / 'drbdsetup'}:/opt/standin/bin/drbdsetup",
        f"{FIXTURE}:/opt/standin/events2",
        f"{wrapper}:{wrapper_path()}",
        f"{OCF_UNIT}:/etc/systemd/system/ocf.rs@.service",
        f"{HERE / 'ocf-reactor.conf'}:{dropins}/reactor.conf",
        f"{HERE / 'ocf-e2e.conf'}:{dropins}/e2e.conf",
        f"{FAKE_AGENT}:{FAKE_AGENT_PATH}",
        # The promoter over the bus (driver.sh section 9): the drbdadm stand-in and the test units.
        f"{STANDIN_BIN / 'drbdadm'}:/opt/standin/bin/drbdadm",
    ] + [f"{u}:/etc/systemd/system/{u.name}" for u in sorted((HERE / "promoter").iterdir())]
    for lib in missing_libraries(binary, tree) + missing_libraries(wrapper, tree):
        if lib not in ro:  # the daemon and the wrapper share the Swift runtime
            ro.append(lib)
    cmd = ["systemd-nspawn", "--boot", "--register=no", "--keep-unit", "--private-network",
           "--console=read-only", "--volatile=overlay", f"--machine={MACHINE}", "-D", str(tree)]
    cmd += [f"--bind-ro={b}" for b in ro]
    cmd += [f"--bind={results}:/results", "systemd.wants=reactor-e2e.service"]
    (results.parent / "nspawn.cmd").write_text(" ".join(cmd) + "\n")
    start = time.monotonic()
    with open(console, "wb") as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            rc = proc.wait(BOOT_TIMEOUT)
        except subprocess.TimeoutExpired:
            rc = None
            proc.send_signal(signal.SIGTERM)  # nspawn asks the container to halt
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(15)
    return rc, time.monotonic() - start


# ---- reading the results ------------------------------------------------------------------------------

def read_results(path: Path) -> dict:
    res = {}
    if path.exists():
        for line in path.read_text(errors="replace").splitlines():
            k, sep, v = line.partition("=")
            if sep:
                res[k] = v
    return res


NOTIFY = re.compile(r"Got notification message from PID (\d+) \((.*)\)$")


def notifications(journal: str):
    """[(pid, [tags])] in order, from PID 1's debug lines about the unit."""
    found = []
    for line in journal.splitlines():
        m = NOTIFY.search(line)
        if m:
            found.append((int(m.group(1)), m.group(2).split(", ")))
    return found


def journal_entries(verbose: str):
    """Entries of `journalctl -o verbose`: dicts of their fields."""
    entries, cur = [], None
    for line in verbose.splitlines():
        if line.startswith("    ") and cur is not None:
            k, _, v = line.strip().partition("=")
            cur[k] = v
        elif line.strip() and not line.startswith(" "):
            cur = {}
            entries.append(cur)
    return entries


def tail(path: Path, n=60) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"({path} missing)"
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return "\n".join(text.splitlines()[-n:])


# ---- the test -----------------------------------------------------------------------------------------

def test_drbd_reactor_service_under_systemd(tmp_path):
    preconditions()
    binary = reactor_binary().resolve()
    wrapper = built_binary("ocf-rs-wrapper", "OCF_WRAPPER_BIN").resolve()
    assert FIXTURE.exists(), FIXTURE
    assert os.access(FAKE_AGENT, os.X_OK), FAKE_AGENT
    results = tmp_path / "results"
    results.mkdir()
    (results / "ocf-agent").mkdir()  # FAKE_AGENT_DIR (Tests/systemd/ocf-e2e.conf)
    console = tmp_path / "console.log"
    with cache_lock():
        tree = build_tree()
        rc, seconds = boot(tree, binary, wrapper, results, console)
    print(f"container ran {seconds:.1f}s (exit {rc}); records in {results}")
    r = read_results(results / "results.env")
    if "driver_started" not in r:
        why = "hung and was killed" if rc is None else f"exited {rc}"
        pytest.skip(f"the container never ran the test driver: systemd-nspawn {why}\n{tail(console, 40)}")

    journal = (results / "journal.txt").read_text(errors="replace") if (results / "journal.txt").exists() else ""
    run1 = (results / "journal-run1.txt").read_text(errors="replace") if (results / "journal-run1.txt").exists() else ""
    context = f"\n--- results.env\n{tail(results / 'results.env', 200)}\n--- journal\n{tail(results / 'journal.txt', 80)}" \
              f"\n--- driver.log\n{tail(results / 'driver.log', 20)}\n--- console\n{tail(console, 30)}"
    if "not found (required by" in journal:
        pytest.skip("the binary does not run in the container (a library in the tree is too old for it): "
                    + next(l for l in journal.splitlines() if "not found (required by" in l))

    failures = []

    def check(name, ok, detail=""):
        if not ok:
            failures.append(f"{name}: {detail}")

    check("container exits 0 after the driver's poweroff", rc == 0, f"exit {rc}, {seconds:.0f}s")
    check("driver finished", r.get("done") == "1", "the driver did not reach its end")

    # The shipped unit as the container's systemd sees it (man pages are not installed there).
    verify = [l for l in tail(results / "verify.txt", 100).splitlines() if l.strip() and "Command 'man " not in l]
    check("systemd-analyze verify drbd-reactor.service", not verify, verify)

    # Start: Type=notify, so `systemctl start` returning 0 means systemd got READY=1.
    check("systemctl start", r.get("start_rc") == "0", r.get("start_rc"))
    check("active/running after start", (r.get("start.ActiveState"), r.get("start.SubState")) == ("active", "running"),
          (r.get("start.ActiveState"), r.get("start.SubState")))
    check("StatusText after start", r.get("start.StatusText", "").startswith("Running:"), r.get("start.StatusText"))
    check("WatchdogUSec from the unit", r.get("start.WatchdogUSec") == "30s", r.get("start.WatchdogUSec"))
    check("NRestarts after start", r.get("start.NRestarts") == "0", r.get("start.NRestarts"))
    check("one thread", r.get("start_threads") == "1", r.get("start_threads"))
    check("/metrics has drbd_resource_resources 2", r.get("metrics_resources_found") == "0",
          tail(results / "metrics.txt", 15))
    check("drbdsetup stand-in from the unit's PATH is the daemon's child", r.get("child_comm") == "drbdsetup",
          r.get("child_comm"))
    check("drbdsetup runs events2", r.get("standin_argv", "").startswith("drbdsetup events2"), r.get("standin_argv"))
    check("no NOTIFY_SOCKET/WATCHDOG_* in the child's environment", r.get("child_notify_env", "x").strip() == "",
          r.get("child_notify_env"))

    # Reload: RELOADING=1 then READY=1; the unit must come back to active/running with the same process.
    check("systemctl reload", r.get("reload_rc") == "0", r.get("reload_rc"))
    check("active/running after reload", r.get("reload_back_running") == "0",
          (r.get("reload.ActiveState"), r.get("reload.SubState")))
    check("same MainPID after reload", r.get("reload_same_pid") == "yes", r.get("reload_same_pid"))
    check("StatusText after reload", r.get("reload.StatusText", "").startswith("Running: 2 resources,"),
          r.get("reload.StatusText"))
    check("metrics after reload", r.get("reload_metrics_resources_found") == "0", tail(results / "metrics.txt", 15))

    # Stop: STOPPING=1, exit 0.
    check("systemctl stop", r.get("stop_rc") == "0", r.get("stop_rc"))
    check("main process exited 0 at stop", "Main process exited, code=exited, status=0/SUCCESS" in run1
          and "Deactivated successfully" in run1 and "Failed with result" not in run1,
          [l for l in run1.splitlines() if "Main process exited" in l or "Failed with result" in l])
    check("inactive after stop", r.get("stop.ActiveState") == "inactive", r.get("stop.ActiveState"))
    check("stop is quick", float(r.get("stop_seconds", "99")) < 5, r.get("stop_seconds"))
    check("nothing SIGKILLed at stop", "SIGKILL" not in run1,
          [l for l in run1.splitlines() if "SIGKILL" in l])

    # What systemd received on the notify socket after the start (PID 1 at debug level logs every message);
    # READY=1 at start is proven by `systemctl start` returning for a Type=notify unit.
    n1 = notifications(run1)
    tags1 = [t for _, t in n1]
    check("systemd logged the notify messages", bool(n1), "no 'Got notification message' lines in the journal")
    reloading = next((i for i, t in enumerate(tags1) if "RELOADING=1" in t), None)
    check("RELOADING=1 received", reloading is not None, tags1)
    if reloading is not None:
        check("RELOADING=1 carries MONOTONIC_USEC=", any(x.startswith("MONOTONIC_USEC=") for x in tags1[reloading]),
              tags1[reloading])
        check("READY=1 after RELOADING=1", any("READY=1" in t for t in tags1[reloading + 1:]), tags1)
    check("STOPPING=1 received", any("STOPPING=1" in t for t in tags1), tags1)
    check("notify messages come from the main PID", "reception only permitted" not in journal,
          [l for l in journal.splitlines() if "reception only permitted" in l])

    # The daemon's own journal entries: native protocol with the structured fields.
    # `journalctl -u drbd-reactor -o verbose`: the daemon's own entries (not PID 1's about the unit).
    verbose = results / "journal-verbose.txt"
    entries = journal_entries(verbose.read_text(errors="replace")) if verbose.exists() else []
    own = [e for e in entries if e.get("SYSLOG_IDENTIFIER") == "drbd-reactor"]
    pid1 = r.get("start.MainPID")
    run1_own = [e for e in own if e.get("_PID") == pid1]
    check("the first run's entries are attributed to the unit and the daemon",
          bool(run1_own) and all(e.get("_SYSTEMD_UNIT") == "drbd-reactor.service"
                                 and e.get("_COMM") == "drbd-reactor" for e in run1_own),
          sorted({(e.get("_SYSTEMD_UNIT"), e.get("_COMM")) for e in run1_own}))
    check("journal entries with SYSLOG_IDENTIFIER=drbd-reactor", bool(own), f"{len(entries)} entries from the unit")
    check("entries with REACTOR_PLUGIN=", any("REACTOR_PLUGIN" in e for e in own), "")
    check("entries with DRBD_RESOURCE=", any(e.get("DRBD_RESOURCE") == "web" for e in own), "")
    check("journalctl DRBD_RESOURCE=web finds entries", int(r.get("journal_resource_entries", "0")) > 0,
          r.get("journal_resource_entries"))
    check("entries carry CODE_FILE/CODE_LINE/PRIORITY",
          any(all(k in e for k in ("CODE_FILE", "CODE_LINE", "PRIORITY")) for e in own), "")
    check("daemon logs through the journal API, not stdout", all(e.get("_TRANSPORT") == "journal" for e in own)
          and r.get("journal_stdout_entries") == "0",
          f"stdout lines: {r.get('journal_stdout_entries')}")

    # Watchdog: the pings keep a 2 s watchdog happy; a stopped daemon is killed and restarted.
    check("start with WatchdogSec=2s", r.get("wd_start_rc") == "0", r.get("wd_start_rc"))
    # Without WATCHDOG=1 pings at least every 2 s the watchdog would have fired already.
    check("alive after 4 s with WatchdogSec=2s", (r.get("wd_alive.ActiveState"), r.get("wd_alive.NRestarts"),
          r.get("wd_alive.WatchdogUSec")) == ("active", "0", "2s"),
          (r.get("wd_alive.ActiveState"), r.get("wd_alive.NRestarts"), r.get("wd_alive.WatchdogUSec")))
    check("watchdog timeout on a SIGSTOPped daemon", "Watchdog timeout" in journal
          and "Failed with result 'watchdog'" in journal, "no 'Watchdog timeout'/'watchdog' result in the journal")
    check("restarted after the watchdog", r.get("wd_restarted") == "0",
          (r.get("wd_after.ActiveState"), r.get("wd_after.NRestarts"), r.get("wd_after.MainPID")))
    check("stop after the watchdog test", r.get("wd_stop_rc") == "0", r.get("wd_stop_rc"))

    check_metrics_socket(r, journal, check)
    check_ocf_wrapper(results, r, check)
    check_promoter_bus(results, r, journal, check)

    assert not failures, "\n".join(failures) + context + \
        f"\n--- ocf agent calls\n{tail(results / 'ocf-agent' / 'calls', 20)}\n--- journal-ocf\n{tail(results / 'journal-ocf.txt', 40)}"


def check_metrics_socket(r: dict, journal: str, check):
    """The /metrics listening socket over restarts: stored by the daemon (FDSTORE=1), or systemd's own
    (drbd-reactor-metrics.socket); a scrape while no daemon runs waits and gets the new daemon's answer."""
    check("start for the fd store test", r.get("fdstore_start_rc") == "0", r.get("fdstore_start_rc"))
    check("the daemon stored its listening socket", r.get("fdstore_n_stored") == "1", r.get("fdstore_n_stored"))
    for p in ("fdstore", "socket"):
        check(f"{p}: restart reached ExecStartPre=", r.get(f"{p}_in_start_pre") == "0", r.get(f"{p}_in_start_pre"))
        check(f"{p}: a scrape during the restart is answered", r.get(f"{p}_scrape_up") == "1",
              (r.get(f"{p}_scrape_up"), r.get(f"{p}_scrape_seconds")))
        check(f"{p}: by the new daemon", r.get(f"{p}_new_pid") == "yes", r.get(f"{p}_new_pid"))
    check("the socket unit starts", r.get("socket_start_rc") == "0", r.get("socket_start_rc"))
    check("a scrape of the stopped service activates it", r.get("socket_activation_up") == "1"
          and r.get("socket_service_state") == "active",
          (r.get("socket_activation_up"), r.get("socket_service_state"), r.get("socket_activation_seconds")))
    check("the daemon serves the socket unit's socket",
          "systemd passed a listening socket on 127.0.0.1:9942 ('drbd-reactor-metrics.socket')" in journal,
          [l for l in journal.splitlines() if "listening socket" in l])


def check_ocf_wrapper(results: Path, r: dict, check):
    """ocf.rs@dummy_r0.service (the driver's background job, keys ocf_*): the wrapper under systemd with the
    fake agent (calls recorded in results/ocf-agent/calls)."""
    journal = (results / "journal-ocf.txt").read_text(errors="replace") if (results / "journal-ocf.txt").exists() else ""
    calls_file = results / "ocf-agent" / "calls"
    calls = calls_file.read_text().splitlines() if calls_file.exists() else []
    verbs = " ".join(c.split()[0] for c in calls)
    ident = "fake-agent:dummy_r0"

    verify = [l for l in tail(results / "verify-ocf.txt", 100).splitlines() if l.strip() and "Command 'man " not in l]
    check(f"systemd-analyze verify {OCF_INSTANCE}", not verify, verify)

    # Start: Type=notify, so `systemctl start` returning 0 means the agent's start succeeded and READY=1 came.
    check("ocf: systemctl start", r.get("ocf_start_rc") == "0", r.get("ocf_start_rc"))
    check("ocf: active/running after start",
          (r.get("ocf_start.ActiveState"), r.get("ocf_start.SubState")) == ("active", "running"),
          (r.get("ocf_start.ActiveState"), r.get("ocf_start.SubState")))
    check("ocf: the wrapper is the main process", r.get("ocf_start_comm") == "ocf-rs-wrapper", r.get("ocf_start_comm"))
    check("ocf: StatusText after start", r.get("ocf_start.StatusText") == f"{ident}: monitoring every 5 seconds",
          r.get("ocf_start.StatusText"))
    env = r.get("ocf_environment", "").split()
    check("ocf: the unit's and the drop-ins' environment",
          all(v in env for v in ("OCF_ROOT=/usr/lib/ocf", "OCF_RESOURCE_INSTANCE=dummy_r0", "OCF_RESKEY_x=1",
                                 f"AGENT={FAKE_AGENT_PATH}", "monitor_interval=5")), env)
    check("ocf: the agent ran start first, with the unit's environment and without NOTIFY_SOCKET",
          bool(calls) and calls[0] == "start instance=dummy_r0 root=/usr/lib/ocf ip=10.0.0.1 notify=-"
          and all(c.endswith(" notify=-") for c in calls), calls)

    # Monitor: the first one after one interval (5 s, the minimum) plus up to half of one.
    check("ocf: a monitor after start", r.get("ocf_monitor_seen") == "0"
          and r.get("ocf_calls_monitoring", "").startswith("start monitor"), r.get("ocf_calls_monitoring"))
    check("ocf: the first monitor after 5-7.5 s", 4.5 < float(r.get("ocf_monitor_seconds", "0")) < 8,
          r.get("ocf_monitor_seconds"))
    check("ocf: still active/running while monitoring", (r.get("ocf_monitoring.ActiveState"),
          r.get("ocf_monitoring.NRestarts")) == ("active", "0"),
          (r.get("ocf_monitoring.ActiveState"), r.get("ocf_monitoring.NRestarts")))

    # A failing monitor (exit 7): the wrapper exits 7, ExecStopPost= stops the agent, Restart=always restarts.
    check("ocf: auto-restart after the failing monitor", r.get("ocf_auto_restart_seen") == "0",
          (r.get("ocf_failed.ActiveState"), r.get("ocf_failed.SubState")))
    check("ocf: the agent's exit status is the main process's",
          (r.get("ocf_failed.Result"), r.get("ocf_failed.ExecMainCode"), r.get("ocf_failed.ExecMainStatus"))
          == ("exit-code", "1", "7"),
          (r.get("ocf_failed.Result"), r.get("ocf_failed.ExecMainCode"), r.get("ocf_failed.ExecMainStatus")))
    check("ocf: StatusText names the failed monitor",
          r.get("ocf_failed.StatusText") == f"{ident},s-a-m,monitor: FAILED with exit code 7", r.get("ocf_failed.StatusText"))
    check("ocf: journal: the failure, the monitor's output, systemd's exit status, the restart",
          f"ERROR [ocf_rs_wrapper] {ident},s-a-m,monitor: FAILED with exit code 7" in journal
          and "stdout: 'monitor says hello'; stderr: 'monitor complains'" in journal
          and "Main process exited, code=exited, status=7/" in journal
          and "Scheduled restart job, restart counter is at 1" in journal,
          [l for l in journal.splitlines() if "ocf_rs_wrapper" in l or "Main process" in l or "restart" in l])
    check("ocf: ExecStopPost= ran the agent's stop after the failure",
          re.fullmatch(r"start (monitor )+stop ", r.get("ocf_calls_failed", "")) is not None, r.get("ocf_calls_failed"))
    check("ocf: restarted", r.get("ocf_restarted") == "0" and r.get("ocf_restarted.NRestarts") == "1"
          and (r.get("ocf_restarted.ActiveState"), r.get("ocf_restarted.SubState")) == ("active", "running"),
          (r.get("ocf_restarted.ActiveState"), r.get("ocf_restarted.SubState"), r.get("ocf_restarted.NRestarts")))

    # Stop: SIGTERM -> the wrapper runs the agent's stop and exits 0; ExecStopPost= then leaves the agent alone.
    check("ocf: systemctl stop", r.get("ocf_stop_rc") == "0", r.get("ocf_stop_rc"))
    check("ocf: inactive after stop, Result=success",
          (r.get("ocf_stop.ActiveState"), r.get("ocf_stop.Result"), r.get("ocf_stop.ExecMainStatus"))
          == ("inactive", "success", "0"),
          (r.get("ocf_stop.ActiveState"), r.get("ocf_stop.Result"), r.get("ocf_stop.ExecMainStatus")))
    check("ocf: the agent's calls: start, monitors, failed monitor, stop, start, (monitors,) stop once",
          re.fullmatch(r"start (monitor )+stop start (monitor )*stop", verbs) is not None, verbs)
    # The restarted run (the wrapper's stdout lines may be stamped before PID 1's "Stopping").
    last_run = journal[journal.rfind("Started ocf.rs@"):] if "Started ocf.rs@" in journal else ""
    check("ocf: stopped cleanly (the agent's stop not signalled)",
          last_run.count(f"{ident}: about to exec stop") == 1 and "Deactivated successfully" in last_run
          and "Failed with result" not in last_run and "killed by signal" not in last_run
          and "SIGKILL" not in last_run, last_run.splitlines())

    verbose = results / "journal-ocf-verbose.txt"
    own = [e for e in (journal_entries(verbose.read_text(errors="replace")) if verbose.exists() else [])
           if e.get("_COMM") == "ocf-rs-wrapper"]
    check("ocf: the wrapper's messages are the unit's, on stdout",
          bool(own) and all(e.get("_SYSTEMD_UNIT") == OCF_INSTANCE and e.get("_TRANSPORT") == "stdout" for e in own),
          sorted({(e.get("_SYSTEMD_UNIT"), e.get("_TRANSPORT")) for e in own}))


def check_promoter_bus(results: Path, r: dict, journal: str, check):
    """The promoter over systemd's bus (driver.sh section 9, keys promoter_*): crasher.service, a start unit
    of resource db, fails 10 s after its first start; the daemon hears it on the bus and starts the target
    again within 2 s (its 20 s ticker would be far later), naming the failed unit in the journal with
    DRBD_RESOURCE=db, and counts it in /metrics."""
    check("promoter: daemon start", r.get("promoter_start_rc") == "0", r.get("promoter_start_rc"))
    check("promoter: the daemon watches the units over systemd's private socket",
          "Watching the promoters' systemd units over systemd's private socket" in journal,
          [l for l in journal.splitlines() if "systemd units" in l])
    check("promoter: crasher.service started, failed, started again", r.get("promoter_restarted") == "0"
          and r.get("promoter_started") and r.get("promoter_failed") and r.get("promoter_restarted_at"),
          (r.get("promoter_started"), r.get("promoter_failed"), r.get("promoter_restarted_at")))
    with contextlib.suppress(ValueError):
        delay = float(r.get("promoter_restarted_at", "")) - float(r.get("promoter_failed", ""))
        check("promoter: started again within 2 s of the failure", 0 < delay < 2, f"{delay:.2f}s")
    check("promoter: running again, not by systemd's Restart=",
          r.get("promoter_crasher_state") == "active/running" and r.get("promoter_crasher_nrestarts") == "0",
          (r.get("promoter_crasher_state"), r.get("promoter_crasher_nrestarts")))
    check("promoter: the target stayed active", r.get("promoter_target_state") == "active", r.get("promoter_target_state"))
    entries = []
    path = results / "journal-promoter.json"
    for line in (path.read_text(errors="replace").splitlines() if path.exists() else []):
        with contextlib.suppress(ValueError):
            entries.append(json.loads(line))
    named = [e for e in entries if e.get("DRBD_RESOURCE") == "db" and "crasher.service" in str(e.get("MESSAGE"))
             and "exit-code" in str(e.get("MESSAGE"))]
    check("promoter: journal names the failed unit and its result, with DRBD_RESOURCE=db", bool(named),
          [e.get("MESSAGE") for e in entries][-15:])
    metrics = (results / "promoter-metrics.txt").read_text(errors="replace") if (results / "promoter-metrics.txt").exists() else ""
    check("promoter: the failure is counted in /metrics",
          'drbdreactor_promoter_unit_failures_total{resource="db",unit="crasher.service"} 1' in metrics,
          [l for l in metrics.splitlines() if l.startswith("drbdreactor_promoter")])
