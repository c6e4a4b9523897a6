import Logging
import Testing
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorLoop

/// The loop on the virtual backend: time jumps to the next deadline, dispatch order within a turn
/// (signals and child exits before I/O), the built-in watchdog, virtual children and sockets.
@Suite struct VirtualLoopTests {
    let backend = VirtualBackend()
    let loop: EventLoop

    init() {
        loop = EventLoop(backend: backend, logger: Logger(label: "test"))
    }

    /// Turns the loop until `done` (at most `turns` turns; virtual time makes each one instant).
    func run(turns: Int = 1000, until done: () -> Bool) throws {
        var n = 0
        while !done() && n < turns {
            try loop.runOnce(timeout: nil)
            n += 1
        }
        #expect(done(), "condition not reached within \(turns) turns")
    }

    /// Turns the loop until virtual time reaches `instant`.
    func run(to instant: Instant) throws {
        while loop.now < instant { try loop.runOnce(timeout: instant - loop.now) }
    }

    @Test func timersFireAtTheirVirtualDeadlinesWithoutWaiting() throws {
        let start = loop.now
        var fired: [(Int, Instant)] = []
        loop.addTimer(at: start + .seconds(60), name: "b") { fired.append((2, loop.now)) }
        loop.addTimer(at: start + .seconds(2), name: "a") { fired.append((1, loop.now)) }
        let wall = Clock.now()
        try run { fired.count == 2 }
        #expect(fired.map(\.0) == [1, 2])
        #expect(fired.map(\.1) == [start + .seconds(2), start + .seconds(60)])
        #expect(Clock.now() - wall < .seconds(5))  // a minute of virtual time is not waited for
    }

    /// What a driver of several loops on one clock (the HA lab) reads and does: the loop's next
    /// deadline, whether the backend has work now, and moving the clock without running anything.
    @Test func aDriverSeesDeadlinesAndWorkAndMovesTheClock() throws {
        let start = loop.now
        #expect(loop.nextDeadline == nil && backend.nextScheduledWork == nil && !backend.hasWorkNow)
        var fired = false
        loop.addTimer(at: start + .seconds(5), name: "t") { fired = true }
        backend.schedule(after: .seconds(3)) {}
        #expect(loop.nextDeadline == start + .seconds(5))
        #expect(backend.nextScheduledWork == start + .seconds(3))
        loop.deferWork {}
        #expect(loop.nextDeadline == start, "deferred work is due now")
        try loop.runOnce(timeout: .zero)
        #expect(backend.now == start && loop.nextDeadline == start + .seconds(5), "a zero timeout never moves the clock")
        backend.advance(to: start + .seconds(3))
        #expect(backend.hasWorkNow, "the scheduled work is due")
        backend.advance(to: start + .seconds(1))
        #expect(backend.now == start + .seconds(3), "the clock never goes back")
        try loop.runOnce(timeout: .zero)
        #expect(!backend.hasWorkNow && !fired)
        let (r, w) = try loop.pipe()
        let source = try loop.addIO(r, events: .readable, name: "pipe") { _ in }
        _ = try loop.write(w, Array("x".utf8))
        #expect(backend.hasWorkNow, "a watched fd is ready")
        loop.removeIO(source)
        #expect(!backend.hasWorkNow, "an unwatched fd is not")
        loop.close(r)
        loop.close(w)
        backend.advance(to: start + .seconds(5))
        try loop.runOnce(timeout: .zero)
        #expect(fired && loop.nextDeadline == nil)
    }

    @Test func signalsAndChildExitsAreDispatchedBeforeIOOfTheSameTurn() throws {
        var order: [String] = []
        let (r, w) = try loop.pipe()
        try loop.addIO(r, events: .readable, name: "pipe") { _ in
            order.append("io")
            var sink: [UInt8] = []
            _ = try loop.read(r, appendingTo: &sink)
        }
        try loop.handleSignals([Signal.terminate]) { _ in order.append("signal") }
        backend.install("worker") { child in child.after(.seconds(1)) { child.exit(0) } }
        try loop.spawn(argv: ["worker"], environment: [], name: "worker", onLine: nil) { _ in order.append("exit") }
        // All three become ready at the same virtual instant; the pipe was registered first.
        backend.schedule(after: .seconds(1)) {
            _ = try? loop.write(w, Array("x".utf8))
            backend.raise(Signal.terminate)
        }
        try run { order.count == 3 }
        #expect(order == ["signal", "exit", "io"])
    }

    @Test func watchdogPingsEveryHalfPeriodAsLongAsTheLoopTurns() throws {
        var pings: [Instant] = []
        let start = loop.now
        loop.enableWatchdog(interval: .milliseconds(200)) { pings.append(loop.now) }
        try run(to: start + .seconds(1))
        #expect(pings.count == 11)  // at once, then every 100 ms for 1 s
        let gaps = zip(pings, pings.dropFirst()).map { $1 - $0 }
        #expect(gaps.allSatisfy { $0 == .milliseconds(100) }, "\(gaps)")
    }

    @Test func watchdogIsMissedWhileAHandlerBlocksTheLoop() throws {
        // The ping comes from the loop's turns: a handler that keeps the loop for 1 s delays it, which is
        // what lets systemd notice a stuck daemon.
        var pings: [Instant] = []
        let start = loop.now
        loop.enableWatchdog(interval: .milliseconds(200)) { pings.append(loop.now) }
        loop.addTimer(at: start + .milliseconds(150), name: "stuck") { backend.advance(by: .seconds(1)) }
        try run(to: start + .milliseconds(1200))
        #expect(Array(pings.prefix(3)) == [start, start + .milliseconds(100), start + .milliseconds(1150)])
    }

    @Test func childOutputLinesComeBeforeItsExitAndStdinReachesIt() throws {
        var seen: [String] = []
        backend.install("echo-back") { child in
            child.print("hello \(child.argv.dropFirst().joined(separator: " "))")
            child.onInput = { bytes in
                child.write(String(decoding: bytes, as: UTF8.self))
                child.exit(3)
            }
        }
        let (_, process) = try loop.spawn(
            argv: ["/usr/bin/echo-back", "a", "b"], environment: [], stdio: .init(pipeStdin: true), name: "echo",
            onLine: { _, line in seen.append(String(decoding: line, as: UTF8.self)) },
            onExit: { seen.append("exit: \($0)") })
        try run { seen.count == 1 }
        _ = try loop.write(try #require(process.stdin), Array("ping\n".utf8))
        try run { seen.count == 3 }
        #expect(seen == ["hello a b", "ping", "exit: \(ChildExit.exited(3))"])
        #expect(loop.runningChildren == 0)
        #expect(backend.openFiles.isEmpty, "the loop closed every pipe and pidfd")
    }

    @Test func signalledChildDiesUnlessItHandlesTheSignal() throws {
        var exits: [ChildExit] = []
        backend.install("stubborn") { child in child.onSignal = { _ in } }
        backend.install("meek") { _ in }
        let (stubborn, _) = try loop.spawn(argv: ["stubborn"], environment: [], name: "s", onLine: nil) { exits.append($0) }
        let (meek, _) = try loop.spawn(argv: ["meek"], environment: [], name: "m", onLine: nil) { exits.append($0) }
        try loop.runOnce(timeout: .zero)
        loop.signal(stubborn, Signal.terminate)
        loop.signal(meek, Signal.terminate)
        try run { exits.count == 1 }
        #expect(exits == [.signaled(Signal.terminate)])
        loop.signal(stubborn, Signal.kill)
        try run { exits.count == 2 }
        #expect(exits.last == .signaled(Signal.kill))
    }

    @Test func unknownProgramFailsToSpawnAsWithPosixSpawn() {
        #expect(throws: Errno.noEntry) {
            try loop.spawn(argv: ["no-such-program"], environment: [], name: "x", onLine: nil) { _ in }
        }
        #expect(backend.spawnLog == [["no-such-program"]])
    }

    @Test func socketsConnectAcceptAndCarryBytesBothWays() throws {
        let listener = try loop.listen(.ipv6("::", 0))
        let address = try #require(loop.localAddress(listener))
        guard case .ipv6(_, let port) = address else { Issue.record("not ipv6: \(address)"); return }
        // `[::]` takes IPv4 connections too.
        let client = try loop.connect(.ipv4("127.0.0.1", port))
        #expect(loop.connectionError(client) == nil)
        let server = try #require(try loop.accept(listener))
        #expect(try loop.accept(listener) == nil)
        #expect(try loop.write(client, Array("GET".utf8)) == 3)
        #expect(backend.drain(server).bytes == Array("GET".utf8))
        _ = try loop.write(server, gathering: [Array("a".utf8), Array("bc".utf8)], from: 0)
        loop.close(server)
        let answer = backend.drain(client)
        #expect(answer.bytes == Array("abc".utf8) && answer.ended)
        #expect(throws: Errno.brokenPipe) { try loop.write(client, [1]) }
        let refused = try loop.connect(.ipv4("127.0.0.1", 1))
        #expect(loop.connectionError(refused) != nil)
    }

    @Test func aFullPipeTakesNothingUntilTheReaderDrainsIt() throws {
        backend.channelCapacity = 8
        let (r, w) = try loop.pipe()
        #expect(try loop.write(w, Array(repeating: 1, count: 20)) == 8)
        #expect(try loop.write(w, [1]) == 0)
        var writable = 0
        try loop.addIO(w, events: .writable, name: "w") { _ in writable += 1 }
        try loop.runOnce(timeout: .seconds(1))
        #expect(writable == 0)
        _ = backend.drain(r)
        try loop.runOnce(timeout: .seconds(1))
        #expect(writable == 1)
    }
}
