import DRBDSim
import HALab
import Testing
import ReactorCore
import ReactorSystem
import ReactorPromoter

/// Hand-written fault schedules for windows a random schedule rarely hits.
@Suite struct HALabScenarioTests {
    /// One resource on three diskful nodes, preferred on n1 (so n1 runs it before the faults).
    static func scenario(_ faults: [(Int, Fault)], onQuorumLoss: QuorumLossPolicy = .shutdown) -> Scenario {
        var r = PromoterResourceConfig(name: "r0")
        r.start = Scenario.services("r0", count: 1)
        r.preferredNodes = ["n1", "n2", "n3"]
        r.onQuorumLoss = onQuorumLoss
        var spec = ResourceSpec(name: "r0")
        spec.onNoQuorum = onQuorumLoss == .freeze ? .suspendIO : .ioError
        return Scenario(
            seed: 0, spec: ClusterSpec(nodes: ["n1", "n2", "n3"].enumerated().map { NodeSpec(name: $0.element, id: $0.offset) }, resources: [spec]),
            promoter: PromoterConfig(resources: [r]), faults: faults.map { (Duration.seconds($0.0), $0.1) },
            replay: "swift test --filter HALabScenarioTests")
    }

    /// n1 loses quorum while its drbdsetup is being respawned (or its daemon restarts): the new
    /// events2 stream starts with quorum already lost, so no quorum-loss transition is ever seen.
    @Test(arguments: [Fault.respawnDrbdsetup("n1"), .restartDaemon("n1")], [QuorumLossPolicy.shutdown, .freeze])
    func quorumLostWhileTheDaemonDoesNotWatch(blind: Fault, policy: QuorumLossPolicy) {
        let s = Self.scenario([(30, blind), (30, .partition([["n1"], ["n2", "n3"]]))], onQuorumLoss: policy)
        if let v = Simulation(scenario: s).run() { Issue.record("\(v)") }
    }
}
