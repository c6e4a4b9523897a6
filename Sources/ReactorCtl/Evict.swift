import ReactorPromoter
import ReactorSystem

/// `evict` options.
public struct EvictOptions: Sendable, Hashable {
    /// Seconds to wait for a peer to take over (a positive number).
    public var delay: UInt32 = 20
    /// Allow snippets with other plugins or several resources.
    public var force = false
    /// Leave the target masked afterwards.
    public var keepMasked = false
    /// Only unmask and start the targets again.
    public var unmask = false
    /// `--to NODE`: the peer that should take over.
    public var to: String?

    public init(delay: UInt32 = 20, force: Bool = false, keepMasked: Bool = false, unmask: Bool = false, to: String? = nil) {
        self.delay = delay
        self.force = force
        self.keepMasked = keepMasked
        self.unmask = unmask
        self.to = to
    }
}

/// How the eviction of one resource ended.
public enum EvictOutcome: Hashable, Sendable {
    /// A peer is Primary now (or already was).
    case moved(to: String)
    /// Still Primary here when the wait ended.
    case stillPrimary
    /// Not Primary here, and no node is.
    case nobody

    /// The exit status for this outcome; `to` is `--to`'s node.
    public func exitStatus(to: String?) -> Int32 {
        switch self {
        case .moved(let node): to == nil || to == node ? CtlExit.success : CtlExit.evictOtherNode
        case .stillPrimary: CtlExit.evictStillPrimary
        case .nobody: CtlExit.evictNobodyTookOver
        }
    }

    /// The exit status of several evictions: the worst (still Primary here, then nobody, then another
    /// node than asked for).
    public static func exitStatus(_ outcomes: [EvictOutcome], to: String?) -> Int32 {
        let statuses = Set(outcomes.map { $0.exitStatus(to: to) })
        return [CtlExit.evictStillPrimary, CtlExit.evictNobodyTookOver, CtlExit.evictOtherNode].first(where: statuses.contains) ?? CtlExit.success
    }
}

/// Which resources `evict` works on, in which order.
public enum EvictPlan {
    /// The promoter resources of `snippets` (with their path): without `force`, a snippet mixing a
    /// promoter with other plugins, or a promoter with several resources, is an error. Resources whose
    /// `on-drbd-demote-failure` is `none` come first (a failing demote of the others may reboot the node).
    public static func resources(_ snippets: [Snippet], force: Bool) throws(CtlError) -> [(path: String, resource: PromoterResourceConfig)] {
        var all: [(path: String, resource: PromoterResourceConfig)] = []
        for s in snippets {
            let promoters = s.plugins.filter { $0.kind == "promoter" }
            guard !promoters.isEmpty else { continue }
            if !force && promoters.count != s.plugins.count { throw .mixedPlugins(path: s.path) }
            if !force && s.promoterResources.count > 1 { throw .multipleResources(path: s.path) }
            all += s.promoterResources.map { (s.path, $0) }
        }
        return all.filter { $0.resource.onDrbdDemoteFailure == .none } + all.filter { $0.resource.onDrbdDemoteFailure != .none }
    }
}

extension CtlContext {
    /// `evict`: for each promoter resource Primary here, mask its target (so this node's daemon does not
    /// start it again), stop it, follow DRBD's events until a peer is Primary or `delay` seconds passed,
    /// then unmask and start the target again (which fails harmlessly when the peer runs it) unless
    /// `keepMasked`. With `to`, the other peers are held first (`PeerHold`), so only that node can take
    /// over. `watch` makes the watch of a resource. Returns the exit status (`EvictOutcome.exitStatus`);
    /// SIGINT/SIGTERM stop it after the current resource.
    public func evict(_ args: [String], options: EvictOptions, hold: PeerHold? = nil, watch: (String) -> RoleWatch) throws(CtlError) -> Int32 {
        var snippets: [Snippet] = []
        for path in snippetPaths(args, state: .enabled) { snippets.append(try Snippet.load(path)) }
        var lastPath: String?
        var outcomes: [EvictOutcome] = []
        for (path, resource) in try EvictPlan.resources(snippets, force: options.force) {
            if path != lastPath { console.line("\(path):") }
            lastPath = path
            if options.unmask {
                try unmaskAndStart(resource.name)
                continue
            }
            let (outcome, interrupted) = try evict(resource.name, options: options, hold: hold, watch: watch)
            outcomes.append(outcome)
            if interrupted { break }
        }
        return EvictOutcome.exitStatus(outcomes, to: options.to)
    }

    /// Evicts one resource: its outcome and whether a signal ended the wait.
    func evict(_ name: String, options: EvictOptions, hold: PeerHold?, watch: (String) -> RoleWatch) throws(CtlError) -> (EvictOutcome, Bool) {
        console.line("Evicting \(name)")
        let status = runner.output(["drbdsetup", "status", "--json", name])
        switch status.map({ PrimaryNode.parse(statusJSON: $0, resource: name, nodeName: nodeName) }) ?? .unknown {
        case .unknown:
            console.line("Sorry, resource state for '\(name)' unknown, ignoring")
            return (.nobody, false)
        case .peer(let peer):
            console.line("Active on '\(peer)', nothing to do on this node, ignoring")
            return (.moved(to: peer), false)
        case .local:
            break
        }
        var held: [ClusterContext.Node] = []
        if let to = options.to, let hold {
            held = try hold.hold(resource: name, except: to, peers: PrimaryNode.peers(statusJSON: status ?? "", resource: name), console: console)
        }
        defer { if let hold, !held.isEmpty { hold.release(resource: name, nodes: held, console: console) } }
        let target = ServiceUnits.target(name)
        try runner.require(["systemctl", "mask", "--runtime", target])
        try runner.require(["systemctl", "daemon-reload"])
        _ = try? runner.run(["systemctl", "stop", target], stdin: .null, stdout: .inherit, stderr: .null)
        let w = watch(name)
        var (state, interrupted) = wait(w, seconds: options.delay)
        if !w.followed { state = PrimaryNode.query(name, runner: runner, nodeName: nodeName) }
        console.line()
        let outcome: EvictOutcome
        switch state {
        case .local:
            console.line("Local node still DRBD Primary, not all services stopped in time locally")
            outcome = .stillPrimary
        case .peer(let peer):
            console.line("Node '\(peer)' took over")
            outcome = .moved(to: peer)
        case .unknown:
            console.line("Unfortunately no other node took over, resource in unknown state")
            outcome = .nobody
        }
        if !options.keepMasked { try unmaskAndStart(name) }
        return (outcome, interrupted)
    }

    /// The countdown (`20..19..…..0`, one step per second) while `watch` reports where the resource is
    /// Primary; it ends early when a peer is, or on SIGINT/SIGTERM. Where it is Primary at the end.
    func wait(_ watch: RoleWatch, seconds: UInt32) -> (PrimaryNode, Bool) {
        var state = PrimaryNode.local(nodeName)
        for second in stride(from: Int(seconds), through: 0, by: -1) {
            console.write(second == 0 ? "0" : "\(second)..")
            if second == 0 { break }
            watch.startTick()
            tick: while true {
                switch watch.next() {
                case .changed(let now):
                    state = now
                    if case .peer = now { return (state, false) }
                case .tickEnded: break tick
                case .interrupted: return (state, true)
                }
            }
        }
        return (state, false)
    }

    /// Removes the runtime mask of the resource's target (a missing mask is fine), reloads systemd and
    /// starts the target (its result ignored: it fails where a peer is Primary).
    func unmaskAndStart(_ name: String) throws(CtlError) {
        console.line("Re-enabling \(name)")
        let mask = ServiceUnits.runtimeMask(name, systemdDirectory: systemdDirectory)
        do { try FileSystem.remove(mask) } catch { console.progress("Error: \(CtlError.io(path: mask, error))") }
        console.line("Removed \(mask).")
        try runner.require(["systemctl", "daemon-reload"])
        runner.quiet(["systemctl", "start", ServiceUnits.target(name)])
    }
}
