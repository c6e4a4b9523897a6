import DRBDSim
import Testing

@Test func initialClusterIsConnectedAndUpToDate() {
    var spec = ResourceSpec(name: "r0")
    spec.disklessNodes = ["n3"]
    let cluster = DRBDCluster(spec: ClusterSpec(
        nodes: [NodeSpec(name: "n1", id: 0), NodeSpec(name: "n2", id: 1), NodeSpec(name: "n3", id: 2)],
        resources: [spec]))
    #expect(cluster.diskState("n1", "r0", volume: 0) == "UpToDate")
    #expect(cluster.diskState("n3", "r0", volume: 0) == "Diskless")
    #expect(cluster.isConnected("n1", "n3", "r0"))
    #expect(cluster.hasQuorum("n2", "r0"))
    #expect(cluster.mayPromote("n1", "r0"))
}
