#!/usr/bin/env python3
"""Black-box benchmark harness for any drbd-reactor 1.x compatible daemon.

The daemon is driven only through its config file, a stand-in `drbdsetup`/`drbdadm`
first in PATH (bench/standin/), HTTP on /metrics and /proc/PID. See bench/README.md.

    python3 bench/run.py [--quick] [--only ingest,memory,...] [--out FILE]
    REACTOR_BIN=/usr/sbin/drbd-reactor python3 bench/run.py

Python 3 standard library only; uses `wrk` for the scrape throughput when on PATH.
Figures are reported, never asserted.
"""
import argparse
import errno
import gzip
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
STANDIN = os.path.join(HERE, "standin")
STAMP = os.path.join(STANDIN, "stamp")
OUT_DIR = os.path.join(HERE, "out")
CACHE_DIR = os.path.join(OUT_DIR, "cache")
# The project's events2 corpus, plus EVENTS2_CONFORMANCE_DIR (another recorded corpus) when set.
FIXTURE_DIRS = [os.path.join(ROOT, "Tests", "Fixtures", "events2")] + \
    [d for d in [os.environ.get("EVENTS2_CONFORMANCE_DIR")] if d]
DEFAULT_BIN = os.path.join(ROOT, ".build", "release", "drbd-reactor")
CLK_TCK = os.sysconf("SC_CLK_TCK")

sys.path.insert(0, HERE)
import gen_events2  # noqa: E402

# families every drbd-reactor 1.x exposes for this input (with enums = true); reported if missing
EXPECTED_FAMILIES = (
    "drbdreactor_up", "drbd_version", "drbd_resource_resources", "drbd_resource_role",
    "drbd_resource_suspended", "drbd_resource_maypromote", "drbd_resource_promotionscore",
    "drbd_resource_forceiofailures", "drbd_connection_state", "drbd_connection_congested",
    "drbd_connection_apinflight_bytes", "drbd_connection_rsinflight_bytes",
    "drbd_peerdevice_outofsync_bytes", "drbd_peerdevice_sent_bytes", "drbd_peerdevice_received_bytes",
    "drbd_device_state", "drbd_device_client", "drbd_device_unintentionaldiskless", "drbd_device_quorum",
    "drbd_device_open", "drbd_device_size_bytes", "drbd_device_read_bytes_total",
    "drbd_device_written_bytes_total", "drbd_device_alwrites_total", "drbd_device_bmwrites_total",
    "drbd_device_upperpending", "drbd_device_lowerpending", "drbd_device_alsuspended")
SENTINEL_RE = re.compile(rb'^drbd_device_[a-z_]+\{[^}\n]*name="sentinel"', re.M)


class BenchError(Exception):
    pass


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def pct(xs, p):
    """Nearest-rank percentile of a non-empty list."""
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def summary_ms(xs_ns):
    ms = [x / 1e6 for x in xs_ns]
    return {"n": len(ms), "min_ms": round(min(ms), 4), "p50_ms": round(pct(ms, 50), 4),
            "p90_ms": round(pct(ms, 90), 4), "p99_ms": round(pct(ms, 99), 4),
            "max_ms": round(max(ms), 4), "mean_ms": round(statistics.fmean(ms), 4)}


# ---------------------------------------------------------------- /proc readers

def proc_cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        data = f.read()
    fields = data[data.rindex(")") + 2:].split()
    # fields[0] is state (field 3); utime is field 14, stime field 15
    return int(fields[11]) + int(fields[12])


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def status_kib(st, key):
    v = st.get(key)
    return int(v.split()[0]) if v else None


class ThreadSampler(threading.Thread):
    """Samples `Threads:` of the registered daemon pid every 20 ms."""

    def __init__(self):
        super().__init__(daemon=True)
        self.pid = None
        self.scenario = None
        self.max_by_scenario = {}
        self.samples = 0
        self.stop_ev = threading.Event()

    def watch(self, pid, scenario):
        self.pid, self.scenario = pid, scenario

    def unwatch(self):
        self.pid = None

    def sample_now(self):
        pid, sc = self.pid, self.scenario
        if pid is None:
            return
        try:
            n = int(proc_status(pid)["Threads"])
        except (OSError, KeyError, ValueError):
            return
        self.samples += 1
        if n > self.max_by_scenario.get(sc, 0):
            self.max_by_scenario[sc] = n

    def run(self):
        while not self.stop_ev.wait(0.02):
            self.sample_now()


# ---------------------------------------------------------------- HTTP client

class HttpClient:
    """Minimal HTTP/1.1 client on one socket (keep-alive when the server allows it)."""

    def __init__(self, port, timeout=10.0):
        self.port = port
        self.timeout = timeout
        self.sock = None
        self.rfile = None
        self.connections = 0

    def close(self):
        if self.sock:
            try:
                self.rfile.close()
                self.sock.close()
            except OSError:
                pass
        self.sock = self.rfile = None

    def _connect(self):
        self.close()
        s = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock, self.rfile = s, s.makefile("rb")
        self.connections += 1

    def get(self, path="/metrics", gzip_ok=False):
        """Return (status, headers, body). Reconnects once if a reused socket was closed."""
        req = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nUser-Agent: drbd-reactor-bench\r\n"
               + ("Accept-Encoding: gzip\r\n" if gzip_ok else "") + "Accept: */*\r\n\r\n").encode()
        for attempt in (0, 1):
            fresh = self.sock is None
            if fresh:
                self._connect()
            try:
                self.sock.sendall(req)
                status_line = self.rfile.readline()
                if not status_line:
                    raise ConnectionResetError("server closed the connection")
                return self._read_response(status_line)
            except (ConnectionError, BrokenPipeError) as e:
                self.close()
                if fresh or attempt:
                    raise BenchError(f"HTTP GET {path} on 127.0.0.1:{self.port} failed: {e}")
            except socket.timeout:
                self.close()
                raise BenchError(f"HTTP GET {path} on 127.0.0.1:{self.port} timed out after {self.timeout}s")
        raise AssertionError("unreachable")

    def _read_response(self, status_line):
        parts = status_line.decode("latin-1").split()
        if len(parts) < 2:
            raise BenchError(f"bad HTTP status line {status_line!r}")
        version, status = parts[0], int(parts[1])
        headers = {}
        while True:
            line = self.rfile.readline()
            if not line:
                raise ConnectionResetError("EOF in headers")
            if line in (b"\r\n", b"\n"):
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            n = int(headers["content-length"])
            body = self.rfile.read(n)
            if len(body) != n:
                raise ConnectionResetError("short body")
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            body = b"".join(chunks)
        else:
            body = self.rfile.read()
            self.close()
            return status, headers, body
        if headers.get("connection", "").lower() == "close" or version == "HTTP/1.0":
            self.close()
        return status, headers, body


def decoded(headers, body):
    if headers.get("content-encoding", "").lower() == "gzip":
        return gzip.decompress(body)
    return body


# ---------------------------------------------------------------- the daemon under test

def _mkfifo(path):
    os.mkfifo(path, 0o600)
    return path


class Daemon:
    """One run of the daemon under test, in its own temporary directory and session."""

    def __init__(self, bench, label, events_file, prometheus=True, umh_rules=(), gate=False,
                 control=False, debugger=False):
        self.bench = bench
        self.label = label
        self.dir = tempfile.mkdtemp(prefix=f"{label}-", dir=bench.tmp)
        self.port = free_port() if prometheus else None
        self.proc = None
        self.ready_ns = None
        self.notify_msgs = []
        self.gate = _mkfifo(os.path.join(self.dir, "gate")) if gate else None
        self.control = _mkfifo(os.path.join(self.dir, "control")) if control else None
        self.control_fd = None
        self.stamps = os.path.join(self.dir, "standin-stamps")
        self.started_file = os.path.join(self.dir, "standin-started")
        self.done_file = os.path.join(self.dir, "standin-done")
        self.logfile = os.path.join(self.dir, "daemon.log")
        self.config = os.path.join(self.dir, "drbd-reactor.toml")
        cfg = [f"statistics-poll-interval = {bench.args.poll_interval}", "",
               "[[log]]", f'level = "{bench.args.log_level}"', ""]
        if prometheus:
            cfg += ["[[prometheus]]", f'address = "127.0.0.1:{self.port}"', "enums = true", ""]
        if umh_rules:
            cfg += ["[[umh]]", ""]
            for rule in umh_rules:
                cfg.append("[[umh.resource]]")
                for k, v in rule.items():
                    cfg.append(f"{k} = {json.dumps(v)}")
                cfg.append("")
        if debugger:
            cfg += ["[[debugger]]", ""]
        with open(self.config, "w") as f:
            f.write("\n".join(cfg))
        self.notify_path = os.path.join(self.dir, "notify.sock")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        env = dict(os.environ)
        for k in list(env):
            if k.startswith("BENCH_") or k in ("LISTEN_FDS", "LISTEN_PID", "WATCHDOG_USEC", "WATCHDOG_PID",
                                               "INVOCATION_ID", "JOURNAL_STREAM"):
                del env[k]
        env.update(PATH=STANDIN + os.pathsep + env.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
                   NOTIFY_SOCKET=self.notify_path, BENCH_EVENTS2=events_file,
                   BENCH_STARTED=self.started_file, BENCH_DONE=self.done_file,
                   BENCH_CALLS=os.path.join(self.dir, "standin-calls"))
        if self.gate:
            env["BENCH_GATE"] = self.gate
        if self.control:
            env.update(BENCH_CONTROL=self.control, BENCH_STAMPS=self.stamps)
        self.env = env

    # -- lifecycle
    def start(self):
        logf = open(self.logfile, "wb")
        try:
            self.exec_ns = time.time_ns()
            self.proc = subprocess.Popen([self.bench.bin, "-c", self.config], stdin=subprocess.DEVNULL,
                                         stdout=logf, stderr=subprocess.STDOUT, env=self.env, cwd=self.dir,
                                         start_new_session=True)
        finally:
            logf.close()
        self.bench.live.append(self)
        self.bench.sampler.watch(self.proc.pid, self.label.split("-")[0])
        return self

    @property
    def pid(self):
        return self.proc.pid

    def log_tail(self, n=25):
        try:
            with open(self.logfile, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join("    | " + ln for ln in lines[-n:]) or "    | (empty)"
        except OSError:
            return "    | (no log)"

    def check_alive(self, what):
        rc = self.proc.poll()
        if rc is not None:
            raise BenchError(f"[{self.label}] daemon exited with status {rc} while {what}; "
                             f"log tail ({self.logfile}, kept with --keep-tmp):\n{self.log_tail()}")

    def wait_ready(self, timeout):
        """Wait for READY=1 on NOTIFY_SOCKET; returns its arrival time (time.time_ns)."""
        deadline = time.monotonic() + timeout
        while self.ready_ns is None:
            self.check_alive("waiting for READY=1")
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError(f"[{self.label}] no READY=1 on NOTIFY_SOCKET within {timeout}s "
                                 f"(messages so far: {self.notify_msgs}); log tail:\n{self.log_tail()}")
            self.notify.settimeout(min(0.1, left))
            try:
                msg = self.notify.recv(4096)
            except socket.timeout:
                continue
            now = time.time_ns()
            self.notify_msgs.append(msg.decode("utf-8", "replace"))
            if b"READY=1" in msg.split(b"\n"):
                self.ready_ns = now
        return self.ready_ns

    def open_fifo_writer(self, path, timeout, what):
        deadline = time.monotonic() + timeout
        while True:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
                os.set_blocking(fd, True)
                return fd
            except OSError as e:
                if e.errno != errno.ENXIO:
                    raise
            self.check_alive(f"waiting for the stand-in drbdsetup to open {what}")
            if time.monotonic() > deadline:
                raise BenchError(f"[{self.label}] the stand-in drbdsetup never opened {what} within "
                                 f"{timeout}s (did the daemon run `drbdsetup events2`? calls: "
                                 f"{self.standin_calls()}); log tail:\n{self.log_tail()}")
            time.sleep(0.005)

    def standin_calls(self):
        try:
            with open(os.path.join(self.dir, "standin-calls")) as f:
                return f.read().strip().splitlines()
        except OSError:
            return []

    def send(self, line):
        """Write one line to the stand-in's control FIFO (it writes it to the daemon)."""
        if self.control_fd is None:
            self.control_fd = self.open_fifo_writer(self.control, self.bench.args.timeout, "the control FIFO")
        os.write(self.control_fd, (line + "\n").encode())

    def wait_stream_written(self, timeout):
        """Wait, without touching the daemon, until the stand-in's `cat` wrote the whole stream."""
        deadline = time.monotonic() + timeout
        while not read_stamps(self.done_file):
            self.check_alive("ingesting the stream")
            if time.monotonic() > deadline:
                raise BenchError(f"[{self.label}] the stand-in did not finish writing the stream within "
                                 f"{timeout}s (is the daemon reading it?); {self.progress()}; "
                                 f"log tail:\n{self.log_tail()}")
            time.sleep(0.002)

    def progress(self):
        """A short diagnosis of a slow or stuck daemon: its CPU, RSS and its own line counter."""
        parts = []
        try:
            parts.append(f"daemon CPU so far {proc_cpu_ticks(self.pid) / CLK_TCK:.2f}s, "
                         f"VmRSS {status_kib(proc_status(self.pid), 'VmRSS')} KiB")
        except OSError:
            pass
        if self.port:
            c = HttpClient(self.port, timeout=10)
            try:
                _, _, body = c.get("/metrics")
                m = re.search(rb"^drbdreactor_events2_lines_total (\S+)", body, re.M)
                if m:
                    parts.append(f"drbdreactor_events2_lines_total {m.group(1).decode()}")
            except (BenchError, OSError) as e:
                parts.append(f"/metrics: {e}")
            finally:
                c.close()
        return "; ".join(parts)

    def wait_sentinel(self, timeout, poll=0.01, cpu_snapshots=False):
        """Poll /metrics until a drbd_device_* sample of resource "sentinel" shows up.

        Returns (monotonic time seen, scrapes, body); with cpu_snapshots also the daemon's CPU
        ticks taken just before the scrape that found it (so that scrape's rendering is excluded)."""
        self.wait_stream_written(timeout)
        deadline = time.monotonic() + timeout
        client = HttpClient(self.port, timeout=min(10.0, timeout))
        polls = 0
        try:
            while True:
                self.check_alive("waiting for the sentinel in /metrics")
                try:
                    ticks = proc_cpu_ticks(self.pid) if cpu_snapshots else None
                    _, headers, body = client.get("/metrics")
                    polls += 1
                    if SENTINEL_RE.search(body):
                        if cpu_snapshots:
                            return time.monotonic(), polls, body, ticks
                        return time.monotonic(), polls, body
                except (BenchError, OSError):
                    client.close()
                if time.monotonic() > deadline:
                    raise BenchError(f"[{self.label}] sentinel not in /metrics on 127.0.0.1:{self.port} "
                                     f"within {timeout}s ({polls} scrapes answered); log tail:\n"
                                     f"{self.log_tail()}")
                time.sleep(poll)
        finally:
            client.close()

    def stop(self):
        if self.control_fd is not None:
            try:
                os.close(self.control_fd)
            except OSError:
                pass
            self.control_fd = None
        if self.proc is not None:
            self.bench.sampler.sample_now()
            self.bench.sampler.unwatch()
            pgid = self.proc.pid
            if self.proc.poll() is None:
                try:
                    os.killpg(pgid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    log(f"[{self.label}] daemon ignored SIGTERM for 5s, killing")
            try:  # the daemon, its stand-in drbdsetup and any umh child: all in its session
                os.killpg(pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.notify.close()
        if self in self.bench.live:
            self.bench.live.remove(self)


# ---------------------------------------------------------------- harness

class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="drbd-reactor-bench-")
        self.live = []
        self.sampler = ThreadSampler()
        self.bin = None

    def cleanup(self):
        for d in list(self.live):
            try:
                d.stop()
            except Exception as e:  # keep cleaning up
                log(f"cleanup of {d.label} failed: {e}")
        self.sampler.stop_ev.set()
        if self.args.keep_tmp:
            log(f"kept temporary directory {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def stream(self, n, m, seed=1):
        """Generated events2 file (cached under bench/out/cache) and its line count."""
        os.makedirs(CACHE_DIR, exist_ok=True)
        path = os.path.join(CACHE_DIR, f"events2-n{n}-m{m}-s{seed}.txt")
        meta = path + ".lines"
        if not (os.path.exists(path) and os.path.exists(meta)):
            log(f"generating events2 stream: {n} resources, {m} change lines")
            lines = gen_events2.write_stream(path + ".tmp", n, m, seed)
            os.replace(path + ".tmp", path)
            with open(meta, "w") as f:
                f.write(str(lines))
        with open(meta) as f:
            return path, int(f.read())

    def daemon(self, *a, **kw):
        return Daemon(self, *a, **kw).start()

    # ------------------------------------------------------------ scenarios
    def scenario_ingest(self):
        """One run per size in --ingest-changes (a small and a large one by default: a daemon whose
        cost per line grows with the backlog shows it as a drop in lines per CPU second)."""
        runs, errors = {}, []
        for m in self.args.ingest_changes:
            try:
                runs[str(m)] = self.ingest_once(m)
            except BenchError as e:
                runs[str(m)] = {"change_lines": m, "error": str(e)}
                errors.append(f"with {m} change lines: {e}")
        out = {"runs": runs}
        if errors:
            out["errors"] = "\n".join(errors)
        return out

    def ingest_once(self, changes):
        a = self.args
        path, lines = self.stream(a.ingest_resources, changes)
        # --ingest-plugins: every line also goes through change plugins (the runner's per-input cost)
        plugins = set(a.ingest_plugins)
        rules = [{"resource-name": "no-such-resource", "event-type": "Change", "command": "true"}] \
            if "umh" in plugins else ()
        d = self.daemon("ingest", path, gate=True, umh_rules=rules, debugger="debugger" in plugins)
        try:
            fd = d.open_fifo_writer(d.gate, a.timeout, "the start gate")
            # let the daemon settle: CPU time unchanged over 3 consecutive 100 ms samples
            last, same, deadline = proc_cpu_ticks(d.pid), 0, time.monotonic() + 5
            while same < 3 and time.monotonic() < deadline:
                time.sleep(0.1)
                cur = proc_cpu_ticks(d.pid)
                same = same + 1 if cur == last else 0
                last = cur
            cpu0 = proc_cpu_ticks(d.pid)
            t0 = time.monotonic()
            t0_wall = time.time_ns()
            os.write(fd, b"go\n")
            os.close(fd)
            # Do not scrape while the stream is being written: on a single-threaded daemon each
            # scrape during ingest costs a full rendering and would be counted as ingest CPU.
            # Wait (reading only the stand-in's stamp file) until `cat` has written everything;
            # at most one pipe buffer (64 KiB, about 250 lines) is then still unread.
            d.wait_stream_written(a.timeout)
            written_s = (read_stamps(d.done_file)[0] - t0_wall) / 1e9
            t1, polls, body, cpu1 = d.wait_sentinel(a.timeout, cpu_snapshots=True)
            ticks = cpu1 - cpu0
            st = proc_status(d.pid)
            cpu_s = ticks / CLK_TCK
            wall = t1 - t0
            own = [ln.decode() for ln in body.splitlines()
                   if ln.startswith((b"drbdreactor_", b"process_")) and not ln.startswith(b"#")]
            return {
                "resources": a.ingest_resources, "change_lines": changes, "lines": lines,
                "bytes": os.path.getsize(path),
                "wall_s": round(wall, 4), "lines_per_wall_s": round(lines / wall) if wall else None,
                "cpu_s": round(cpu_s, 3), "cpu_ticks": ticks, "clk_tck": CLK_TCK,
                "lines_per_cpu_s": round(lines / cpu_s) if ticks else None,
                "cpu_resolution_note": None if ticks >= 50 else
                "fewer than 50 clock ticks: lines_per_cpu_s is imprecise; raise --ingest-changes",
                "stream_written_s": round(written_s, 4),
                "metrics_polls_after_stream_written": polls, "poll_interval_ms": 10,
                "vmhwm_kib": status_kib(st, "VmHWM"), "vmrss_kib": status_kib(st, "VmRSS"),
                "daemon_self_metrics": own[:40],
            }
        finally:
            d.stop()

    def scenario_memory(self):
        a = self.args
        out = {}
        for n in a.memory_resources:
            path, lines = self.stream(n, a.memory_changes)
            d = self.daemon(f"memory-{n}", path)
            try:
                d.wait_ready(a.timeout)
                d.wait_sentinel(a.timeout)
                c = HttpClient(d.port)
                for _ in range(5):
                    c.get("/metrics")
                    c.get("/metrics", gzip_ok=True)
                c.close()
                time.sleep(a.steady_wait)
                st = proc_status(d.pid)
                out[str(n)] = {"resources": n, "lines": lines,
                               "peak_vmhwm_kib": status_kib(st, "VmHWM"),
                               "steady_vmrss_kib": status_kib(st, "VmRSS"),
                               "rss_anon_kib": status_kib(st, "RssAnon"),
                               "rss_file_kib": status_kib(st, "RssFile"),
                               "peak_mib": round(status_kib(st, "VmHWM") / 1024, 2),
                               "steady_mib": round(status_kib(st, "VmRSS") / 1024, 2)}
            finally:
                d.stop()
        return out

    def scenario_scrape(self):
        a = self.args
        n = a.scrape_resources
        path, lines = self.stream(n, a.memory_changes)
        d = self.daemon("scrape", path, control=True)
        try:
            d.wait_ready(a.timeout)
            d.wait_sentinel(a.timeout)
            res = {"resources": n}
            c = HttpClient(d.port)
            # sizes
            st, h, plain = c.get("/metrics")
            if st != 200:
                raise BenchError(f"GET /metrics answered {st}")
            st, hg, gz = c.get("/metrics", gzip_ok=True)
            res["size_plain_bytes"] = len(plain)
            res["size_gzip_bytes"] = len(gz)
            res["gzip_honoured"] = hg.get("content-encoding", "").lower() == "gzip"
            if res["gzip_honoured"] and decoded(hg, gz) != plain:
                res["gzip_note"] = "gzip body differs from the plain one after decompression"
            samples = [ln for ln in plain.splitlines() if ln and not ln.startswith(b"#")]
            res["samples"] = len(samples)
            present = {re.split(rb"[{ ]", ln, 1)[0].decode() for ln in samples}
            res["missing_families"] = [f for f in EXPECTED_FAMILIES if f not in present]
            res["role_samples_for_resource_0"] = [ln.decode() for ln in samples if ln.startswith(b"drbd_resource_role{")
                                                  and gen_events2.resource_name(0).encode() in ln]
            # latency on one keep-alive connection (cached rendering: the World does not change)
            for gz_ok in (False, True):
                c = HttpClient(d.port)
                for _ in range(20):
                    c.get("/metrics", gzip_ok=gz_ok)
                c.connections = 1 if c.sock else 0
                lat = []
                for _ in range(a.scrape_requests):
                    t = time.perf_counter_ns()
                    c.get("/metrics", gzip_ok=gz_ok)
                    lat.append(time.perf_counter_ns() - t)
                key = "latency_gzip" if gz_ok else "latency"
                res[key] = summary_ms(lat)
                res[key]["connections_used"] = c.connections
                res[key]["keep_alive"] = c.connections <= 1
                c.close()
            # latency right after a change (the rendering cannot be cached)
            c = HttpClient(d.port)
            lat = []
            for i in range(a.scrape_change_requests):
                d.send(f"change device name:{gen_events2.resource_name(i % n)} volume:0 minor:{1000 + 2 * (i % n)} "
                       f"backing_dev:/dev/drbdpool/{gen_events2.resource_name(i % n)}_00000 disk:UpToDate "
                       f"client:no open:no quorum:yes size:10485760 read:{1000 + i} written:{5000 + i} "
                       f"al-writes:{i} bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no blocked:no")
                time.sleep(0.02)
                t = time.perf_counter_ns()
                c.get("/metrics")
                lat.append(time.perf_counter_ns() - t)
            res["latency_after_change"] = summary_ms(lat)
            c.close()
            res["client_floor"] = self.client_floor(plain)
            # throughput, 8 concurrent clients
            res["throughput"] = self.throughput(d.port, gz_ok=False)
            res["throughput_gzip"] = self.throughput(d.port, gz_ok=True)
            d.check_alive("after the scrape scenario")
            return res
        finally:
            d.stop()

    def client_floor(self, body):
        """The same client against a trivial server that answers a prebuilt response of the same
        size: what the latency figures cost on the client side and in the kernel alone."""
        path = os.path.join(self.tmp, "floor-body")
        with open(path, "wb") as f:
            f.write(body)
        port = free_port()
        server = (
            "import socket,sys\n"
            "b=open(sys.argv[2],'rb').read()\n"
            "r=b'HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: %d\\r\\n\\r\\n'%len(b)+b\n"
            "l=socket.socket();l.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
            "l.bind(('127.0.0.1',int(sys.argv[1])));l.listen(1);print('ok',flush=True)\n"
            "c,_=l.accept();buf=b''\n"
            "while True:\n"
            "  d=c.recv(65536)\n"
            "  if not d: break\n"
            "  buf+=d\n"
            "  while b'\\r\\n\\r\\n' in buf:\n"
            "    buf=buf.split(b'\\r\\n\\r\\n',1)[1];c.sendall(r)\n")
        p = subprocess.Popen([sys.executable, "-c", server, str(port), path], stdout=subprocess.PIPE,
                             stdin=subprocess.DEVNULL)
        try:
            if p.stdout.readline().strip() != b"ok":
                raise BenchError("the client-floor server did not start")
            c = HttpClient(port)
            for _ in range(10):
                c.get("/metrics")
            lat = []
            for _ in range(min(200, self.args.scrape_requests)):
                t = time.perf_counter_ns()
                c.get("/metrics")
                lat.append(time.perf_counter_ns() - t)
            c.close()
            return dict(summary_ms(lat), bytes=len(body))
        finally:
            p.kill()
            p.wait(5)

    def throughput(self, port, gz_ok):
        a = self.args
        url = f"http://127.0.0.1:{port}/metrics"
        wrk = shutil.which("wrk")
        if wrk and not a.no_wrk:
            cmd = [wrk, "-t2", "-c8", f"-d{a.wrk_seconds}s", "--timeout", "5s", url]
            if gz_ok:
                cmd[1:1] = ["-H", "Accept-Encoding: gzip"]
            try:
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=a.wrk_seconds + 30)
            except subprocess.TimeoutExpired:
                raise BenchError(f"wrk did not finish within {a.wrk_seconds + 30}s")
            m = re.search(r"Requests/sec:\s*([\d.]+)", p.stdout)
            if not m:
                raise BenchError(f"could not parse wrk output:\n{p.stdout}\n{p.stderr}")
            r = {"tool": "wrk", "clients": 8, "seconds": a.wrk_seconds, "requests_per_s": float(m.group(1))}
            m = re.search(r"(\d+) requests in", p.stdout)
            if m:
                r["requests"] = int(m.group(1))
            m = re.search(r"Socket errors: (.*)", p.stdout)
            if m:
                r["socket_errors"] = m.group(1).strip()
            m = re.search(r"Non-2xx or 3xx responses: (\d+)", p.stdout)
            if m:
                r["non_2xx"] = int(m.group(1))
            m = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", p.stdout)
            if m:
                r["latency_avg"], r["latency_max"] = m.group(1), m.group(3)
            return r
        # fallback: 8 Python threads, each with its own keep-alive connection (client-bound: GIL)
        stop = time.monotonic() + a.wrk_seconds
        counts, errors = [0] * 8, [0] * 8

        def worker(i):
            c = HttpClient(port)
            while time.monotonic() < stop:
                try:
                    c.get("/metrics", gzip_ok=gz_ok)
                    counts[i] += 1
                except (BenchError, OSError):
                    errors[i] += 1
                    c.close()
            c.close()

        ts = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(8)]
        t0 = time.monotonic()
        for t in ts:
            t.start()
        for t in ts:
            t.join(a.wrk_seconds + 30)
        el = time.monotonic() - t0
        return {"tool": "python-threads (client-bound, not comparable with wrk)", "clients": 8,
                "seconds": round(el, 2), "requests": sum(counts), "errors": sum(errors),
                "requests_per_s": round(sum(counts) / el, 1)}

    def scenario_reaction(self):
        a = self.args
        # a small world plus one resource the rule watches, then `exists -`
        rng = random.Random(7)
        react = gen_events2.Res(20000, "bench-react", rng)
        react.role, react.may_promote = "Secondary", False
        lines = [ln for ln in gen_events2.generate(10, 0, sentinel=False) if ln != "exists -"]
        lines += react.exists_lines() + ["exists -"]
        path = os.path.join(self.tmp, "reaction.events2")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        cmd_stamps = os.path.join(self.tmp, "reaction-command-stamps")
        command = f"{STAMP} {cmd_stamps}"
        rule = {"name": "bench-reaction", "resource-name": "bench-react", "event-type": "Change",
                "command": command}
        # bare spawn cost of the same command (`sh -c COMMAND`, the umh environment, posix_spawn as
        # a daemon would), interleaved with the events so both see the same machine load
        base_stamps = os.path.join(self.tmp, "reaction-spawn-stamps")
        env = {"HOME": "/", "TERM": "Linux", "PATH": "/sbin:/usr/sbin:/bin:/usr/bin",
               "DRBD_RES_NAME": "bench-react", "DRBD_OLD_ROLE": "Secondary", "DRBD_NEW_ROLE": "Primary",
               "DRBD_OLD_MAY_PROMOTE": "false", "DRBD_NEW_MAY_PROMOTE": "false"}
        base_argv = ["sh", "-c", f"{STAMP} {base_stamps}"]
        devnull = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
        before = []
        d = self.daemon("reaction", path, prometheus=False, umh_rules=[rule], control=True)
        try:
            d.wait_ready(a.timeout)
            role = "Secondary"
            for i in range(a.reaction_events):
                role = "Primary" if role == "Secondary" else "Secondary"
                d.send(f"change resource name:bench-react role:{role} suspended:no force-io-failures:no "
                       f"write-ordering:flush may_promote:no promotion_score:10102")
                deadline = time.monotonic() + 10
                while count_lines(cmd_stamps) < i + 1:
                    d.check_alive(f"waiting for the umh command of event {i}")
                    if time.monotonic() > deadline:
                        raise BenchError(f"[reaction] the umh rule's command did not run within 10s for "
                                         f"event {i} (commands seen: {count_lines(cmd_stamps)}); "
                                         f"log tail:\n{d.log_tail()}")
                    time.sleep(0.001)
                time.sleep(rng.uniform(0.005, 0.015))
                t = time.time_ns()
                pid = os.posix_spawn("/bin/sh", base_argv, env, file_actions=devnull)
                before.append(t)
                os.waitpid(pid, 0)  # bounded by --total-timeout (SIGALRM)
                time.sleep(rng.uniform(0.005, 0.015))
            time.sleep(0.2)
            written = read_stamps(d.stamps)
            ran = read_stamps(cmd_stamps)
            if len(ran) != len(written):
                raise BenchError(f"[reaction] {len(written)} lines written but the command ran {len(ran)} times")
            lat = [r - w for w, r in zip(written, ran)]
        finally:
            d.stop()
        spawn = [s - t for t, s in zip(before, read_stamps(base_stamps))]
        r = {"events": len(lat), "command": "sh -c '" + command + "' (bash $EPOCHREALTIME)",
             "load_average": os.getloadavg(),
             "reaction": summary_ms(lat), "spawn_only": summary_ms(spawn)}
        r["beyond_spawn_p50_ms"] = round(r["reaction"]["p50_ms"] - r["spawn_only"]["p50_ms"], 4)
        r["beyond_spawn_p99_ms"] = round(r["reaction"]["p99_ms"] - r["spawn_only"]["p99_ms"], 4)
        return r

    def scenario_startup(self):
        a = self.args
        path, lines = self.stream(a.startup_resources, 0)
        runs = []
        for i in range(a.startup_runs):
            d = self.daemon(f"startup-{i}", path)
            try:
                ready = d.wait_ready(a.timeout)
                rec = {"exec_to_ready_ms": round((ready - d.exec_ns) / 1e6, 3)}
                deadline = time.monotonic() + 2
                while not read_stamps(d.done_file) and time.monotonic() < deadline:
                    time.sleep(0.005)  # READY may beat the stand-in's own "done" stamp
                done = read_stamps(d.done_file)
                started = read_stamps(d.started_file)
                if started:
                    rec["exec_to_drbdsetup_ms"] = round((started[0] - d.exec_ns) / 1e6, 3)
                if done:
                    rec["exists_written_to_ready_ms"] = round((ready - done[0]) / 1e6, 3)
                runs.append(rec)
            finally:
                d.stop()
        out = {"resources": a.startup_resources, "lines": lines, "runs": runs}
        for k in ("exec_to_ready_ms", "exec_to_drbdsetup_ms", "exists_written_to_ready_ms"):
            xs = [r[k] for r in runs if k in r]
            if xs:
                out[k] = {"median": round(statistics.median(xs), 3), "min": min(xs), "max": max(xs)}
        return out

    def scenario_parser(self):
        exe = os.environ.get("REACTOR_PARSER_BENCH") or os.path.join(os.path.dirname(self.bin),
                                                                     "reactor-parser-bench")
        if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
            return {"skipped": f"no parser micro-benchmark executable ({exe}); set REACTOR_PARSER_BENCH"}
        gen, lines = self.stream(100, 100000)
        files = sorted(os.path.join(d, f) for d in FIXTURE_DIRS if os.path.isdir(d)
                       for f in os.listdir(d) if f.endswith(".events2"))
        try:
            p = subprocess.run([exe] + files + [gen], capture_output=True, text=True, timeout=self.args.timeout)
        except subprocess.TimeoutExpired:
            raise BenchError(f"{exe} did not finish within {self.args.timeout}s")
        if p.returncode != 0:
            raise BenchError(f"{exe} exited with {p.returncode}: {p.stderr.strip()[-2000:]}")
        try:
            return {"executable": exe, "result": json.loads(p.stdout)}
        except ValueError:
            return {"executable": exe, "output": p.stdout.strip().splitlines()[-60:]}


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def read_stamps(path):
    """Lines of `seconds.micros` ($EPOCHREALTIME) -> list of ns since the epoch."""
    out = []
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    sec, _, frac = line.replace(",", ".").partition(".")
                    out.append(int(sec) * 1_000_000_000 + int((frac + "000000000")[:9]))
    except FileNotFoundError:
        pass
    return out


# ---------------------------------------------------------------- binary, table, main

def resolve_binary():
    env = os.environ.get("REACTOR_BIN")
    if env:
        path = os.path.abspath(env)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise BenchError(f"REACTOR_BIN={env}: not an executable file")
        return path
    if not os.path.exists(DEFAULT_BIN):
        log("no .build/release/drbd-reactor: running `swift build -c release --static-swift-stdlib` (can take minutes)")
        try:
            p = subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib"], cwd=ROOT, timeout=3600)
        except FileNotFoundError:
            raise BenchError("swift not found on PATH, and no REACTOR_BIN given")
        except subprocess.TimeoutExpired:
            raise BenchError("swift build -c release took more than an hour")
        if p.returncode != 0 or not os.path.exists(DEFAULT_BIN):
            raise BenchError(f"swift build -c release failed (exit {p.returncode})")
    return DEFAULT_BIN


def meta(bin_path, args):
    def cmd(c):
        try:
            return subprocess.run(c, capture_output=True, text=True, timeout=10, cwd=ROOT).stdout.strip()
        except Exception:
            return None
    st = os.stat(bin_path)
    return {"binary": bin_path, "binary_size": st.st_size,
            "binary_mtime": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(st.st_mtime)),
            "harness_git_head": cmd(["git", "rev-parse", "--short", "HEAD"]),
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "host": platform.node(),
            "kernel": platform.release(), "cpus": os.cpu_count(), "python": platform.python_version(),
            "wrk": shutil.which("wrk"), "log_level": args.log_level, "quick": args.quick,
            "ingest_plugins": args.ingest_plugins,
            "clk_tck": CLK_TCK, "load_average_at_start": os.getloadavg()}


def table(results):
    rows = []
    s = results["scenarios"]

    def add(scn, what, val, unit=""):
        rows.append((scn, what, "-" if val is None else str(val), unit))
    for r in s.get("ingest", {}).get("runs", {}).values():
        if "error" in r:
            add("ingest", f"{r['change_lines']} changes: FAILED (see below)", "-")
            continue
        m = r["change_lines"]
        add("ingest", f"lines ({r['resources']} res + {m} changes + sentinel)", r["lines"])
        add("ingest", f"  {m}: wall time until sentinel in /metrics", r["wall_s"], "s")
        add("ingest", f"  {m}: lines per wall second", r["lines_per_wall_s"], "lines/s")
        add("ingest", f"  {m}: daemon CPU (utime+stime)", r["cpu_s"], "s")
        add("ingest", f"  {m}: lines per CPU second", r["lines_per_cpu_s"], "lines/s")
    if "memory" in s:
        for n, r in s["memory"].items():
            add("memory", f"N={n} peak RSS (VmHWM)", r["peak_mib"], "MiB")
            add("memory", f"N={n} steady RSS (VmRSS)", r["steady_mib"], "MiB")
    if "scrape" in s:
        r = s["scrape"]
        add("scrape", f"N={r['resources']} response size plain", r["size_plain_bytes"], "bytes")
        add("scrape", "response size with gzip" + ("" if r["gzip_honoured"] else " (NOT gzipped)"),
            r["size_gzip_bytes"], "bytes")
        for key, label in (("latency", "keep-alive"), ("latency_gzip", "keep-alive gzip"),
                           ("latency_after_change", "after a change")):
            l = r[key]
            ka = "" if l.get("keep_alive", True) else f" ({l['connections_used']} connections!)"
            add("scrape", f"latency {label} p50 / p99{ka}", f"{l['p50_ms']} / {l['p99_ms']}", "ms")
        if "client_floor" in r:
            add("scrape", "  client floor (same size, trivial server) p50 / p99",
                f"{r['client_floor']['p50_ms']} / {r['client_floor']['p99_ms']}", "ms")
        for key in ("throughput", "throughput_gzip"):
            t = r[key]
            add("scrape", f"{key.replace('_', ' ')} 8 clients ({t['tool'].split()[0]})", t["requests_per_s"], "req/s")
        if r.get("missing_families"):
            mf = r["missing_families"]
            add("scrape", f"MISSING metric families ({len(mf)}, all in JSON)", ",".join(mf[:2]) + (",..." if len(mf) > 2 else ""))
    if "reaction" in s:
        r = s["reaction"]
        add("reaction", f"umh line->command p50 / p99 ({r['events']} events)",
            f"{r['reaction']['p50_ms']} / {r['reaction']['p99_ms']}", "ms")
        add("reaction", "bare spawn of the same command p50 / p99",
            f"{r['spawn_only']['p50_ms']} / {r['spawn_only']['p99_ms']}", "ms")
        add("reaction", "beyond spawn p50 / p99", f"{r['beyond_spawn_p50_ms']} / {r['beyond_spawn_p99_ms']}", "ms")
    if "startup" in s:
        r = s["startup"]
        for k, label in (("exec_to_ready_ms", "exec -> READY=1"),
                         ("exists_written_to_ready_ms", "`exists -` written -> READY=1"),
                         ("exec_to_drbdsetup_ms", "exec -> drbdsetup started")):
            if k in r:
                add("startup", f"N={r['resources']} {label} median (min..max)",
                    f"{r[k]['median']} ({r[k]['min']}..{r[k]['max']})", "ms")
    if "threads" in s:
        add("threads", "max Threads: over all scenarios", s["threads"]["max"])
        for k, v in sorted(s["threads"]["by_scenario"].items()):
            add("threads", f"  in {k}", v)
    if "parser" in s:
        p = s["parser"]
        add("parser", "micro-benchmark", "skipped" if "skipped" in p else "see JSON")
    for scn in results["errors"]:
        add(scn, "FAILED (see below)", "-")
    w = [max(len(r[i]) for r in rows + [("scenario", "figure", "value", "unit")]) for i in range(4)]
    out = []
    hdr = ("scenario", "figure", "value", "unit")
    out.append("  ".join(h.ljust(w[i]) for i, h in enumerate(hdr)))
    out.append("  ".join("-" * w[i] for i in range(4)))
    for r in rows:
        out.append("  ".join([r[0].ljust(w[0]), r[1].ljust(w[1]), r[2].rjust(w[2]), r[3]]))
    return "\n".join(out)


SCENARIOS = ("startup", "ingest", "memory", "scrape", "reaction", "parser")


def main():
    ap = argparse.ArgumentParser(description="drbd-reactor black-box benchmarks")
    ap.add_argument("--quick", action="store_true", help="smaller inputs, fewer repetitions (plumbing check)")
    ap.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated: " + ",".join(SCENARIOS))
    ap.add_argument("--out", default=os.path.join(OUT_DIR, "results.json"))
    ap.add_argument("--timeout", type=float, default=120, help="per wait, seconds")
    ap.add_argument("--total-timeout", type=int, default=1800, help="whole run, seconds")
    ap.add_argument("--log-level", default=os.environ.get("BENCH_LOG_LEVEL", "warn"))
    ap.add_argument("--poll-interval", type=int, default=3600, help="statistics-poll-interval in the config")
    ap.add_argument("--ingest-resources", type=int, default=1000)
    ap.add_argument("--ingest-changes", default=None, help="comma-separated sizes (change lines), one run each")
    ap.add_argument("--ingest-plugins", default="",
                    help="comma-separated change plugins the ingest daemon also runs: debugger,umh "
                    "(umh: one rule that never matches)")
    ap.add_argument("--memory-resources", default="100,1000,5000")
    ap.add_argument("--memory-changes", type=int, default=None)
    ap.add_argument("--scrape-resources", type=int, default=1000)
    ap.add_argument("--scrape-requests", type=int, default=None)
    ap.add_argument("--scrape-change-requests", type=int, default=None)
    ap.add_argument("--wrk-seconds", type=int, default=None)
    ap.add_argument("--no-wrk", action="store_true", help="use the Python fallback for throughput")
    ap.add_argument("--reaction-events", type=int, default=None)
    ap.add_argument("--startup-resources", type=int, default=1000)
    ap.add_argument("--startup-runs", type=int, default=None)
    ap.add_argument("--steady-wait", type=float, default=1.0)
    ap.add_argument("--keep-tmp", action="store_true", help="keep configs and daemon logs")
    a = ap.parse_args()
    q = a.quick

    def dflt(name, full, quick):
        if getattr(a, name) is None:
            setattr(a, name, quick if q else full)
    dflt("ingest_changes", "100000,1000000", "10000,50000")
    a.ingest_changes = [int(x) for x in str(a.ingest_changes).split(",") if x]
    a.ingest_plugins = [x for x in a.ingest_plugins.split(",") if x]
    for x in a.ingest_plugins:
        if x not in ("debugger", "umh"):
            ap.error(f"unknown ingest plugin {x!r}")
    dflt("memory_changes", 100_000, 10_000)
    dflt("scrape_requests", 500, 100)
    dflt("scrape_change_requests", 100, 20)
    dflt("wrk_seconds", 5, 2)
    dflt("reaction_events", 200, 30)
    dflt("startup_runs", 5, 2)
    a.memory_resources = [int(x) for x in a.memory_resources.split(",") if x]
    only = [x.strip() for x in a.only.split(",") if x.strip()]
    for x in only:
        if x not in SCENARIOS:
            ap.error(f"unknown scenario {x!r}")

    bench = Bench(a)
    results = {"meta": {}, "scenarios": {}, "errors": {}}

    def on_alarm(signum, frame):
        raise BenchError(f"the whole benchmark exceeded --total-timeout={a.total_timeout}s")
    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, lambda s, f: (_ for _ in ()).throw(KeyboardInterrupt()))
    signal.alarm(a.total_timeout)
    try:
        bench.bin = resolve_binary()
        results["meta"] = meta(bench.bin, a)
        if os.path.basename(bench.bin) == "fake_daemon.py":
            results["meta"]["warning"] = "FAKE DAEMON: plumbing test only, figures are meaningless"
        log(f"benchmarking {bench.bin}; temporary files in {bench.tmp}")
        bench.sampler.start()
        for name in only:
            log(f"scenario {name}")
            t = time.monotonic()
            try:
                res = results["scenarios"][name] = getattr(bench, f"scenario_{name}")()
                if res.get("errors"):
                    results["errors"][name] = res["errors"]
            except BenchError as e:
                results["errors"][name] = str(e)
                log(f"scenario {name} FAILED: {e}")
            log(f"scenario {name} took {time.monotonic() - t:.1f}s")
        results["meta"]["load_average_at_end"] = os.getloadavg()
        results["scenarios"]["threads"] = {"max": max(bench.sampler.max_by_scenario.values(), default=None),
                                           "by_scenario": bench.sampler.max_by_scenario,
                                           "samples": bench.sampler.samples}
    except BenchError as e:
        results["errors"]["harness"] = str(e)
        log(f"FAILED: {e}")
    except KeyboardInterrupt:
        results["errors"]["harness"] = "interrupted"
        log("interrupted")
    finally:
        signal.alarm(0)
        bench.cleanup()
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(results, f, indent=2, sort_keys=False)
        f.write("\n")
    print()
    if results["meta"].get("warning"):
        print("WARNING: " + results["meta"]["warning"])
    print(f"binary: {results['meta'].get('binary')}  (harness at git {results['meta'].get('harness_git_head')}; load average "
          f"{results['meta'].get('load_average_at_start', ['?'])[0]:.2f} at start, "
          f"{os.getloadavg()[0]:.2f} at end on {os.cpu_count()} CPUs: figures are noisy on a busy machine)")
    print(table(results))
    for scn, err in results["errors"].items():
        print(f"\n{scn} FAILED: {err}")
    print(f"\nJSON: {a.out}")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
