import Logging
import ReactorCore
import ReactorLoop
import ReactorSystem

/// Design note: the plugin host runs change plugins (umh, debugger, promoter) on the loop.
///
/// A plugin is a state machine; the host feeds it inputs (state updates in order, child output and exits,
/// timers, stop) and carries out the effects it returns against the loop: spawning children, signalling
/// them, arming timers, logging. A plugin's tokens are private to it; the host maps them to loop sources.
/// Effects may cause further inputs synchronously (a spawn that fails at once), which are fed back in
/// order through the same path.
public final class PluginHost<Key: Hashable> {
    /// One running plugin instance.
    final class Instance {
        let key: Key
        var machine: any ChangePlugin
        let logger: Logger
        var children: [PluginToken: EventLoop.SourceID] = [:]
        /// Tokens whose command runs in a shared `systemctl` call (PluginHost+Batch.swift).
        var batched: Set<PluginToken> = []
        var timers: [PluginToken: EventLoop.SourceID] = [:]
        var stopping = false
        var stopped = false

        init(key: Key, machine: any ChangePlugin, logger: Logger) {
            self.key = key
            self.machine = machine
            self.logger = logger
        }
    }

    let loop: EventLoop
    let logger: Logger
    private(set) var instances: [Instance] = []
    /// Called when the last stopping instance has stopped (daemon exit waits for it).
    public var onAllStopped: (() -> Void)?
    /// Called for every log effect about a resource (plugin kind, level, message, resource): the
    /// control socket's stream of promoter decisions.
    public var onResourceLog: ((String, Logger.Level, String, String) -> Void)?
    /// `systemctl` calls requested in this turn, by prefix, run as one at its end (PluginHost+Batch.swift).
    var pendingBatches: [[String]: PendingBatch] = [:]
    var batchOrder: [[String]] = []
    /// Shared `systemctl` calls running now.
    var runningBatches: [PendingBatch] = []

    public init(loop: EventLoop, logger: Logger) {
        self.loop = loop
        self.logger = logger
    }

    /// The configurations of the running (not stopping) instances.
    public var runningConfigs: [Key] { instances.filter { !$0.stopping }.map(\.key) }

    /// Whether any instance is still stopping.
    public var isStopping: Bool { instances.contains { $0.stopping } }

    /// Starts a plugin and feeds it `replay` (the current state as Exists updates).
    public func start(_ key: Key, machine: any ChangePlugin, replay: [StateUpdate]) {
        var l = logger
        l[metadataKey: "plugin"] = .string(machine.kind)
        let instance = Instance(key: key, machine: machine, logger: l)
        instances.append(instance)
        l.info("Started \(machine.kind) plugin.")
        feed(instance, .start)
        for u in replay { feed(instance, .update(u)) }
    }

    /// Delivers diffs, in order, to every running instance.
    public func deliver(_ updates: [StateUpdate]) {
        guard !updates.isEmpty else { return }
        for instance in instances where !instance.stopping {
            for u in updates { feed(instance, .update(u)) }
        }
    }

    /// Stops the instances whose configuration satisfies `predicate` (all by default).
    public func stop(where predicate: (Key) -> Bool = { _ in true }) {
        for instance in instances where !instance.stopping && predicate(instance.key) {
            instance.stopping = true
            instance.logger.info("Stopping \(instance.machine.kind) plugin.")
            feed(instance, .stop)
        }
    }

    /// Kills every child of every instance at once (second SIGTERM: no more grace).
    public func killAllChildren() {
        for instance in instances {
            for (_, id) in instance.children { loop.signal(id, Signal.kill) }
        }
        for batch in runningBatches { if let id = batch.child { loop.signal(id, Signal.kill) } }
    }

    // MARK: effects

    func feed(_ instance: Instance, _ input: PluginInput) {
        guard !instance.stopped else { return }
        let effects = instance.machine.handle(input, now: loop.now)
        for effect in effects { run(effect, for: instance) }
    }

    func run(_ effect: PluginEffect, for instance: Instance) {
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
            instance.timers[token] = loop.addTimer(at: deadline, name: "\(instance.machine.kind) timer") { [weak self, unowned instance] in
                instance.timers.removeValue(forKey: token)
                self?.feed(instance, .timer(token))
            }
        case .cancelTimer(let token):
            if let id = instance.timers.removeValue(forKey: token) { loop.cancelTimer(id) }
        case .removeFile(let path):
            do { try FileSystem.remove(path) } catch {
                instance.logger.warning("Failed to remove '\(path)': \(error), ignoring.")
            }
        case .stopped:
            finish(instance)
        }
    }

    private func spawn(_ token: PluginToken, _ request: SpawnRequest, for instance: Instance) {
        if enqueueBatched(token, request, for: instance) { return }
        spawnAlone(token, request, for: instance)
    }

    /// Runs one plugin child on the loop.
    func spawnAlone(_ token: PluginToken, _ request: SpawnRequest, for instance: Instance) {
        do {
            let onLine: ((OutputStream, ArraySlice<UInt8>) -> Void)? =
                request.captureOutput
                ? { [weak self, unowned instance] stream, line in
                    self?.feed(instance, .childOutput(token, stream, String(decoding: line, as: UTF8.self)))
                } : nil
            let (id, _) = try loop.spawn(
                argv: request.argv, environment: request.environment,
                stdio: .init(pipeStdin: false, captureStdout: request.captureOutput, captureStderr: request.captureOutput),
                name: "\(instance.machine.kind) child", onLine: onLine
            ) { [weak self, unowned instance] exit in
                instance.children.removeValue(forKey: token)
                self?.feed(instance, .childExited(token, exit))
            }
            instance.children[token] = id
        } catch {
            feed(instance, .spawnFailed(token, "\(request.argv.first ?? ""): \(error)"))
        }
    }

    private func finish(_ instance: Instance) {
        instance.stopped = true
        for (_, id) in instance.timers { loop.cancelTimer(id) }
        instance.timers.removeAll()
        instances.removeAll { $0 === instance }
        instance.logger.info("Stopped \(instance.machine.kind) plugin.")
        if !isStopping { onAllStopped?() }
    }
}
