import Reactor
import Testing
@testable import ReactorCtl

@Suite struct EvictTests {
    static func snippet(_ text: String, _ path: String) throws -> Snippet { try Snippet.decode(text, path: path) }

    @Test func planOrdersSafeResourcesFirstAndRefusesMixedSnippets() throws {
        let a = try Self.snippet("[[promoter]]\n[promoter.resources.a]\nstart = [\"x\"]\non-drbd-demote-failure = \"reboot\"\n", "/d/a.toml")
        let b = try Self.snippet("[[promoter]]\n[promoter.resources.b]\nstart = [\"y\"]\n", "/d/b.toml")
        #expect(try EvictPlan.resources([a, b], force: false).map(\.resource.name) == ["b", "a"])
        let mixed = try Self.snippet("[[promoter]]\n[promoter.resources.m]\nstart = [\"x\"]\n[[debugger]]\n", "/d/m.toml")
        #expect(throws: CtlError.mixedPlugins(path: "/d/m.toml")) { try EvictPlan.resources([mixed], force: false) }
        #expect(try EvictPlan.resources([mixed], force: true).count == 1)
        let two = try Self.snippet("[[promoter]]\n[promoter.resources.p]\nstart = [\"x\"]\n[promoter.resources.q]\nstart = [\"y\"]\n", "/d/t.toml")
        #expect(throws: CtlError.multipleResources(path: "/d/t.toml")) { try EvictPlan.resources([two], force: false) }
    }

    func evict(status: [String], delay: UInt32 = 3, keepMasked: Bool = false, pause: CountingPause = CountingPause()) -> (RecordingRunner, Transcript) {
        let runner = RecordingRunner()
        runner.sequences["drbdsetup status --json r-0"] = status
        let t = Transcript()
        let ctx = makeContext(fakeDirectory([]), runner: runner, transcript: t, systemdDirectory: "/nonexistent")
        _ = try? ctx.evict("r-0", delay: delay, keepMasked: keepMasked, pause: pause)
        return (runner, t)
    }

    @Test func masksStopsWaitsAndUnmasks() {
        let (runner, t) = evict(status: [statusJSON("r-0", role: "Primary"), statusJSON("r-0", role: "Primary"), statusJSON("r-0", role: "Secondary", peerRole: "Primary")])
        let target = "drbd-services@r\\x2d0.target"
        #expect(runner.calls == [
            "drbdsetup status --json r-0", "systemctl mask --runtime \(target)", "systemctl daemon-reload", "systemctl stop \(target)",
            "drbdsetup status --json r-0", "drbdsetup status --json r-0", "systemctl daemon-reload", "systemctl start \(target)",
        ])
        #expect(t.out == "Evicting r-0\n3..\nNode 'beta' took over\nRe-enabling r-0\nRemoved /nonexistent/\(target).\n")
    }

    @Test func countsDownToZeroWhenNobodyTakesOver() {
        let pause = CountingPause()
        let (runner, t) = evict(status: [statusJSON("r-0", role: "Primary")], delay: 2, keepMasked: true, pause: pause)
        #expect(pause.count == 2)
        #expect(t.out == "Evicting r-0\n2..1..0\nLocal node still DRBD Primary, not all services stopped in time locally\n")
        #expect(!runner.calls.contains { $0.hasPrefix("systemctl start") })
    }

    @Test func nothingToDoWhenNotPrimaryHere() {
        let (runner, t) = evict(status: [statusJSON("r-0", role: "Secondary", peerRole: "Primary")])
        #expect(runner.calls == ["drbdsetup status --json r-0"])
        #expect(t.out == "Evicting r-0\nActive on 'beta', nothing to do on this node, ignoring\n")
        let (_, t2) = evict(status: [statusJSON("r-0", role: "Secondary")])
        #expect(t2.out.hasSuffix("Sorry, resource state for 'r-0' unknown, ignoring\n"))
    }

    @Test func aSignalEndsTheCountdown() throws {
        let pause = CountingPause()
        pause.interruptAfter = 1
        let runner = RecordingRunner()
        runner.answers["drbdsetup status --json r-0"] = (statusJSON("r-0", role: "Primary"), 0)
        let ctx = makeContext(fakeDirectory([]), runner: runner, transcript: Transcript())
        #expect(try !ctx.evict("r-0", delay: 20, keepMasked: false, pause: pause))
        #expect(pause.count == 1)
    }
}

@Suite struct StartUntilTests {
    let res: PromoterResourceConfig = {
        var r = PromoterResourceConfig(name: "r0")
        r.start = ["data.mount", " ocf:heartbeat:IPaddr2 vip ip=10.0.0.1 ", "app.service"]
        return r
    }()

    @Test func selectsByCountOrEntry() throws {
        #expect(try StartUntil.units(until: "2", resource: res) == ["data.mount", "ocf.rs@vip_r0.service"])
        #expect(try StartUntil.units(until: "0", resource: res) == [])
        #expect(try StartUntil.units(until: "ocf:heartbeat:IPaddr2 vip ip=10.0.0.1", resource: res) == ["data.mount", "ocf.rs@vip_r0.service"])
        #expect(try StartUntil.units(until: "app.service", resource: res).count == 3)
        #expect(throws: CtlError.unitNotInStart("nope.service")) { try StartUntil.units(until: "nope.service", resource: res) }
    }

    @Test func writesDropInsReloadsAndStartsInOrder() throws {
        let dir = try temporaryDirectory()
        let systemd = try temporaryDirectory()
        try FileSystem.writeAtomically(dir + "/r.toml.disabled", "[[promoter]]\n[promoter.resources.r0]\nstart = [\"data.mount\", \"app.service\"]\n")
        let runner = RecordingRunner()
        let t = Transcript()
        try makeContext(.onDisk(dir), runner: runner, transcript: t, systemdDirectory: systemd).startUntil("data.mount", snippet: "r")
        #expect(runner.calls == ["drbdadm adjust r0", "systemctl daemon-reload", "systemctl start drbd-promote@r0.service", "systemctl start data.mount"])
        #expect(FileSystem.isRegular(systemd + "/data.mount.d/reactor.conf"))
        #expect(t.out.hasSuffix("INFO: To resume normal operation, execute:\n- systemctl start drbd-services@r0.target # on this node\n- drbd-reactorctl enable \(dir)/r.toml.disabled # on all cluster nodes\n"))
    }

    @Test func needsADisabledSnippet() throws {
        let dir = try temporaryDirectory()
        let ctx = makeContext(.onDisk(dir), runner: RecordingRunner(), transcript: Transcript())
        #expect(throws: CtlError.missingFile(dir + "/gone.toml.disabled")) { try ctx.startUntil("1", snippet: "gone") }
        #expect(throws: CtlError.noDisabledSnippet) { try ctx.startUntil("1", snippet: "x.toml") }
    }
}

extension FileSystem {
    static func isRegular(_ p: String) -> Bool { (try? info(p))?.isRegularFile == true }
}
