/// Observation for invariants and expectations: nil / false when the node is down or the resource is
/// not up there.
extension DRBDCluster {
    public func isUp(_ node: String) -> Bool { nodes[node]?.up ?? false }

    public func role(_ node: String, _ resource: String) -> String? {
        state(node, resource).map { $0.primary ? "Primary" : "Secondary" }
    }

    public func hasQuorum(_ node: String, _ resource: String) -> Bool { allVolumesHaveQuorum(node, resource) }

    public func mayPromote(_ node: String, _ resource: String) -> Bool { computeMayPromote(node, resource) }

    public func promotionScore(_ node: String, _ resource: String) -> Int { computePromotionScore(node, resource) }

    public func diskState(_ node: String, _ resource: String, volume: Int) -> String? {
        guard let res = state(node, resource), res.volumes.indices.contains(volume) else { return nil }
        return res.volumes[volume].disk.rawValue
    }

    public func isConnected(_ a: String, _ b: String, _ resource: String) -> Bool { isEstablished(a, b, resource) }

    public func canWrite(_ node: String, _ resource: String) -> Bool { computeCanWrite(node, resource) }

    /// Whether I/O of `resource` on `node` is suspended for lack of quorum (`suspended:quorum`).
    public func isSuspended(_ node: String, _ resource: String) -> Bool {
        guard let spec = resourceSpec(resource) else { return false }
        return isSuspended(node, spec)
    }

    /// The names of the nodes, in node-id order.
    public var nodeNames: [String] { nodeOrder }

    /// The names of the resources, as configured.
    public var resourceNames: [String] { spec.resources.map(\.name) }
}
