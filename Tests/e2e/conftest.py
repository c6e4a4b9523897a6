"""End-to-end test support: run the built drbd-reactor against stand-ins, as systemd would.

Each test gets a `reactor` factory. A started daemon has its own temporary directory holding the config,
an AF_UNIX datagram socket bound as $NOTIFY_SOCKET (to read READY=1, RELOADING=1, WATCHDOG=1, ...), the
stand-in drbdsetup's logs, and the daemon's stderr. Every process a test starts is stopped by the test.
"""
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests" / "Fixtures" / "events2"
STANDIN_BIN = ROOT / "Tests" / "Support" / "bin"


def built_binary(name: str, variable: str) -> Path:
    """The executable `name`: $variable if set, else the debug or release build."""
    env = os.environ.get(variable)
    if env:
        return Path(env)
    for cand in (ROOT / ".build" / "debug" / name, ROOT / ".build" / "release" / name):
        if cand.exists():
            return cand
    pytest.fail(f"{name} is not built: run 'swift build' first (or set {variable})")


def reactor_binary() -> Path:
    return built_binary("drbd-reactor", "REACTOR_BIN")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=10.0, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Reactor:
    """One daemon process under test."""

    def __init__(self, tmp: Path, config: str, env: dict, watchdog_usec=None, snippets=None, launcher=()):
        self.dir = tmp
        self.config_path = tmp / "drbd-reactor.toml"
        self.config_path.write_text(config)
        if snippets is not None:
            d = tmp / "snippets"
            d.mkdir(exist_ok=True)
            for name, text in snippets.items():
                (d / name).write_text(text)
        self.notify_path = tmp / "notify.sock"
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(str(self.notify_path))
        self.notify.settimeout(0.05)
        self.messages = []  # (monotonic time, message)
        self.stderr_path = tmp / "stderr.log"
        full_env = {
            "PATH": f"{STANDIN_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "NOTIFY_SOCKET": str(self.notify_path),
            "STANDIN_LOG_DIR": str(tmp),
            "HOME": str(tmp),
            "DRBD_REACTOR_RUN_DIR": str(tmp / "run"),  # control socket and maintenance state, not /run/drbd-reactor
        }
        # A sanitizer build of the daemon (REACTOR_BIN) keeps the run's sanitizer settings.
        full_env.update({k: v for k, v in os.environ.items() if k in ("ASAN_OPTIONS", "LSAN_OPTIONS")})
        if "LSAN_OPTIONS" in os.environ and "external_symbolizer_path" not in os.environ.get("ASAN_OPTIONS", ""):
            # LeakSanitizer matches suppressions against symbolized frames; a test's own PATH (one
            # without llvm-symbolizer) would leave the known TOMLKit leak unsymbolized and reported.
            symbolizer = shutil.which("llvm-symbolizer")
            if symbolizer:
                full_env["ASAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), f"external_symbolizer_path={symbolizer}"]))
        if watchdog_usec:
            full_env["WATCHDOG_USEC"] = str(watchdog_usec)
        full_env.update(env)
        self.stderr_file = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            # `launcher`: a command that execs the daemon (systemd-socket-activate -l ADDRESS).
            [*launcher, str(reactor_binary()), "-c", str(self.config_path)],
            stdin=subprocess.DEVNULL, stdout=self.stderr_file, stderr=self.stderr_file, env=full_env,
            start_new_session=True)

    # notify
    def poll_notify(self):
        while True:
            try:
                data = self.notify.recv(65536)
            except (socket.timeout, BlockingIOError):
                return
            self.messages.append((time.monotonic(), data.decode()))

    def wait_notify(self, needle: str, timeout=10.0, after=0):
        """Waits for a notify message containing `needle` among messages[after:]; returns its index."""
        def find():
            self.poll_notify()
            for i, (_, m) in enumerate(self.messages[after:], start=after):
                if needle in m.split("\n"):
                    return i + 1
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited ({self.proc.returncode}) waiting for {needle!r}:\n{self.log()}")
            return None
        return wait_until(find, timeout, what=f"notify {needle!r}\n{self.messages}\n{self.log()}") - 1

    # introspection
    def log(self) -> str:
        self.stderr_file.flush()
        return self.stderr_path.read_text(errors="replace")

    def wait_log(self, needle: str, timeout=10.0):
        return wait_until(lambda: needle in self.log(), timeout, what=f"log line {needle!r}\n---\n{self.log()}")

    def threads(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("Threads:"):
                return int(line.split()[1])
        raise AssertionError("no Threads: line")

    def children(self):
        out = subprocess.run(["ps", "-o", "pid=,stat=,args=", "--ppid", str(self.proc.pid)],
                             capture_output=True, text=True).stdout
        return [l.split(None, 2) for l in out.splitlines() if l.strip()]

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=10.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(5)

    def close(self):
        self.kill()
        # The stand-ins run in the daemon's session; make sure nothing survives the test.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.notify.close()
        self.stderr_file.close()


@pytest.fixture
def reactor(tmp_path):
    started = []

    def start(config: str, env=None, **kw) -> Reactor:
        r = Reactor(tmp_path, config, env or {}, **kw)
        started.append(r)
        return r

    yield start
    for r in started:
        r.close()
