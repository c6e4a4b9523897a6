import Reactor

/// The wait between two countdown steps of `evict`.
public protocol Pause {
    /// Waits one second; false when SIGINT or SIGTERM arrived instead (the eviction then stops after
    /// the current resource).
    func oneSecond() -> Bool
}

/// The real pause: SIGINT and SIGTERM are blocked and read from a signalfd, which the pause polls.
public final class SignalPause: Pause {
    let signals: SignalFD?

    public init() { signals = try? SignalFD(signals: [Signal.interrupt, Signal.terminate]) }

    public func oneSecond() -> Bool {
        guard let signals else {
            Blocking.sleep(milliseconds: 1000)
            return true
        }
        return !Blocking.waitReadable(signals.fd, milliseconds: 1000)
    }
}

/// `evict` options (reference H.98).
public struct EvictOptions: Sendable, Hashable {
    /// Seconds to wait for a peer to take over (a positive number).
    public var delay: UInt32 = 20
    /// Allow snippets with other plugins or several resources.
    public var force = false
    /// Leave the target masked afterwards.
    public var keepMasked = false
    /// Only unmask and start the targets again.
    public var unmask = false

    public init(delay: UInt32 = 20, force: Bool = false, keepMasked: Bool = false, unmask: Bool = false) {
        self.delay = delay
        self.force = force
        self.keepMasked = keepMasked
        self.unmask = unmask
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
    /// start it again), stop it, wait up to `delay` seconds for a peer to become Primary, then unmask and
    /// start the target again (which fails harmlessly when the peer runs it) unless `keepMasked`.
    public func evict(_ args: [String], options: EvictOptions, pause: Pause) throws(CtlError) {
        var snippets: [Snippet] = []
        for path in snippetPaths(args, state: .enabled) { snippets.append(try Snippet.load(path)) }
        var lastPath: String?
        for (path, resource) in try EvictPlan.resources(snippets, force: options.force) {
            if path != lastPath { console.line("\(path):") }
            lastPath = path
            if options.unmask {
                try unmaskAndStart(resource.name)
                continue
            }
            guard try evict(resource.name, delay: options.delay, keepMasked: options.keepMasked, pause: pause) else { return }
        }
    }

    /// Evicts one resource; false when interrupted.
    func evict(_ name: String, delay: UInt32, keepMasked: Bool, pause: Pause) throws(CtlError) -> Bool {
        console.line("Evicting \(name)")
        switch PrimaryNode.query(name, runner: runner, nodeName: nodeName) {
        case .unknown:
            console.line("Sorry, resource state for '\(name)' unknown, ignoring")
            return true
        case .peer(let peer):
            console.line("Active on '\(peer)', nothing to do on this node, ignoring")
            return true
        case .local:
            break
        }
        let target = ServiceUnits.target(name)
        try runner.require(["systemctl", "mask", "--runtime", target])
        try runner.require(["systemctl", "daemon-reload"])
        _ = try? runner.run(["systemctl", "stop", target], stdin: .null, stdout: .inherit, stderr: .null)
        var state = PrimaryNode.local(nodeName)
        var interrupted = false
        for second in stride(from: Int(delay), through: 0, by: -1) {
            state = PrimaryNode.query(name, runner: runner, nodeName: nodeName)
            if case .peer = state { break }
            console.write(second == 0 ? "0" : "\(second)..")
            if second == 0 { break }
            if !pause.oneSecond() {
                interrupted = true
                break
            }
        }
        console.line()
        switch state {
        case .local: console.line("Local node still DRBD Primary, not all services stopped in time locally")
        case .peer(let peer): console.line("Node '\(peer)' took over")
        case .unknown: console.line("Unfortunately no other node took over, resource in unknown state")
        }
        if !keepMasked { try unmaskAndStart(name) }
        return !interrupted
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
