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

@Suite struct ControlMessagesTests {
    typealias F = PromoterFixture

    func report(_ tweak: (inout PromoterResourceReport) -> Void = { _ in }) -> PromoterResourceReport {
        var r = PromoterResourceReport(resource: "r0", maintenance: false, mayPromote: false, busy: false)
        tweak(&r)
        return r
    }

    @Test func whyNotHereInOrderOfWhatMatters() {
        let secondary = F.resource()
        var peerPrimary = F.resource()
        peerPrimary.connections[1]?.peerRole = .primary
        let primary = F.resource(role: .primary)
        func why(_ r: PromoterResourceReport, _ drbd: Resource?) -> String? { PromoterWhy.explain(r, drbd: drbd, nodeName: "n1").whyNot }
        #expect(PromoterWhy.explain(report(), drbd: primary, nodeName: "n1") == .init(here: true, primaryOn: "n1", whyNot: nil))
        #expect(why(report(), nil) == "DRBD does not know the resource on this node (is it up?)")
        #expect(why(report { $0.maintenance = true }, peerPrimary)?.hasPrefix("maintenance") == true)
        #expect(why(report(), peerPrimary) == "Primary on node 'peer-a'")
        #expect(why(report { $0.lastFailure = "x failed" }, peerPrimary) == "lost the race to node 'peer-a'")
        #expect(why(report { $0.mayPromote = true; $0.delayLeft = .milliseconds(1200) }, secondary) == "waiting for the promote delay, 2 s left")
        #expect(why(report { $0.lastFailure = "'systemctl start drbd-services@r0.target' failed: exit status 1"; $0.lastFailureAgo = .seconds(5) }, secondary)
            == "last start failed 5 s ago: 'systemctl start drbd-services@r0.target' failed: exit status 1")
        #expect(why(report(), secondary)?.hasPrefix("not may_promote") == true)
        #expect(why(report { $0.mayPromote = true; $0.busy = true }, secondary) == "starting")
        #expect(PromoterWhy.explain(report(), drbd: peerPrimary, nodeName: "n1").primaryOn == "peer-a")
    }

    @Test func theMachineReportsItsDelayAndLastFailure() {
        var d = PromoterDriver(F.machine(F.config { $0.preferredNodes = ["x", "n1"] }))
        d.feed(.start)
        d.answer(["drbdsetup", "status", "--json", "r0"], stdout: [#"[{"name":"r0","connections":[{"peer-role":"Primary"}]}]"#])
        let r = F.resource()
        d.feed(.update(F.mayPromote(r)))
        d.detect()
        // sleeping the 1 s promote delay
        #expect(d.machine.report(now: d.now) == [PromoterResourceReport(resource: "r0", maintenance: false, mayPromote: true, busy: true, delayLeft: .seconds(1))])
        d.fireTimer()
        d.answer(["systemctl", "reset-failed"])
        d.answer(["systemctl", "start"], exit: 1)
        let rep = d.machine.report(now: d.now + .seconds(3))[0]
        #expect(rep.delayLeft == nil && rep.lastFailureAgo == .seconds(3))
        #expect(rep.lastFailure?.contains("exit status 1") == true)
    }

    @Test func statusStateAndDecisionLines() throws {
        var world = World()
        for line in ["exists resource name:r0 role:Secondary may_promote:no promotion_score:0", "exists -"] { _ = world.apply(try Events2Parser.parse(line)) }
        let status = ControlMessages.status(nodeName: "n1", maintenance: PromoterMaintenance(resources: ["r0"]), world: world,
                                            reports: [report { $0.maintenance = true }, report { $0.resource = "r1"; $0.lastFailure = "f"; $0.lastFailureAgo = .seconds(30) }],
                                            wallSeconds: 1000)
        let parsed = try JSONValue.parse(status.text)
        #expect(parsed["maintenance"]?["resources"]?.array == [.string("r0")])
        #expect(parsed["promoter"]?.array?.first?["why_not"]?.string?.hasPrefix("maintenance") == true)
        #expect(parsed["promoter"]?.array?.first?["delay_left_s"] == .null)
        #expect(parsed["promoter"]?.array?.last?["last_failure_at"] == .number(970))  // 30 s before now
        let change = world.apply(try Events2Parser.parse("change resource name:r0 role:Primary"))
        #expect(ControlMessages.state(change[0])?.text
            == #"{"type":"state","event":"change","resource":"r0","object":"resource","role":"Primary","may_promote":false}"#)
        let stats = world.apply(try Events2Parser.parse("change resource name:r0 promotion_score:5"))
        #expect(stats.compactMap(ControlMessages.state).isEmpty)  // only what matters for who runs it
        #expect(ControlMessages.decision(level: .info, message: "a \"b\"", resource: "r0").text
            == #"{"type":"promoter","resource":"r0","level":"info","message":"a \"b\""}"#)
        #expect(ControlMessages.Request.parse(#"{"command":"watch"}"#) == .watch)
        #expect(ControlMessages.Request.parse("[]") == .invalid("expected a JSON object with a \"command\""))
    }
}
