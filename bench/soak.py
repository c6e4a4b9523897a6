#!/usr/bin/env python3
"""Soak (make soak): the daemon against 1000 resources for SOAK_SECONDS (default 1800) with churn, and
a check that nothing grows without bound. README, Reliability, has the figures.

The stand-in drbdsetup (Tests/Support/bin) replays a 1000-resource initial state (bench/gen_events2.py)
and, on every statistics poll (statistics-poll-interval = 1), a churn file: a resource created and
destroyed, a role flipping Primary -> Secondary -> Primary (a umh rule appends a line to a file), and 2000
statistics changes. Every second /metrics is scraped; every 10 s the daemon is reloaded (SIGHUP) and
RSS, open fds, children, the scrape latency p99 of the last 10 s and the loop turn latency p99 band of
the last 10 s are recorded (from the daemon's drbdreactor_loop_turns*_total counters: the p99 turn is
under 1 ms, under 10 ms, under 100 ms, or over).

Fails when, over the second half of the run, the least-squares slope of RSS exceeds
SOAK_RSS_KIB_PER_HOUR (default 4096), or when fds, children or turns over 100 ms per 10 s stay above
their first-half maximum. Usage: bench/soak.py [BINARY]
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def proc_status(pid, key):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


TURN_BANDS = ["", "_over_1ms", "_over_10ms", "_over_100ms"]


def turn_counts(body: bytes):
    """The loop turn counters of one scrape: all turns, over 1, 10 and 100 ms."""
    found = {}
    for line in body.decode(errors="replace").splitlines():
        if line.startswith("drbdreactor_loop_turns"):
            name, value = line.split()
            found[name] = int(float(value))
    return [found.get(f"drbdreactor_loop_turns{b}_total", 0) for b in TURN_BANDS]


def p99_band(delta):
    """The band the 99th percentile turn lies in, from one window's counter differences."""
    turns = delta[0]
    for limit, over in zip(["<1", "<10", "<100"], delta[1:]):
        if over <= turns // 100:
            return limit
    return ">100"


def slope(xs, ys):
    n = len(xs)
    if n < 2:
        return 0.0
    mx, my = sum(xs) / n, sum(ys) / n
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("REACTOR_BIN", str(ROOT / ".build/debug/drbd-reactor"))
    seconds = float(os.environ.get("SOAK_SECONDS", "1800"))
    limit = float(os.environ.get("SOAK_RSS_KIB_PER_HOUR", "4096"))
    tmp = Path(tempfile.mkdtemp(prefix="reactor-soak-"))
    gen = [sys.executable, str(ROOT / "bench/gen_events2.py")]
    subprocess.run(gen + ["-n", "1000", "-m", "0", "--no-sentinel", "-o", str(tmp / "initial.events2")], check=True)
    stats = subprocess.run(gen + ["-n", "1000", "-m", "2000", "--no-sentinel"], check=True, capture_output=True, text=True).stdout
    changes = [l for l in stats.splitlines() if l.startswith("change ")]
    churn = ["create resource name:soak-churn role:Secondary suspended:no write-ordering:flush may_promote:no promotion_score:0",
             "change resource name:pvc-00001-bench role:Secondary", *changes,
             "change resource name:pvc-00001-bench role:Primary", "destroy resource name:soak-churn"]
    (tmp / "poll.events2").write_text("\n".join(churn) + "\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp / "drbd-reactor.toml").write_text(f"""statistics-poll-interval = 1
[[log]]
level = "warn"
[[prometheus]]
address = "127.0.0.1:{port}"
[[umh]]
[[umh.resource]]
command = "echo >> {tmp}/umh-fired"
resource-name = "pvc-00001-bench"
new.role = "Secondary"
""")
    env = {"PATH": f"{ROOT}/Tests/Support/bin:/usr/bin:/bin", "STANDIN_EVENTS2": str(tmp / "initial.events2"),
           "STANDIN_POLL_EVENTS2": str(tmp / "poll.events2"), "HOME": str(tmp)}
    log = open(tmp / "stderr.log", "wb")
    proc = subprocess.Popen([binary, "-c", str(tmp / "drbd-reactor.toml")], env=env, stdout=log, stderr=log,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    rows, failures = [], []
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url, timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit(f"soak: daemon not serving:\n{(tmp / 'stderr.log').read_text()}")
                time.sleep(0.2)
        start = time.monotonic()
        latencies, next_row, turns, counts = [], start + 10, None, [0, 0, 0, 0]
        print("   t    RSS KiB  fds  children  scrape p99 ms  scrapes  turns  turn p99 ms  >100 ms")
        while time.monotonic() - start < seconds:
            t0 = time.monotonic()
            try:
                body = urllib.request.urlopen(url, timeout=10).read()
                latencies.append(time.monotonic() - t0)
                counts = turn_counts(body)
                turns = turns or counts
                if b"drbd_resource_resources" not in body and b"drbd_" not in body:
                    failures.append("a scrape without DRBD metrics")
            except OSError as e:
                failures.append(f"scrape failed: {e}")
            if proc.poll() is not None:
                failures.append(f"daemon exited ({proc.returncode})")
                break
            if time.monotonic() >= next_row:
                pid = proc.pid
                lat = sorted(latencies)
                p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else 0
                delta = [a - b for a, b in zip(counts, turns or counts)]
                row = (round(time.monotonic() - start), proc_status(pid, "VmRSS"), len(os.listdir(f"/proc/{pid}/fd")),
                       len(Path(f"/proc/{pid}/task/{pid}/children").read_text().split()), p99, len(lat),
                       delta[0], p99_band(delta), delta[3])
                rows.append(row)
                print(f"{row[0]:5d}  {row[1]:8d}  {row[2]:3d}  {row[3]:8d}  {row[4]:13.1f}  {row[5]:7d}  {row[6]:5d}"
                      f"  {row[7]:>11}  {row[8]:7d}", flush=True)
                latencies, next_row, turns = [], next_row + 10, counts
                proc.send_signal(signal.SIGHUP)
            time.sleep(max(0.0, 1 - (time.monotonic() - t0)))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        fired = len((tmp / "umh-fired").read_text().splitlines()) if (tmp / "umh-fired").exists() else 0
        if proc.returncode not in (0, -signal.SIGTERM):
            print((tmp / "stderr.log").read_text()[-4000:], file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)  # nothing of a run stays in /tmp
    print(f"soak: the umh rule fired {fired} times")
    if seconds >= 10 and fired == 0:
        failures.append("the umh rule never fired: the churn did not arrive")
    half = rows[len(rows) // 2:]
    if len(half) >= 2:
        xs = [r[0] / 3600 for r in half]
        rss_slope = slope(xs, [r[1] for r in half])
        print(f"soak: {len(rows)} samples over {rows[-1][0]} s; second half: RSS slope {rss_slope:.0f} KiB/h, "
              f"fds {half[0][2]} -> {half[-1][2]}, children max {max(r[3] for r in half)}")
        if rss_slope > limit:
            failures.append(f"RSS grows {rss_slope:.0f} KiB/h (limit {limit:.0f})")
        # A umh child or a scrape may hold an fd or be a child at the moment of a sample: growth is
        # when even the smallest of the last three samples exceeds everything in the first half.
        first = rows[:len(rows) // 2] or half
        if min(r[2] for r in rows[-3:]) > max(r[2] for r in first):
            failures.append("open fds grew")
        if min(r[3] for r in rows[-3:]) > max(r[3] for r in first):
            failures.append("children grew")
        if min(r[8] for r in rows[-3:]) > max(r[8] for r in first):
            failures.append("loop turns over 100 ms grew")
    if failures:
        print("soak: FAILED: " + "; ".join(sorted(set(failures))), file=sys.stderr)
        return 1
    print("soak: held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
