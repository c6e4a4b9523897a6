import DRBDSim
import Testing

/// A resync target that is promoted (DRBD 9 allows it while its sync source is connected: reads go
/// to the peer until the resync ends).
@Suite struct ResyncTargetTests {
    static func threeNodes() -> DRBDCluster {
        DRBDCluster(spec: ClusterSpec(
            nodes: [NodeSpec(name: "n1", id: 0), NodeSpec(name: "n2", id: 1), NodeSpec(name: "n3", id: 2)],
            resources: [ResourceSpec(name: "r0")]))
    }

    /// n2 reboots with data older than n1's (n3 wrote while n2 was down, then died): it becomes
    /// n1's SyncTarget, may promote, and a promote keeps it Primary and connected. The model took it
    /// for a stale Primary (older generation than its peer), cut the connection and forced it back to
    /// Secondary in the same step, so the promote "succeeded" without a Primary (HA lab seed 76:
    /// services up on a Secondary).
    @Test func aPromotedSyncTargetStaysPrimaryAndConnected() {
        var c = Self.threeNodes()
        #expect(c.run("n3", ["drbdsetup", "primary", "r0"]).exitCode == 0)
        c.crash("n2")
        c.advance(to: .seconds(10))
        c.crash("n3")
        c.boot("n2")
        #expect(c.run("n2", ["drbdadm", "adjust", "r0"]).exitCode == 0)
        #expect(c.diskState("n2", "r0", volume: 0) == "Inconsistent")
        #expect(c.isConnected("n1", "n2", "r0") && c.hasQuorum("n2", "r0") && c.mayPromote("n2", "r0"))
        #expect(c.run("n2", ["drbdsetup", "primary", "r0"]).exitCode == 0)
        #expect(c.role("n2", "r0") == "Primary")
        #expect(c.isConnected("n1", "n2", "r0"))
        #expect(c.canWrite("n2", "r0"))
        c.advance(to: .seconds(20))
        #expect(c.diskState("n2", "r0", volume: 0) == "UpToDate")
        #expect(c.role("n2", "r0") == "Primary" && c.canWrite("n2", "r0"))
    }

    /// The cut-off case with a realistic resync: the Primary n1 loses n3 first (its writes still reach
    /// n2), then n2. The survivors n2 and n3 keep quorum together; n3 missed writes and resyncs from n2
    /// for 30 s. Promoting n3 during the resync (DRBD 9 allows it with an UpToDate peer connected: reads
    /// go to the peer) keeps it connected, quorate and writable, and the resync still ends. In the model
    /// this used to drop the link (the HA lab's cut-off scenario ran with a 0.2 s resync to avoid it).
    @Test func aSyncTargetPromotedDuringAResyncStaysConnected() {
        var r0 = ResourceSpec(name: "r0")
        r0.resyncDuration = .seconds(30)
        var c = DRBDCluster(spec: ClusterSpec(
            nodes: [NodeSpec(name: "n1", id: 0), NodeSpec(name: "n2", id: 1), NodeSpec(name: "n3", id: 2)],
            resources: [r0]))
        #expect(c.run("n1", ["drbdsetup", "primary", "r0"]).exitCode == 0)
        c.cut("n1", "n3")
        c.advance(to: .seconds(1))
        c.cut("n1", "n2")
        c.advance(to: .seconds(2))
        #expect(c.diskState("n3", "r0", volume: 0) == "Inconsistent")
        #expect(c.diskState("n2", "r0", volume: 0) == "UpToDate")
        #expect(c.mayPromote("n3", "r0") && c.hasQuorum("n3", "r0"))
        #expect(c.run("n3", ["drbdsetup", "primary", "r0"]).exitCode == 0)
        #expect(c.role("n3", "r0") == "Primary")
        #expect(c.isConnected("n2", "n3", "r0") && c.hasQuorum("n3", "r0") && c.canWrite("n3", "r0"))
        #expect(c.hasQuorum("n2", "r0") && !c.mayPromote("n2", "r0"))
        c.advance(to: .seconds(10))
        #expect(c.diskState("n3", "r0", volume: 0) == "Inconsistent" && c.isConnected("n2", "n3", "r0"))
        c.advance(to: .seconds(40))
        #expect(c.diskState("n3", "r0", volume: 0) == "UpToDate")
        #expect(c.role("n3", "r0") == "Primary" && c.canWrite("n3", "r0") && c.isConnected("n2", "n3", "r0"))
    }
}
