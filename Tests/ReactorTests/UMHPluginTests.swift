import Testing
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorLoop
@testable import ReactorLog
@testable import ReactorPromoter
@testable import ReactorUMH
@testable import ReactorDebugger
@testable import ReactorAgentX
@testable import ReactorPrometheus
@testable import ReactorDaemon

@Suite struct UMHPluginTests {
    static let t0 = Instant(nanoseconds: 1_000_000_000)

    /// A plugin with a quick rule and a hanging one with a 30 s timeout, both on every resource change.
    static func plugin(stats: ReactorStats? = nil) -> UMHPlugin {
        UMHPlugin(config: UMHConfig(resource: [
            UMHRule(type: .resource, name: "quick", command: "true"),
            UMHRule(type: .resource, name: "hang", command: "sleep 1000", timeout: .seconds(30)),
            UMHRule(type: .resource, name: "never", command: "false", filters: ["resource-name": UMHPattern(.equals, .text("r9"))]),
        ]), stats: stats)
    }

    static let update = UMHFixture.resourceUpdate()

    static func request(_ command: String) -> SpawnRequest {
        UMHRule(type: .resource, command: command).spawnRequest(for: update)
    }

    @Test func matchingRulesSpawnInConfigOrderWithTimeout() {
        let stats = ReactorStats()
        var p = Self.plugin(stats: stats)
        let effects = p.handle(.update(Self.update), now: Self.t0)
        #expect(effects == [
            .log(.info, "rule 'quick' matched Change of resource r0, running 'true'", resource: "r0"),
            .spawn(1, Self.request("true")),
            .log(.info, "rule 'hang' matched Change of resource r0, running 'sleep 1000'", resource: "r0"),
            .spawn(2, Self.request("sleep 1000")),
            .startTimer(3, at: Self.t0 + .seconds(30)),
        ])
        #expect(p.runningCommands == 2)
        #expect(stats.umhCommandsRun == 2)
        #expect(stats.umhCommandsFailed == 0)
    }

    @Test func nonMatchingUpdatesHaveNoEffects() {
        let stats = ReactorStats()
        var p = Self.plugin(stats: stats)
        #expect(p.handle(.update(UMHFixture.deviceUpdate()), now: Self.t0).isEmpty)
        #expect(p.handle(.update(UMHFixture.resourceUpdate(name: "r9")), now: Self.t0).count == 7)
        var none = UMHPlugin(config: UMHConfig())
        #expect(none.handle(.update(Self.update), now: Self.t0).isEmpty)
        #expect(stats.umhCommandsRun == 3)
    }

    @Test func hangingCommandGetsSIGTERMThenSIGKILL() {
        let stats = ReactorStats()
        var p = Self.plugin(stats: stats)
        _ = p.handle(.update(Self.update), now: Self.t0)
        let t30 = Self.t0 + .seconds(30)
        #expect(p.handle(.timer(3), now: t30) == [
            .log(.warning, "rule 'hang': command still running after 30 s, sending SIGTERM", resource: "r0"),
            .signal(2, 15),
            .startTimer(4, at: t30 + .seconds(5)),
        ])
        #expect(p.handle(.timer(4), now: t30 + .seconds(5)) == [
            .log(.warning, "rule 'hang': command did not exit after SIGTERM, sending SIGKILL", resource: "r0"),
            .signal(2, 9),
        ])
        #expect(p.handle(.childExited(2, .signaled(9)), now: t30 + .seconds(5)) == [
            .log(.warning, "rule 'hang': command failed (signal 9)", resource: "r0"),
        ])
        #expect(p.runningCommands == 1)
        #expect(stats.umhCommandsFailed == 1)
        // Stale timers (already fired) do nothing.
        #expect(p.handle(.timer(3), now: t30 + .seconds(6)).isEmpty)
    }

    @Test func exitOnSIGTERMCancelsTheKillTimer() {
        var p = Self.plugin()
        _ = p.handle(.update(Self.update), now: Self.t0)
        _ = p.handle(.timer(3), now: Self.t0 + .seconds(30))
        #expect(p.handle(.childExited(2, .signaled(15)), now: Self.t0 + .seconds(31)) == [
            .cancelTimer(4),
            .log(.warning, "rule 'hang': command failed (signal 15)", resource: "r0"),
        ])
        #expect(p.handle(.timer(4), now: Self.t0 + .seconds(35)).isEmpty)
    }

    @Test func commandsRunConcurrentlyAndEndIndependently() {
        let stats = ReactorStats()
        var p = Self.plugin(stats: stats)
        _ = p.handle(.update(Self.update), now: Self.t0)
        // A second event while the first "hang" still runs: new tokens, nothing waits.
        let second = p.handle(.update(Self.update), now: Self.t0 + .seconds(1))
        #expect(second.compactMap { if case .spawn(let t, _) = $0 { t } else { nil } } == [PluginToken(4), 5])
        #expect(second.last == .startTimer(6, at: Self.t0 + .seconds(31)))
        #expect(p.runningCommands == 4)
        #expect(p.handle(.childExited(4, .exited(0)), now: Self.t0 + .seconds(1)) == [
            .log(.debug, "rule 'quick': command finished successfully", resource: "r0"),
        ])
        #expect(p.handle(.childExited(1, .exited(2)), now: Self.t0 + .seconds(2)) == [
            .log(.warning, "rule 'quick': command failed (exit status 2)", resource: "r0"),
        ])
        // The first hang times out on its own schedule; the second one's timer is still armed.
        #expect(p.handle(.timer(3), now: Self.t0 + .seconds(30)).contains(.signal(2, 15)))
        #expect(p.handle(.childExited(5, .exited(0)), now: Self.t0 + .seconds(30)) == [
            .cancelTimer(6),
            .log(.debug, "rule 'hang': command finished successfully", resource: "r0"),
        ])
        #expect(p.runningCommands == 1)
        #expect(stats.umhCommandsRun == 4)
        #expect(stats.umhCommandsFailed == 1)
    }

    @Test func outputIsLoggedWithTheRuleName() {
        var p = Self.plugin()
        _ = p.handle(.update(Self.update), now: Self.t0)
        #expect(p.handle(.childOutput(1, .stdout, "hello"), now: Self.t0) == [
            .log(.debug, "rule 'quick' stdout: hello", resource: "r0"),
        ])
        #expect(p.handle(.childOutput(2, .stderr, "oops"), now: Self.t0) == [
            .log(.info, "rule 'hang' stderr: oops", resource: "r0"),
        ])
        #expect(p.handle(.childOutput(99, .stderr, "stranger"), now: Self.t0).isEmpty)
    }

    @Test func unnamedRulesAreLoggedByCommand() {
        var p = UMHPlugin(config: UMHConfig(device: [UMHRule(type: .device, command: "logger hi")]))
        let effects = p.handle(.update(UMHFixture.deviceUpdate()), now: Self.t0)
        #expect(effects.first == .log(.info, "rule 'logger hi' matched Change of device r0/1, running 'logger hi'", resource: "r0"))
    }

    @Test func spawnFailureIsAWarningAndCancelsTheTimeout() {
        let stats = ReactorStats()
        var p = Self.plugin(stats: stats)
        _ = p.handle(.update(Self.update), now: Self.t0)
        #expect(p.handle(.spawnFailed(2, "No such file or directory"), now: Self.t0) == [
            .cancelTimer(3),
            .log(.warning, "rule 'hang': could not start command: No such file or directory", resource: "r0"),
        ])
        #expect(stats.umhCommandsFailed == 1)
        #expect(p.handle(.timer(3), now: Self.t0 + .seconds(30)).isEmpty)
    }

    @Test func stopWithoutChildrenIsImmediate() {
        var p = Self.plugin()
        #expect(p.handle(.stop, now: Self.t0) == [.stopped])
        #expect(p.handle(.update(Self.update), now: Self.t0).isEmpty)
    }

    @Test func stopTerminatesAndWaitsForEveryChild() {
        var p = Self.plugin()
        _ = p.handle(.update(Self.update), now: Self.t0)
        let t = Self.t0 + .seconds(10)
        #expect(p.handle(.stop, now: t) == [
            .log(.info, "stopping: sending SIGTERM to 2 running command(s)", resource: nil),
            .signal(1, 15), .startTimer(4, at: t + .seconds(5)),
            .cancelTimer(3), .signal(2, 15), .startTimer(5, at: t + .seconds(5)),
        ])
        // No new commands while stopping; a repeated stop changes nothing.
        #expect(p.handle(.update(Self.update), now: t).isEmpty)
        #expect(p.handle(.stop, now: t).isEmpty)
        // The first child leaves on SIGTERM, the second needs SIGKILL; `.stopped` only after the last.
        #expect(p.handle(.childExited(1, .signaled(15)), now: t + .seconds(1)) == [
            .cancelTimer(4),
            .log(.warning, "rule 'quick': command failed (signal 15)", resource: "r0"),
        ])
        #expect(p.handle(.timer(5), now: t + .seconds(5)).last == .signal(2, 9))
        #expect(p.handle(.childExited(2, .signaled(9)), now: t + .seconds(5)) == [
            .log(.warning, "rule 'hang': command failed (signal 9)", resource: "r0"),
            .stopped,
        ])
    }

    /// A command already sent SIGTERM by its timeout keeps its SIGKILL deadline when the plugin stops.
    @Test func stopDoesNotExtendARunningGracePeriod() {
        var p = Self.plugin()
        _ = p.handle(.update(Self.update), now: Self.t0)
        _ = p.handle(.childExited(1, .exited(0)), now: Self.t0)
        _ = p.handle(.timer(3), now: Self.t0 + .seconds(30))
        #expect(p.handle(.stop, now: Self.t0 + .seconds(32)) == [
            .log(.info, "stopping: sending SIGTERM to 1 running command(s)", resource: nil),
        ])
        #expect(p.handle(.timer(4), now: Self.t0 + .seconds(35)).last == .signal(2, 9))
        #expect(p.handle(.childExited(2, .signaled(9)), now: Self.t0 + .seconds(35)).last == .stopped)
    }

    @Test func killGraceIsConfigurable() {
        var p = UMHPlugin(config: UMHConfig(resource: [UMHRule(type: .resource, command: "x")]), killGrace: .milliseconds(1500))
        _ = p.handle(.update(Self.update), now: Self.t0)
        #expect(p.handle(.stop, now: Self.t0).last == .startTimer(2, at: Self.t0 + .milliseconds(1500)))
        #expect(p.kind == "umh")
    }

    /// Spawn tokens among `effects`.
    static func spawned(_ effects: [PluginEffect]) -> [PluginToken] {
        effects.compactMap { if case .spawn(let t, _) = $0 { t } else { nil } }
    }

    /// With a cap of 2 running and 3 queued, a burst of 7 matches starts 2, queues 3 and drops 2 (one
    /// warning); each exit starts the oldest queued match, the first of them saying how many were dropped.
    @Test func burstIsCappedQueuedInOrderAndDropped() {
        let stats = ReactorStats()
        var p = UMHPlugin(config: UMHConfig(resource: [UMHRule(type: .resource, name: "q", command: "true")]),
                          stats: stats, maxRunning: 2, maxQueued: 3)
        var effects: [PluginEffect] = []
        for i in 0..<7 { effects += p.handle(.update(UMHFixture.resourceUpdate(name: "r\(i)")), now: Self.t0) }
        #expect(Self.spawned(effects) == [1, 2])
        #expect(p.runningCommands == 2)
        #expect(p.queuedCommands == 3)
        #expect(stats.umhCommandsRun == 2)
        #expect(stats.umhCommandsDropped == 2)
        let warnings = effects.filter { if case .log(.warning, _, _) = $0 { true } else { false } }
        #expect(warnings == [.log(.warning, "2 commands running and 3 waiting: dropping matches (first: rule 'q', Change of resource r5)", resource: "r5")])
        let next = p.handle(.childExited(1, .exited(0)), now: Self.t0)
        #expect(next == [
            .log(.debug, "rule 'q': command finished successfully", resource: "r0"),
            .log(.warning, "2 matched command(s) dropped while the queue was full", resource: nil),
            .log(.info, "rule 'q' matched Change of resource r2, running 'true'", resource: "r2"),
            .spawn(3, UMHRule(type: .resource, name: "q", command: "true").spawnRequest(for: UMHFixture.resourceUpdate(name: "r2"))),
        ])
        // A failed spawn frees its slot too; the queue drains in order and never exceeds the cap.
        #expect(Self.spawned(p.handle(.spawnFailed(2, "EAGAIN"), now: Self.t0)) == [4])
        #expect(Self.spawned(p.handle(.childExited(3, .exited(0)), now: Self.t0)) == [5])
        #expect(p.queuedCommands == 0)
        #expect(p.runningCommands == 2)
        #expect(Self.spawned(p.handle(.childExited(4, .exited(0)), now: Self.t0)).isEmpty)
        #expect(stats.umhCommandsRun == 5)
        // Room again: a new match starts at once, without a drop summary.
        #expect(Self.spawned(p.handle(.update(Self.update), now: Self.t0)) == [6])
    }

    /// A stop discards the queue (said in the log) and waits only for the running commands.
    @Test func stopDiscardsQueuedMatches() {
        var p = UMHPlugin(config: UMHConfig(resource: [UMHRule(type: .resource, command: "true")]), maxRunning: 1, maxQueued: 10)
        for _ in 0..<4 { _ = p.handle(.update(Self.update), now: Self.t0) }
        #expect(p.queuedCommands == 3)
        let stop = p.handle(.stop, now: Self.t0)
        #expect(stop.first == .log(.info, "stopping: 3 queued command(s) not started", resource: nil))
        #expect(stop.contains(.signal(1, 15)))
        #expect(p.handle(.childExited(1, .signaled(15)), now: Self.t0).last == .stopped)
        #expect(p.queuedCommands == 0)
    }

    /// The consumed prefix of the FIFO is reclaimed: thousands of matches through a cap of one keep order.
    @Test func longQueueDrainsInOrder() {
        var p = UMHPlugin(config: UMHConfig(resource: [UMHRule(type: .resource, command: "true")]), maxRunning: 1, maxQueued: 5000)
        for i in 0..<3000 { _ = p.handle(.update(UMHFixture.resourceUpdate(name: "r\(i)")), now: Self.t0) }
        var order: [String] = []
        var token: PluginToken = 1
        while p.runningCommands > 0 {
            let effects = p.handle(.childExited(token, .exited(0)), now: Self.t0)
            for case .log(.info, let text, let resource?) in effects where text.hasPrefix("rule") { order.append(resource) }
            token = Self.spawned(effects).first ?? token
        }
        #expect(order == (1..<3000).map { "r\($0)" })
    }
}
