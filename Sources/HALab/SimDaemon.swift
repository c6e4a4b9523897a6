import DRBDSim
import Logging
import ReactorCore
import ReactorDaemon
import ReactorLoop
import ReactorPromoter
import ReactorSystem

/// One run (process) of the REAL daemon on a simulated node: `Daemon` with its `PluginHost`,
/// `Events2Source`, `PromoterLauncher` and promoters, on an `EventLoop` over a `VirtualBackend` of its
/// own. The simulation keeps every node's backend on its one virtual clock (`Simulation.run` turns each
/// loop until it is idle, then moves all clocks to the earliest deadline of any loop or model).
///
/// The daemon's children are programs of the backend answering from the models: `drbdsetup events2`
/// is a subscription to the DRBD model (its lines are handed over by `pump`, its end is drbdsetup's
/// EOF), other `drbdsetup`/`drbdadm` calls run against the model, `systemctl` against the node's
/// `SystemdModel` (exit once the job is done, so a hanging start keeps its child running), anything
/// else (`journalctl`, `sh -c`) succeeds; each takes a latency drawn from the seed. The model's signals
/// (unit changes, job ends) reach the daemon's systemd watch on the backend's virtual bus.
///
/// Files are the node's `VirtualFileSystem`, which outlives the daemon's runs: the configuration is
/// `/etc/drbd-reactor.toml` there (so a reload re-reads it), the generated drop-ins go to
/// `/run/systemd/system`, which the systemd model reads at `daemon-reload`, and the control socket and
/// maintenance state to `/run/drbd-reactor`.
final class SimDaemon {
    unowned let node: SimNode
    var sim: Simulation { node.sim }
    private(set) var alive = true
    let backend: VirtualBackend
    let loop: EventLoop
    private let daemon: Daemon
    private var config: PromoterConfig
    private var reloads = 0
    private var onExit: (() -> Void)?
    /// The running `drbdsetup events2` child and its subscription to the model.
    private var events2: (child: VirtualChild, id: SubscriptionID)?

    /// The commands that exist on a node besides the DRBD tools and systemctl (they succeed).
    static let otherCommands = ["journalctl", "sh", "test", "true"]

    init(node: SimNode, config: PromoterConfig) throws {
        self.node = node
        self.config = config
        backend = VirtualBackend(start: node.sim.instant, fileSystem: node.fileSystem)
        // The node's systemd is the init system and the daemon runs as root: its private socket.
        backend.bus.endpoints = [.systemdPrivate]
        let trace = TraceLogHandler(sink: { [unowned node] line in node.sim.trace(node.name, line) })
        var logger = Logger(label: "halab", factory: { _ in trace })
        logger.logLevel = .info
        loop = EventLoop(backend: backend, logger: logger)
        try loop.writeFile(Self.configPath, Self.configText(config))
        var timings = DaemonTimings()
        timings.statusRefresh = .seconds(3600)  // STATUS= goes nowhere here; fewer wake-ups
        daemon = Daemon(
            config: try ConfigLoader.load(path: Self.configPath, files: loop), loop: loop, notifier: SilentNotifier(), logger: logger,
            promoterContext: PromoterContext(nodeName: node.name, environment: [], systemdDirectory: node.systemdDirectory),
            runDirectory: RuntimeDirectory.standard, timings: timings)
        daemon.releasesStartupPages = false
        install()
    }

    static let configPath = "/etc/drbd-reactor.toml"

    /// The daemon's configuration file: the scenario's promoter section, statistics polling off (the
    /// model prints no statistics).
    static func configText(_ config: PromoterConfig) -> String {
        "statistics-poll-interval = 0\n\n" + PluginConfig.promoter(config).tomlSnippet()
    }

    var isRunningEvents2: Bool {
        guard let e = events2 else { return false }
        return e.child.exit == nil && sim.cluster.isOpen(e.id)
    }

    func start() throws {
        sim.trace(node.name, "daemon: started")
        try daemon.start()
    }

    /// SIGHUP with a changed promoter section (its `id`): the old instance stops, a new one starts.
    func reload() {
        guard alive else { return }
        reloads += 1
        config.id = "reload-\(reloads)"
        sim.trace(node.name, "daemon: reload")
        do { try loop.writeFile(Self.configPath, Self.configText(config)) } catch {
            sim.trace(node.name, "daemon: cannot write the config: \(error)")
        }
        backend.raise(Signal.hangup)
    }

    /// SIGTERM; `exit` runs once the daemon's loop asked to exit (see `settle`).
    func stop(exit: @escaping () -> Void) {
        guard alive, onExit == nil else { return }
        onExit = exit
        sim.trace(node.name, "daemon: stopping")
        backend.raise(Signal.terminate)
    }

    /// The process is gone (exit or node crash): its children and timers with it.
    func die() {
        guard alive else { return }
        alive = false
        if let e = events2 { sim.cluster.unsubscribe(e.id) }
        events2 = nil
    }

    /// What the node's systemd signals reaches this process's bus (while it lives).
    func publish(_ message: BusMessage) {
        if alive { backend.bus.publish(message) }
    }

    /// Fault: drbdsetup exits.
    func killEvents2() {
        guard alive, let e = events2 else { return }
        sim.cluster.unsubscribe(e.id)
        events2 = nil
        e.child.exit(1)
    }

    // MARK: - Driving

    /// Hands drbdsetup what the model printed since the last call; EOF when the subscription ended.
    func pump() {
        guard alive, let e = events2 else { return }
        if e.child.exit != nil {  // killed by the daemon (stop)
            sim.cluster.unsubscribe(e.id)
            events2 = nil
            return
        }
        let lines = sim.cluster.takeLines(e.id)
        if !lines.isEmpty { e.child.write(lines.joined(separator: "\n") + "\n") }
        if !sim.cluster.isOpen(e.id) {
            events2 = nil
            e.child.exit(0)
        }
    }

    /// Whether the loop has something to do at the current virtual time.
    var isBusy: Bool {
        guard alive else { return false }
        if backend.hasWorkNow { return true }
        if let d = loop.nextDeadline, d <= backend.now { return true }
        return false
    }

    /// One turn of the loop at the current time; the process ends when the daemon asked to exit.
    func turn() {
        do { try loop.runOnce(timeout: .zero) } catch {
            sim.trace(node.name, "daemon: loop failed: \(error)")
        }
        if loop.exitRequested {
            sim.trace(node.name, "daemon: exited")
            die()
            onExit?()
        }
    }

    /// The earliest time this process needs the clock to reach (its timers and children's work).
    var nextDeadline: Instant? {
        guard alive else { return nil }
        return [loop.nextDeadline, backend.nextScheduledWork].compactMap { $0 }.min()
    }

    // MARK: - Programs

    private func install() {
        backend.install("drbdsetup") { [unowned self] child in self.drbd(child) }
        backend.install("drbdadm") { [unowned self] child in self.drbd(child) }
        backend.install("systemctl") { [unowned self] child in self.systemctl(child) }
        for name in Self.otherCommands {
            backend.install(name) { [unowned self] child in
                child.after(self.node.latency(child.argv)) { child.exit(0) }
            }
        }
    }

    private func drbd(_ child: VirtualChild) {
        let argv = [String(child.argv[0].split(separator: "/").last ?? "")] + child.argv.dropFirst()
        if argv == Events2Source.argv {
            guard let id = sim.cluster.subscribe(node.name) else { return child.exit(10) }
            events2 = (child, id)
            return
        }
        sim.trace(node.name, "spawn: \(argv.joined(separator: " "))")
        child.after(node.latency(argv)) { [unowned self] in
            let r = self.sim.cluster.run(self.node.name, argv)
            if r.exitCode != 0 { self.sim.trace(self.node.name, "exit \(r.exitCode): \(argv.joined(separator: " "))") }
            child.write(r.stdout)
            child.exit(r.exitCode)
        }
    }

    private func systemctl(_ child: VirtualChild) {
        let argv = child.argv
        sim.trace(node.name, "spawn: \(argv.joined(separator: " "))")
        sim.countSpawn(argv)
        let node = self.node
        child.after(node.latency(argv)) {
            guard let systemd = node.systemd else { return }
            // The job may end after this daemon process is gone (a hanging start): only the node is sure to live.
            systemd.systemctl(Array(argv.dropFirst())) { [unowned node] rc, lines in
                if rc != 0 { node.sim.trace(node.name, "exit \(rc): \(argv.joined(separator: " "))") }
                for l in lines { child.print(l) }
                child.exit(rc)
            }
        }
    }
}

/// The daemon's notifications: there is no service manager to tell in the lab.
final class SilentNotifier: ServiceNotifier {
    var watchdogInterval: Duration? { nil }
    func send(_ message: String) throws(Errno) {}
    func store(_ fd: FileDescriptor, name: String) throws(Errno) {}
    func removeStored(name: String) throws(Errno) {}
}

/// A swift-log handler that puts the daemon's log lines into the simulation's trace.
/// (One thread runs a simulation; swift-log requires Sendable handlers.)
struct TraceLogHandler: LogHandler, @unchecked Sendable {
    let sink: (String) -> Void
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        sink("\(event.level): \(event.message)")
    }
}
