import Logging
import ReactorCore

/// The umh plugin's state machine: state updates in, commands (spawn effects) out.
///
/// Design note. Every matching rule runs as its own child of the loop, so a command that hangs delays
/// nothing else. A command is tracked in `commands` from its `.spawn` until its `.childExited` or
/// `.spawnFailed` (the host always delivers one of them, after reaping), and has at most one live timer:
/// first its `timeout`, then, once it was sent SIGTERM (timeout or stop), the grace timer after which it
/// gets SIGKILL. Timers use their own tokens, never a child's, so the host may keep them apart or not.
/// On `.stop` no new command starts; the plugin answers `.stopped` once the last command has ended.
///
/// A burst of matching changes (thousands of resources changing at once) must not fork thousands of
/// shells: at most `maxRunning` commands run at once, further matches wait in a FIFO of at most
/// `maxQueued` and start as running ones end; a match beyond that is dropped, counted
/// (`umhCommandsDropped`) and said in a warning (one when dropping starts, one with the count once a
/// queued command starts again), so the loop and the process table stay bounded.
public struct UMHPlugin: ChangePlugin {
    public let kind = "umh"
    public let config: UMHConfig
    /// How long a command may take to exit after SIGTERM before it gets SIGKILL.
    public let killGrace: Duration
    /// Commands running at once, and matches waiting beyond them (see the design note).
    public let maxRunning: Int
    public let maxQueued: Int
    public static let defaultMaxRunning = 32
    public static let defaultMaxQueued = 4096

    /// Counts commands run and failed; the daemon's object, shared by reference on the one thread.
    private let stats: ReactorStats?
    private var nextToken: PluginToken = 1
    private var commands: [PluginToken: RunningCommand] = [:]
    private var timers: [PluginToken: TimerPurpose] = [:]
    private var stopping = false
    /// Matches waiting for a free slot, oldest first from `queueHead` (a FIFO without a Deque).
    private var queue: [(rule: UMHRule, update: StateUpdate)] = []
    private var queueHead = 0
    /// Matches dropped since the last queued command started (for the summary warning).
    private var droppedSinceStart = 0

    /// A command between its spawn and its exit.
    private struct RunningCommand {
        let rule: UMHRule
        let resource: String
        /// Its live timer: the timeout, or the SIGKILL grace once `terminating`.
        var timer: PluginToken?
        /// SIGTERM was sent; only SIGKILL is left.
        var terminating = false
    }

    /// What a timer token is for.
    private enum TimerPurpose {
        case timeout(PluginToken)
        case kill(PluginToken)
    }

    public init(config: UMHConfig, stats: ReactorStats? = nil, killGrace: Duration = .seconds(5),
                maxRunning: Int = defaultMaxRunning, maxQueued: Int = defaultMaxQueued) {
        self.config = config
        self.stats = stats
        self.killGrace = killGrace
        self.maxRunning = max(1, maxRunning)
        self.maxQueued = max(0, maxQueued)
    }

    /// Commands spawned and not yet ended (for status and tests).
    public var runningCommands: Int { commands.count }
    /// Matches waiting for a free slot.
    public var queuedCommands: Int { queue.count - queueHead }

    public mutating func handle(_ input: PluginInput, now: Instant) -> [PluginEffect] {
        switch input {
        case .start:
            return []
        case .update(let update):
            return stopping ? [] : run(matching: update, now: now)
        case .childOutput(let token, let stream, let line):
            return output(token, stream, line)
        case .childExited(let token, let exit):
            return ended(token, failure: exit.success ? nil : "command failed (\(exit))") + startQueued(now: now)
        case .spawnFailed(let token, let reason):
            return ended(token, failure: "could not start command: \(reason)") + startQueued(now: now)
        case .timer(let token):
            return timerFired(token, now: now)
        case .stop:
            return stop(now: now)
        }
    }

    // MARK: - Starting

    /// Spawns every rule `update` matches, in config order, as far as the cap allows; queues or drops the rest.
    private mutating func run(matching update: StateUpdate, now: Instant) -> [PluginEffect] {
        config.rules(matching: update).flatMap { rule -> [PluginEffect] in
            if commands.count < maxRunning && queuedCommands == 0 { return start(rule, for: update, now: now) }
            if queuedCommands < maxQueued {
                queue.append((rule, update))
                return []
            }
            droppedSinceStart += 1
            stats?.umhCommandsDropped += 1
            guard droppedSinceStart == 1 else { return [] }
            return [.log(.warning, "\(maxRunning) commands running and \(maxQueued) waiting: dropping matches "
                         + "(first: rule '\(rule.displayName)', \(Self.describe(update)))", resource: update.resourceName)]
        }
    }

    /// Starts waiting matches while there is a free slot (after a command ended).
    private mutating func startQueued(now: Instant) -> [PluginEffect] {
        var effects: [PluginEffect] = []
        while !stopping && commands.count < maxRunning && queuedCommands > 0 {
            let next = queue[queueHead]
            queueHead += 1
            if droppedSinceStart > 0 {
                effects.append(.log(.warning, "\(droppedSinceStart) matched command(s) dropped while the queue was full",
                                    resource: nil))
                droppedSinceStart = 0
            }
            effects += start(next.rule, for: next.update, now: now)
        }
        // Reclaim the consumed prefix once it dominates, so the array stays at most twice the queue.
        if queueHead > 64 && queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        return effects
    }

    private mutating func start(_ rule: UMHRule, for update: StateUpdate, now: Instant) -> [PluginEffect] {
        let token = freshToken()
        var command = RunningCommand(rule: rule, resource: update.resourceName)
        var effects: [PluginEffect] = [
            .log(.info, "rule '\(rule.displayName)' matched \(Self.describe(update)), running '\(rule.command)'",
                 resource: update.resourceName),
            .spawn(token, rule.spawnRequest(for: update)),
        ]
        if let timeout = rule.timeout {
            let timer = arm(.timeout(token))
            command.timer = timer
            effects.append(.startTimer(timer, at: now + timeout))
        }
        commands[token] = command
        stats?.umhCommandsRun += 1
        return effects
    }

    // MARK: - Running

    /// stderr at info (usually what went wrong), stdout at debug like the original.
    private func output(_ token: PluginToken, _ stream: OutputStream, _ line: String) -> [PluginEffect] {
        guard let command = commands[token] else { return [] }
        let level: Logger.Level = stream == .stderr ? .info : .debug
        return [.log(level, "rule '\(command.rule.displayName)' \(stream): \(line)", resource: command.resource)]
    }

    /// A command is gone (`failure` says why it did not succeed): log how it ended, drop its timer, and finish stopping if it was the last one.
    private mutating func ended(_ token: PluginToken, failure: String?) -> [PluginEffect] {
        guard let command = commands.removeValue(forKey: token) else { return [] }
        var effects: [PluginEffect] = []
        if let timer = command.timer {
            timers[timer] = nil
            effects.append(.cancelTimer(timer))
        }
        let name = command.rule.displayName
        if let failure {
            stats?.umhCommandsFailed += 1
            effects.append(.log(.warning, "rule '\(name)': \(failure)", resource: command.resource))
        } else {
            effects.append(.log(.debug, "rule '\(name)': command finished successfully", resource: command.resource))
        }
        if stopping && commands.isEmpty { effects.append(.stopped) }
        return effects
    }

    private mutating func timerFired(_ timer: PluginToken, now: Instant) -> [PluginEffect] {
        guard let purpose = timers.removeValue(forKey: timer) else { return [] }
        switch purpose {
        case .timeout(let token):
            guard let command = commands[token] else { return [] }
            let seconds = command.rule.timeout?.components.seconds ?? 0
            return [.log(.warning, "rule '\(command.rule.displayName)': command still running after \(seconds) s, sending SIGTERM",
                         resource: command.resource)] + terminate(token, now: now)
        case .kill(let token):
            guard let command = commands[token] else { return [] }
            commands[token]?.timer = nil
            return [
                .log(.warning, "rule '\(command.rule.displayName)': command did not exit after SIGTERM, sending SIGKILL",
                     resource: command.resource),
                .signal(token, Self.sigkill),
            ]
        }
    }

    /// Sends SIGTERM and arms the SIGKILL grace timer, replacing a pending timeout; a command already
    /// terminating keeps its grace timer (a stop does not extend it).
    private mutating func terminate(_ token: PluginToken, now: Instant) -> [PluginEffect] {
        guard let command = commands[token], !command.terminating else { return [] }
        var effects: [PluginEffect] = []
        if let old = command.timer, timers.removeValue(forKey: old) != nil { effects.append(.cancelTimer(old)) }
        let timer = arm(.kill(token))
        commands[token]?.timer = timer
        commands[token]?.terminating = true
        return effects + [.signal(token, Self.sigterm), .startTimer(timer, at: now + killGrace)]
    }

    // MARK: - Stopping

    /// Stops taking updates and terminates every running command; `.stopped` once none is left. A second
    /// stop changes nothing (the first one's deadlines stand).
    private mutating func stop(now: Instant) -> [PluginEffect] {
        guard !stopping else { return [] }
        stopping = true
        var effects: [PluginEffect] = []
        if queuedCommands > 0 {
            effects.append(.log(.info, "stopping: \(queuedCommands) queued command(s) not started", resource: nil))
            queue = []
            queueHead = 0
        }
        if commands.isEmpty { return effects + [.stopped] }
        let running = commands.keys.sorted()
        let log = PluginEffect.log(.info, "stopping: sending SIGTERM to \(running.count) running command(s)", resource: nil)
        return effects + [log] + running.flatMap { terminate($0, now: now) }
    }

    // MARK: - Helpers

    static let sigterm: Int32 = 15
    static let sigkill: Int32 = 9

    private mutating func freshToken() -> PluginToken {
        defer { nextToken += 1 }
        return nextToken
    }

    private mutating func arm(_ purpose: TimerPurpose) -> PluginToken {
        let timer = freshToken()
        timers[timer] = purpose
        return timer
    }

    /// "Change of device r0/0" style, for the match log line.
    static func describe(_ update: StateUpdate) -> String {
        let object: String
        switch update.kind {
        case .resource: object = "resource \(update.resourceName)"
        case .device(let volume, _, _): object = "device \(update.resourceName)/\(volume)"
        case .peerDevice(let peer, let volume, _, _): object = "peer device \(update.resourceName):\(peer)/\(volume)"
        case .connection(let peer, _, _): object = "connection \(update.resourceName):\(peer)"
        case .path(let peer, _, _, _): object = "path \(update.resourceName):\(peer)"
        }
        return "\(update.eventType) of \(object)"
    }
}
