
/// `evict --to NODE`: keeps every other peer from taking the resource while this node lets it go, the
/// way evict keeps this node from taking it back: a runtime mask of the peer's
/// `drbd-services@<E>.target` (over ssh, as the nodes of a cluster context), removed again afterwards.
/// Only the promoters' own start path is blocked; DRBD is never forced.
public struct PeerHold {
    /// The nodes of the cluster context (for user and host name); a peer not in it is `root@<name>`.
    public var known: [ClusterContext.Node]
    public var fanOut: FanOut
    let runner: CommandRunner

    public init(known: [ClusterContext.Node], fanOut: FanOut, runner: CommandRunner) {
        self.known = known
        self.fanOut = fanOut
        self.runner = runner
    }

    /// Masks the target on each of `peers` but `except`; throws (after releasing what it held) when
    /// `except` is no peer or a peer could not be held. The held nodes.
    func hold(resource: String, except: String, peers: [String], console: Console) throws(CtlError) -> [ClusterContext.Node] {
        guard peers.contains(except) else { throw .notInCluster("'\(except)' is not a peer of resource '\(resource)' (peers: \(peers.joined(separator: ", ")))") }
        let nodes = peers.filter { $0 != except }.map { name in known.first { $0.name == name } ?? ClusterContext.Node(name: name) }
        guard !nodes.isEmpty else { return [] }
        console.line("Holding \(resource) on \(nodes.map { "'\($0.name)'" }.joined(separator: ", ")) so that '\(except)' takes over")
        let target = ServiceUnits.target(resource)
        let outcomes = runner.runAll(nodes.map { fanOut.sshArgv($0, ["systemctl", "mask", "--runtime", FanOut.shellQuoted(target)]) })
        let failed = zip(nodes, outcomes).filter { FanOut.failure($0.1, remote: true) != nil }.map(\.0)
        if !failed.isEmpty {
            release(resource: resource, nodes: nodes.filter { !failed.contains($0) }, console: console)
            throw .nodesFailed(failed.map(\.name))
        }
        return nodes
    }

    /// Unmasks the target on `nodes` (failures are reported, not thrown: the eviction is over).
    func release(resource: String, nodes: [ClusterContext.Node], console: Console) {
        let target = ServiceUnits.target(resource)
        let outcomes = runner.runAll(nodes.map { fanOut.sshArgv($0, ["systemctl", "unmask", "--runtime", FanOut.shellQuoted(target)]) })
        for (node, outcome) in zip(nodes, outcomes) {
            if let why = FanOut.failure(outcome, remote: true) {
                console.progress("Error: could not unmask \(target) on '\(node.name)' (\(why)): run 'systemctl unmask --runtime \(target)' there")
            }
        }
    }
}
