import Logging
import ReactorCore
import ReactorLoop
import ReactorPromoter
import ReactorSystem

/// Design note: the plugin host runs change plugins (umh, debugger, promoter) on the loop.
///
/// A plugin is a state machine; the host feeds it inputs (state updates in order, child output and exits,
/// timers, stop, and for promoters what systemd reported and the maintenance state) and carries out the
/// effects it returns against the loop: spawning children, signalling them, arming timers, logging,
/// counting. Every input goes through the one `EffectRunner`: inputs are handled in order and never
/// while another input's effects are still being carried out (a spawn that fails at once is handled
/// after the rest of the list), and nothing reaches an instance after its `.stopped`. A plugin's tokens
/// are private to it; the host maps them to loop sources. Loop callbacks name the instance by its
/// runner id, so one that fires after the instance is gone is dropped by the runner.
public final class PluginHost<Key: Hashable> {
    /// What the runner hands a plugin instance.
    public enum Input {
        case plugin(PluginInput)
        /// A unit change or job result from systemd's bus (promoters only).
        case systemd(SystemdUnitEvent)
        /// A new `drbd-reactorctl maintenance` state (promoters only).
        case maintenance(PromoterMaintenance)
    }

    typealias Runner = EffectRunner<Input, PluginEffect>

    /// One running plugin instance.
    final class Instance {
        let key: Key
        /// Unchecked exclusivity: it is modified only while its own input is handled, by a pure machine
        /// that cannot reach back into the host, so the dynamic check per input guards nothing.
        @exclusivity(unchecked) var machine: any ChangePlugin
        let logger: Logger
        /// Set by `start` right after the runner assigned it, before any input: never read unset.
        var id: Runner.InstanceID!
        var children: [PluginToken: EventLoop.SourceID] = [:]
        /// Tokens whose command runs in a shared `systemctl` call (PluginHost+Batch.swift).
        var batched: Set<PluginToken> = []
        var timers: [PluginToken: EventLoop.SourceID] = [:]
        var stopping = false
        /// Set once the machine said `.stopped` (the runner drops what comes for it after that).
        var stopped = false

        init(key: Key, machine: any ChangePlugin, logger: Logger) {
            self.key = key
            self.machine = machine
            self.logger = logger
        }

        /// Runs the machine on one input.
        func handle(_ input: Input, now: Instant) -> [PluginEffect] {
            switch input {
            case .plugin(let input):
                return machine.handle(input, now: now)
            case .systemd(let event):
                guard var promoter = machine as? PromoterMachine else { return [] }
                defer { machine = promoter }
                return promoter.observe(event, now: now)
            case .maintenance(let maintenance):
                guard var promoter = machine as? PromoterMachine else { return [] }
                defer { machine = promoter }
                return promoter.setMaintenance(maintenance)
            }
        }
    }

    let loop: EventLoop
    let logger: Logger
    private let runner: Runner
    private(set) var instances: [Instance] = []
    private var byID: [Runner.InstanceID: Instance] = [:]
    /// Called when the last stopping instance has stopped (daemon exit waits for it).
    public var onAllStopped: (() -> Void)?
    /// Called for every log effect about a resource (plugin kind, level, message, resource): the
    /// control socket's stream of promoter decisions.
    public var onResourceLog: ((String, Logger.Level, String, String) -> Void)?
    /// Called for every `.count` effect (the daemon owns the counters).
    public var onCount: ((ReactorCounter) -> Void)?
    /// `systemctl` calls requested in this turn, by prefix, run as one at its end (PluginHost+Batch.swift).
    var pendingBatches: [[String]: PendingBatch] = [:]
    var batchOrder: [[String]] = []
    /// Shared `systemctl` calls running now.
    var runningBatches: [PendingBatch] = []

    public init(loop: EventLoop, logger: Logger) {
        self.loop = loop
        self.logger = logger
        // unowned(unsafe): the host holds the loop for as long as its runner lives; read once per input,
        // so no reference counting there.
        runner = Runner(clock: { [unowned(unsafe) loop] in loop.now }, logger: logger)
    }

    /// The configurations of the running (not stopping) instances.
    public var runningConfigs: [Key] { instances.filter { !$0.stopping }.map(\.key) }

    /// Whether any instance is still stopping.
    public var isStopping: Bool { instances.contains { $0.stopping } }

    /// Inputs and effects the runner dropped because their instance had stopped.
    public var dropped: (inputs: UInt64, effects: UInt64) { (runner.droppedInputs, runner.droppedEffects) }

    /// Starts a plugin and feeds it `replay` (the current state as Exists updates).
    public func start(_ key: Key, machine: any ChangePlugin, replay: [StateUpdate]) {
        var l = logger
        l[metadataKey: "plugin"] = .string(machine.kind)
        let instance = Instance(key: key, machine: machine, logger: l)
        // unowned(unsafe): the runner is this host's own and calls `perform` only from its `send`, while
        // the host is alive; no reference counting per effect on the hot path.
        instance.id = runner.add(
            handle: { instance.handle($0, now: $1) },
            perform: { [unowned(unsafe) self] effect in self.run(effect, for: instance) })
        instances.append(instance)
        byID[instance.id] = instance
        l.info("Started \(machine.kind) plugin.")
        runner.send(.plugin(.start), to: instance.id)
        for u in replay { runner.send(.plugin(.update(u)), to: instance.id) }
    }

    /// Delivers diffs, in order, to every running instance.
    public func deliver(_ updates: [StateUpdate]) {
        guard !updates.isEmpty else { return }
        // One `send` per update with the input built in place (a lazy map over the updates copied each
        // twice per instance), and the clock read once: every diff of this line is of the same loop turn.
        let now = loop.now
        for instance in instances where !instance.stopping {
            for u in updates { runner.send(.plugin(.update(u)), to: instance.id, at: now) }
        }
    }

    /// Delivers `input` to every running instance (systemd events and maintenance: promoters act on them).
    func broadcast(_ input: Input) {
        for instance in instances where !instance.stopping { runner.send(input, to: instance.id) }
    }

    /// Stops the instances whose configuration satisfies `predicate` (all by default).
    public func stop(where predicate: (Key) -> Bool = { _ in true }) {
        for instance in instances where !instance.stopping && predicate(instance.key) {
            instance.stopping = true
            instance.logger.info("Stopping \(instance.machine.kind) plugin.")
            runner.send(.plugin(.stop), to: instance.id)
        }
    }

    /// Kills every child of every instance at once (second SIGTERM: no more grace).
    public func killAllChildren() {
        for instance in instances {
            for (_, id) in instance.children { loop.signal(id, Signal.kill) }
        }
        for batch in runningBatches { if let id = batch.child { loop.signal(id, Signal.kill) } }
    }

    /// Hands `input` to `instance` through the runner (after the current effects, if any run).
    func feed(_ instance: Instance, _ input: PluginInput) {
        guard !instance.stopped else { return }
        runner.send(.plugin(input), to: instance.id)
    }

    // MARK: effects

    private func run(_ effect: PluginEffect, for instance: Instance) {
        switch effect {
        case .log(let level, let message, let resource):
            var metadata: Logger.Metadata = [:]
            if let resource { metadata["resource"] = .string(resource) }
            instance.logger.log(level: level, "\(message)", metadata: metadata)
            if let resource { onResourceLog?(instance.machine.kind, level, message, resource) }
        case .spawn(let token, let request):
            spawn(token, request, for: instance)
        case .signal(let token, let signal):
            if let id = instance.children[token] { loop.signal(id, signal) } else { signalBatched(token, signal, for: instance) }
        case .startTimer(let token, let deadline):
            if let old = instance.timers[token] { loop.cancelTimer(old) }
            let id: Runner.InstanceID = instance.id
            instance.timers[token] = loop.addTimer(at: deadline, name: "\(instance.machine.kind) timer") { [weak self] in
                self?.byID[id]?.timers.removeValue(forKey: token)
                self?.runner.send(.plugin(.timer(token)), to: id)
            }
        case .cancelTimer(let token):
            if let id = instance.timers.removeValue(forKey: token) { loop.cancelTimer(id) }
        case .removeFile(let path):
            do { try loop.removeFile(path) } catch {
                instance.logger.warning("Failed to remove '\(path)': \(error), ignoring.")
            }
        case .count(let counter):
            onCount?(counter)
        case .stopped:
            finish(instance)
        }
    }

    private func spawn(_ token: PluginToken, _ request: SpawnRequest, for instance: Instance) {
        if enqueueBatched(token, request, for: instance) { return }
        spawnAlone(token, request, for: instance)
    }

    /// Starts one plugin child; a failure to start is an input the runner hands the plugin after the
    /// current effects.
    func spawnAlone(_ token: PluginToken, _ request: SpawnRequest, for instance: Instance) {
        let id: Runner.InstanceID = instance.id
        do {
            let onLine: ((OutputStream, ArraySlice<UInt8>) -> Void)? =
                request.captureOutput
                ? { [weak self] stream, line in
                    self?.runner.send(.plugin(.childOutput(token, stream, String(decoding: line, as: UTF8.self))), to: id)
                } : nil
            let (child, _) = try loop.spawn(
                argv: request.argv, environment: request.environment,
                stdio: .init(pipeStdin: false, captureStdout: request.captureOutput, captureStderr: request.captureOutput),
                name: "\(instance.machine.kind) child", onLine: onLine
            ) { [weak self] exit in
                self?.byID[id]?.children.removeValue(forKey: token)
                self?.runner.send(.plugin(.childExited(token, exit)), to: id)
            }
            instance.children[token] = child
        } catch {
            runner.send(.plugin(.spawnFailed(token, "\(request.argv.first ?? ""): \(error)")), to: id)
        }
    }

    private func finish(_ instance: Instance) {
        instance.stopped = true
        for (_, id) in instance.timers { loop.cancelTimer(id) }
        instance.timers.removeAll()
        instances.removeAll { $0 === instance }
        byID[instance.id] = nil
        instance.logger.info("Stopped \(instance.machine.kind) plugin.")
        if !isStopping { onAllStopped?() }
    }
}
