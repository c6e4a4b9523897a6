import Logging
import Testing
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorLoop
@testable import ReactorLog
@testable import ReactorPromoter
@testable import ReactorAgentX
@testable import ReactorDaemon

/// What the daemon tells systemd, with the virtual time of each message.
final class RecordingNotifier: ServiceNotifier {
    var watchdogInterval: Duration?
    var messages: [(at: Instant, text: String)] = []
    var clock: () -> Instant = { .zero }
    /// When set, every send fails with it (a service manager that went away).
    var failure: Errno?

    init(watchdogInterval: Duration? = nil) { self.watchdogInterval = watchdogInterval }

    func send(_ message: String) throws(Errno) {
        if let failure { throw failure }
        messages.append((clock(), message))
    }
    func store(_ fd: FileDescriptor, name: String) throws(Errno) {}
    func removeStored(name: String) throws(Errno) {}

    /// When a message containing the line `line` (or starting with it, for `STATUS=`) was sent.
    func times(_ line: String) -> [Instant] {
        messages.filter { $0.text.split(separator: "\n").contains { $0.hasPrefix(line) } }.map(\.at)
    }
}

/// The whole daemon on the virtual backend: a config file in its in-memory file system, drbdsetup as a
/// virtual child, plugins, an HTTP scrape over a virtual connection, signals; hours of its timings pass
/// in milliseconds.
final class VirtualDaemon {
    final class Memory: LogOutput, @unchecked Sendable {
        var entries: [LogEntry] = []
        func write(_ entry: LogEntry) { entries.append(entry) }
    }

    static let configPath = "/etc/drbd-reactor.toml"
    static let runDirectory = "/run/drbd-reactor"
    static let systemdDirectory = "/run/systemd/system"
    static var maintenancePath: String { RuntimeDirectory.maintenanceFile(runDirectory) }
    static var controlSocket: String { RuntimeDirectory.controlSocket(runDirectory) }

    let backend = VirtualBackend()
    let loop: EventLoop
    let notifier: RecordingNotifier
    let log = Memory()
    let daemon: Daemon
    /// The drbdsetup children started so far.
    var drbdsetups: [VirtualChild] = []

    /// `drbdsetup` is what each `drbdsetup events2` child does (default: print `events2` and keep running).
    /// `config` is `/etc/drbd-reactor.toml`; `files` (path: text) are written before it is loaded.
    init(config: String, files: [String: String] = [:], watchdog: Duration? = nil, timings: DaemonTimings = DaemonTimings(),
         events2: String? = VirtualDaemon.fixture, drbdsetup: ((VirtualChild) -> Void)? = nil) throws {
        try backend.writeFile(Self.configPath, config, mode: 0o644)
        for (path, text) in files.sorted(by: { $0.key < $1.key }) { try backend.writeFile(path, text, mode: 0o644) }
        let handler = SinkLogHandler(level: .debug, output: log)
        var logger = Logger(label: "virtual", factory: { _ in handler })
        logger.logLevel = .debug
        loop = EventLoop(backend: backend, logger: logger)
        notifier = RecordingNotifier(watchdogInterval: watchdog)
        let backend = backend
        notifier.clock = { backend.now }
        daemon = Daemon(
            config: try ConfigLoader.load(path: Self.configPath, files: loop), loop: loop, notifier: notifier, logger: logger,
            promoterContext: PromoterContext(nodeName: "n1", environment: [], systemdDirectory: Self.systemdDirectory),
            runDirectory: Self.runDirectory, timings: timings)
        backend.install("drbdsetup") { [unowned self] child in
            self.drbdsetups.append(child)
            if let drbdsetup { drbdsetup(child) } else if let events2 { child.write(events2) }
        }
        backend.install("drbdadm") { child in
            // `--version` answers the versions; anything else (sh-ll-dev, adjust) says nothing.
            if child.argv.contains("--version") {
                child.print("DRBD_KERNEL_VERSION_CODE=0x090208", "DRBDADM_VERSION_CODE=0x091d00")
            }
            child.exit(0)
        }
    }

    /// The initial state of two resources, `web` and `db`, and the end-of-dump marker.
    static let fixture = """
        exists resource name:web role:Secondary suspended:no force-io-failures:no write-ordering:flush may_promote:no promotion_score:0
        exists device name:web volume:0 minor:10 backing_dev:/dev/vg0/web disk:UpToDate client:no open:no quorum:yes size:1048576 read:0 written:0 al-writes:0 bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no blocked:no
        exists resource name:db role:Primary suspended:no force-io-failures:no write-ordering:drain may_promote:no promotion_score:10101
        exists -

        """

    var start: Instant { backend.now }

    /// Writes (or replaces) a file as an editor would, stamped with the virtual wall clock.
    func write(_ path: String, _ text: String) throws { try backend.writeFile(path, text, mode: 0o644) }

    func run(until done: () -> Bool, turns: Int = 10000) throws {
        var n = 0
        while !done() && n < turns && !loop.exitRequested {
            try loop.runOnce(timeout: nil)
            n += 1
        }
    }

    /// Turns the loop until virtual time reaches `instant` (or the daemon asked to exit).
    func run(to instant: Instant) throws {
        while loop.now < instant && !loop.exitRequested { try loop.runOnce(timeout: instant - loop.now) }
    }

    func logged(_ text: String) -> Bool { log.entries.contains { $0.message.contains(text) } }

    /// Sends an HTTP request over a virtual connection and returns the response once the daemon closed it.
    func scrape(_ address: Socket.Address, path: String = "/metrics") throws -> String {
        let client = try loop.connect(address)
        _ = try loop.write(client, Array("GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
        var response: [UInt8] = []
        var ended = false
        try run(until: {
            let part = backend.drain(client)
            response += part.bytes
            ended = part.ended
            return ended
        })
        loop.close(client)
        return String(decoding: response, as: UTF8.self)
    }
}

/// The Daemon layer's lifecycle on virtual time: start and readiness, the startup bound, the
/// watchdog, events2 respawn with backoff, reload, SIGTERM with and without the stop grace.
@Suite struct DaemonVirtualTests {
    static let quiet = "[[log]]\nlevel = \"debug\"\n"

    @Test func wholeDaemonFromConfigToAScrapeOfMetrics() throws {
        let d = try VirtualDaemon(config: Self.quiet + "[[prometheus]]\naddress = \"127.0.0.1:9942\"\n")
        try d.daemon.start()
        try d.run(until: { !d.notifier.times("READY=1").isEmpty })
        #expect(d.notifier.times("READY=1") == [d.start], "ready as soon as the initial state is in, no time passed")
        #expect(d.backend.spawnLog.contains(Events2Source.argv))
        let response = try d.scrape(.ipv4("127.0.0.1", 9942))
        #expect(response.hasPrefix("HTTP/1.1 200"))
        #expect(response.contains("drbd_resource_resources 2\n"), "\(response.prefix(2000))")
        #expect(response.contains("drbd_resource_promotionscore{name=\"db\"} 10101"))
        #expect(response.contains("drbd_version{kmod=\"9.2.8\",utils=\"9.29.0\"} 1"))
        #expect(response.contains("drbdreactor_events2_lines_total 4"))
    }

    @Test func readyAfterTheStartupBoundWhenDrbdsetupSaysNothing() throws {
        let d = try VirtualDaemon(config: Self.quiet, events2: nil)  // runs, says nothing
        let t0 = d.start
        try d.daemon.start()
        try d.run(to: t0 + .seconds(11))
        let ready = d.notifier.messages.filter { $0.text.hasPrefix("READY=1") }
        #expect(ready.map(\.at) == [t0 + .seconds(10)])
        #expect(ready.first?.text.contains("no initial DRBD state from drbdsetup") == true)
        #expect(d.logged("reporting ready anyway"))
    }

    @Test func readyAfterTheStartupBoundWhenDrbdsetupIsMissingAndItIsRetried() throws {
        let d = try VirtualDaemon(config: Self.quiet)
        d.backend.uninstall("drbdsetup")  // not in PATH: every spawn fails with ENOENT
        let t0 = d.start
        try d.daemon.start()
        try d.run(to: t0 + .seconds(11))
        #expect(d.notifier.times("READY=1") == [t0 + .seconds(10)])
        #expect(d.logged("Failed to start 'drbdsetup events2 --full --poll'"))
        #expect(d.logged("is drbdsetup in PATH?"))
        // Tried at 0, 2 and 6 s (then 14 s): the backoff applies to failed spawns too.
        #expect(d.backend.spawnLog.filter { $0 == Events2Source.argv }.count == 3)
    }

    @Test func startupBoundIsInjected() throws {
        var timings = DaemonTimings()
        timings.startupBound = .seconds(3)
        let d = try VirtualDaemon(config: Self.quiet, timings: timings, events2: nil)
        try d.daemon.start()
        try d.run(to: d.start + .seconds(5))
        #expect(d.notifier.times("READY=1").count == 1)
        #expect(d.notifier.times("READY=1").first.map { $0 - d.notifier.messages[0].at } == .seconds(3))
    }

    @Test func watchdogPingsAtHalfThePeriodWithoutGaps() throws {
        let d = try VirtualDaemon(config: Self.quiet, watchdog: .milliseconds(200))
        let t0 = d.start
        try d.daemon.start()
        try d.run(to: t0 + .seconds(1))
        let pings = d.notifier.times("WATCHDOG=1")
        #expect(pings.first == t0)
        #expect(pings.count == 11)
        #expect(zip(pings, pings.dropFirst()).allSatisfy { $1 - $0 == .milliseconds(100) })
    }

    @Test func drbdsetupIsRespawnedWithDoublingBackoffAndTheStateIsForgotten() throws {
        // Every drbdsetup prints the initial state and exits at once.
        let d = try VirtualDaemon(config: Self.quiet + "[[debugger]]\n", drbdsetup: { child in
            child.write(VirtualDaemon.fixture)
            child.exit(3)
        })
        let t0 = d.start
        try d.daemon.start()
        try d.run(to: t0 + .seconds(200))
        let starts = d.drbdsetups.count
        // 0, +2, +4, +8, +16, +32, +60, +60 (capped): started at 0, 2, 6, 14, 30, 62, 122, 182.
        #expect(starts == 8)
        #expect(d.logged("drbdsetup ended unexpectedly (exit status 3)"))
        #expect(d.logged("restarting in 1m") || d.logged("restarting in 60"))
        #expect(d.daemon.world.resources.isEmpty, "the state of a gone drbdsetup is forgotten")
        #expect(d.daemon.stats.drbdsetupRestarts == 7)
    }

    @Test func respawnTimesFollowTheInjectedBackoff() throws {
        var timings = DaemonTimings()
        timings.events2 = .init(initial: .seconds(1), maximum: .seconds(4), healthyAfter: .seconds(60))
        var startTimes: [Instant] = []
        let d = try VirtualDaemon(config: Self.quiet, timings: timings, drbdsetup: { child in
            startTimes.append(child.now)
            child.exit(1)
        })
        let t0 = d.start
        try d.daemon.start()
        try d.run(to: t0 + .seconds(20))
        let offsets = startTimes.map { $0 - t0 }
        #expect(offsets == [0, 1, 3, 7, 11, 15, 19].map { Duration.seconds($0) })
    }

    @Test func aDrbdsetupThatRanForAMinuteIsRestartedAfterTheInitialBackoff() throws {
        var startTimes: [Instant] = []
        let d = try VirtualDaemon(config: Self.quiet, drbdsetup: { child in
            startTimes.append(child.now)
            // The first two die at once, the third runs for 90 s, the fourth at once again.
            let lifetime: Duration = startTimes.count == 3 ? .seconds(90) : .zero
            child.write(VirtualDaemon.fixture)
            child.after(lifetime) { child.exit(1) }
        })
        let t0 = d.start
        try d.daemon.start()
        try d.run(to: t0 + .seconds(100))
        // 0; +2 -> 2; +4 -> 6 runs until 96; healthy, so +2 -> 98.
        #expect(startTimes.map { $0 - t0 } == [0, 2, 6, 98].map { Duration.seconds($0) })
    }

    @Test func statisticsPollsWriteToDrbdsetupsStdinEveryInterval() throws {
        var polls: [Instant] = []
        let d = try VirtualDaemon(config: "statistics-poll-interval = 60\n" + Self.quiet, drbdsetup: { child in
            child.write(VirtualDaemon.fixture)
            child.onInput = { bytes in
                if bytes == Array("n\n".utf8) { polls.append(child.now) }
            }
        })
        let t0 = d.start
        try d.daemon.start()
        try d.run(to: t0 + .seconds(185))
        #expect(polls.map { $0 - t0 } == [60, 120, 180].map { Duration.seconds($0) })
    }

    @Test func sigtermWithoutBusyPluginsStopsAtOnceAndEndsDrbdsetup() throws {
        let d = try VirtualDaemon(config: Self.quiet + "[[debugger]]\n")
        try d.daemon.start()
        try d.run(until: { !d.notifier.times("READY=1").isEmpty })
        let t = d.backend.now
        d.backend.raise(Signal.terminate)
        try d.run(until: { d.loop.exitRequested })
        #expect(d.loop.exitRequested)
        #expect(d.notifier.times("STOPPING=1") == [t])
        #expect(d.drbdsetups.first?.signals == [Signal.terminate])
    }

    /// A daemon whose one umh command ignores SIGTERM, started with that command running, then sent
    /// SIGTERM: the daemon, the command and the instant of the SIGTERM.
    func stubbornUMHAtSigterm(timings: DaemonTimings = DaemonTimings()) throws -> (VirtualDaemon, VirtualChild, Instant) {
        let umh = "[[umh]]\n[[umh.resource]]\ncommand = \"stubborn\"\nevent-type = \"Exists\"\n"
        let d = try VirtualDaemon(config: Self.quiet + umh, timings: timings)
        var command: VirtualChild?
        d.backend.install("sh") { child in
            command = child
            child.onSignal = { _ in }
        }
        try d.daemon.start()
        try d.run(until: { command != nil })
        let t = d.backend.now
        d.backend.raise(Signal.terminate)
        return (d, try #require(command), t)
    }

    @Test func sigtermWaitsForAUMHCommandAndKillsItAfterTheGrace() throws {
        // A umh command that ignores SIGTERM: the plugin's own 5 s grace kills it; the daemon exits then,
        // well inside its 15 s stop bound.
        let (d, command, t) = try stubbornUMHAtSigterm()
        try d.run(to: t + .seconds(30))
        #expect(d.loop.exitRequested)
        #expect(command.signals == [Signal.terminate, Signal.kill])
        #expect(command.exit == .signaled(Signal.kill))
        #expect(d.loop.now == t + .seconds(5), "exit as soon as the plugin stopped")
    }

    /// The umh kill grace is the daemon's timing to give (`DaemonTimings.umhKillGrace`).
    @Test func theUMHKillGraceIsInjected() throws {
        var timings = DaemonTimings()
        timings.umhKillGrace = .seconds(1)
        let (d, command, t) = try stubbornUMHAtSigterm(timings: timings)
        try d.run(to: t + .seconds(30))
        #expect(command.signals == [Signal.terminate, Signal.kill])
        #expect(d.loop.now == t + .seconds(1), "killed and gone after the injected 1 s grace")
    }

    @Test func stopBoundKillsWhatIsLeftAndExits() throws {
        var timings = DaemonTimings()
        timings.stopBound = .seconds(2)  // shorter than umh's 5 s grace: the daemon's bound decides
        let (d, command, t) = try stubbornUMHAtSigterm(timings: timings)
        try d.run(to: t + .seconds(30))
        #expect(d.loop.exitRequested)
        #expect(d.loop.now == t + .seconds(2))
        #expect(d.logged("did not stop within"))
        #expect(command.signals.last == Signal.kill)
    }

    @Test func secondSigtermStopsAtOnce() throws {
        let (d, command, t) = try stubbornUMHAtSigterm()
        d.backend.schedule(after: .seconds(1)) { d.backend.raise(Signal.interrupt) }
        try d.run(to: t + .seconds(30))
        #expect(d.loop.exitRequested && d.loop.now == t + .seconds(1))
        #expect(command.signals == [Signal.terminate, Signal.kill])
    }

    @Test func reloadAddsAPluginAndKeepsTheRunningOnes() throws {
        let d = try VirtualDaemon(config: Self.quiet + "[[prometheus]]\naddress = \"127.0.0.1:9942\"\n")
        try d.daemon.start()
        try d.run(until: { !d.notifier.times("READY=1").isEmpty })
        try d.write(VirtualDaemon.configPath, Self.quiet + "[[prometheus]]\naddress = \"127.0.0.1:9942\"\n[[prometheus]]\naddress = \"127.0.0.1:9943\"\n")
        d.backend.raise(Signal.hangup)
        try d.run(until: { d.notifier.times("READY=1").count == 2 })
        let reloading = try #require(d.notifier.messages.first { $0.text.hasPrefix("RELOADING=1") })
        #expect(reloading.text.contains("MONOTONIC_USEC=\(reloading.at.nanoseconds / 1000)"))
        #expect(d.logged("Configuration reloaded"))
        #expect(try d.scrape(.ipv4("127.0.0.1", 9942)).contains("drbd_resource_resources 2"))
        #expect(try d.scrape(.ipv4("127.0.0.1", 9943)).contains("drbd_resource_resources 2"))
        // A broken config keeps the running one.
        try d.write(VirtualDaemon.configPath, "[[prometheus]\n")
        d.backend.raise(Signal.hangup)
        try d.run(until: { d.notifier.times("READY=1").count == 3 })
        #expect(d.logged("keeping the running one"))
        #expect(try d.scrape(.ipv4("127.0.0.1", 9943)).hasPrefix("HTTP/1.1 200"))
    }

    @Test func statusFollowsTheStateEveryRefresh() throws {
        let d = try VirtualDaemon(config: Self.quiet + "[[debugger]]\n", drbdsetup: { child in
            child.write(VirtualDaemon.fixture)
            child.after(.seconds(5)) { child.print("destroy resource name:db") }
        })
        let t0 = d.start
        try d.daemon.start()
        try d.run(to: t0 + .seconds(9))
        #expect(d.notifier.times("STATUS=Running: 2 resources, 1 plugin") == [t0])
        // The change at 5 s is told at the next 2 s refresh (6 s), once.
        #expect(d.notifier.times("STATUS=Running: 1 resource, 1 plugin") == [t0 + .seconds(6)])
    }
}

/// The promoter inside the whole daemon on virtual time: drop-ins, `systemctl daemon-reload`, and
/// maintenance holding the start that would come once the resource may be promoted.
@Suite struct DaemonVirtualPromoterTests {
    static let initial = """
        exists resource name:r0 role:Secondary suspended:no force-io-failures:no write-ordering:flush may_promote:no promotion_score:0
        exists device name:r0 volume:0 minor:1000 backing_dev:/dev/vg/r0_0 disk:UpToDate client:no open:no quorum:yes size:1048576 read:0 written:0 al-writes:0 bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no blocked:no
        exists -

        """
    static let mayPromote =
        "change resource name:r0 role:Secondary suspended:no force-io-failures:no write-ordering:flush may_promote:yes promotion_score:10101\n"
    static let config = "statistics-poll-interval = 0\n[[log]]\nlevel = \"debug\"\n[[promoter]]\n[promoter.resources.r0]\nstart = [\"a.service\"]\n"

    /// A daemon whose drbdsetup reports r0 and, 5 s later, that it may be promoted; `systemctl` calls
    /// are recorded with their virtual time.
    func daemon(maintenance: PromoterMaintenance?, config: String = Self.config) throws -> (VirtualDaemon, () -> [(Instant, [String])]) {
        var calls: [(Instant, [String])] = []
        let d = try VirtualDaemon(config: config, drbdsetup: { child in
            switch child.argv.dropFirst().first {
            case "events2": break
            case "status":  // r0 alone, Secondary
                child.print(#"[{"name":"r0","role":"Secondary","connections":[]}]"#)
                child.exit(0)
                return
            case "show":  // r0 with quorum, as a promoter wants it
                child.print(
                    #"[{"resource":"r0","options":{"auto-promote":false,"quorum":"majority","on-no-quorum":"io-error","#
                        + #""on-suspended-primary-outdated":"force-secondary","on-no-data-accessible":"io-error"},"#
                        + #""connections":[{"net":{"rr-conflict":"retry-connect","fencing":"dont-care"}}]}]"#)
                child.exit(0)
                return
            default:
                child.exit(0)
                return
            }
            child.write(Self.initial)
            child.after(.seconds(5)) { child.write(Self.mayPromote) }
        })
        d.backend.install("systemctl") { child in
            calls.append((child.now, Array(child.argv.dropFirst())))
            child.exit(0)
        }
        if let maintenance { try d.write(VirtualDaemon.maintenancePath, maintenance.text) }
        return (d, { calls })
    }

    @Test func withoutMaintenanceTheTargetStartsAtOnceAfterTheDropInsAreLoaded() throws {
        let (d, calls) = try daemon(maintenance: nil)
        let t0 = d.start
        try d.daemon.start()
        try d.run(to: t0 + .seconds(30))
        let reload = try #require(calls().firstIndex { $0.1 == ["daemon-reload"] })
        let start = try #require(calls().firstIndex { $0.1.contains("start") && $0.1.contains("drbd-services@r0.target") })
        #expect(reload < start, "the drop-ins are loaded before the first start: \(calls())")
        #expect(calls()[start].0 == t0, "nobody else is Primary: the initial start comes at once")
    }

    @Test func maintenanceHoldsTheStartUntilItIsLeftAndReloaded() throws {
        let (d, calls) = try daemon(maintenance: PromoterMaintenance(node: true))
        let t0 = d.start
        try d.daemon.start()
        // Where the e2e test slept and looked for an absent call, a minute of virtual time passes.
        try d.run(to: t0 + .seconds(60))
        #expect(d.logged("resource 'r0' is in maintenance: not starting or stopping anything"))
        #expect(!calls().contains { $0.1.contains("start") || $0.1.contains("stop") }, "\(calls())")
        try d.write(VirtualDaemon.maintenancePath, PromoterMaintenance().text)
        d.backend.raise(Signal.hangup)
        try d.run(to: t0 + .seconds(90))
        #expect(d.logged("resource 'r0' left maintenance"))
        let starts = calls().filter { $0.1.contains("start") && $0.1.contains("drbd-services@r0.target") }
        #expect(starts.first.map { $0.0 >= t0 + .seconds(60) } == true, "\(calls())")
    }
}

/// The agentx subagent inside the whole daemon on virtual time: with no master listening, connects are
/// refused and retried with the backoff (1 s doubling to 30 s); once a master listens, the next attempt
/// connects and sends its Open PDU.
@Suite struct DaemonVirtualAgentXTests {
    /// An agentx subagent whose master (127.0.0.1:705) is not there yet.
    static let config = "[[log]]\nlevel = \"debug\"\n[[agentx]]\naddress = \"127.0.0.1:705\"\n"

    /// The waits the AgentX client announced after each refused connect ("1.0 seconds.", ...).
    static func reconnectWaits(_ d: VirtualDaemon) -> [String] {
        d.log.entries.filter { $0.message.contains("AgentX master at 127.0.0.1") }.map {
            String($0.message.split(separator: "retrying in ").last ?? "")
        }
    }

    @Test func refusedConnectsBackOffAndTheNextAttemptAfterTheMasterAppearsOpens() throws {
        let d = try VirtualDaemon(config: Self.config)
        let t0 = d.start
        try d.daemon.start()
        try d.run(to: t0 + .seconds(100))
        // Attempts at 0, 1, 3, 7, 15, 31, 61, 91 s: no more than the backoff allows in 100 s.
        let waits = Self.reconnectWaits(d)
        #expect(waits == ["1.0 seconds.", "2.0 seconds.", "4.0 seconds.", "8.0 seconds.", "16.0 seconds.", "30.0 seconds.", "30.0 seconds.", "30.0 seconds."])
        let master = try d.loop.listen(.ipv4("127.0.0.1", 705))
        try d.run(to: t0 + .seconds(135))  // the next attempt is at most 30 s away
        let session = try #require(try d.loop.accept(master))
        let open = d.backend.drain(session).bytes
        // AgentX header: version 1, type 1 (Open).
        #expect(open.count > 20 && open[0] == 1 && open[1] == 1, "\(open.prefix(20))")
        #expect(String(decoding: open, as: UTF8.self).contains(AgentXSession.agentDescription))
    }

    /// The reconnect backoff is the daemon's timing to give (`DaemonTimings.agentxReconnect`).
    @Test func theReconnectBackoffIsInjected() throws {
        var timings = DaemonTimings()
        timings.agentxReconnect = Backoff(first: .seconds(3), limit: .seconds(10))
        let d = try VirtualDaemon(config: Self.config, timings: timings)
        try d.daemon.start()
        try d.run(to: d.start + .seconds(40))
        // Attempts at 0, 3, 9, 19, 29, 39 s.
        let waits = Self.reconnectWaits(d)
        #expect(waits == ["3.0 seconds.", "6.0 seconds.", "10.0 seconds.", "10.0 seconds.", "10.0 seconds.", "10.0 seconds."])
    }
}
