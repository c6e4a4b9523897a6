import DRBDSim
import Testing

/// Connection losses as one state change with the quorum they cost, and who votes for quorum.
@Suite struct ConnectionLossTests {
    static func threeNodes(suspendIO: Bool = true) -> DRBDCluster {
        var r0 = ResourceSpec(name: "r0")
        if suspendIO { r0.onNoQuorum = .suspendIO }
        return DRBDCluster(spec: ClusterSpec(
            nodes: [NodeSpec(name: "n1", id: 0), NodeSpec(name: "n2", id: 1), NodeSpec(name: "n3", id: 2)],
            resources: [r0]))
    }

    /// A partition cuts all its links in one state change. The model cut them one by one, so a
    /// Primary isolated by it still had quorum with the half-cut peer in between and wrote a data
    /// generation of its own; after the heal that generation looked newer, the peer resynced from it
    /// and the old Primary regained quorum beside the new one (HA lab seed 36: two writers).
    @Test func anIsolatedPrimaryWritesNothingAndHandsOverAfterTheHeal() {
        var c = Self.threeNodes()
        #expect(c.run("n2", ["drbdsetup", "primary", "r0"]).exitCode == 0)
        c.failDisk("n3", "r0")
        c.advance(to: .seconds(10))
        c.attachDisk("n3", "r0")
        #expect(c.diskState("n3", "r0", volume: 0) == "Inconsistent")
        c.partition([["n2"], ["n1", "n3"]])
        #expect(!c.hasQuorum("n2", "r0") && !c.canWrite("n2", "r0"))
        c.advance(to: .seconds(20))
        #expect(c.run("n1", ["drbdsetup", "primary", "r0"]).exitCode == 0)
        c.advance(to: .seconds(30))
        c.healAll()
        #expect(c.role("n2", "r0") == "Secondary")
        #expect(c.canWrite("n1", "r0") && !c.canWrite("n2", "r0"))
        #expect(c.diskState("n3", "r0", volume: 0) == "UpToDate")
    }

    /// The lines printed for a lost connection carry the quorum lost with it: they said
    /// `may_promote:yes` (quorum of before, the Primary gone), the promoter queued a promote and a
    /// freeze at once (HA lab seed 425).
    @Test func connectionLossLinesCarryTheNewQuorum() throws {
        var c = Self.threeNodes()
        #expect(c.run("n2", ["drbdsetup", "primary", "r0"]).exitCode == 0)
        c.failDisk("n3", "r0")
        let subscription = c.subscribe("n1")
        let id = try #require(subscription)
        _ = c.takeLines(id)
        c.partition([["n2"], ["n1", "n3"]])
        let lines = c.takeLines(id)
        #expect(lines.contains { $0.hasPrefix("change connection") && $0.contains("connection:NetworkFailure") })
        #expect(!lines.contains { $0.contains("may_promote:yes") })
        #expect(lines.contains { $0.hasPrefix("change device") && $0.contains("quorum:no") })
        #expect(!c.hasQuorum("n1", "r0"))
    }

    /// A diskful peer whose disk is detached gives no vote (it counts itself unknown too). It gave
    /// one: a node that booted with stale data and reached only that peer had quorum and promoted
    /// beside the Primary it could not see (HA lab seed 544: two writers).
    @Test func aDetachedPeerGivesNoVote() {
        var c = Self.threeNodes(suspendIO: false)
        #expect(c.run("n2", ["drbdsetup", "primary", "r0"]).exitCode == 0)
        c.failDisk("n1", "r0")
        #expect(c.hasQuorum("n2", "r0"))
        c.crash("n3")
        #expect(!c.hasQuorum("n2", "r0") && !c.canWrite("n2", "r0"))
        c.crash("n2")
        c.boot("n3")
        #expect(c.run("n3", ["drbdadm", "adjust", "r0"]).exitCode == 0)
        #expect(c.isConnected("n1", "n3", "r0"))
        #expect(!c.hasQuorum("n3", "r0") && !c.mayPromote("n3", "r0"))
        #expect(c.run("n3", ["drbdsetup", "primary", "r0"]).exitCode != 0)
    }
}
