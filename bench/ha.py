#!/usr/bin/env python3
"""HA lab figures (`make bench-ha`): failover and quorum-loss times on three real systemd nodes.

Runs scripts/ha-lab on shipped scenarios RUNS times (default 3) and prints one table, p50 and max:
- failover, 1 resource: Tests/HALab/scenarios/kill-active.toml, node killed -> services active on the
  other diskful node (its promote delay: 0 s, UpToDate, no preferred-nodes);
- failover, 100 resources: failover-100-section.toml (one promoter, 100 resources) and
  failover-100-files.toml (100 snippets), n1 killed -> all 100 active on n2 (promote delay 1 s: its
  position in preferred-nodes); the time is the last of the 100;
- quorum loss: cut-off.toml, n1 partitioned away -> its services stopped.
Ours is REACTOR_BIN, else .build/release/drbd-reactor (built with `swift build -c release
--static-swift-stdlib` when missing, with drbd-sim, the nodes' drbdsetup/drbdadm); `--reactor BIN` (or
OTHER_REACTOR_BIN) adds a column for another 1.x-compatible binary measured the same way. Figures are
printed (and written to bench/out/ha.json), never asserted. Needs what scripts/ha-lab needs (root,
systemd-nspawn).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCEN = ROOT / "Tests" / "HALab" / "scenarios"
# (figure, scenario, expectation kind, after step)
FIGURES = [
    ("failover, 1 resource (node killed -> active elsewhere)", "kill-active", "services-on", "kill"),
    ("failover, 100 resources, 1 snippet", "failover-100-section", "services-on", "kill"),
    ("failover, 100 resources, 100 snippets", "failover-100-files", "services-on", "kill"),
    ("quorum loss -> services stopped", "cut-off", "services-off", "cut"),
]


def release_binaries():
    """REACTOR_BIN, else the release daemon (and the release drbd-sim next to it), built when missing."""
    if os.environ.get("REACTOR_BIN"):
        return Path(os.environ["REACTOR_BIN"])
    release = ROOT / ".build" / "release"
    if not (release / "drbd-reactor").exists() or not (release / "drbd-sim").exists():
        print("bench-ha: building the release binaries (swift build -c release --static-swift-stdlib)", file=sys.stderr)
        for product in ("drbd-reactor", "drbd-sim"):
            subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", product], cwd=ROOT, check=True)
    return release / "drbd-reactor"


def measure(reactor, runs):
    """{figure: [seconds...]} and the failures, for one daemon binary."""
    times, failures = {f[0]: [] for f in FIGURES}, []
    env = dict(os.environ)
    if reactor:
        env["REACTOR_BIN"] = str(reactor)
    scenarios = sorted({f[1] for f in FIGURES})
    for i in range(runs):
        p = subprocess.run([str(ROOT / "scripts" / "ha-lab"), "--json"] + [str(SCEN / f"{s}.toml") for s in scenarios],
                           capture_output=True, text=True, env=env)
        lines = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
        for name, scenario, kind, after in FIGURES:
            hit = [l for l in lines if l.get("scenario") == scenario and l.get("expect") == kind and l.get("after") == after]
            if hit and hit[0]["ok"]:
                times[name].append(hit[0]["seconds"])
            else:
                failures.append(f"run {i + 1}, {name}: {hit[0]['detail'] if hit else 'no result'}")
        failures += [f"run {i + 1}: {l['detail']}" for l in lines if l.get("expect") == "lab"]
        print(f"bench-ha: {reactor}: run {i + 1}/{runs} done", file=sys.stderr, flush=True)
    return times, failures


def cell(values):
    if not values:
        return "failed"
    return f"{statistics.median(values):.2f} / {max(values):.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", "3")))
    ap.add_argument("--reactor", default=os.environ.get("OTHER_REACTOR_BIN"), help="another daemon binary")
    ap.add_argument("--out", default=str(ROOT / "bench" / "out" / "ha.json"))
    args = ap.parse_args()
    columns = [("ours", release_binaries())] + ([(args.reactor, args.reactor)] if args.reactor else [])
    results = {label: measure(binary, args.runs) for label, binary in columns}
    width = max(len(f[0]) for f in FIGURES)
    print(f"\nHA lab, {args.runs} runs, seconds p50 / max")
    print(f"{'figure':<{width}}  " + "  ".join(f"{label:>20}" for label, _ in columns))
    for name, *_ in FIGURES:
        print(f"{name:<{width}}  " + "  ".join(f"{cell(results[label][0][name]):>20}" for label, _ in columns))
    failures = [f"{label}: {f}" for label, _ in columns for f in results[label][1]]
    for f in failures:
        print("FAILED", f)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({label: {"times": r[0], "failures": r[1]} for label, r in results.items()},
                                         indent=1) + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
