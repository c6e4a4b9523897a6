import Testing
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorLoop
@testable import ReactorLog
@testable import ReactorPromoter
@testable import ReactorDaemon

/// The daemon's systemd watch on virtual time: the virtual bus stands in for systemd's, so a failed
/// unit is signalled, connects are refused and connections are lost, and each timing is exact.
@Suite struct DaemonVirtualBusTests {
    static let target = "drbd-services@r0.target"
    static let refused = Errno(111)  // ECONNREFUSED

    /// A promoter daemon for r0 (start list `a.service`) whose systemd says every unit is active; systemd
    /// is on the virtual bus unless `systemd` is false. The `systemctl` calls, with their virtual times.
    func daemon(systemd: Bool = true) throws -> (VirtualDaemon, () -> [(Instant, [String])]) {
        let (d, _) = try DaemonVirtualPromoterTests().daemon(maintenance: nil)
        var calls: [(Instant, [String])] = []
        d.backend.install("systemctl") { child in
            calls.append((child.now, Array(child.argv.dropFirst())))
            if child.argv.contains("show") { child.print("ActiveState=active") }
            child.exit(0)
        }
        if systemd { d.backend.bus.endpoints = [.system] }
        return (d, { calls })
    }

    func count(_ d: VirtualDaemon, _ text: String) -> Int { d.log.entries.filter { $0.message.contains(text) }.count }

    /// The `systemctl start` calls of r0's target at or after `since`.
    func targetStarts(_ calls: [(Instant, [String])], since: Instant) -> [Instant] {
        calls.filter { $0.0 >= since && $0.1.contains("start") && $0.1.contains(Self.target) }.map(\.0)
    }

    @Test func aFailedUnitOnTheBusIsRepairedAtOnceNotAtTheTicker() throws {
        let (d, calls) = try daemon()
        let t0 = d.start
        try d.daemon.start()
        try d.run(to: t0 + .seconds(10))
        #expect(count(d, "Watching the promoters' systemd units over the system bus") == 1)
        #expect(d.backend.bus.calls.map(\.member) == ["Subscribe"])
        #expect(d.backend.bus.openConnections == 1)
        let failedAt = d.loop.now
        for m in SystemdSignals.unitChanged("a.service", activeState: "failed", subState: "failed", result: "exit-code") {
            d.backend.bus.publish(m)
        }
        d.backend.bus.publish(SystemdSignals.jobRemoved(id: 9, unit: "other.service", result: "failed"))  // not r0's
        try d.run(to: failedAt + .seconds(5))
        #expect(d.logged("systemd: unit failed: a.service: exit-code"))
        #expect(d.logged("systemd: starting '\(Self.target)' again in 1000ms"))
        // The repair: the target's state asked, then its start, one second (the repair's first delay) on.
        let after = calls().filter { $0.0 >= failedAt }.map(\.1)
        let show = after.firstIndex(of: ["show", "--property=ActiveState", Self.target])
        let start = after.firstIndex { $0.contains("start") && $0.contains(Self.target) }
        #expect(show != nil && start != nil && show! < start!, "\(after)")
        #expect(targetStarts(calls(), since: failedAt) == [failedAt + .seconds(1)])
        #expect(!d.logged("other.service"))
    }

    @Test func withoutTheBusTheSameFailureWaitsForNothing() throws {
        // The control: the promoter alone never notices a failed service under an active target.
        let (d, calls) = try daemon(systemd: false)
        let t0 = d.start
        try d.daemon.start()
        try d.run(to: t0 + .seconds(10))
        d.backend.bus.publish(SystemdSignals.unitChanged("a.service", activeState: "failed", subState: "failed").last!)
        try d.run(to: t0 + .seconds(60))
        #expect(targetStarts(calls(), since: t0 + .seconds(10)).isEmpty, "\(calls())")
        #expect(count(d, "Not watching the promoters' systemd units over D-Bus (systemd is not the init system here)") == 1)
        #expect(d.backend.bus.connects.isEmpty)
    }

    @Test func refusedConnectsAreRetriedDoublingAndLoggedOnce() throws {
        let (d, _) = try daemon()
        d.backend.bus.refusal = Self.refused
        let t0 = d.start
        try d.daemon.start()
        try d.run(to: t0 + .seconds(100))
        #expect(d.backend.bus.connects.map { $0.at - t0 } == [0, 1, 3, 7, 15, 31, 63].map { .seconds($0) })
        #expect(count(d, "Not watching the promoters' systemd units over D-Bus (cannot connect to the system bus: \(Self.refused))") == 1)
        #expect(count(d, "Not watching") == 1, "said once, however often it is tried")
        // systemd comes back: the next attempt (a minute later, the limit) works.
        d.backend.bus.refusal = nil
        try d.run(to: t0 + .seconds(130))
        #expect(d.backend.bus.connects.last.map { $0.at - t0 } == .seconds(123))
        #expect(count(d, "Watching the promoters' systemd units over the system bus") == 1)
        #expect(d.backend.bus.openConnections == 1)
    }

    @Test func aLostConnectionIsWarnedAboutAndReconnected() throws {
        let (d, calls) = try daemon()
        let t0 = d.start
        try d.daemon.start()
        try d.run(to: t0 + .seconds(10))
        d.backend.bus.disconnectAll()  // systemctl daemon-reexec
        try d.run(to: t0 + .seconds(20))
        #expect(count(d, "Not watching the promoters' systemd units any more (the connection to the system bus ended: \(Errno.connectionReset)); their 20 s check goes on, connecting again in \(Duration.seconds(1)).") == 1)
        #expect(d.backend.bus.connects.map { $0.at - t0 } == [.zero, .seconds(10) + .seconds(1)])
        #expect(count(d, "Watching the promoters' systemd units over the system bus") == 2)
        #expect(d.backend.bus.openConnections == 1, "the old connection is closed, the new one open")
        // The new connection works like the first.
        for m in SystemdSignals.unitChanged("a.service", activeState: "failed", subState: "failed", result: "signal") { d.backend.bus.publish(m) }
        try d.run(to: t0 + .seconds(25))
        #expect(targetStarts(calls(), since: t0 + .seconds(20)) == [t0 + .seconds(21)])
    }

    @Test func theConnectionIsClosedAtStop() throws {
        let (d, _) = try daemon()
        try d.daemon.start()
        try d.run(to: d.start + .seconds(5))
        #expect(d.backend.bus.openConnections == 1)
        d.backend.raise(Signal.terminate)
        try d.run(until: { d.loop.exitRequested })
        #expect(d.backend.bus.openConnections == 0)
    }
}
