#!/usr/bin/env python3
"""Soak (make soak): the daemon against 1000 resources for SOAK_SECONDS (default 1800) with churn, and
a check that nothing grows without bound. README, Reliability, has the figures.

The stand-in drbdsetup (Tests/Support/bin) replays a 1000-resource initial state (bench/gen_events2.py)
and, on every statistics poll (statistics-poll-interval = 1), a churn file: a resource created and
destroyed, a role flipping Primary -> Secondary -> Primary (a umh rule appends a line to a file), and 2000
statistics changes. Every second /metrics is scraped; every 10 s the daemon is reloaded (SIGHUP) and
RSS, open fds, children and the scrape latency p99 of the last 10 s are recorded. The daemon exposes no
loop turn latency, so the scrape latency (served from the loop) stands in for it.

Fails when, over the second half of the run, the least-squares slope of RSS exceeds
SOAK_RSS_KIB_PER_HOUR (default 4096), or when fds or children stay above their first-half maximum. Usage: bench/soak.py [BINARY]
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
        latencies, next_row = [], start + 10
        print("   t    RSS KiB  fds  children  scrape p99 ms  scrapes")
        while time.monotonic() - start < seconds:
            t0 = time.monotonic()
            try:
                body = urllib.request.urlopen(url, timeout=10).read()
                latencies.append(time.monotonic() - t0)
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
                row = (round(time.monotonic() - start), proc_status(pid, "VmRSS"), len(os.listdir(f"/proc/{pid}/fd")),
                       len(Path(f"/proc/{pid}/task/{pid}/children").read_text().split()), p99, len(lat))
                rows.append(row)
                print(f"{row[0]:5d}  {row[1]:8d}  {row[2]:3d}  {row[3]:8d}  {row[4]:13.1f}  {row[5]:7d}", flush=True)
                latencies, next_row = [], next_row + 10
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
    if failures:
        print("soak: FAILED: " + "; ".join(sorted(set(failures))), file=sys.stderr)
        return 1
    print("soak: held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
