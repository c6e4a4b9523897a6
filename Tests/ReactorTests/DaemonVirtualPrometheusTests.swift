import Testing
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorLoop
@testable import ReactorDaemon

/// The `/metrics` listener on virtual time, the whole daemon around it: the any-address and its IPv6
/// fallback, host names (`localhost`, and a name answered by a virtual `getent` child), a bind failure
/// at start, a stop while a name is resolved, the listening socket kept over a reload.
@Suite struct DaemonVirtualPrometheusTests {
    static func config(_ address: String, enums: Bool = false) -> String {
        DaemonVirtualTests.quiet + "[[prometheus]]\naddress = \"\(address)\"\n" + (enums ? "enums = true\n" : "")
    }

    /// A daemon with `[[prometheus]]` on `address`, started and ready.
    func ready(_ address: String, before start: (VirtualDaemon) throws -> Void = { _ in }) throws -> VirtualDaemon {
        let d = try VirtualDaemon(config: Self.config(address))
        try start(d)
        try d.daemon.start()
        try d.run(until: { !d.notifier.times("READY=1").isEmpty })
        return d
    }

    /// The virtual listening sockets bound at `address`.
    func listeners(_ d: VirtualDaemon, at address: Socket.Address) -> [Int32] {
        d.backend.openFiles.filter { d.backend.localAddress(FileDescriptor.borrowing($0)) == address }
    }

    @Test func theAnyAddressIsIPv6sAndTakesIPv4Clients() throws {
        let d = try ready(":9942")
        #expect(d.logged("Serving /metrics on :9942."))
        #expect(listeners(d, at: .ipv6("::", 9942)).count == 1)
        #expect(try d.scrape(.ipv4("127.0.0.1", 9942)).contains("drbd_resource_resources 2"))
    }

    @Test func withoutIPv6TheIPv4AnyAddressIsServedAndTheLogSaysSo() throws {
        let d = try ready(":9942") { $0.backend.ipv6Disabled = true }
        #expect(d.logged("IPv6 is not available; listening on 0.0.0.0:9942 only."))
        #expect(d.logged("Serving /metrics on :9942."))
        #expect(listeners(d, at: .ipv4("0.0.0.0", 9942)).count == 1)
        #expect(try d.scrape(.ipv4("127.0.0.1", 9942)).contains("drbd_resource_resources 2"))
    }

    @Test func localhostIsServedWithoutAResolverChild() throws {
        let d = try ready("localhost:9942")
        try d.run(until: { d.logged("Serving /metrics") })
        #expect(d.logged("Serving /metrics on localhost:9942."))
        #expect(!d.backend.spawnLog.contains { $0.first == "getent" })
        #expect(try d.scrape(.ipv4("127.0.0.1", 9942)).contains("drbd_resource_resources 2"))
    }

    /// `getent ahosts` runs as a child; the first address it answers is served.
    @Test func aNameAnsweredByGetentIsServedOnItsFirstAddress() throws {
        let d = try ready("metrics.example:9942") { d in
            d.backend.install("getent") { child in
                child.after(.milliseconds(30)) {
                    child.print("127.0.0.1       STREAM metrics.example", "127.0.0.1       DGRAM", "::1             STREAM")
                    child.exit(0)
                }
            }
        }
        try d.run(until: { d.logged("Serving /metrics") })
        #expect(d.backend.spawnLog.contains(["getent", "ahosts", "metrics.example"]))
        #expect(d.logged("Serving /metrics on metrics.example:9942."))
        #expect(listeners(d, at: .ipv4("127.0.0.1", 9942)).count == 1)
        #expect(listeners(d, at: .ipv6("::1", 9942)).isEmpty)
        #expect(try d.scrape(.ipv4("127.0.0.1", 9942)).contains("drbd_resource_resources 2"))
    }

    @Test func anUnknownNameIsLoggedNamingItAndTheDaemonRunsOn() throws {
        let d = try ready("nowhere.example:9942") { d in d.backend.install("getent") { $0.exit(2) } }
        try d.run(until: { d.logged("Failed to serve") })
        #expect(d.logged("Failed to serve /metrics on nowhere.example:9942: cannot listen on 'nowhere.example': the name has no address."))
        #expect(!d.logged("Serving /metrics"))
        #expect(!d.loop.exitRequested)
    }

    /// A bind failure at start fails that instance's start (logged with the socket's error); the
    /// instance is not running, so a reload that still wants it tries again.
    @Test func aBindFailureAtStartIsLoggedAndRetriedAtTheNextReload() throws {
        var blocker: FileDescriptor?
        let d = try ready("127.0.0.1:9942") { d in blocker = try d.loop.listen(.ipv4("127.0.0.1", 9942)) }
        #expect(d.log.entries.contains {
            $0.level == .error && $0.message.contains("Failed to start prometheus plugin on '127.0.0.1:9942'")
                && $0.message.contains("\(Errno.addressInUse)")
        })
        #expect(!d.logged("Serving /metrics"))
        d.loop.close(try #require(blocker))
        d.backend.raise(Signal.hangup)
        try d.run(until: { d.notifier.times("READY=1").count == 2 })
        #expect(d.logged("Serving /metrics on 127.0.0.1:9942."))
        #expect(try d.scrape(.ipv4("127.0.0.1", 9942)).hasPrefix("HTTP/1.1 200"))
    }

    /// The instance goes away (a reload drops it) while its name is resolved: the resolver child is
    /// killed, and its answer, had it come, makes nothing listen.
    @Test func aStopWhileTheNameIsResolvedMeansNothingListensLater() throws {
        var resolver: VirtualChild?
        let d = try ready("metrics.example:9942") { d in
            d.backend.install("getent") { child in
                resolver = child
                child.after(.seconds(2)) { child.print("127.0.0.1 STREAM metrics.example") }
            }
        }
        let child = try #require(resolver)
        d.dir.write("drbd-reactor.toml", DaemonVirtualTests.quiet + "[[debugger]]\n")
        d.backend.raise(Signal.hangup)
        try d.run(until: { d.notifier.times("READY=1").count == 2 })
        #expect(child.signals == [Signal.kill])
        try d.run(to: d.loop.now + .seconds(10))
        #expect(!d.logged("Serving /metrics"))
        #expect(listeners(d, at: .ipv4("127.0.0.1", 9942)).isEmpty)
    }

    /// A reload that replaces the instance on the same address (another `enums`) hands the same
    /// listening socket to the new one: the port is never closed.
    @Test func aReloadKeepsTheListeningSocket() throws {
        let d = try ready("127.0.0.1:9942")
        let before = listeners(d, at: .ipv4("127.0.0.1", 9942))
        #expect(before.count == 1)
        d.dir.write("drbd-reactor.toml", Self.config("127.0.0.1:9942", enums: true))
        d.backend.raise(Signal.hangup)
        try d.run(until: { d.notifier.times("READY=1").count == 2 })
        #expect(listeners(d, at: .ipv4("127.0.0.1", 9942)) == before)
        #expect(!d.logged("Closing the listening socket"))
        #expect(try d.scrape(.ipv4("127.0.0.1", 9942)).contains("drbd_resource_role{name=\"db\",drbd_resource_role=\"Primary\"} 1"))
    }

    /// At the cap (256 clients) a new connection is admitted by closing the longest idle client, which
    /// the machine picks; the newcomer's scrape is answered.
    @Test func atTheCapTheLongestIdleClientMakesRoom() throws {
        let d = try ready("127.0.0.1:9942")
        var idle: [FileDescriptor] = []
        for _ in 0..<256 {
            idle.append(try d.loop.connect(.ipv4("127.0.0.1", 9942)))
            try d.run(to: d.loop.now + .milliseconds(1))
        }
        #expect(!idle.contains { d.backend.drain($0).ended })
        #expect(try d.scrape(.ipv4("127.0.0.1", 9942)).contains("drbd_resource_resources 2"))
        #expect(d.backend.drain(idle[0]).ended, "the longest idle client was closed")
        #expect(!idle[1...].contains { d.backend.drain($0).ended })
        #expect(d.logged("Connection limit (256) reached; closed the longest idle /metrics client."))
        for fd in idle { d.loop.close(fd) }
    }
}
