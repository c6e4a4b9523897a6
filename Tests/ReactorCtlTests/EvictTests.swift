import Testing
@testable import ReactorCtl
import ReactorCtl
import ReactorCore
import ReactorSystem
import ReactorPromoter

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

    /// Evicts r-0 (Primary here, peers beta and gamma) with `events` as what the watch reports.
    func evict(_ events: [WatchEvent], delay: UInt32 = 3, options: EvictOptions = EvictOptions(), status: String? = nil)
        throws -> (Int32, RecordingRunner, Transcript, ScriptedWatch)
    {
        let runner = RecordingRunner()
        runner.answers["drbdsetup status --json r-0"] = (status ?? Self.primaryHere, 0)
        let t = Transcript()
        let dir = try temporaryDirectory()
        try FileSystem.writeAtomically(dir + "/r.toml", "[[promoter]]\n[promoter.resources.r-0]\nstart = [\"a.service\"]\n")
        let ctx = makeContext(.onDisk(dir), runner: runner, transcript: t, systemdDirectory: "/nonexistent")
        let watch = ScriptedWatch(events)
        var o = options
        o.delay = delay
        let hold = PeerHold(known: [.init(name: "gamma", hostname: "g.example", user: "op")],
                            fanOut: FanOut(nodes: [], nodeName: "alpha", program: "x", environment: [:]), runner: runner)
        let status = try ctx.evict([], options: o, hold: hold) { _ in watch }
        t.out = t.out.replacingOccurrences(of: dir + "/r.toml:\n", with: "")
        return (status, runner, t, watch)
    }

    static let primaryHere = #"[{"name":"r-0","role":"Primary","connections":[{"name":"beta","peer-role":"Secondary"},{"name":"gamma","peer-role":"Secondary"}]}]"#
    let target = "drbd-services@r\\x2d0.target"

    @Test func masksStopsFollowsEventsAndUnmasks() throws {
        let (status, runner, t, watch) = try evict([.changed(.local("alpha")), .tickEnded, .changed(.unknown), .changed(.peer("beta"))])
        #expect(status == CtlExit.success)
        #expect(runner.calls == [
            "drbdsetup status --json r-0", "systemctl mask --runtime \(target)", "systemctl daemon-reload", "systemctl stop \(target)",
            "systemctl daemon-reload", "systemctl start \(target)",
        ])  // no drbdsetup status per second: the events say when beta took over
        #expect(t.out == "Evicting r-0\n3..2..\nNode 'beta' took over\nRe-enabling r-0\nRemoved /nonexistent/\(target).\n")
        #expect(watch.ticks == 2)
    }

    @Test func distinctStatusesWhenItDoesNotMove() throws {
        let (still, _, t, watch) = try evict([], delay: 2, options: EvictOptions(keepMasked: true))
        #expect(still == CtlExit.evictStillPrimary && watch.ticks == 2)
        #expect(t.out == "Evicting r-0\n2..1..0\nLocal node still DRBD Primary, not all services stopped in time locally\n")
        let (nobody, runner, t2, _) = try evict([.changed(.unknown)], delay: 1)
        #expect(nobody == CtlExit.evictNobodyTookOver)
        #expect(t2.out.contains("Unfortunately no other node took over, resource in unknown state"))
        #expect(runner.calls.last == "systemctl start \(target)")
        let (elsewhere, _, _, _) = try evict([.changed(.peer("gamma"))], options: EvictOptions(to: "beta"))
        #expect(elsewhere == CtlExit.evictOtherNode)
    }

    @Test func nothingToDoWhenNotPrimaryHere() throws {
        let (status, runner, t, _) = try evict([], status: statusJSON("r-0", role: "Secondary", peerRole: "Primary"))
        #expect(status == CtlExit.success)
        #expect(runner.calls == ["drbdsetup status --json r-0"])
        #expect(t.out == "Evicting r-0\nActive on 'beta', nothing to do on this node, ignoring\n")
        let (unknown, _, t2, _) = try evict([], status: statusJSON("r-0", role: "Secondary"))
        #expect(unknown == CtlExit.evictNobodyTookOver)
        #expect(t2.out.hasSuffix("Sorry, resource state for 'r-0' unknown, ignoring\n"))
    }

    @Test func aSignalEndsTheWait() throws {
        let (status, _, t, watch) = try evict([.tickEnded, .interrupted], delay: 20)
        #expect(status == CtlExit.evictStillPrimary && watch.ticks == 2)
        #expect(t.out.hasPrefix("Evicting r-0\n20..19..\nLocal node still DRBD Primary"))
    }

    @Test func toHoldsTheOtherPeersUntilItIsOver() throws {
        let (status, runner, t, _) = try evict([.changed(.peer("beta"))], options: EvictOptions(to: "beta"))
        #expect(status == CtlExit.success)
        #expect(runner.calls.first { $0.hasPrefix("ssh") } == "ssh -o BatchMode=yes -o ConnectTimeout=10 op@g.example -- systemctl mask --runtime '\(target)'")
        #expect(runner.calls.last == "ssh -o BatchMode=yes -o ConnectTimeout=10 op@g.example -- systemctl unmask --runtime '\(target)'")
        #expect(t.out.contains("Holding r-0 on 'gamma' so that 'beta' takes over\n"))
        #expect(throws: CtlError.notInCluster("'delta' is not a peer of resource 'r-0' (peers: beta, gamma)")) {
            try evict([], options: EvictOptions(to: "delta"))
        }
    }

    @Test func aPeerThatCannotBeHeldStopsTheEviction() throws {
        let runner = RecordingRunner()
        runner.answers["ssh -o BatchMode=yes -o ConnectTimeout=10 root@beta -- systemctl mask --runtime drbd-services@r0.target"] = ("", 255)
        let hold = PeerHold(known: [], fanOut: FanOut(nodes: [], nodeName: "alpha", program: "x", environment: [:]), runner: runner)
        let console = Console(colors: false, out: { _ in }, err: { _ in })
        #expect(throws: CtlError.nodesFailed(["beta"])) {
            try hold.hold(resource: "r0", except: "gamma", peers: ["beta", "gamma", "delta"], console: console)
        }
        // delta was held and is released again
        #expect(runner.calls.last == "ssh -o BatchMode=yes -o ConnectTimeout=10 root@delta -- systemctl unmask --runtime drbd-services@r0.target")
    }

    @Test func primaryFromTheEventsModel() throws {
        var world = World()
        for line in [
            "exists resource name:r0 role:Secondary suspended:no may_promote:no promotion_score:0",
            "exists connection name:r0 peer-node-id:1 conn-name:beta connection:Connected role:Primary", "exists -",
        ] { _ = world.apply(try Events2Parser.parse(line)) }
        #expect(PrimaryNode.of(world.resources["r0"], nodeName: "alpha") == .peer("beta"))
        _ = world.apply(try Events2Parser.parse("change resource name:r0 role:Primary"))
        #expect(PrimaryNode.of(world.resources["r0"], nodeName: "alpha") == .local("alpha"))
        #expect(PrimaryNode.of(nil, nodeName: "alpha") == .unknown)
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
