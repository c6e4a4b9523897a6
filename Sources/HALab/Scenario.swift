import DRBDSim
import ReactorPromoter

/// One fault the lab injects (see `Scenario.generate` for how a seed picks them).
public enum Fault: Hashable, Sendable, CustomStringConvertible {
    /// The node dies (DRBD, systemd, the daemon: everything in memory and under /run is gone).
    case crash(String)
    /// The node comes back: systemd with no runtime state, the daemon started (its adjust brings DRBD up).
    case boot(String)
    /// `systemctl restart drbd-reactor`: the daemon stops its plugins (waiting at most 15 s), then starts.
    case restartDaemon(String)
    /// `systemctl reload drbd-reactor` with a changed promoter section (its `id`): the old instance
    /// stops, a new one starts with the current state replayed.
    case reloadDaemon(String)
    case partition([[String]])
    case healAll
    case failDisk(String, String)
    case attachDisk(String, String)
    /// The unit's next start fails at once.
    case failStart(String, String)
    /// The unit's next start hangs until its start timeout.
    case hangStart(String, String)
    /// The resource's first active service on the node dies.
    case crashService(String, String)
    /// Every `systemctl` call on the node takes this long, for 30 s.
    case slowSystemctl(String, Duration)
    /// `drbdsetup events2` exits (EOF); the daemon forgets the state and starts it again.
    case respawnDrbdsetup(String)

    public var description: String {
        switch self {
        case .crash(let n): "crash \(n)"
        case .boot(let n): "boot \(n)"
        case .restartDaemon(let n): "restart daemon on \(n)"
        case .reloadDaemon(let n): "reload daemon on \(n)"
        case .partition(let g): "partition \(g.map { $0.joined(separator: ",") }.joined(separator: " | "))"
        case .healAll: "heal all links"
        case .failDisk(let n, let r): "fail disk \(r) on \(n)"
        case .attachDisk(let n, let r): "attach disk \(r) on \(n)"
        case .failStart(let n, let u): "next start of \(u) on \(n) fails"
        case .hangStart(let n, let u): "next start of \(u) on \(n) hangs"
        case .crashService(let n, let r): "crash a service of \(r) on \(n)"
        case .slowSystemctl(let n, let d): "systemctl on \(n) takes \(d) for 30 s"
        case .respawnDrbdsetup(let n): "drbdsetup events2 on \(n) exits"
        }
    }
}

/// A seed's cluster, configuration and fault schedule.
public struct Scenario: Sendable {
    public var seed: UInt64
    public var spec: ClusterSpec
    public var promoter: PromoterConfig
    public var faults: [(at: Duration, fault: Fault)]
    /// How to run this scenario again: the seed's command, or the test that wrote it by hand.
    public var replay: String
    public init(seed: UInt64, spec: ClusterSpec, promoter: PromoterConfig, faults: [(at: Duration, fault: Fault)], replay: String? = nil) {
        self.seed = seed
        self.spec = spec
        self.promoter = promoter
        self.faults = faults
        self.replay = replay ?? "SIM_SEED=\(seed) swift test --filter HALabTests"
    }

    /// When the last fault happens (zero without faults); liveness is judged from here.
    public var lastFault: Duration { faults.last?.at ?? .zero }

    /// The services of a resource: units named after it.
    public static func services(_ resource: String, count: Int) -> [String] {
        (0..<count).map { "svc-\(resource)-\(["a", "b"][$0]).service" }
    }

    /// 3 nodes (in about a third of the seeds the third is a diskless tiebreaker for every resource),
    /// 1-3 resources with 1-2 services each, `on-quorum-loss`, `preferred-nodes`, `target-as` and
    /// `on-disk-detach` varied (some with `on-drbd-demote-failure = reboot` or `stop-services-on-exit`);
    /// then 0-6 faults from 20 s on, 3-25 s apart, crashes mostly followed by a boot, partitions mostly
    /// healed, and sometimes a node cut off just while its daemon does not watch.
    public static func generate(seed: UInt64) -> Scenario {
        var rng = SplitMix64(seed: seed)
        let names = ["n1", "n2", "n3"]
        let tiebreaker = rng.chance(33)
        let diskful = tiebreaker ? Array(names.prefix(2)) : names
        var resources: [ResourceSpec] = []
        var configs: [PromoterResourceConfig] = []
        for i in 0..<rng.within(1...3) {
            var c = PromoterResourceConfig(name: "r\(i)")
            c.start = services(c.name, count: rng.within(1...2))
            c.targetAs = rng.chance(50) ? .requires : .bindsTo
            c.onQuorumLoss = rng.chance(30) ? .freeze : .shutdown
            c.onDiskDetach = rng.chance(50) ? .failOver : .ignore
            if rng.chance(15) { c.onDrbdDemoteFailure = .reboot }
            c.stopServicesOnExit = rng.chance(20)
            if rng.chance(40) {
                var order = diskful
                for k in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(k, rng.below(k + 1)) }
                c.preferredNodes = Array(order.prefix(rng.within(2...order.count)))
            }
            configs.append(c)
            var r = ResourceSpec(name: c.name)
            r.firstMinor = 1000 + i
            r.disklessNodes = tiebreaker ? ["n3"] : []
            r.onNoQuorum = c.onQuorumLoss == .freeze ? .suspendIO : .ioError
            resources.append(r)
        }
        let spec = ClusterSpec(nodes: names.enumerated().map { NodeSpec(name: $0.element, id: $0.offset) }, resources: resources)

        var faults: [(at: Duration, fault: Fault)] = []
        var t = Duration.seconds(rng.within(20...40))
        var down: Set<String> = []
        var partitioned = false
        for _ in 0..<rng.within(0...6) {
            let node = rng.pick(names)
            let res = rng.pick(configs)
            let unit = rng.pick(res.start)
            var extra: [(Duration, Fault)] = []
            let fault: Fault
            switch rng.below(14) {
            case 0, 1:
                guard !down.contains(node) else { continue }
                fault = .crash(node)
                down.insert(node)
                if rng.chance(80) {
                    extra.append((.seconds(rng.within(5...30)), .boot(node)))
                    down.remove(node)
                }
            case 2: fault = .restartDaemon(node)
            case 3: fault = .reloadDaemon(node)
            case 4, 5:
                guard !partitioned else { fault = .healAll; partitioned = false; break }
                fault = .partition([[node], names.filter { $0 != node }])
                partitioned = true
                if rng.chance(80) {
                    extra.append((.seconds(rng.within(5...30)), .healAll))
                    partitioned = false
                }
            case 6:
                guard diskful.contains(node) else { continue }
                fault = .failDisk(node, res.name)
                if rng.chance(50) { extra.append((.seconds(rng.within(5...20)), .attachDisk(node, res.name))) }
            case 7: fault = .failStart(node, unit)
            case 8: fault = .hangStart(node, unit)
            case 9:
                // 1.x does not watch services: with `target-as = Requires` a crashed one stays failed
                // (systemd's Restart= is what restarts it), so crashes go where the target is bound.
                guard res.targetAs == .bindsTo else { continue }
                fault = .crashService(node, res.name)
            case 10: fault = .slowSystemctl(node, rng.millis(1000, 6000))
            case 11, 12: fault = .respawnDrbdsetup(node)
            default:
                // The node loses quorum while its daemon does not watch (drbdsetup respawning or the
                // daemon restarting): no quorum transition is ever reported to the promoter.
                fault = rng.chance(50) ? .respawnDrbdsetup(node) : .restartDaemon(node)
                guard !partitioned else { break }
                extra.append((rng.millis(0, 1500), .partition([[node], names.filter { $0 != node }])))
                partitioned = true
                if rng.chance(80) {
                    extra.append((.seconds(rng.within(10...30)), .healAll))
                    partitioned = false
                }
            }
            faults.append((t, fault))
            for (delay, f) in extra { faults.append((t + delay, f)) }
            t += .seconds(rng.within(3...25))
        }
        faults.sort { $0.at < $1.at }
        return Scenario(seed: seed, spec: spec, promoter: PromoterConfig(resources: configs), faults: faults)
    }
}
