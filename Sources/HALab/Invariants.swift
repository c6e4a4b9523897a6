import DRBDSim
import ReactorPromoter

/// A broken invariant, with what is needed to understand and replay it.
public struct Violation: Error, CustomStringConvertible {
    public var seed: UInt64
    public var invariant: String
    public var detail: String
    public var time: Duration
    public var events: [String]
    public var faults: [String]
    public var config: String
    public var replay: String

    public var description: String {
        """
        HA lab: seed \(seed) broke '\(invariant)' at \(Simulation.format(time)): \(detail)
        faults: \(faults.isEmpty ? "none" : faults.joined(separator: "; "))
        config: \(config)
        last \(events.count) events:
        \(events.map { "  " + $0 }.joined(separator: "\n"))
        replay: \(replay)
        """
    }
}

/// The invariants of the HA lab, checked after every step of a run (times are virtual).
///
/// For every configured resource R, with "R's services up on N" meaning any of R's start units is
/// active on N (frozen counts), and "R runs on N" meaning R's target and every start unit are active
/// and none is frozen:
/// 1. **primary**: R's services are up on N only while N is Primary for R; a node that stops being
///    Primary (DRBD forces a frozen Primary to Secondary) has them down within `reactionBound`.
/// 2. **single writer**: at no instant are R's services up on two nodes that can both write R
///    (`DRBDCluster.canWrite`: Primary, quorum, not suspended, UpToDate data reachable). Strict.
/// 3. **quorum loss**: a node without quorum for R has R's services stopped (`on-quorum-loss =
///    shutdown`) or all frozen (`freeze`) within `reactionBound`.
/// 4. **liveness**: from `livenessBound` after the last fault to the end of the run, if some node is up,
///    runs the daemon, has quorum and UpToDate data for R, then R runs on exactly one node.
/// 5. **preferred node** (checked at the end, `preferred-nodes` set with policy `always`), where R runs
///    on a healthy node H (up, quorum, UpToDate, connected to every other up node) and P is a more
///    preferred healthy node without service, daemon or slow-systemctl faults (those can cost P a
///    race, and nothing moves the services back to P afterwards): P did not become UpToDate after H
///    became Primary. That is the promoter's fail-back: when a more preferred peer's disk *becomes*
///    UpToDate while H is Primary (or H's daemon starts and finds it so), H hands over; a P that was
///    UpToDate already but lost the promote race on its delays (its disk was still resyncing when the
///    race began) stays without, by design.
/// 6. **no flapping**: from the last fault to the end, at most `flapBound` `systemctl start` of R's
///    target over all nodes.
final class Invariants {
    /// How long a node may keep services up where invariants 1 or 3 say they must go: the promoter
    /// reacts at once, but the stop queues behind a running job of the same resource (a promote delay
    /// of up to 11 s, a start hanging 10 s, slow `systemctl` calls of up to 6 s each).
    static let reactionBound: Duration = .seconds(40)
    /// After the last fault, services run on exactly one node within this bound: a reboot (daemon up
    /// within 3 s, adjust, 2 s resync), the promote delay (diskless 6 s + preferred position 2 s + 2 s
    /// for freeze), the 20 s ticker and start interval, a hanging start (10 s), slow systemctl (30 s).
    static let livenessBound: Duration = .seconds(75)
    /// How long liveness must then hold, to the end of the run.
    static let tail: Duration = .seconds(25)
    /// Start attempts per resource in the fault-free tail: one per node for the failover race, one
    /// more per node for the ticker, plus a fail-back.
    static let flapBound = 8

    unowned let sim: Simulation
    private var since: [String: Duration] = [:]
    /// When a node's disk last became UpToDate, and when it last became Primary, per "node resource".
    private var upToDateSince: [String: Duration] = [:]
    private var primarySince: [String: Duration] = [:]
    private var wasUpToDate: Set<String> = []
    private var wasPrimary: Set<String> = []

    init(sim: Simulation) { self.sim = sim }

    private var resources: [PromoterResourceConfig] { sim.scenario.promoter.resources }

    func violation(_ invariant: String, _ detail: String) -> Violation {
        let s = sim.scenario
        let config = s.promoter.resources.map { r in
            "\(r.name)[start=\(r.start.count) target-as=\(r.targetAs.rawValue) on-quorum-loss=\(r.onQuorumLoss.rawValue) "
                + "on-disk-detach=\(r.onDiskDetach.rawValue) preferred=\(r.preferredNodes)]"
        }.joined(separator: " ") + (s.spec.resources.first?.disklessNodes.isEmpty == false ? " diskless=n3" : "")
        return Violation(
            seed: s.seed, invariant: invariant, detail: detail, time: sim.now, events: sim.lastEvents,
            faults: s.faults.map { "\(Simulation.format($0.at)) \($0.fault)" }, config: config, replay: s.replay)
    }

    /// A condition that may hold for at most `bound`: a violation once it held longer.
    private func bounded(_ key: String, _ holds: Bool, _ bound: Duration) -> Bool {
        guard holds else {
            since[key] = nil
            return false
        }
        guard let start = since[key] else {
            since[key] = sim.now
            sim.after(bound + .milliseconds(1)) {}  // so that a check runs when the bound is over
            return false
        }
        return sim.now - start > bound
    }

    func check() -> Violation? {
        let cluster = sim.cluster
        for r in resources {
            var writers: [String] = []
            for n in sim.nodes where n.up {
                let up = n.servicesUp(r)
                if up && cluster.canWrite(n.name, r.name) { writers.append(n.name) }
                let primary = cluster.role(n.name, r.name) == "Primary"
                let key = "\(n.name) \(r.name)"
                if primary != wasPrimary.contains(key) {
                    if primary { primarySince[key] = sim.now; wasPrimary.insert(key) } else { wasPrimary.remove(key) }
                }
                let upToDate = cluster.diskState(n.name, r.name, volume: 0) == "UpToDate"
                if upToDate != wasUpToDate.contains(key) {
                    if upToDate { upToDateSince[key] = sim.now; wasUpToDate.insert(key) } else { wasUpToDate.remove(key) }
                }
                if bounded("primary \(n.name) \(r.name)", up && !primary, Self.reactionBound) {
                    return violation("primary", "\(r.name) services up on \(n.name), which is not Primary, for more than \(Self.reactionBound)")
                }
                let keeps = r.onQuorumLoss == .freeze ? !n.servicesFrozenOrDown(r) : up
                if bounded("quorum \(n.name) \(r.name)", keeps && !cluster.hasQuorum(n.name, r.name), Self.reactionBound) {
                    return violation("quorum loss", "\(r.name) services on \(n.name) not \(r.onQuorumLoss == .freeze ? "frozen" : "stopped") \(Self.reactionBound) after it lost quorum")
                }
            }
            if writers.count > 1 {
                return violation("single writer", "\(r.name) services up and writable on \(writers.joined(separator: " and "))")
            }
            if sim.now >= sim.scenario.lastFault + Self.livenessBound, let v = liveness(r) { return v }
        }
        return nil
    }

    /// Whether the resource's data is usable on the node: up, daemon running, quorum, UpToDate.
    private func eligible(_ n: SimNode, _ r: PromoterResourceConfig) -> Bool {
        n.up && n.daemon?.isRunningEvents2 == true && sim.cluster.hasQuorum(n.name, r.name)
            && sim.cluster.diskState(n.name, r.name, volume: 0) == "UpToDate"
    }

    private func liveness(_ r: PromoterResourceConfig) -> Violation? {
        guard sim.nodes.contains(where: { eligible($0, r) }) else { return nil }
        let running = sim.nodes.filter { $0.servicesRunning(r) }.map(\.name)
        guard running.count != 1 else { return nil }
        return violation("liveness", "\(r.name) runs on \(running.isEmpty ? "no node" : running.joined(separator: " and ")) \(Self.livenessBound) after the last fault, though a node has quorum and UpToDate data")
    }

    func finalCheck() -> Violation? {
        if let v = check() { return v }
        for r in resources {
            if let v = preferred(r) { return v }
            let tail = (sim.startAttempts[r.name] ?? []).filter { $0 > sim.scenario.lastFault }.count
            if tail > Self.flapBound {
                return violation("no flapping", "\(tail) starts of \(r.name)'s target after the last fault (bound \(Self.flapBound))")
            }
        }
        return nil
    }

    private func healthy(_ n: SimNode, _ r: PromoterResourceConfig) -> Bool {
        eligible(n, r) && sim.nodes.allSatisfy { !$0.up || $0 === n || sim.cluster.isConnected(n.name, $0.name, r.name) }
    }

    private func preferred(_ r: PromoterResourceConfig) -> Violation? {
        guard !r.preferredNodes.isEmpty, r.preferredNodesPolicy == .always,
            let running = sim.nodes.first(where: { $0.servicesRunning(r) }), healthy(running, r)
        else { return nil }
        for name in r.preferredNodes.prefix(r.preferredNodes.firstIndex(of: running.name) ?? r.preferredNodes.count) {
            guard let better = sim.node(name), healthy(better, r), !better.hadServiceFault else { continue }
            let promoted = primarySince["\(running.name) \(r.name)"] ?? .zero
            guard (upToDateSince["\(name) \(r.name)"] ?? .zero) > promoted else { continue }
            return violation("preferred node", "\(r.name) runs on \(running.name), but the more preferred \(name) is healthy")
        }
        return nil
    }
}
