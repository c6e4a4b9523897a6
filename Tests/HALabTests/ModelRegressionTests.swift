import DRBDSim
import Testing

/// DRBD model bugs the HA lab found (fixed minimally in halab-sim, reported to halab-model).
@Suite struct ModelRegressionTests {
    /// A Primary cut off by a partition (one link after the other) must not write a new data
    /// generation alone: it had no quorum any more. It did, and after the heal it refused the new
    /// Primary's connection, kept may_promote and promoted beside it (HA lab seed 161: two writers).
    @Test func aPrimaryCutOffWritesNothingAndCannotPromoteBesideTheNewOneAfterTheHeal() {
        var c = DRBDCluster(spec: ClusterSpec(
            nodes: [NodeSpec(name: "n1", id: 0), NodeSpec(name: "n2", id: 1), NodeSpec(name: "n3", id: 2)],
            resources: [ResourceSpec(name: "r0")]))
        #expect(c.run("n1", ["drbdsetup", "primary", "r0"]).exitCode == 0)
        c.advance(to: .seconds(1))
        c.partition([["n1"], ["n2", "n3"]])
        #expect(c.run("n1", ["drbdsetup", "secondary", "r0"]).exitCode == 0)
        #expect(c.run("n3", ["drbdsetup", "primary", "r0"]).exitCode == 0)
        c.advance(to: .seconds(6))
        c.healAll()
        #expect(c.isConnected("n1", "n3", "r0"))
        #expect(!c.mayPromote("n1", "r0"))
        #expect(c.run("n1", ["drbdsetup", "primary", "r0"]).exitCode != 0)
        #expect(!c.canWrite("n1", "r0") && c.canWrite("n3", "r0"))
    }
}
