import Logging
import ReactorCore

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

/// The promoter plugin's state machine: state updates, child exits and timers in;
/// child processes, timers and logs out.
///
/// Design note. Each configured resource has a queue of jobs (see `PromoterScript`) run one at a time,
/// so its start, stop and freeze actions happen in the order their causes arrived, as in the original;
/// but where the original slept and waited for `systemctl` on its thread (blocking every other resource
/// and, for adjust, the whole daemon), here every wait is a child or a timer: resources proceed
/// independently and nothing else in the daemon waits.
///
/// Deliberate differences from 1.x:
/// - the 20 s start rate limit (`last_start`) is per resource, not shared by all resources of the
///   instance, so a second resource is not held back until the ticker;
/// - the ticker checks only systemd-runner resources (for the shell runner there is no target, and the
///   original re-ran the start commands every 20 s), and only resources that are idle, so a hanging
///   `systemctl` does not pile up checks;
/// - freeze/thaw skips the target and its `drbd-promote@` unit by name instead of the first two lines;
/// - adjust waits per resource, the first failure does not abort the other resources;
/// - a drbdsetup respawn (Destroy updates, which the promoter ignores) does not stop services.
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
    /// `drbd-reactorctl maintenance` (see PromoterMaintenance.swift).
    var maintenance = MaintenanceState()
    /// For reports (see PromoterReport.swift).
    var observations = PromoterObservations()
    /// Resource of each unit the bus may report on, and each one's last ActiveState (PromoterMachine+Systemd.swift).
    let unitOwners: [String: String]
    var unitStates: [String: String] = [:]

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
        var mayPromote = false {
            didSet { if mayPromote != oldValue { mayPromoteChanges &+= 1 } }
        }
        /// How often `mayPromote` changed: a promote's delay is valid only if this stayed the same.
        var mayPromoteChanges = 0
        /// `mayPromoteChanges` when the running promote's delay began with `may_promote` true, else nil.
        var promoteArmed: Int?
        var lastStart: Instant?
        /// A quorum loss froze the services (no thaw or stop since): only then is a demotion "forced".
        var frozen = false
        /// The bus' repair of a unit that went down (PromoterMachine+Systemd.swift): its pending timer,
        /// the backoff step and when the last unit went down.
        var repairTimer: PluginToken?
        var repairAttempts = 0
        var lastUnitFailure: Instant?

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
        case repair(String)
    }

    public init(config: PromoterConfig, context: PromoterContext) {
        self.config = config
        self.context = context
        unitOwners = Self.unitOwners(config)
        for r in config.resources {
            resources[r.name] = ResourceState(script: PromoterScript(config: r, systemdDirectory: context.systemdDirectory))
        }
    }

    public mutating func handle(_ input: PluginInput, now: Instant) -> [PluginEffect] {
        guard !stopped else { return [] }
        observations.now = now
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

    /// No new jobs; waiting jobs and sleeps are dropped, running commands get SIGTERM (a `systemctl`
    /// client that ends does not cancel its job; a later `systemctl stop` replaces it). Where
    /// `stop-services-on-exit` asks for it, the exit stop runs once the running command is gone.
    /// `.stopped` comes once nothing runs any more.
    private mutating func stop(now: Instant) -> [PluginEffect] {
        guard !stopping else { return [] }
        stopping = true
        var effects: [PluginEffect] = []
        for (token, role) in timers {
            switch role {
            case .tick, .repair: effects.append(.cancelTimer(token))
            case .sleep: break
            }
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
                effects.append(.signal(token, 15))
            case nil:
                break
            }
            if let token = r.detecting { effects.append(.signal(token, 15)) }
            if r.config.stopServicesOnExit && !maintenance.current.covers(name) { r.queue.append(r.script.exitStop) }
            resources[name] = r
            effects += advance(name, now: now)
        }
        return effects
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
        case .repair(let name):
            return repairDue(name, now: now)
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
            guard stdout.count < Self.outputLimit else { return [] }
            resources[name]?.waiting = nil  // so that the append below does not copy the lines
            stdout.append(line)
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
