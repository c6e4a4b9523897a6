import Logging
import Testing
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorLoop
@testable import ReactorPromoter
@testable import ReactorDaemon

/// The daemon's files on virtual time: the configuration and its snippets, reloads of edited snippets,
/// the snippet monitor, the control socket's node, the maintenance file and the promoter's drop-ins, all
/// in the virtual backend's in-memory file system.
@Suite struct DaemonVirtualFileTests {
    static let snippets = "/etc/drbd-reactor.d"
    static let snippet = snippets + "/50-prometheus.toml"
    static let main = "snippets = \"\(snippets)\"\nsnippets-monitoring-interval = 10\n[[log]]\nlevel = \"debug\"\n"

    static func prometheus(_ port: Int) -> String { "[[prometheus]]\naddress = \"127.0.0.1:\(port)\"\n" }

    /// A daemon started from `/etc/drbd-reactor.toml` and one prometheus snippet on port 9942, ready.
    func started() throws -> VirtualDaemon {
        let d = try VirtualDaemon(config: Self.main, files: [Self.snippet: Self.prometheus(9942), Self.snippets + "/notes.txt": "not a snippet"])
        try d.daemon.start()
        try d.run(until: { !d.notifier.times("READY=1").isEmpty })
        return d
    }

    /// Whether a connect to `port` is refused (nothing listens there).
    func refused(_ d: VirtualDaemon, _ port: UInt16) throws -> Bool {
        let fd = try d.loop.connect(.ipv4("127.0.0.1", port))
        defer { d.loop.close(fd) }
        return d.loop.connectionError(fd) == Errno(111)
    }

    @Test func theDaemonStartsFromItsInMemoryConfigAndSnippets() throws {
        let d = try started()
        #expect(d.daemon.config.snippetFiles.map(\.path) == [Self.snippet], "only *.toml files are snippets")
        #expect(try d.scrape(.ipv4("127.0.0.1", 9942)).contains("drbd_resource_resources 2"))
    }

    @Test func anEditedSnippetIsReportedThenAppliedBySighup() throws {
        let d = try started()
        try d.run(to: d.start + .seconds(5))
        try d.write(Self.snippet, Self.prometheus(9943))
        try d.run(to: d.start + .seconds(11))
        #expect(d.logged("Snippets in '\(Self.snippets)' changed since the configuration was loaded (changed or new: [\"\(Self.snippet)\"]"),
                "the monitor sees the new modification time")
        d.backend.raise(Signal.hangup)
        try d.run(until: { d.notifier.times("READY=1").count == 2 })
        #expect(try d.scrape(.ipv4("127.0.0.1", 9943)).hasPrefix("HTTP/1.1 200"))
        #expect(try refused(d, 9942), "the old instance stopped")
    }

    @Test func aBrokenSnippetKeepsTheRunningConfigAndNamesFileAndLine() throws {
        let d = try started()
        try d.write(Self.snippet, "[[prometheus]]\nadress = \"127.0.0.1:9943\"\n")
        d.backend.raise(Signal.hangup)
        try d.run(until: { d.notifier.times("READY=1").count == 2 })
        #expect(d.logged("\(Self.snippet):2:"), "\(d.log.entries.map(\.message).filter { $0.contains("adress") })")
        #expect(d.logged("keeping the running one"))
        #expect(try d.scrape(.ipv4("127.0.0.1", 9942)).hasPrefix("HTTP/1.1 200"))
        #expect(try refused(d, 9943))
    }

    @Test func aSnippetDirectoryThatIsAFileIsAWarning() throws {
        let d = try VirtualDaemon(config: Self.main, files: [Self.snippets: "a file"])
        #expect(d.daemon.config.warnings.contains { $0.contains("does not exist or is not a directory") })
    }

    /// Sends one control request as drbd-reactorctl does and returns the answer line.
    func control(_ d: VirtualDaemon, _ command: String) throws -> String {
        let client = try d.loop.connect(.unix(VirtualDaemon.controlSocket))
        defer { d.loop.close(client) }
        #expect(d.loop.connectionError(client) == nil)
        _ = try d.loop.write(client, Array("{\"command\":\"\(command)\"}\n".utf8))
        var answer: [UInt8] = []
        try d.run(until: {
            answer += d.backend.drain(client).bytes
            return answer.contains(10)
        })
        return String(decoding: answer, as: UTF8.self)
    }

    @Test func theControlSocketIsRootOnlyAnswersAndIsRemovedAtStop() throws {
        let d = try started()
        let path = VirtualDaemon.controlSocket
        #expect(d.backend.fileSystem.kind(path) == .socket, "bound in the run directory, which the daemon made")
        #expect(d.backend.fileSystem.mode(path) == 0o600)
        let status = try control(d, "status")
        #expect(status.hasPrefix("{\"type\":\"status\",\"node\":\"n1\",\"maintenance\":{\"node\":false"), "\(status)")
        // drbd-reactorctl maintenance: the state file, then the request that makes the daemon read it.
        try d.write(VirtualDaemon.maintenancePath, PromoterMaintenance(node: true).text)
        let answer = try control(d, "maintenance")
        #expect(answer.contains("\"maintenance\":{\"node\":true"), "\(answer)")
        #expect(try control(d, "bogus").contains("\"type\":\"error\""))
        d.backend.raise(Signal.terminate)
        try d.run(until: { d.loop.exitRequested })
        #expect(d.loop.exitRequested)
        #expect(d.backend.fileSystem.kind(path) == nil, "the socket's node is removed at stop")
    }

    @Test func aRunDirectoryThatCannotBeMadeLeavesTheDaemonWithoutControlSocket() throws {
        let d = try VirtualDaemon(config: Self.main, files: [Self.snippet: Self.prometheus(9942), "/run/drbd-reactor": "a file, not a directory"])
        try d.daemon.start()
        try d.run(until: { !d.notifier.times("READY=1").isEmpty })
        #expect(d.logged("Failed to open the control socket '\(VirtualDaemon.controlSocket)'"))
        #expect(d.logged(Errno.notADirectory.description))
        #expect(try d.scrape(.ipv4("127.0.0.1", 9942)).hasPrefix("HTTP/1.1 200"), "the daemon runs without it")
    }

    @Test func anUnreadableMaintenanceFileIsAWarningAndNoMaintenance() throws {
        let d = try VirtualDaemon(config: Self.main, files: [VirtualDaemon.maintenancePath: PromoterMaintenance(node: true).text])
        d.backend.fileSystem.failing[VirtualDaemon.maintenancePath] = Errno.permissionDenied
        try d.daemon.start()
        try d.run(until: { !d.notifier.times("READY=1").isEmpty })
        #expect(d.logged("Could not read the maintenance state '\(VirtualDaemon.maintenancePath)': \(Errno.permissionDenied)"))
        #expect(try control(d, "status").contains("\"maintenance\":{\"node\":false"))
    }
}

/// The promoters' context (node name, cgroup v2) is probed through the loop's files.
@Suite struct PromoterContextProbeTests {
    @Test func nodeNameAndCgroupsComeFromProcAndSys() throws {
        let backend = VirtualBackend()
        let loop = EventLoop(backend: backend, logger: Logger(label: "test"))
        let bare = PromoterContext.current(files: loop)
        #expect(bare.nodeName == nil && !bare.unifiedCgroups, "no /proc, no /sys: no name, cgroup v1")
        try backend.fileSystem.write("/proc/sys/kernel/hostname", "node7\n")
        try backend.fileSystem.write("/sys/fs/cgroup/cgroup.controllers", "cpu io memory\n")
        let probed = PromoterContext.current(files: loop)
        #expect(probed.nodeName == "node7")
        #expect(probed.unifiedCgroups)
    }
}

/// The promoter's generated systemd files land in the virtual file system, and `stop-services-on-exit`
/// removes its shutdown ordering drop-in there before it stops the target.
@Suite struct DaemonVirtualDropInTests {
    @Test func dropInsAreWrittenAndTheBeforeFileRemovedAtExit() throws {
        let (d, calls) = try DaemonVirtualPromoterTests().daemon(
            maintenance: nil, config: DaemonVirtualPromoterTests.config + "stop-services-on-exit = true\n")
        try d.daemon.start()
        try d.run(to: d.start + .seconds(30))
        guard case .promoter(let config)? = d.daemon.config.plugins.first else {
            Issue.record("no promoter in \(d.daemon.config.plugins)")
            return
        }
        let expected = try PromoterUnits.files(for: try #require(config.resources.first)).files
        #expect(expected.count > 1)
        for file in expected {
            #expect(d.backend.fileSystem.contents(VirtualDaemon.systemdDirectory + "/" + file.path) == file.contents, "\(file.path)")
        }
        let before = VirtualDaemon.systemdDirectory + "/" + PromoterUnits.beforeFile(resource: "r0")
        #expect(d.backend.fileSystem.kind(before) == .regularFile)
        #expect(calls().contains { $0.1.contains("start") && $0.1.contains("drbd-services@r0.target") })
        d.backend.raise(Signal.terminate)
        try d.run(until: { d.loop.exitRequested })
        #expect(d.backend.fileSystem.kind(before) == nil, "removed before the exit stop")
        #expect(calls().contains { $0.1.contains("stop") && $0.1.contains("drbd-services@r0.target") }, "\(calls())")
    }
}
