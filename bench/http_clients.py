#!/usr/bin/env python3
"""The /metrics scrape latency with and without hostile clients (README, Reliability): a scraper scrapes
once per 100 ms (a new connection each time, like a restarted Prometheus) for HTTP_SECONDS (default 20)
alone, then again while 2000 clients are connected and silent and 50 sent a request and never read.
Prints p50/p99/max per phase and the daemon's most fds (idle clients are closed after 10 s without a
request, non-readers after the 30 s write timeout); figures, never assertions. Usage:
bench/http_clients.py [BINARY] (default .build/debug/drbd-reactor; RESOURCES, default 300)."""
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from soak import ROOT


def percentiles(xs):
    xs = sorted(xs)
    pick = lambda q: xs[min(len(xs) - 1, int(len(xs) * q))] * 1000
    return f"p50 {pick(0.5):.1f} ms, p99 {pick(0.99):.1f} ms, max {xs[-1] * 1000:.1f} ms over {len(xs)} scrapes"


def scrape_for(url, seconds, fds):
    lat, errors, most, end = [], 0, 0, time.monotonic() + seconds
    while time.monotonic() < end:
        most = max(most, fds())
        t0 = time.monotonic()
        try:
            urllib.request.urlopen(url, timeout=20).read()
            lat.append(time.monotonic() - t0)
        except OSError:
            errors += 1
        time.sleep(0.1)
    return lat, errors, most


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("REACTOR_BIN", str(ROOT / ".build/debug/drbd-reactor"))
    seconds = float(os.environ.get("HTTP_SECONDS", "20"))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 8192), hard), hard))
    tmp = Path(tempfile.mkdtemp(prefix="reactor-http-"))
    subprocess.run([sys.executable, str(ROOT / "bench/gen_events2.py"), "-n", os.environ.get("RESOURCES", "300"), "-m", "0",
                    "--no-sentinel", "-o", str(tmp / "state.events2")], check=True, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp / "drbd-reactor.toml").write_text(f'[[log]]\nlevel = "warn"\n[[prometheus]]\naddress = "127.0.0.1:{port}"\n')
    env = {"PATH": f"{ROOT}/Tests/Support/bin:/usr/bin:/bin", "STANDIN_EVENTS2": str(tmp / "state.events2"), "HOME": str(tmp)}
    proc = subprocess.Popen([binary, "-c", str(tmp / "drbd-reactor.toml")], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=open(tmp / "stderr.log", "wb"))
    url, held = f"http://127.0.0.1:{port}/metrics", []
    fds = lambda: len(os.listdir(f"/proc/{proc.pid}/fd"))
    try:
        for _ in range(100):
            try:
                size = len(urllib.request.urlopen(url, timeout=5).read())
                break
            except OSError:
                time.sleep(0.2)
        lat, errors, most = scrape_for(url, seconds, fds)
        print(f"alone ({size} bytes/scrape): {percentiles(lat)}, {errors} errors, daemon fds at most {most}")
        for _ in range(50):
            s = socket.create_connection(("127.0.0.1", port))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            held.append(s)
        held += [socket.create_connection(("127.0.0.1", port)) for _ in range(2000)]
        lat, errors, most = scrape_for(url, seconds, fds)
        print(f"beside 2000 idle + 50 non-reading: {percentiles(lat)}, {errors} errors, daemon fds at most {most}")
    finally:
        for s in held:
            s.close()
        proc.terminate()
        proc.wait(15)


if __name__ == "__main__":
    main()
