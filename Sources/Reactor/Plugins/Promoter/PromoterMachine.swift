import Logging

/// What the promoter gets from the daemon instead of reading it itself (the machine never touches the
/// environment, the clock or a file).
public struct PromoterContext: Hashable, Sendable {
    /// `uname -n`, for `preferred-nodes`; nil if it could not be read (then the position counts as 0).
    public var nodeName: String?
    /// The environment of every child (the daemon's, without its systemd variables), so `systemctl`,
    /// `drbdadm` and `drbdsetup` are found in the daemon's `PATH`.
    public var environment: [String]
    /// Where the generated drop-ins live (`/run/systemd/system`).
    public var systemdDirectory: String
    /// Whether `/sys/fs/cgroup/cgroup.controllers` exists (freezing needs unified cgroups).
    public var unifiedCgroups: Bool

    public init(nodeName: String?, environment: [String], systemdDirectory: String = "/run/systemd/system", unifiedCgroups: Bool = true) {
        self.nodeName = nodeName
        self.environment = environment
        self.systemdDirectory = systemdDirectory
        self.unifiedCgroups = unifiedCgroups
    }
}

/// The promoter plugin's state machine (reference D.4, D.5): state updates, child exits and timers in;
/// child processes, timers and logs out.
///
/// Design note. Each configured resource has a queue of jobs (see `PromoterScript`) run one at a time,
/// so its start, stop and freeze actions happen in the order their causes arrived, as in the original;
/// but where the original slept and waited for `systemctl` on its thread (blocking every other resource
/// and, for adjust, the whole daemon), here every wait is a child or a timer: resources proceed
/// independently and nothing else in the daemon waits.
///
/// Deliberate differences from 1.x (reference 4.1):
/// - the 20 s start rate limit (`last_start`) is per resource, not shared by all resources of the
///   instance (#5), so a second resource is not held back until the ticker;
/// - the ticker checks only systemd-runner resources (for the shell runner there is no target, and the
///   original re-ran the start commands every 20 s, #10), and only resources that are idle, so a hanging
///   `systemctl` does not pile up checks;
/// - freeze/thaw skips the target and its `drbd-promote@` unit by name instead of the first two lines (#8);
/// - adjust waits per resource, the first failure does not abort the other resources;
/// - a drbdsetup respawn (Destroy updates, which the promoter ignores) does not stop services (#9).
public struct PromoterMachine: ChangePlugin {
    public let kind = "promoter"
    public let config: PromoterConfig
    public let context: PromoterContext

    /// The ticker period, also the minimum time between two starts of one resource.
    public static let tickInterval: Duration = .seconds(20)
    /// At most this many updates wait for a resource's policy detection; older ones are dropped.
    static let bufferLimit = 1000
    /// At most this many stdout lines of one command are kept for its reader.
    static let outputLimit = 10000

    var resources: [String: ResourceState] = [:]
    var children: [PluginToken: ChildRole] = [:]
    var timers: [PluginToken: TimerRole] = [:]
    var nextToken: PluginToken = 1
    var stopping = false
    var stopped = false

    /// Everything the machine knows about one configured resource.
    struct ResourceState {
        let script: PromoterScript
        /// Jobs waiting for the running one.
        var queue: [[PromoterFrame]] = []
        /// The running job's frames, the one running first.
        var job: [PromoterFrame]?
        /// What the running job waits for.
        var waiting: Waiting?
        var policy: SplitBrainPolicy?
        /// The running `drbdsetup show` of the policy detection, and its output so far.
        var detecting: PluginToken?
        var detectionOutput: [String] = []
        /// Updates that arrived while the policy was being detected, in order.
        var buffered: [StateUpdate] = []
        /// `may_promote` as last reported.
        var mayPromote = false
        var lastStart: Instant?

        var config: PromoterResourceConfig { script.config }
        var isIdle: Bool { job == nil && queue.isEmpty && waiting == nil }
    }

    /// What a running job waits for.
    enum Waiting {
        case child(PluginToken, PromoterReader, argv: [String], stdout: [String])
        case sleep(PluginToken)
    }

    /// Whose child a token is.
    enum ChildRole {
        case job(String)
        case detection(String)
    }

    /// What a timer token is for.
    enum TimerRole {
        case tick
        case sleep(String)
    }

    public init(config: PromoterConfig, context: PromoterContext) {
        self.config = config
        self.context = context
        for r in config.resources {
            resources[r.name] = ResourceState(script: PromoterScript(config: r, systemdDirectory: context.systemdDirectory))
        }
    }

    public mutating func handle(_ input: PluginInput, now: Instant) -> [PluginEffect] {
        guard !stopped else { return [] }
        var effects: [PluginEffect]
        switch input {
        case .start:
            effects = begin(now: now)
        case .update(let update):
            effects = stopping ? [] : received(update, now: now)
        case .childOutput(let token, let stream, let line):
            effects = output(token, stream, line)
        case .childExited(let token, let exit):
            effects = childEnded(token, success: exit.success, failure: exit.description, now: now)
        case .spawnFailed(let token, let reason):
            effects = childEnded(token, success: false, failure: "could not be started: \(reason)", now: now)
        case .timer(let token):
            effects = timerFired(token, now: now)
        case .stop:
            effects = stop(now: now)
        }
        if stopping && !stopped && resources.values.allSatisfy({ $0.isIdle && $0.detecting == nil }) {
            stopped = true
            effects.append(.stopped)
        }
        return effects
    }

    // MARK: - Start and stop

    /// Adjust and initial start of every resource (in name order), and the ticker.
    private mutating func begin(now: Instant) -> [PluginEffect] {
        var effects: [PluginEffect] = []
        for r in config.resources {
            guard let script = resources[r.name]?.script else { continue }
            if r.adjustResourceOnStart { effects += enqueue(r.name, script.adjust, now: now) }
            effects += enqueue(r.name, script.initialStart, now: now)
        }
        return effects + armTick(now: now)
    }

    private mutating func armTick(now: Instant) -> [PluginEffect] {
        let token = freshToken()
        timers[token] = .tick
        return [.startTimer(token, at: now + Self.tickInterval)]
    }

    /// No new jobs; waiting jobs and sleeps are dropped, running commands get SIGTERM, except where
    /// `stop-services-on-exit` asks to stop the services: there the running command may finish and the
    /// exit stop follows. `.stopped` comes once nothing runs any more.
    private mutating func stop(now: Instant) -> [PluginEffect] {
        guard !stopping else { return [] }
        stopping = true
        var effects: [PluginEffect] = []
        for (token, role) in timers {
            if case .tick = role { effects.append(.cancelTimer(token)) }
        }
        for name in resources.keys.sorted() {
            guard var r = resources[name] else { continue }
            r.queue = []
            r.buffered = []
            r.job = nil
            switch r.waiting {
            case .sleep(let token)?:
                timers[token] = nil
                effects.append(.cancelTimer(token))
                r.waiting = nil
            case .child(let token, _, let argv, _)?:
                r.waiting = .child(token, .ignored, argv: argv, stdout: [])
                if !r.config.stopServicesOnExit { effects.append(.signal(token, 15)) }
            case nil:
                break
            }
            if let token = r.detecting { effects.append(.signal(token, 15)) }
            if r.config.stopServicesOnExit { r.queue.append(r.script.exitStop) }
            resources[name] = r
            effects += advance(name, now: now)
        }
        return effects
    }

    // MARK: - State updates

    /// An update of a configured resource (Exists or Change only, like the original): processed once the
    /// resource's split-brain avoidance policy is known, detected on its first update.
    private mutating func received(_ update: StateUpdate, now: Instant) -> [PluginEffect] {
        guard update.eventType == .exists || update.eventType == .change, var r = resources[update.resourceName] else { return [] }
        if r.policy != nil { return process(update, now: now) }
        if r.buffered.count >= Self.bufferLimit { r.buffered.removeFirst() }
        r.buffered.append(update)
        var effects: [PluginEffect] = []
        if r.detecting == nil {
            let token = freshToken()
            r.detecting = token
            r.detectionOutput = []
            children[token] = .detection(update.resourceName)
            effects.append(spawn(token, ["drbdsetup", "show", "--show-defaults", "--json", update.resourceName]))
        }
        resources[update.resourceName] = r
        return effects
    }

    /// The detection's `drbdsetup show` ended: on success the waiting updates are processed in order;
    /// on failure they are dropped and the next update tries again.
    private mutating func detected(_ name: String, success: Bool, failure: String, now: Instant) -> [PluginEffect] {
        guard var r = resources[name] else { return [] }
        r.detecting = nil
        let waiting = r.buffered
        r.buffered = []
        var effects: [PluginEffect] = []
        do {
            guard success else { throw PromoterDRBD.PolicyError(description: "'drbdsetup show' failed: \(failure)") }
            let (policy, warnings) = try PromoterDRBD.splitBrainPolicy(
                showJSON: r.detectionOutput.joined(separator: "\n"), config: r.config, unifiedCgroups: context.unifiedCgroups)
            r.policy = policy
            effects.append(.log(.info, "Detected split-brain avoidance policy: '\(policy.rawValue)'", resource: name))
            effects += warnings.map { .log(.warning, $0, resource: name) }
        } catch {
            effects.append(.log(.error, "IGNORING resource '\(name)': \(error)", resource: name))
        }
        r.detectionOutput = []
        resources[name] = r
        guard r.policy != nil, !stopping else { return effects }
        for u in waiting { effects += process(u, now: now) }
        return effects
    }

    /// The reactions of D.5 #63-#66 to one update, given the resource's policy.
    private mutating func process(_ update: StateUpdate, now: Instant) -> [PluginEffect] {
        let name = update.resourceName
        guard let r = resources[name], let policy = r.policy else { return [] }
        let c = r.config, role = update.resource.role
        switch update.kind {
        case .resource(let old, let new):
            resources[name]?.mayPromote = new.mayPromote
            if !old.mayPromote && new.mayPromote { return promote(update, policy: policy, now: now) }
            if old.role == .primary && new.role == .secondary && policy == .quorum && c.onQuorumLoss == .freeze {
                return [.log(.info, "resource '\(name)' got forced to Secondary while frozen, stopping services", resource: name)]
                    + enqueue(name, r.script.stop, now: now)
            }
        case .device(_, let old, let new):
            guard policy != .fencing else { return [] }
            if old.quorum && !new.quorum {
                let log = PluginEffect.log(.info, "run: resource '\(name)' lost quorum", resource: name)
                return [log] + enqueue(name, c.onQuorumLoss == .freeze ? r.script.freeze(.freeze) : r.script.stop, now: now)
            }
            if !old.quorum && new.quorum && c.onQuorumLoss == .freeze && role == .primary {
                return [.log(.info, "resource '\(name)' gained quorum, thawing Primary", resource: name)]
                    + enqueue(name, r.script.freeze(.thaw), now: now)
            }
            if old.diskState != .diskless && new.diskState == .diskless && !old.client && !new.client && role == .primary {
                return diskDetached(update, now: now)
            }
        case .peerDevice(let peer, _, let old, let new):
            guard !c.preferredNodes.isEmpty, c.preferredNodesPolicy == .always, old.peerDiskState != .upToDate,
                new.peerDiskState == .upToDate, role == .primary
            else { return [] }
            return failBack(update, peer: peer, now: now)
        case .connection, .path:
            break
        }
        return []
    }

    /// may_promote became true: after the delay (disk state, preferred position, policy, times the
    /// factor), start; unless the resource started less than 20 s (minus the delay) ago.
    private mutating func promote(_ update: StateUpdate, policy: SplitBrainPolicy, now: Instant) -> [PluginEffect] {
        let name = update.resourceName
        guard let r = resources[name] else { return [] }
        let other = UInt64(PromoterDRBD.preferredPosition(r.config.preferredNodes, nodeName: context.nodeName))
            + PromoterDRBD.policySeconds(update.resource, config: r.config, policy: policy)
        guard let disk = PromoterDRBD.diskSeconds(update.resource) else {
            return enqueue(name, r.script.promoteAfterLookingAtDevices(otherSeconds: other), now: now)
        }
        let (effects, frames) = promote(r, seconds: disk + other, now: now)
        return effects + enqueue(name, frames, now: now)
    }

    /// The frames of a promote with a known delay, or none (and a debug line) if the resource started
    /// less than 20 s minus the delay ago.
    func promote(_ r: ResourceState, seconds: UInt64, now: Instant) -> ([PluginEffect], [PromoterFrame]) {
        let name = r.config.name
        let ms = PromoterDRBD.promoteDelayMilliseconds(seconds: seconds, factor: r.config.sleepBeforePromoteFactor)
        if let last = r.lastStart, (now - last) + .milliseconds(Int64(clamping: ms)) < Self.tickInterval {
            return ([.log(.debug, "got may_promote but start interval for '\(name)' too fast", resource: name)], [])
        }
        return ([], r.script.promote(afterMilliseconds: ms))
    }

    /// A Primary lost its disk: with `fail-over`, stop if some peer is UpToDate (and not a client).
    private mutating func diskDetached(_ update: StateUpdate, now: Instant) -> [PluginEffect] {
        let name = update.resourceName
        guard let r = resources[name] else { return [] }
        let policy = r.config.onDiskDetach.rawValue
        var effects: [PluginEffect] = [.log(.info, "resource '\(name)' lost local disk", resource: name)]
        guard r.config.onDiskDetach == .failOver else {
            return effects + [.log(.info, "resource '\(name)' on-disk-detach policy is '\(policy)', not taking action", resource: name)]
        }
        effects.append(.log(.info, "resource '\(name)' on-disk-detach policy is '\(policy)', checking for UpToDate peer", resource: name))
        let peers = update.resource.connections.values.flatMap(\.peerDevices.values)
        guard peers.contains(where: { !$0.peerClient && $0.peerDiskState == .upToDate }) else {
            return effects + [.log(.info, "resource '\(name)' lost local disk, did not find UpToDate peer", resource: name)]
        }
        effects.append(.log(.info, "resource '\(name)' lost local disk, found UpToDate peer", resource: name))
        return effects + enqueue(name, r.script.stop, now: now)
    }

    /// A peer became UpToDate while we are Primary: if it is a better preferred node, hand over (stop).
    private mutating func failBack(_ update: StateUpdate, peer: Int32, now: Instant) -> [PluginEffect] {
        let name = update.resourceName
        guard let r = resources[name] else { return [] }
        let nodes = r.config.preferredNodes
        guard let peerName = update.resource.connections[peer]?.connectionName else {
            return [.log(.warning, "Could not find peer device for resource '\(name)'", resource: name)]
        }
        guard let peerPosition = nodes.firstIndex(of: peerName) else {
            return [.log(.debug, "Peer '\(peerName)' was not found in preferred_nodes, continue", resource: name)]
        }
        guard let nodeName = context.nodeName else {
            return [.log(.warning, "Could not determine 'uname -n'", resource: name)]
        }
        guard peerPosition < (nodes.firstIndex(of: nodeName) ?? nodes.count) else { return [] }
        return [.log(.info, "run: resource '\(name)' has a new preferred node ('\(peerName)'), stopping services locally ('\(nodeName)')", resource: name)]
            + enqueue(name, r.script.stop, now: now)
    }

    // MARK: - Timers and output

    private mutating func timerFired(_ token: PluginToken, now: Instant) -> [PluginEffect] {
        guard let role = timers.removeValue(forKey: token) else { return [] }
        switch role {
        case .tick:
            guard !stopping else { return [] }
            var effects = armTick(now: now)
            for r in config.resources {
                guard let state = resources[r.name], state.mayPromote, r.runner == .systemd, state.isIdle else { continue }
                effects += enqueue(r.name, state.script.tick, now: now)
            }
            return effects
        case .sleep(let name):
            guard case .sleep(token)? = resources[name]?.waiting else { return [] }
            resources[name]?.waiting = nil
            return advance(name, now: now)
        }
    }

    /// stdout is kept for the command's reader; stderr is logged (it usually says what went wrong).
    private mutating func output(_ token: PluginToken, _ stream: OutputStream, _ line: String) -> [PluginEffect] {
        guard let role = children[token] else { return [] }
        switch role {
        case .detection(let name):
            guard stream == .stdout else { return [.log(.info, "drbdsetup show: \(line)", resource: name)] }
            if resources[name]?.detectionOutput.count ?? 0 < Self.outputLimit { resources[name]?.detectionOutput.append(line) }
        case .job(let name):
            guard case .child(let t, let reader, let argv, var stdout)? = resources[name]?.waiting, t == token else { return [] }
            guard stream == .stdout else { return [.log(.info, "\(argv.joined(separator: " ")): \(line)", resource: name)] }
            if stdout.count < Self.outputLimit { stdout.append(line) }
            resources[name]?.waiting = .child(t, reader, argv: argv, stdout: stdout)
        }
        return []
    }

    private mutating func childEnded(_ token: PluginToken, success: Bool, failure: String, now: Instant) -> [PluginEffect] {
        guard let role = children.removeValue(forKey: token) else { return [] }
        switch role {
        case .detection(let name):
            return detected(name, success: success, failure: failure, now: now)
        case .job(let name):
            guard case .child(let t, let reader, let argv, let stdout)? = resources[name]?.waiting, t == token else { return [] }
            resources[name]?.waiting = nil
            let result = CommandResult(argv: argv, success: success, failure: failure, stdout: stdout)
            return finished(name, reader, result, now: now) + advance(name, now: now)
        }
    }

    // MARK: - Helpers

    mutating func freshToken() -> PluginToken {
        defer { nextToken += 1 }
        return nextToken
    }

    /// A child with stdin /dev/null and its output captured, in the daemon's environment.
    func spawn(_ token: PluginToken, _ argv: [String]) -> PluginEffect {
        .spawn(token, SpawnRequest(argv: argv, environment: context.environment, captureOutput: true))
    }
}
