#!/usr/bin/env python3
"""Generate a realistic `drbdsetup events2 --full` stream for benchmarks.

Layout of the output:
  1. initial dump: N resources, each with 2 peers (connection + path) and 2 volumes
     (device + one peer-device per peer), as `exists` lines, in the object order
     drbdsetup prints them (resource, connections each followed by its path,
     devices, peer-devices) and with every field in drbdsetup's field order (--full);
  2. `exists -`;
  3. M `change` lines, a realistic mix: mostly statistics counters moving (device
     read/written/al-writes, peer-device sent/received/out-of-sync, connection
     in-flight), some disk state changes, role flips, connection drops/reconnects
     and short resyncs (with done:/dbdt1:/eta: fields). Every change line carries
     the full, consistent state of its object, like `--full` does;
  4. a sentinel: `create resource name:sentinel ...` and `create device name:sentinel ...`
     (the last line), so a reader can tell when everything before it was applied.

Usage: gen_events2.py -n RESOURCES -m CHANGES [-o FILE] [--seed S] [--no-sentinel]
Standard library only; deterministic for a given seed.
"""
import argparse
import random
import sys

PEERS = ((1, "node-b", "10.43.0.2"), (2, "node-c", "10.43.0.3"))
VOLUMES = (0, 1)
LOCAL_IP = "10.43.0.1"


def yn(b):
    return "yes" if b else "no"


class Res:
    __slots__ = ("name", "idx", "role", "may_promote", "score", "conns", "devs", "pds")

    def __init__(self, idx, name, rng):
        self.name = name
        self.idx = idx
        self.role = "Primary" if rng.random() < 0.3 else "Secondary"
        self.may_promote = self.role == "Secondary" and rng.random() < 0.5
        self.score = 10102
        # connection state per peer node id
        self.conns = {pid: {"connection": "Connected", "role": "Secondary", "congested": False,
                            "ap": 0, "rs": 0} for pid, _, _ in PEERS}
        self.devs = {}
        for v in VOLUMES:
            self.devs[v] = {"minor": 1000 + 2 * idx + v, "disk": "UpToDate",
                            "client": False, "open": self.role == "Primary", "quorum": True,
                            "size": 10485760 * (v + 1), "read": rng.randrange(1 << 20),
                            "written": rng.randrange(1 << 22), "al": rng.randrange(5000),
                            "bm": rng.randrange(100), "up": 0, "lo": 0}
        self.pds = {}
        for pid, _, _ in PEERS:
            for v in VOLUMES:
                self.pds[(pid, v)] = {"replication": "Established", "peer_disk": "UpToDate",
                                      "peer_client": False, "received": rng.randrange(1 << 20),
                                      "sent": rng.randrange(1 << 22), "oos": 0, "pending": 0,
                                      "unacked": 0, "done": None}

    def resource_line(self, verb):
        return (f"{verb} resource name:{self.name} role:{self.role} suspended:no "
                f"force-io-failures:no write-ordering:flush may_promote:{yn(self.may_promote)} "
                f"promotion_score:{self.score}")

    def device_line(self, verb, v):
        d = self.devs[v]
        bd = "none" if d["disk"] == "Diskless" else f"/dev/drbdpool/{self.name}_{v:05d}"
        return (f"{verb} device name:{self.name} volume:{v} minor:{d['minor']} backing_dev:{bd} "
                f"disk:{d['disk']} client:{yn(d['client'])} open:{yn(d['open'])} "
                f"quorum:{yn(d['quorum'])} size:{d['size']} read:{d['read']} "
                f"written:{d['written']} al-writes:{d['al']} bm-writes:{d['bm']} "
                f"upper-pending:{d['up']} lower-pending:{d['lo']} al-suspended:no blocked:no")

    def connection_line(self, verb, pid, cname):
        c = self.conns[pid]
        return (f"{verb} connection name:{self.name} peer-node-id:{pid} conn-name:{cname} "
                f"connection:{c['connection']} role:{c['role']} congested:{yn(c['congested'])} "
                f"ap-in-flight:{c['ap']} rs-in-flight:{c['rs']}")

    def path_line(self, verb, pid, cname, ip):
        port = 7000 + self.idx % 20000
        est = self.conns[pid]["connection"] == "Connected"
        return (f"{verb} path name:{self.name} peer-node-id:{pid} conn-name:{cname} "
                f"local:ipv4:{LOCAL_IP}:{port} peer:ipv4:{ip}:{port} established:{yn(est)}")

    def peer_device_line(self, verb, pid, cname, v):
        p = self.pds[(pid, v)]
        done = ""
        tail = ""
        if p["done"] is not None:
            done = f" done:{p['done']:.2f}"
            tail = f" dbdt1:{p['dbdt1']:.2f} eta:{p['eta']}"
        return (f"{verb} peer-device name:{self.name} peer-node-id:{pid} conn-name:{cname} "
                f"volume:{v} replication:{p['replication']} peer-disk:{p['peer_disk']} "
                f"peer-client:{yn(p['peer_client'])} resync-suspended:no{done} "
                f"received:{p['received']} sent:{p['sent']} out-of-sync:{p['oos']} "
                f"pending:{p['pending']} unacked:{p['unacked']}{tail}")

    def exists_lines(self):
        out = [self.resource_line("exists")]
        for pid, cname, ip in PEERS:
            out.append(self.connection_line("exists", pid, cname))
            out.append(self.path_line("exists", pid, cname, ip))
        for v in VOLUMES:
            out.append(self.device_line("exists", v))
        for pid, cname, _ in PEERS:
            for v in VOLUMES:
                out.append(self.peer_device_line("exists", pid, cname, v))
        return out


def resource_name(i):
    return f"pvc-{i:05d}-bench"


def change_lines(resources, m, rng):
    """Yield m change lines with a realistic mix; state stays consistent."""
    cnames = {pid: cname for pid, cname, _ in PEERS}
    ips = {pid: ip for pid, _, ip in PEERS}
    n = len(resources)
    emitted = 0
    while emitted < m:
        r = resources[rng.randrange(n)]
        x = rng.random()
        batch = []
        if x < 0.40:  # device I/O statistics
            v = rng.choice(VOLUMES)
            d = r.devs[v]
            d["read"] += rng.randrange(4, 4096)
            d["written"] += rng.randrange(4, 8192)
            d["al"] += rng.randrange(0, 3)
            d["up"] = rng.randrange(0, 3)
            d["lo"] = rng.randrange(0, 3)
            batch.append(r.device_line("change", v))
        elif x < 0.75:  # peer-device replication statistics
            pid = rng.choice((1, 2))
            v = rng.choice(VOLUMES)
            p = r.pds[(pid, v)]
            p["sent"] += rng.randrange(4, 8192)
            p["received"] += rng.randrange(0, 64)
            p["pending"] = rng.randrange(0, 2)
            p["unacked"] = rng.randrange(0, 2)
            batch.append(r.peer_device_line("change", pid, cnames[pid], v))
        elif x < 0.83:  # connection in-flight / congestion
            pid = rng.choice((1, 2))
            c = r.conns[pid]
            c["ap"] = rng.randrange(0, 2048)
            c["rs"] = rng.randrange(0, 256)
            c["congested"] = rng.random() < 0.05
            batch.append(r.connection_line("change", pid, cnames[pid]))
        elif x < 0.90:  # role flip: resource, then the device open state
            if r.role == "Primary":
                r.role, r.may_promote = "Secondary", True
            else:
                r.role, r.may_promote = "Primary", False
            batch.append(r.resource_line("change"))
            for v in VOLUMES:
                r.devs[v]["open"] = r.role == "Primary"
                batch.append(r.device_line("change", v))
        elif x < 0.95:  # local disk state change (UpToDate <-> Outdated / Inconsistent)
            v = rng.choice(VOLUMES)
            d = r.devs[v]
            d["disk"] = rng.choice(("Outdated", "Inconsistent")) if d["disk"] == "UpToDate" else "UpToDate"
            batch.append(r.device_line("change", v))
        elif x < 0.98:  # peer disk / short resync
            pid = rng.choice((1, 2))
            v = rng.choice(VOLUMES)
            p = r.pds[(pid, v)]
            if p["done"] is None:
                p.update(replication="SyncSource", peer_disk="Inconsistent", oos=rng.randrange(1, 1 << 20),
                         done=rng.uniform(0, 99), dbdt1=rng.uniform(10, 900), eta=rng.randrange(1, 600))
            else:
                p.update(replication="Established", peer_disk="UpToDate", oos=0, done=None)
            batch.append(r.peer_device_line("change", pid, cnames[pid], v))
        else:  # connection lost and re-established
            pid = rng.choice((1, 2))
            c = r.conns[pid]
            if c["connection"] == "Connected":
                c["connection"], c["role"] = "Connecting", "Unknown"
                for v in VOLUMES:
                    r.pds[(pid, v)].update(replication="Off", peer_disk="DUnknown", done=None)
            else:
                c["connection"], c["role"] = "Connected", "Secondary"
                for v in VOLUMES:
                    r.pds[(pid, v)].update(replication="Established", peer_disk="UpToDate", oos=0, done=None)
            batch.append(r.connection_line("change", pid, cnames[pid]))
            batch.append(r.path_line("change", pid, cnames[pid], ips[pid]))
            for v in VOLUMES:
                batch.append(r.peer_device_line("change", pid, cnames[pid], v))
        for line in batch:
            if emitted >= m:
                return
            yield line
            emitted += 1


def sentinel_lines(name="sentinel"):
    return [
        f"create resource name:{name} role:Secondary suspended:no force-io-failures:no "
        f"write-ordering:flush may_promote:no promotion_score:0",
        f"create device name:{name} volume:0 minor:999999 backing_dev:none disk:Diskless client:no "
        f"open:no quorum:yes size:0 read:0 written:0 al-writes:0 bm-writes:0 upper-pending:0 "
        f"lower-pending:0 al-suspended:no blocked:no",
    ]


def generate(n, m, seed=1, sentinel=True):
    """Yield the lines (without newline) of the whole stream."""
    rng = random.Random(seed)
    resources = [Res(i, resource_name(i), rng) for i in range(n)]
    for r in resources:
        yield from r.exists_lines()
    yield "exists -"
    if n and m:
        yield from change_lines(resources, m, rng)
    if sentinel:
        yield from sentinel_lines()


def write_stream(path, n, m, seed=1, sentinel=True):
    """Write the stream to path; return the number of lines written."""
    count = 0
    with open(path, "w", buffering=1 << 20) as f:
        buf = []
        for line in generate(n, m, seed, sentinel):
            buf.append(line)
            if len(buf) >= 4096:
                f.write("\n".join(buf) + "\n")
                count += len(buf)
                buf.clear()
        if buf:
            f.write("\n".join(buf) + "\n")
            count += len(buf)
    return count


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--resources", type=int, default=1000)
    ap.add_argument("-m", "--changes", type=int, default=100000)
    ap.add_argument("-o", "--out", default="-")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-sentinel", action="store_true")
    a = ap.parse_args()
    if a.out == "-":
        for line in generate(a.resources, a.changes, a.seed, not a.no_sentinel):
            sys.stdout.write(line + "\n")
    else:
        count = write_stream(a.out, a.resources, a.changes, a.seed, not a.no_sentinel)
        print(f"{count} lines -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
