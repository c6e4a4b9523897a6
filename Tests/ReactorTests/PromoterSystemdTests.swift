import Foundation
import Logging
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

/// The promoter's reactions to what systemd reports over the bus: a unit of a resource that goes down is
/// started again through its target with a bounded backoff, job results and failures are counted.
@Suite struct PromoterSystemdTests {
    typealias F = PromoterFixture
    static let target = "drbd-services@r0.target"
    static let show = ["systemctl", "show", "--property=ActiveState", target]

    /// A started, idle machine for `r0` (start list `a.service`) whose target and service run.
    static func running(_ tweak: (inout PromoterResourceConfig) -> Void = { _ in }) -> PromoterDriver {
        var d = PromoterMachineTests.started(tweak)
        d.observe(.unitState(unit: target, activeState: "active", subState: "active", result: nil))
        d.observe(.unitState(unit: "a.service", activeState: "active", subState: "running", result: "success"))
        return d
    }

    static func crash(_ unit: String = "a.service") -> SystemdUnitEvent {
        .unitState(unit: unit, activeState: "failed", subState: "failed", result: "exit-code")
    }

    /// The delay of the repair timer that `out` (an observation's effects) armed.
    static func repairDelay(_ out: [PluginEffect], _ d: PromoterDriver) -> Duration? {
        out.lazy.compactMap { if case .startTimer(_, let at) = $0 { at - d.now } else { nil } }.first
    }

    @Test func crashedServiceUnderAnActiveTargetIsStartedAgainAfterOneSecond() {
        var d = Self.running()
        let out = d.observe(Self.crash())
        #expect(PromoterDriver.logs(out, atLeast: .warning) == ["systemd: unit failed: a.service: exit-code"])
        #expect(out.contains { if case .log(_, _, let resource) = $0 { resource == "r0" } else { false } })
        #expect(Self.repairDelay(out, d) == .seconds(1))
        #expect(PromoterDriver.commands(out).isEmpty)
        #expect(PromoterDriver.commands(d.fireTimer()) == [Self.show])
        // The target is still active (Requires= does not stop it): start it, which starts the service.
        #expect(PromoterDriver.commands(d.answer(Self.show, stdout: ["ActiveState=active"])) == [["systemctl", "reset-failed", Self.target]])
        d.startSucceeds()
        #expect(d.running.isEmpty)
        let report = d.machine.report(now: d.now)[0]
        #expect(report.bus.unitFailures == ["a.service": 1])
        #expect(report.bus.lastUnitFailure == "a.service: exit-code")
        #expect(report.bus.restarts == 1)
        #expect(d.machine.report(now: d.now)[0].lastFailure == nil)
    }

    @Test func backoffDoublesUpToThirtySecondsAndResetsAfterAStablePeriod() {
        var d = Self.running()
        var delays: [Duration] = []
        for _ in 0..<7 {
            d.observe(.unitState(unit: "a.service", activeState: "active", subState: "running", result: nil))
            delays.append(Self.repairDelay(d.observe(Self.crash()), d) ?? .zero)
            while d.token(Self.show) == nil { d.fireTimer() }  // the ticker may come first (nothing to do)
            d.answer(Self.show, stdout: ["ActiveState=active"])
            d.startSucceeds()
        }
        #expect(delays == [1, 2, 4, 8, 16, 30, 30].map { Duration.seconds($0) })
        // A minute without failures: the next one is repaired after 1 s again.
        d.now = d.now + .seconds(61)
        d.observe(.unitState(unit: "a.service", activeState: "active", subState: "running", result: nil))
        #expect(Self.repairDelay(d.observe(Self.crash()), d) == .seconds(1))
    }

    @Test func failedTargetIsStartedOnlyWhenDRBDLetsThisNodePromote() {
        var d = Self.running()
        d.observe(Self.crash(Self.target))
        d.fireTimer()
        // Not active, and may_promote is false (a peer is Primary): nothing to start.
        #expect(PromoterDriver.commands(d.answer(Self.show, stdout: ["ActiveState=failed"])).isEmpty)
        #expect(d.running.isEmpty)
        #expect(d.machine.report(now: d.now)[0].bus.unitFailures == [Self.target: 1])
    }

    @Test func aServiceThatStopsWhileRunningCountsAsDown() {
        var d = Self.running()
        let out = d.observe(.unitState(unit: "a.service", activeState: "inactive", subState: "dead", result: "success"))
        #expect(PromoterDriver.logs(out, atLeast: .warning) == ["systemd: 'a.service' stopped (success)"])
        #expect(Self.repairDelay(out, d) == .seconds(1))
        // Not a failure: nothing counted as one.
        #expect(d.machine.report(now: d.now)[0].bus.unitFailures.isEmpty)
    }

    @Test func servicesStoppingWithTheirTargetAreNotADownfall() {
        // Our own stop (or the operator's): the target goes first, its services follow, possibly heard only
        // after the stop job ended (the resource idle again): no warning, no repair.
        var d = Self.running()
        #expect(d.observe(.unitState(unit: Self.target, activeState: "inactive", subState: "dead", result: nil)).isEmpty)
        #expect(d.observe(.unitState(unit: "a.service", activeState: "inactive", subState: "dead", result: "success")).isEmpty)
        // Running again, a service that stops on its own is a downfall again.
        d.observe(.unitState(unit: Self.target, activeState: "active", subState: "active", result: nil))
        d.observe(.unitState(unit: "a.service", activeState: "active", subState: "running", result: nil))
        let out = d.observe(.unitState(unit: "a.service", activeState: "inactive", subState: "dead", result: "success"))
        #expect(Self.repairDelay(out, d) == .seconds(1))
    }

    @Test func changesThatAreNotADownfallAreIgnored() {
        var d = Self.running()
        // The target stopping (our stop, or the operator's) is for the ticker; a unit seen inactive for the
        // first time (a daemon-reload lists loaded units) is no transition; units of others are not ours.
        #expect(d.observe(.unitState(unit: Self.target, activeState: "inactive", subState: "dead", result: nil)).isEmpty)
        #expect(d.observe(.unitState(unit: "b.service", activeState: "failed", subState: "failed", result: "exit-code")).isEmpty)
        var fresh = PromoterMachineTests.started()
        #expect(fresh.observe(.unitState(unit: "a.service", activeState: "inactive", subState: "dead", result: nil)).isEmpty)
        // A failure reported twice is one failure.
        d.observe(Self.crash())
        #expect(d.observe(Self.crash()).isEmpty)
        #expect(d.machine.report(now: d.now)[0].bus.unitFailures == ["a.service": 1])
    }

    @Test func noRepairWhileAJobRunsInMaintenanceOrStopping() {
        // A job of ours runs: the units change because of it.
        var busy = Self.running()
        busy.feed(.update(F.quorum(F.resource(role: .primary), from: true, to: false)))
        busy.detect()
        #expect(!busy.running.isEmpty)
        let out = busy.observe(Self.crash())
        #expect(PromoterDriver.logs(out, atLeast: .warning) == ["systemd: unit failed: a.service: exit-code"])
        #expect(Self.repairDelay(out, busy) == nil)

        var held = PromoterDriver(PromoterMachine(
            config: PromoterConfig(resources: [F.config()]), context: F.context, maintenance: PromoterMaintenance(node: true, resources: [])))
        held.feed(.start)
        held.observe(.unitState(unit: "a.service", activeState: "active", subState: "running", result: nil))
        #expect(Self.repairDelay(held.observe(Self.crash()), held) == nil)

        // Stopping cancels an armed repair.
        var stopping = Self.running()
        stopping.observe(Self.crash())
        let armed = stopping.timers.keys.sorted()
        let stopped = stopping.feed(.stop)
        #expect(armed.allSatisfy { t in stopped.contains(.cancelTimer(t)) })
        #expect(stopping.observe(Self.crash("drbd-promote@r0.service")).allSatisfy { if case .startTimer = $0 { false } else { true } })
    }

    @Test func aRepairDueWhileAJobRunsWaitsForIt() {
        // The failure came while idle; before the repair is due, quorum is lost and the stop runs.
        var d = Self.running()
        d.observe(Self.crash())
        d.feed(.update(F.quorum(F.resource(role: .primary), from: true, to: false)))
        d.detect()
        #expect(d.token(["journalctl", "--flush", "--sync"]) != nil)
        // Due now, but queued behind the stop: nothing new runs.
        #expect(PromoterDriver.commands(d.fireTimer()).isEmpty)
        d.answer(["journalctl"])
        // After the stop the repair looks at the target: inactive, and no quorum means no may_promote.
        #expect(PromoterDriver.commands(d.answer(["systemctl", "stop", Self.target])) == [Self.show])
        #expect(PromoterDriver.commands(d.answer(Self.show, stdout: ["ActiveState=inactive"])).isEmpty)
        #expect(d.running.isEmpty)
    }

    @Test func jobResultsAreCountedAndLoggedWithTheResource() throws {
        var d = Self.running()
        let done = d.observe(.jobRemoved(unit: Self.target, result: "done"))
        #expect(done == [.log(.info, "systemd: job of '\(Self.target)' finished: done", resource: "r0")])
        d.observe(.jobRemoved(unit: Self.target, result: "done"))
        let failed = d.observe(.jobRemoved(unit: "drbd-promote@r0.service", result: "failed"))
        #expect(PromoterDriver.logs(failed, atLeast: .warning) == ["systemd: job of 'drbd-promote@r0.service' finished: failed"])
        #expect(d.observe(.jobRemoved(unit: "unrelated.service", result: "failed")).isEmpty)
        #expect(d.machine.report(now: d.now)[0].bus.jobResults == ["done": 2, "failed": 1])
        #expect(d.machine.busCounters["r0"]?.jobResults["failed"] == 1)
        // The control socket's status carries them (drbd-reactorctl status shows them).
        let status = ControlMessages.status(nodeName: "n1", maintenance: PromoterMaintenance(), world: World(),
                                            reports: d.machine.report(now: d.now), wallSeconds: 0)
        let r0 = try #require(try JSONValue.parse(status.text)["promoter"]?.array?.first)
        #expect(r0["job_results"]?["done"] == .number(2) && r0["job_results"]?["failed"] == .number(1))
        #expect(r0["unit_failures"] == .object([:]) && r0["last_unit_failure"] == .null && r0["restarts"] == .number(0))
    }

    @Test func unitsOfAResourceIncludeTheOCFInstancesAndThePromoteService() {
        let owners = PromoterMachine.unitOwners(PromoterConfig(resources: [
            F.config("r0") { $0.start = ["fs.mount", "ocf:heartbeat:IPaddr2 ip1 ip=10.0.0.1"] },
            F.config("web") { $0.runner = .shell; $0.start = ["true"] },
        ]))
        #expect(owners == [
            "drbd-services@r0.target": "r0", "drbd-promote@r0.service": "r0", "fs.mount": "r0", "ocf.rs@ip1_r0.service": "r0",
        ])
    }
}

/// The bus counters as metric families, checked by promtool where it is installed.
@Suite struct PromoterBusMetricsTests {
    static func stats() -> ReactorStats {
        var stats = ReactorStats()
        var r0 = PromoterBusCounters()
        r0.jobResults = ["done": 3, "failed": 1]
        r0.unitFailures = ["drbd-promote@r0.service": 1]
        r0.restarts = 1
        stats.promoterBusCounters = ["r0": r0, "r1": PromoterBusCounters()]
        return stats
    }

    @Test func countersAreRenderedPerResource() {
        let text = String(decoding: MetricsRenderer(enums: false).renderDaemon(stats: Self.stats(), process: nil), as: UTF8.self)
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("drbdreactor_promoter_") }
        #expect(lines == [
            #"drbdreactor_promoter_job_results_total{resource="r0",result="done"} 3"#,
            #"drbdreactor_promoter_job_results_total{resource="r0",result="failed"} 1"#,
            #"drbdreactor_promoter_unit_failures_total{resource="r0",unit="drbd-promote@r0.service"} 1"#,
            #"drbdreactor_promoter_restarts_total{resource="r0"} 1"#,
            #"drbdreactor_promoter_restarts_total{resource="r1"} 0"#,
        ])
        #expect(text.contains("# TYPE drbdreactor_promoter_unit_failures_total counter"))
        // Without a bus nothing of it appears.
        let plain = String(decoding: MetricsRenderer(enums: false).renderDaemon(stats: ReactorStats(), process: nil), as: UTF8.self)
        #expect(!plain.contains("drbdreactor_promoter_"))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: PrometheusPromtoolTests.promtool), "needs /usr/bin/promtool"))
    func promtoolAcceptsThem() throws {
        let (status, output) = try FilterProcess.run(
            PrometheusPromtoolTests.promtool, ["check", "metrics"], input: MetricsRenderer(enums: false).renderDaemon(stats: Self.stats(), process: nil))
        #expect(status == 0, "promtool: \(String(decoding: output, as: UTF8.self))")
    }
}
