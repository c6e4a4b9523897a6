import DRBDSim
import ReactorCore
import ReactorSystem

/// One seeded run: the DRBD model, three simulated nodes running the real daemon, the fault
/// schedule, and the invariants checked after every step (see `Invariants`).
public final class Simulation {
    public let scenario: Scenario
    var cluster: DRBDCluster
    private var queue = EventQueue()
    public private(set) var now: Duration = .zero
    private var rng: SplitMix64
    private(set) var nodes: [SimNode] = []
    private var traceRing: [String] = []
    private var traceNext = 0
    /// How many trace lines a failure report shows (the last ones).
    public var traceLength = 40
    /// Whether the trace also shows each change of DRBD's state per resource (for replaying one seed).
    public var traceDRBD = false
    private var lastDRBD: [String: String] = [:]
    private(set) var invariants: Invariants!
    /// `systemctl start drbd-services@...` spawns per resource, with their times.
    private(set) var startAttempts: [String: [Duration]] = [:]
    /// How many loop turns one instant may take before the run counts as stuck (a source that stays
    /// ready without its handler making progress).
    static let maximumTurnsPerInstant = 100_000
    /// The end of the run: the last fault, the liveness bound, then a tail in which it must hold.
    public var horizon: Duration { scenario.lastFault + Invariants.livenessBound + Invariants.tail }

    public init(scenario: Scenario) {
        self.scenario = scenario
        cluster = DRBDCluster(spec: scenario.spec)
        rng = SplitMix64(seed: scenario.seed ^ 0x5EED_1A7E_0C10_C4)
        let services = scenario.promoter.resources.flatMap(\.start)
        let vendor = VendorUnits.files(services: services)
        nodes = scenario.spec.nodes.map { SimNode(name: $0.name, sim: self, vendorUnits: vendor) }
        invariants = Invariants(sim: self)
    }

    /// Runs to the horizon; nil if every invariant held, else what broke.
    public func run() -> Violation? {
        for n in nodes { after(millis(0, 500)) { n.startDaemon() } }
        for (at, fault) in scenario.faults { self.at(at) { [unowned self] in self.inject(fault) } }
        let end = horizon
        while true {
            let next = queue.nextTime
            var clusterNext = cluster.nextDeadline()
            if let c = clusterNext, c <= now { clusterNext = nil }
            let daemonsNext = nodes.compactMap { $0.daemon?.nextDeadline }.min().map(duration)
            guard let t = [next, clusterNext, daemonsNext].compactMap({ $0 }).min(), t <= end else { break }
            now = max(now, t)
            cluster.advance(to: now)
            for n in nodes { n.daemon?.backend.advance(to: instant) }
            if let next, next <= now, let (_, action) = queue.pop() { action() }
            if let v = settle() { return v }
            if traceDRBD { traceDRBDChanges() }
            if let v = invariants.check() { return v }
        }
        now = end
        return invariants.finalCheck()
    }

    /// Runs everything that is due at this instant: hands drbdsetup the model's new lines and turns
    /// each node's loop (in node order) until no loop has anything left to do now. The clock does not
    /// move meanwhile, so the order (and the run) is a function of the seed.
    private func settle() -> Violation? {
        var turns = 0
        while true {
            for n in nodes { n.daemon?.pump() }
            var busy = false
            for n in nodes {
                guard let d = n.daemon, d.isBusy else { continue }
                busy = true
                d.turn()
            }
            guard busy else { return nil }
            turns += 1
            if turns > Self.maximumTurnsPerInstant {
                return invariants.violation("progress", "the daemons' loops did not settle within \(turns) turns")
            }
        }
    }

    // MARK: - Scheduling

    func at(_ time: Duration, _ action: @escaping () -> Void) { queue.schedule(at: max(time, now), action) }
    func after(_ delay: Duration, _ action: @escaping () -> Void) { at(now + delay, action) }
    func millis(_ lower: Int, _ upper: Int) -> Duration { rng.millis(lower, upper) }

    /// The virtual clock as the daemon's monotonic `Instant` (which starts at 1 s, so it is never zero).
    var instant: Instant { Instant(nanoseconds: 1_000_000_000) + now }
    func duration(_ i: Instant) -> Duration { i - Instant(nanoseconds: 1_000_000_000) }

    func node(_ name: String) -> SimNode? { nodes.first { $0.name == name } }

    // MARK: - Faults

    private func inject(_ fault: Fault) {
        trace("lab", "FAULT: \(fault)")
        switch fault {
        case .crash(let n):
            guard let node = node(n), node.up else { return }
            node.crash()
            cluster.crash(n)
        case .boot(let n):
            guard let node = node(n), !node.up else { return }
            cluster.boot(n)
            node.boot()
        case .restartDaemon(let n):
            node(n)?.hadServiceFault = true
            node(n)?.restartDaemon()
        case .reloadDaemon(let n):
            node(n)?.hadServiceFault = true
            node(n)?.daemon?.reload()
        case .partition(let groups): cluster.partition(groups)
        case .healAll: cluster.healAll()
        case .failDisk(let n, let r): if node(n)?.up == true { cluster.failDisk(n, r) }
        case .attachDisk(let n, let r): if node(n)?.up == true { cluster.attachDisk(n, r) }
        case .failStart(let n, let u):
            guard let node = node(n), node.up else { return }
            node.hadServiceFault = true
            node.systemd.startFaults[u] = .fail
        case .hangStart(let n, let u):
            guard let node = node(n), node.up else { return }
            node.hadServiceFault = true
            node.systemd.startFaults[u] = .hang
        case .crashService(let n, let r):
            guard let node = node(n), node.up, let res = scenario.promoter.resource(r),
                let unit = res.start.first(where: { node.systemd.isActive($0) })
            else { return }
            node.hadServiceFault = true
            node.systemd.crash(unit)
        case .slowSystemctl(let n, let d):
            guard let node = node(n) else { return }
            node.hadServiceFault = true  // a slow node can lose a promote race it would have won
            node.slowBy = d
            node.slowUntil = now + .seconds(30)
        case .respawnDrbdsetup(let n):
            node(n)?.hadServiceFault = true
            node(n)?.daemon?.killEvents2()
        }
    }

    /// `FailureAction=reboot` of a node's systemd: crash now, boot a little later.
    func reboot(_ n: String) {
        guard let node = node(n), node.up else { return }
        trace(n, "rebooting (FailureAction)")
        node.crash()
        cluster.crash(n)
        after(.seconds(5)) { [unowned self] in
            self.cluster.boot(n)
            node.boot()
        }
    }

    // MARK: - Trace

    func trace(_ node: String, _ line: String) {
        let entry = "\(Self.format(now)) \(node) \(line)"
        if traceRing.count < traceLength {
            traceRing.append(entry)
        } else {
            traceRing[traceNext] = entry
            traceNext = (traceNext + 1) % traceLength
        }
    }

    /// One line per resource whose DRBD state changed: per node role, disk, quorum, may_promote, peers connected.
    private func traceDRBDChanges() {
        for r in cluster.resourceNames {
            let line = cluster.nodeNames.map { n -> String in
                guard let role = cluster.role(n, r) else { return "\(n):-" }
                let peers = cluster.nodeNames.filter { $0 != n && cluster.isConnected(n, $0, r) }.joined(separator: ",")
                return "\(n):\(role.prefix(1))/\(cluster.diskState(n, r, volume: 0) ?? "?")"
                    + "\(cluster.hasQuorum(n, r) ? "/q" : "")\(cluster.mayPromote(n, r) ? "/may" : "")"
                    + "\(cluster.canWrite(n, r) ? "/w" : "")[\(peers)]"
            }.joined(separator: " ")
            if lastDRBD[r] != line {
                lastDRBD[r] = line
                trace("drbd", "\(r) \(line)")
            }
        }
    }

    /// The last `traceLength` lines, oldest first.
    public var lastEvents: [String] { Array(traceRing[traceNext...] + traceRing[..<traceNext]) }

    func countSpawn(_ argv: [String]) {
        guard argv.count >= 3, argv[0] == "systemctl", argv[1] == "start", argv[2].hasPrefix("drbd-services@") else { return }
        let res = argv[2].dropFirst("drbd-services@".count).dropLast(".target".count)
        startAttempts[String(res), default: []].append(now)
    }

    static func format(_ d: Duration) -> String {
        let ms = d.nanosecondsClamped / 1_000_000
        let frac = String(ms % 1000)
        return "\(ms / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)s"
    }
}
