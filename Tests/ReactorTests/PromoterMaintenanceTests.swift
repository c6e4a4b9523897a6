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

@Suite struct PromoterMaintenanceTests {
    typealias F = PromoterFixture

    @Test func stateFileRoundTrip() {
        let m = PromoterMaintenance.parse("# comment\n\nr1\n *\nr0\n")
        #expect(m == PromoterMaintenance(node: true, resources: ["r0", "r1"]))
        #expect(PromoterMaintenance.parse(m.text) == m)
        #expect(PromoterMaintenance.parse("").isEmpty)
        #expect(PromoterMaintenance(resources: ["r0"]).covers("r0") && !PromoterMaintenance(resources: ["r0"]).covers("r1"))
    }

    @Test func aNodeInMaintenanceDoesNotStartEvenInitially() {
        var d = PromoterDriver(PromoterMachine(config: PromoterConfig(resources: [F.config()]), context: F.context,
                                               maintenance: PromoterMaintenance(node: true)))
        let started = d.feed(.start)
        #expect(PromoterDriver.commands(started).isEmpty)
        #expect(PromoterDriver.logs(started) == ["resource 'r0' is in maintenance: not starting or stopping anything"])
        // DRBD lets it promote: the policy is still detected (it keeps watching), nothing is started
        let r = F.resource()
        #expect(PromoterDriver.commands(d.feed(.update(F.mayPromote(r)))) == [["drbdsetup", "show", "--show-defaults", "--json", "r0"]])
        let detected = d.detect()
        #expect(PromoterDriver.commands(detected).isEmpty && d.timers.count == 1)  // only the ticker
        #expect(PromoterDriver.commands(d.fireTimer()).isEmpty)  // the ticker starts nothing either
        #expect(PromoterDriver.logs(d.effects).filter { $0.contains("maintenance") }.count == 1)  // logged once
    }

    @Test func quorumLossStopsNothingAndLeavingMaintenanceLetsTheTickerStart() {
        var d = PromoterDriver(F.machine(F.config()))
        d.feed(.start)
        d.answer(["drbdsetup", "status", "--json", "r0"], stdout: [#"[{"name":"r0","connections":[{"peer-role":"Primary"}]}]"#])
        let on = d.machine.setMaintenance(PromoterMaintenance(resources: ["r0", "other"]))
        #expect(PromoterDriver.logs(on) == ["resource 'r0' is in maintenance: its services are neither started nor stopped"])
        let r = F.resource(role: .primary)
        d.feed(.update(F.mayPromote(r, from: false, to: true)))
        d.detect()
        #expect(PromoterDriver.commands(d.feed(.update(F.quorum(r, from: true, to: false)))).isEmpty)
        #expect(PromoterDriver.commands(d.effects).allSatisfy { $0.first != "systemctl" })
        let off = d.machine.setMaintenance(PromoterMaintenance())
        #expect(PromoterDriver.logs(off) == ["resource 'r0' left maintenance"])
        // the ticker checks the target again (and starts it when it is not active)
        #expect(PromoterDriver.commands(d.fireTimer()) == [["systemctl", "show", "--property=ActiveState", SystemdEscape.servicesTarget("r0")]])
    }

    @Test func daemonExitStopsNoServicesOfAResourceInMaintenance() {
        var d = PromoterDriver(PromoterMachine(config: PromoterConfig(resources: [F.config { $0.stopServicesOnExit = true }]),
                                               context: F.context, maintenance: PromoterMaintenance(resources: ["r0"])))
        d.feed(.start)
        let stopped = d.feed(.stop)
        #expect(PromoterDriver.commands(stopped).isEmpty)
        #expect(stopped.contains(.stopped))
    }
}
