#!/usr/bin/env python3
"""Compare two results.json files from bench/run.py side by side.

    python3 bench/compare.py bench/out/rust.json bench/out/results.json

Prints every numeric figure present in either file with both values and the ratio B/A.
"""
import json
import sys

SKIP = ("meta.", ".runs.", "daemon_self_metrics", ".clk_tck", "poll_interval")


def flatten(obj, prefix=""):
    out = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.update(flatten(v, f"{prefix}{k}."))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.update(flatten(v, f"{prefix}{i}."))
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        out[prefix[:-1]] = obj
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    docs = [json.load(open(p)) for p in sys.argv[1:]]
    a, b = (flatten(d.get("scenarios", {})) for d in docs)
    keys = [k for k in list(a) + [k for k in b if k not in a] if not any(s in k for s in SKIP)]
    w = max((len(k) for k in keys), default=10)
    print(f"A: {docs[0].get('meta', {}).get('binary')}\nB: {docs[1].get('meta', {}).get('binary')}\n")
    print(f"{'figure'.ljust(w)}  {'A':>14}  {'B':>14}  {'B/A':>8}")
    for k in keys:
        va, vb = a.get(k), b.get(k)
        ratio = f"{vb / va:8.3f}" if isinstance(va, (int, float)) and isinstance(vb, (int, float)) and va else "       -"
        print(f"{k.ljust(w)}  {str(va if va is not None else '-'):>14}  {str(vb if vb is not None else '-'):>14}  {ratio}")
    for i, d in enumerate(docs):
        for scn, err in d.get("errors", {}).items():
            print(f"{'AB'[i]}: {scn} FAILED: {err.splitlines()[0]}")


if __name__ == "__main__":
    main()
