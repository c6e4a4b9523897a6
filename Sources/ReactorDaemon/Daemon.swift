import Logging
import ReactorCore
import ReactorDebugger
import ReactorLoop
import ReactorPromoter
import ReactorSystem
import ReactorUMH

/// Design note: the daemon ties the pieces together on the one loop.
///
/// drbdsetup lines -> parser -> World -> diffs -> change plugins (promoter, umh, debugger); the prometheus servers
/// and agentx subagents read the World when asked. Signals: SIGHUP reloads (keeping unchanged plugins running), SIGTERM and
/// SIGINT stop (a second one stops at once), SIGUSR1 logs the effective configuration. systemd hears
/// READY=1 once the initial state is in (or after a bound, saying why), RELOADING=1/READY=1 around a
/// reload, STOPPING=1, STATUS= lines, and WATCHDOG=1 from the loop itself. When and in what order is
/// `DaemonLifecycleMachine`'s decision; this object keeps the fds, timers and plugins and carries it out.
public final class Daemon {
    private let loop: EventLoop
    private let notifier: any ServiceNotifier
    /// The startup and stop bounds, status refresh and respawn backoff (production values by default).
    public let timings: DaemonTimings
    private let logger: Logger
    public private(set) var config: DaemonConfig
    public private(set) var world = World()
    /// The daemon's health counters: the one tally, counted here, by the plugins' `.count` effects and
    /// by the loop's turn reports; the prometheus plugin reads a copy (`statsSnapshot`).
    public private(set) var stats = ReactorStats()
    private let host: PluginHost<PluginConfig>
    private let events2: Events2Source
    private let promoters: PromoterLauncher
    /// `drbdadm --version`, asked once for every plugin that shows or checks the DRBD versions.
    private let versions: DRBDVersionSource
    /// The running prometheus and agentx instances, by their config.
    private var loopPlugins: [PluginConfig: any LoopPlugin] = [:]
    /// Listening sockets not held by a running prometheus instance (passed by systemd, or kept over a reload).
    private let listeners: ListenerPool
    /// The lifecycle's decisions (readiness, reload, stop, STATUS=); this object carries out its effects.
    private var lifecycle: DaemonLifecycleMachine
    /// The lifecycle machine's runner. Its clock is the backend's, not the turn's: RELOADING=1 carries
    /// MONOTONIC_USEC, which systemd compares with the time it receives the message.
    private lazy var runner = EffectRunner<DaemonLifecycleMachine.Input, DaemonLifecycleMachine.Effect>(
        clock: { [unowned loop] in loop.backend.now }, logger: logger)
    private lazy var lifecycleID = runner.add(
        handle: { [unowned self] input, now in self.lifecycle.handle(input, now: now) },
        perform: { [unowned self] effect in self.perform(effect) })
    /// The lifecycle's armed timers, by name.
    private var lifecycleTimers: [DaemonLifecycleMachine.Timer: EventLoop.SourceID] = [:]
    private var snippetMonitor: EventLoop.SourceID?
    private let garbageLog = RateLimitedLog(limit: 20, window: .seconds(60))
    /// `drbd-reactorctl maintenance`'s state file, read at start and on every reload.
    private let maintenanceFile: String
    /// Where the maintenance file and the control socket live (`RuntimeDirectory`).
    private let runDirectory: String
    private var maintenance = PromoterMaintenance()
    /// Whether the pages only start-up touched are given back once the initial state is in (a process
    /// of its own: yes; many daemons in one test process, as in the HA lab: no, that reads the whole
    /// process's mappings each time).
    public var releasesStartupPages = true
    /// The control socket (drbd-reactorctl status, watch, maintenance), see ControlServer.
    private var control: ControlServer?
    /// systemd's unit changes and job results for the promoters, while any is configured (SystemdWatch).
    private let systemd: SystemdWatch
    /// Carries out the daemon's own I/O effects (sd_notify messages, the plugins' and drbdsetup's counts)
    /// in the vocabulary every machine speaks; the events2 lines are counted per read chunk, not per line.
    private lazy var io = IOExecutor<[UInt8]>(
        loop: loop, logger: logger, what: "daemon connection", sourceName: "daemon", notifier: notifier,
        count: { [unowned self] in self.stats.count($0, by: $1) })

    /// `promoterContext` is what promoters get instead of reading it themselves (node name, environment,
    /// systemd directory), normally `PromoterContext.current()`. `passedSockets` are the listening sockets
    /// systemd passed (`ListenFDs.take()`): a `[[prometheus]]` on one of their addresses serves on it.
    /// `runDirectory` is normally `RuntimeDirectory.current()`; `timings` the production values.
    public init(config: DaemonConfig, loop: EventLoop, notifier: any ServiceNotifier, logger: Logger, promoterContext: PromoterContext,
                passedSockets: [PassedSocket] = [], runDirectory: String = RuntimeDirectory.current(), timings: DaemonTimings = DaemonTimings()) {
        self.config = config
        self.loop = loop
        self.notifier = notifier
        self.timings = timings
        lifecycle = DaemonLifecycleMachine(timings: timings)
        self.runDirectory = runDirectory
        maintenanceFile = RuntimeDirectory.maintenanceFile(runDirectory)
        listeners = ListenerPool(passed: passedSockets, loop: loop, notifier: notifier, logger: logger)
        self.logger = logger
        let host = PluginHost<PluginConfig>(loop: loop, logger: logger)
        self.host = host
        systemd = SystemdWatch(loop: loop, logger: logger, retry: timings.systemdBusRetry) { [unowned host] event in
            host.deliver(systemd: event)
        }
        events2 = Events2Source(loop: loop, logger: logger, pollInterval: Self.pollInterval(config), timings: timings.events2)
        versions = DRBDVersionSource(loop: loop, logger: logger)
        promoters = PromoterLauncher(loop: loop, logger: logger, host: host, versions: versions, context: promoterContext)
        promoters.replay = { [unowned self] in self.world.replay() }
        host.onCount = { [unowned self] in self.performIO(.count($0)) }
        loop.onTurn = { [unowned self] in self.stats.recordTurn($0) }
    }

    static func pollInterval(_ c: DaemonConfig) -> Duration? {
        c.statisticsPollInterval > 0 ? .seconds(c.statisticsPollInterval) : nil
    }

    /// Sets up signals, the watchdog, the plugins and drbdsetup.
    public func start() throws {
        Allocator.mapLargeAllocations()  // big /metrics buffers go back to the kernel when freed (see Allocator)
        try loop.handleSignals([Signal.hangup, Signal.terminate, Signal.interrupt, Signal.user1]) { [unowned self] sig in
            self.signal(sig)
        }
        if let interval = notifier.watchdogInterval {
            logger.info("systemd watchdog enabled: pinging every \(interval / 2).")
            loop.enableWatchdog(interval: interval) { [unowned self] in self.performIO(.notify("WATCHDOG=1")) }
        }
        for w in config.warnings { logger.warning("\(w)") }
        events2.onLine = { [unowned self] line in self.ingest(line) }
        events2.onGone = { [unowned self] in self.flush() }
        events2.onCount = { [unowned self] in self.performIO(.count($0, by: $1)) }
        feed(.started)
    }

    private func feed(_ input: DaemonLifecycleMachine.Input) { runner.send(input, to: lifecycleID) }

    /// What STATUS= counts right now.
    private var counts: DaemonLifecycleMachine.Counts {
        .init(resources: world.resources.count, plugins: host.runningConfigs.count + loopPlugins.count)
    }

    /// Carries out one of the lifecycle machine's effects.
    private func perform(_ effect: DaemonLifecycleMachine.Effect) {
        switch effect {
        case .io(let effect): performIO(effect)
        case .startPlugins:
            readMaintenance()
            startControlSocket()
            apply(plugins: config.plugins)
            armSnippetMonitor()
        case .startEvents2: events2.start()
        case .reload: reload()
        case .stopAll: stopAll()
        case .killChildren: host.killAllChildren()
        case .arm(let timer, let after, let repeating):
            if let old = lifecycleTimers[timer] { loop.cancelTimer(old) }
            let input: DaemonLifecycleMachine.Input? =
                switch timer {
                case .startupBound: .startupBoundElapsed
                case .stopBound: .stopBoundElapsed
                case .statusRefresh: nil  // its input carries the counts of the moment it fires
                }
            let fire = { [unowned self] in self.feed(input ?? .statusRefreshDue(self.counts, events2Running: self.events2.isRunning)) }
            lifecycleTimers[timer] =
                repeating
                ? loop.addRepeatingTimer(every: after, name: timer.rawValue, handler: fire)
                : loop.addTimer(at: loop.now + after, name: timer.rawValue) { [unowned self] in
                    self.lifecycleTimers[timer] = nil
                    fire()
                }
        case .cancel(let timer):
            if let id = lifecycleTimers.removeValue(forKey: timer) { loop.cancelTimer(id) }
        case .releaseStartupPages:
            // Start-up is over: what only it touched (loader, libraries, initialisers) need not stay resident.
            guard releasesStartupPages else { return }
            let released = ResidentPages.releaseCleanFileMappings()
            logger.debug("Released \(released) KiB of start-up pages.")
        case .log(let level, let message): logger.log(level: level, "\(message)")
        case .exit: loop.requestExit()
        }
    }

    /// The counters as the metrics show them, with what the running promoters heard from systemd.
    private func statsSnapshot() -> ReactorStats {
        var s = stats
        s.promoterBusCounters = host.promoterBusCounters()
        return s
    }

    // MARK: events2

    /// One events2 line: parsed, applied to the World, delivered. Returns whether it was parsed; the
    /// events2 source counts lines and unparsed ones per read chunk (its machine's `.count` effects).
    private func ingest(_ line: ArraySlice<UInt8>) -> Bool {
        let applied: (updates: [StateUpdate], endOfInitialState: Bool)
        do {
            applied = try world.apply(line: line)
        } catch {
            garbageLog.log(logger, now: loop.now, "Ignoring events2 line: \(error): '\(Self.excerpt(line))'")
            return false
        }
        host.deliver(applied.updates)
        control?.publish(applied.updates)
        if applied.endOfInitialState { feed(.initialState(counts)) }
        return true
    }

    static func excerpt(_ line: ArraySlice<UInt8>) -> String {
        let s = String(decoding: line.prefix(200), as: UTF8.self)
        return line.count > 200 ? s + "..." : s
    }

    /// drbdsetup went away: nothing it said is known to be true any more.
    private func flush() {
        versions.forget()  // the module may be a new one when drbdsetup comes back
        let updates = world.removeAll()
        host.deliver(updates)
        feed(.drbdsetupGone)
    }

    // MARK: plugins

    /// Starts what is new, stops what is gone, leaves the rest running untouched.
    private func apply(plugins wanted: [PluginConfig]) {
        let wantedSet = Set(wanted)
        host.stop { !wantedSet.contains($0) }
        promoters.drop { !wantedSet.contains($0) }
        for (key, plugin) in loopPlugins where !wantedSet.contains(key) {
            plugin.stop()
            loopPlugins.removeValue(forKey: key)
        }
        let running = Set(host.runningConfigs + promoters.pendingKeys)
        for p in wanted where !running.contains(p) {
            switch p {
            case .debugger(let c):
                host.start(p, machine: DebuggerPlugin(config: c), replay: world.replay())
            case .umh(let c):
                host.start(p, machine: UMHPlugin(config: c, killGrace: timings.umhKillGrace), replay: world.replay())
            case .prometheus(let c):
                let server = PrometheusServer(
                    config: c, loop: loop, pool: listeners, versions: versions, logger: logger, stats: { [unowned self] in self.statsSnapshot() },
                    count: { [unowned self] in self.stats.count($0) }
                ) { [unowned self] in
                    self.world
                }
                startLoopPlugin(p, server, what: "prometheus plugin on '\(c.address)'")
            case .agentx(let c):
                let client = AgentXClient(config: c, loop: loop, versions: versions, logger: logger, reconnect: timings.agentxReconnect) {
                    [unowned self] in self.world
                }
                startLoopPlugin(p, client, what: "agentx plugin for '\(c.address)'")
            case .promoter(let c):
                promoters.prepare(p, c)
            }
        }
        promoters.commit()
        systemd.want(wanted.contains { if case .promoter = $0 { true } else { false } })
        listeners.closeIdle()
    }

    /// Starts a prometheus or agentx instance unless one with this config runs already.
    private func startLoopPlugin(_ key: PluginConfig, _ plugin: any LoopPlugin, what: String) {
        guard loopPlugins[key] == nil else { return }
        do {
            try plugin.start()
            loopPlugins[key] = plugin
        } catch {
            logger.error("Failed to start \(what): \(error), ignoring it.")
        }
    }

    // MARK: signals

    private func signal(_ sig: Signal) {
        switch sig {
        case .hangup: feed(.hangup)
        case .user1: logger.info("Effective configuration:\n\(config.tomlDump())")
        default: feed(.stopRequested)
        }
    }

    /// Loads the configuration again and applies it; a configuration that cannot be loaded leaves the
    /// running one as it is.
    private func reload() {
        readMaintenance()
        versions.forget()  // a reload is how to make the daemon look again (drbd-utils updated)
        do {
            let new = try ConfigLoader.load(path: config.path, files: loop)
            for w in new.warnings { logger.warning("\(w)") }
            if new.logs != config.logs {
                logger.warning("[[log]] changes take effect at the next restart, not on reload.")
            }
            config = new
            events2.setPollInterval(Self.pollInterval(new))
            apply(plugins: new.plugins)
            armSnippetMonitor()
            feed(.reloadDone(path: new.path, counts))
        } catch {
            feed(.reloadFailed("\(error)", counts))
        }
    }

    /// Reads the maintenance state and hands it to the promoters (running and yet to start).
    private func readMaintenance() {
        let (maintenance, problem) = MaintenanceFile.read(maintenanceFile, files: loop)
        if let problem { logger.warning("\(problem)") }
        self.maintenance = maintenance
        promoters.maintenance = maintenance
        host.setMaintenance(maintenance)
    }

    private func startControlSocket() {
        control = ControlServer.started(
            path: RuntimeDirectory.controlSocket(runDirectory), loop: loop, logger: logger,
            snapshot: { [unowned self] in
                ControlMessages.status(
                    nodeName: self.promoters.context.nodeName ?? "localhost", maintenance: self.maintenance, world: self.world,
                    reports: self.host.promoterReports(now: self.loop.now), wallSeconds: Int64(self.loop.wallNanoseconds / 1_000_000_000))
            },
            rereadMaintenance: { [unowned self] in self.readMaintenance() })
        host.onResourceLog = { [unowned self] kind, level, message, resource in
            guard kind == "promoter", let control = self.control, control.hasWatchers else { return }
            control.publish(ControlMessages.decision(level: level, message: message, resource: resource))
        }
    }

    /// Stops every source and plugin; tells the lifecycle when the plugins have stopped.
    private func stopAll() {
        events2.stop()
        control?.stop()
        systemd.stop()
        versions.stop()
        for (_, p) in loopPlugins { p.stop() }
        loopPlugins.removeAll()
        promoters.drop { _ in true }
        host.onAllStopped = { [unowned self] in self.feed(.pluginsStopped) }
        host.stop()
        if !host.isStopping { feed(.pluginsStopped) }
    }

    // MARK: snippets monitor

    /// Warns when snippet files changed on disk since they were loaded (edited but not reloaded), and
    /// when promoter target drop-ins were modified after this (re)load (`TargetDropInDrift`).
    private func armSnippetMonitor() {
        if let t = snippetMonitor { loop.cancelTimer(t) }
        snippetMonitor = nil
        guard config.snippetsMonitoringInterval > 0 else { return }
        let lastReload = Int64(clamping: loop.wallNanoseconds)
        snippetMonitor = loop.addRepeatingTimer(every: .seconds(config.snippetsMonitoringInterval), name: "snippet monitor") {
            [unowned self] in
            self.checkSnippets()
            let paths = TargetDropInDrift.paths(self.config.plugins, systemdDirectory: self.promoters.context.systemdDirectory)
            let now = Int64(clamping: self.loop.wallNanoseconds)
            for w in TargetDropInDrift.warnings(paths: paths, lastReload: lastReload, now: now, modification: self.modification) {
                self.logger.warning("\(w)")
            }
        }
    }

    private func checkSnippets() {
        guard let dir = config.snippets else { return }
        var ignored: [String] = []
        let onDisk = ConfigLoader.snippetPaths(dir, files: loop, warnings: &ignored)
        guard onDisk != config.snippetFiles else { return }
        let loaded = Set(config.snippetFiles.map(\.path))
        let changed = onDisk.filter { !config.snippetFiles.contains($0) }.map(\.path)
        let removed = loaded.subtracting(onDisk.map(\.path)).sorted()
        logger.warning(
            "Snippets in '\(dir)' changed since the configuration was loaded (changed or new: \(changed), removed: \(removed)); run 'systemctl reload drbd-reactor' to apply them.")
    }

    /// A file's modification time in ns since the epoch, nil when it cannot be read.
    private func modification(_ path: String) -> Int64? { (try? loop.fileInfo(path))?.modification }

    /// Carries out one of the daemon's own I/O effects; a failed one is logged.
    private func performIO(_ effect: IOEffect<[UInt8]>) {
        if let failure = io.perform(effect) { logger.warning("\(failure)") }
    }
}

/// Logs at most `limit` warnings per `window`, then one summary of how many were suppressed: a flood of
/// garbage from drbdsetup must not flood the journal.
final class RateLimitedLog {
    let limit: Int
    let window: Duration
    private var windowStart: Instant?
    private var count = 0
    private var suppressed = 0

    init(limit: Int, window: Duration) {
        self.limit = limit
        self.window = window
    }

    func log(_ logger: Logger, now: Instant, _ message: @autoclosure () -> String) {
        if let start = windowStart, now - start < window {
            count += 1
        } else {
            if suppressed > 0 { logger.warning("\(suppressed) similar messages suppressed.") }
            windowStart = now
            count = 1
            suppressed = 0
        }
        if count <= limit {
            logger.warning("\(message())")
        } else {
            suppressed += 1
        }
    }
}
