import Testing
@testable import ReactorCtl
import ReactorCtl
import ReactorCore
import ReactorSystem
import ReactorPromoter

@Suite struct MaintenanceCommandTests {
    @Test func onOffPerNodeAndPerResource() throws {
        let dir = try temporaryDirectory()
        let file = dir + "/run/maintenance"
        let runner = RecordingRunner()
        let t = Transcript()
        var ctx = makeContext(fakeDirectory([]), runner: runner, transcript: t)
        ctx.runDirectory = dir + "/run"  // no control socket there: the daemon is reloaded
        #expect(try ctx.maintenance(nil, resources: [], file: file) == PromoterMaintenance())
        #expect(t.out == "Maintenance: none\n")
        #expect(try ctx.maintenance(.on, resources: ["r1", "r0"], file: file) == PromoterMaintenance(resources: ["r0", "r1"]))
        #expect(runner.calls == ["systemctl is-active --quiet drbd-reactor.service", "systemctl reload drbd-reactor.service"])
        #expect(try ctx.maintenance(.on, resources: [], file: file) == PromoterMaintenance(node: true, resources: ["r0", "r1"]))
        #expect(PromoterMaintenance.parse(String(decoding: try FileSystem.readFile(file), as: UTF8.self)) == PromoterMaintenance(node: true, resources: ["r0", "r1"]))
        t.out = ""
        #expect(try ctx.maintenance(.off, resources: ["r1"], file: file) == PromoterMaintenance(node: true, resources: ["r0"]))
        #expect(t.out.hasPrefix("WARN: this node stays in maintenance"))
        #expect(try ctx.maintenance(.off, resources: [], file: file).isEmpty)
        // unchanged: no reload; a failing reload is an error
        let reloads = runner.calls.filter { $0.hasPrefix("systemctl reload") }.count
        try ctx.maintenance(.off, resources: [], file: file)
        #expect(runner.calls.filter { $0.hasPrefix("systemctl reload") }.count == reloads)
        runner.answers["systemctl reload drbd-reactor.service"] = ("", 1)
        #expect(throws: CtlError.command(["systemctl", "reload", "drbd-reactor.service"], "failed (exit status 1)")) {
            try ctx.maintenance(.on, resources: [], file: file)
        }
    }
}
