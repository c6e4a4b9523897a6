import Testing
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorDaemon

/// The events2 source's decisions on injected time: start, poll, respawn backoff, stop.
@Suite struct Events2MachineTests {
    static let t0 = Instant(nanoseconds: 1_000_000_000)
    static let timings = DaemonTimings.Respawn(initial: .seconds(2), maximum: .seconds(8), healthyAfter: .seconds(60))

    @Test func startsPollsAndStopsTheChild() {
        var m = Events2Machine(timings: Self.timings, pollInterval: .seconds(60))
        #expect(m.handle(.start, now: Self.t0) == [.spawn])
        #expect(m.handle(.spawned(pid: 42), now: Self.t0) == [
            .log(.info, "Started 'drbdsetup events2 --full --poll' (pid 42)."), .pollEvery(.seconds(60)),
        ])
        #expect(m.handle(.pollDue, now: Self.t0 + .seconds(60)) == [.poll])
        #expect(m.handle(.pollInterval(.seconds(5)), now: Self.t0) == [.pollEvery(.seconds(5))])
        #expect(m.handle(.pollInterval(.zero), now: Self.t0) == [.pollEvery(nil)])  // 0: no polling
        #expect(m.handle(.stop, now: Self.t0) == [.cancelRespawn, .pollEvery(nil), .closeStdin, .signal(Signal.terminate)])
        #expect(m.handle(.pollDue, now: Self.t0).isEmpty)
        #expect(m.handle(.exited(.exited(0)), now: Self.t0) == [.pollEvery(nil), .log(.info, "drbdsetup ended (exit status 0)."), .gone])
        #expect(m.handle(.respawnDue, now: Self.t0 + .seconds(10)).isEmpty, "nothing starts after stop")
    }

    /// A read chunk's tally becomes one count effect per counter, whatever the number of lines in it.
    @Test func aReadChunkCountsItsLinesAtOnce() {
        var m = Events2Machine(timings: Self.timings, pollInterval: nil)
        #expect(m.handle(.linesRead(lines: 270, unparsed: 0), now: Self.t0) == [.count(.events2Lines, by: 270)])
        #expect(m.handle(.linesRead(lines: 3, unparsed: 2), now: Self.t0) == [
            .count(.events2Lines, by: 3), .count(.events2Unparsed, by: 2),
        ])
        #expect(m.handle(.linesRead(lines: 0, unparsed: 0), now: Self.t0).isEmpty)
    }

    /// Quick failures double the delay up to the maximum; each new start after the first is counted.
    @Test func respawnBacksOffAndCountsRestarts() {
        var m = Events2Machine(timings: Self.timings, pollInterval: nil)
        var now = Self.t0
        _ = m.handle(.start, now: now)
        _ = m.handle(.spawned(pid: 1), now: now)
        var delays: [Duration] = []
        var restarts = 0
        for _ in 0..<4 {
            let effects = m.handle(.exited(.exited(3)), now: now)
            #expect(effects.contains(.gone))
            guard case .respawnAt(let at)? = effects.last else {
                Issue.record("no respawn: \(effects)")
                return
            }
            delays.append(at - now)
            now = at
            let again = m.handle(.respawnDue, now: now)
            restarts += again.filter { $0 == .count(.drbdsetupRestarts) }.count
            #expect(again.last == .spawn)
            _ = m.handle(.spawned(pid: 2), now: now)
        }
        #expect(delays == [.seconds(2), .seconds(4), .seconds(8), .seconds(8)])
        #expect(restarts == 4)
        // A child that ran for a minute resets the backoff.
        let late = m.handle(.exited(.exited(3)), now: now + .seconds(60))
        #expect(late.last == .respawnAt(now + .seconds(62)))
    }

    @Test func aFailedStartIsRetriedAndAClosedStdoutKillsTheChild() {
        var m = Events2Machine(timings: Self.timings, pollInterval: nil)
        _ = m.handle(.start, now: Self.t0)
        #expect(m.handle(.spawnFailed("ENOENT"), now: Self.t0) == [
            .log(.error, "Failed to start 'drbdsetup events2 --full --poll': ENOENT (is drbdsetup in PATH?); retrying in 2.0 seconds."),
            .respawnAt(Self.t0 + .seconds(2)),
        ])
        #expect(m.handle(.respawnDue, now: Self.t0 + .seconds(2)) == [.count(.drbdsetupRestarts), .spawn])
        _ = m.handle(.spawned(pid: 7), now: Self.t0 + .seconds(2))
        #expect(m.handle(.stdoutEnded, now: Self.t0 + .seconds(3)) == [.signal(Signal.kill)])
    }
}
