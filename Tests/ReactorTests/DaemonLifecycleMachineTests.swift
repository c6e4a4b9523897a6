import Logging
import Testing
@testable import ReactorCore
@testable import ReactorDaemon

/// The daemon's lifecycle decisions without a loop: start, readiness (initial state or startup bound),
/// STATUS refresh, reload (done and failed), stop with its bound, and the second stop request.
@Suite struct DaemonLifecycleMachineTests {
    typealias M = DaemonLifecycleMachine
    static let now = Instant(nanoseconds: 5_000_000_123)
    static let two = M.Counts(resources: 2, plugins: 1)
    static let one = M.Counts(resources: 1, plugins: 1)
    static let running2 = "STATUS=Running: 2 resources, 1 plugin"

    static func timings() -> DaemonTimings {
        var t = DaemonTimings()
        t.startupBound = .seconds(3)
        t.stopBound = .seconds(7)
        t.statusRefresh = .seconds(1)
        return t
    }

    func run(_ m: inout M, _ input: M.Input) -> [M.Effect] { m.handle(input, now: Self.now) }

    /// A machine that has started and is ready (the initial state came in with `two`).
    func readyMachine() -> M {
        var m = M(timings: Self.timings())
        _ = run(&m, .started)
        _ = run(&m, .initialState(Self.two))
        return m
    }

    @Test func startStartsPluginsThenDrbdsetupAndArmsTheInjectedTimers() {
        var m = M(timings: Self.timings())
        #expect(run(&m, .started) == [
            .notify("STATUS=Starting plugins"), .startPlugins, .arm(.statusRefresh, after: .seconds(1), repeating: true),
            .startEvents2, .notify("STATUS=Waiting for the initial DRBD state from drbdsetup"),
            .arm(.startupBound, after: .seconds(3), repeating: false),
        ])
        #expect(!m.ready)
    }

    @Test func theInitialStateMakesItReadyOnce() {
        var m = M(timings: Self.timings())
        _ = run(&m, .started)
        #expect(run(&m, .initialState(Self.two)) == [
            .cancel(.startupBound), .notify("READY=1\n" + Self.running2), .log(.info, "Initial DRBD state received: 2 resources."),
            .releaseStartupPages,
        ])
        #expect(m.ready)
        #expect(run(&m, .initialState(Self.one)).isEmpty, "drbdsetup restarted: its second `exists -` is no news")
        #expect(run(&m, .startupBoundElapsed).isEmpty, "a late bound is ignored")
    }

    @Test func theStartupBoundReportsReadyAndSaysWhy() {
        var m = M(timings: Self.timings())
        _ = run(&m, .started)
        #expect(run(&m, .startupBoundElapsed) == [
            .notify("READY=1\nSTATUS=Running, but no initial DRBD state from drbdsetup yet (is drbdsetup working?)"),
            .log(.warning, "No initial DRBD state from drbdsetup after 3.0 seconds; reporting ready anyway."),
        ])
        #expect(m.ready)
        #expect(run(&m, .initialState(Self.two)).isEmpty, "READY=1 was sent already")
    }

    @Test func statusIsRefreshedOnlyWhenItChangedWhileRunning() {
        var starting = M(timings: Self.timings())
        _ = run(&starting, .started)
        #expect(run(&starting, .statusRefreshDue(Self.two, events2Running: true)).isEmpty, "not ready yet")

        var m = readyMachine()
        #expect(run(&m, .statusRefreshDue(Self.two, events2Running: true)).isEmpty, "systemd knows it already")
        #expect(run(&m, .statusRefreshDue(Self.one, events2Running: false)).isEmpty, "drbdsetup is being restarted")
        #expect(run(&m, .statusRefreshDue(Self.one, events2Running: true)) == [.notify("STATUS=Running: 1 resource, 1 plugin")])
        #expect(m.lastStatus == "STATUS=Running: 1 resource, 1 plugin")
        #expect(run(&m, .drbdsetupGone) == [.notify("STATUS=drbdsetup is gone; restarting it")])
    }

    @Test func reloadSaysReloadingWithTheMonotonicTimeThenReadyWithTheNewStatus() {
        var m = readyMachine()
        #expect(run(&m, .hangup) == [.notify("RELOADING=1\nMONOTONIC_USEC=5000000\nSTATUS=Reloading configuration"), .reload])
        #expect(run(&m, .reloadDone(path: "/etc/drbd-reactor.toml", M.Counts(resources: 2, plugins: 3))) == [
            .log(.info, "Configuration reloaded from '/etc/drbd-reactor.toml'."), .notify("READY=1\nSTATUS=Running: 2 resources, 3 plugins"),
        ])
    }

    @Test func aFailedReloadKeepsTheRunningConfigurationAndIsReadyAgain() {
        var m = readyMachine()
        _ = run(&m, .hangup)
        let effects = run(&m, .reloadFailed("line 3: expected '='", Self.two))
        #expect(effects == [
            .log(.error, "Failed to reload the configuration, keeping the running one: line 3: expected '='"),
            .notify("READY=1\n" + Self.running2),
        ])
        #expect(!effects.contains(.reload) && !effects.contains(.stopAll) && !effects.contains(.startPlugins), "nothing is applied or stopped")
        #expect(run(&m, .statusRefreshDue(Self.two, events2Running: true)).isEmpty, "the status is the running one")
    }

    @Test func stopWaitsForThePluginsWithinTheStopBound() {
        var m = readyMachine()
        #expect(run(&m, .stopRequested) == [
            .cancel(.startupBound), .cancel(.statusRefresh), .notify("STOPPING=1\nSTATUS=Stopping"), .log(.info, "Stopping."),
            .arm(.stopBound, after: .seconds(7), repeating: false), .stopAll,
        ])
        #expect(run(&m, .hangup).isEmpty, "no reload while stopping")
        #expect(run(&m, .statusRefreshDue(Self.one, events2Running: true)).isEmpty)
        #expect(run(&m, .pluginsStopped) == [.cancel(.stopBound), .exit])
        #expect(M.Effect.exit.endsMachine && !M.Effect.stopAll.endsMachine)
    }

    @Test func theStopBoundKillsTheChildrenAndExits() {
        var m = readyMachine()
        _ = run(&m, .stopRequested)
        #expect(run(&m, .stopBoundElapsed) == [
            .log(.warning, "Plugins did not stop within 7.0 seconds; killing their children."), .killChildren, .exit,
        ])
    }

    @Test func aSecondStopRequestExitsAtOnce() {
        var m = readyMachine()
        _ = run(&m, .stopRequested)
        #expect(run(&m, .stopRequested) == [
            .log(.warning, "Second stop request: not waiting for plugins any longer."), .killChildren, .exit,
        ])
    }

    @Test func stoppingBeforeReadyNeverReportsReady() {
        var m = M(timings: Self.timings())
        _ = run(&m, .started)
        _ = run(&m, .stopRequested)
        #expect(run(&m, .startupBoundElapsed).isEmpty)
        #expect(run(&m, .initialState(Self.two)).isEmpty)
        #expect(!m.ready)
        #expect(run(&m, .pluginsStopped) == [.cancel(.stopBound), .exit])
    }

    @Test func inputsThatCannotHappenOutOfOrderAreIgnored() {
        var m = readyMachine()
        #expect(run(&m, .pluginsStopped).isEmpty, "not stopping")
        #expect(run(&m, .stopBoundElapsed).isEmpty, "not stopping")
    }

    /// On the runner: `.exit` is the machine's last word, a later input is dropped.
    @Test func afterExitTheRunnerDropsLaterInputs() {
        let runner = EffectRunner<M.Input, M.Effect>(clock: { Self.now })
        var done: [M.Effect] = []
        let id = runner.add(M(timings: Self.timings())) { done.append($0) }
        runner.send(.started, to: id)
        runner.send(.stopRequested, to: id)
        runner.send(.stopRequested, to: id)
        #expect(done.last == .exit)
        #expect(!runner.isRunning(id))
        runner.send(.hangup, to: id)
        #expect(runner.droppedInputs == 1)
    }
}
