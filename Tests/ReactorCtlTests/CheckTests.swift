import Testing
@testable import ReactorCtl
import ReactorCtl
import ReactorCore
import ReactorSystem
import ReactorPromoter

@Suite struct CheckTests {
    func setUp(_ files: [String: String]) throws -> (String, RecordingRunner, Transcript, CtlContext) {
        let dir = try temporaryDirectory()
        try FileSystem.createDirectories(dir + "/d")
        try FileSystem.writeAtomically(dir + "/main.toml", "snippets = \"\(dir)/d\"\n")
        for (name, text) in files { try FileSystem.writeAtomically(dir + "/d/" + name, text) }
        let runner = RecordingRunner()
        runner.answers["drbdadm sh-resources"] = ("r0 r1\n", 0)
        for unit in ["drbd-services@r0.target", "drbd-promote@r0.service", "app.service", "ocf.rs@fs_r0_r0.service"] {
            runner.answers["systemctl show --property=LoadState \(unit)"] = ("LoadState=loaded\n", 0)
        }
        let t = Transcript()
        return (dir, runner, t, makeContext(.onDisk(dir + "/d"), runner: runner, transcript: t))
    }

    @Test func aGoodSetupIsWell() throws {
        let (dir, runner, t, ctx) = try setUp([
            "r0.toml": "[[promoter]]\n[promoter.resources.r0]\nstart = [\"app.service\", \"ocf:heartbeat:Filesystem fs_r0 device=/dev/drbd0\"]\n",
            "p.toml.disabled": "[[prometheus]]\n",
        ])
        let findings = ctx.check([], config: dir + "/main.toml")
        #expect(findings == [])
        #expect(runner.calls.contains("systemctl show --property=LoadState ocf.rs@fs_r0_r0.service"))
        #expect(ctx.report(findings))
        #expect(t.out == "All is well\n")
    }

    @Test func eachProblemIsNamedWithItsFile() throws {
        let (dir, runner, t, ctx) = try setUp([
            "a.toml": "[[promoter]]\n[promoter.resources.r0]\nstart = [\"app.service\", \"gone.service\"]\n",
            "b.toml": "[[promoter]]\n[promoter.resources.r0]\nstart = [\"app.service\"]\n",
            "c.toml.disabled": "[[promoter]]\n[promoter.resources.r9]\nstart = [\"a/b.service\"]\n",
        ])
        runner.answers["systemctl show --property=LoadState gone.service"] = ("LoadState=not-found\n", 0)
        let d = dir + "/d"
        let findings = ctx.check([], config: dir + "/main.toml")
        #expect(findings.map(\.path) == [d + "/a.toml", d + "/b.toml", d + "/c.toml.disabled", d + "/c.toml.disabled"])
        #expect(findings[0].message == "unit 'gone.service' of resource 'r0' is not known to systemd (LoadState=not-found)")
        #expect(findings[1].message == "resource 'r0' is also managed by '\(d)/a.toml'")
        #expect(findings[2].message.contains("'r9' is not a DRBD resource of this node"))
        #expect(findings[3].message.hasPrefix("resource 'r9': "))  // the unit generator refuses a '/'
        #expect(!ctx.report(findings))
        #expect(t.out.hasSuffix("  ERROR: resource 'r0' is also managed by '\(d)/a.toml'\n\(d)/c.toml.disabled:\n" + "  ERROR: " + findings[2].message + "\n  ERROR: " + findings[3].message + "\n4 problems found\n"))
    }
}
