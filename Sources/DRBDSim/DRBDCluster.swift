/// A DRBD 9 cluster, simulated: what each node's kernel holds, the links between nodes, and the
/// events2 streams subscribed on each node. Pure and deterministic: no I/O, no clock; time passes only
/// through `advance(to:)`.
///
/// Design: every mutation (a fault, a command, time passing) changes the stored facts, then `settle()`
/// recomputes what DRBD derives from them (handshakes and resyncs on established connections, new data
/// generations written by a Primary, quorum, forced demotions) until nothing changes, and `publish()`
/// renders each node's events2 objects and hands every open subscription the lines for the objects
/// that changed since it last saw them.
public struct DRBDCluster: Sendable {
    let spec: ClusterSpec
    var nodes: [String: NodeState]
    /// Node names in node-id order: the order objects and peers are printed in.
    let nodeOrder: [String]
    /// Unordered pairs of nodes whose network is broken, as "a\u{0}b" with a < b.
    var cutLinks: Set<String> = []
    /// What survives a crash or `down` on each node: data generation and disk state per volume
    /// (DRBD's meta data), keyed by node, then resource.
    var metaData: [String: [String: [MetaVolume]]] = [:]
    /// Volumes whose backing device failed and stays detached until `attachDisk`.
    var failedDisks: Set<VolumeKey> = []
    var lastGeneration = 1
    var subscriptions: [SubscriptionID: Subscription] = [:]
    var nextSubscription: SubscriptionID = 1
    /// Connection states printed instead of the computed one, only while `publish()` renders the
    /// short-lived steps of a connection loss (NetworkFailure, Unconnected).
    var transientConnectionState: [String: String] = [:]

    public private(set) var now: Duration = .zero

    public init(spec: ClusterSpec) {
        self.spec = spec
        let ordered = spec.nodes.sorted { $0.id < $1.id }
        nodeOrder = ordered.map(\.name)
        nodes = [:]
        for node in ordered {
            nodes[node.name] = NodeState(spec: node)
        }
        for node in nodeOrder {
            for resource in spec.resources {
                let disk: DiskState = resource.isDiskless(node) ? .diskless : .upToDate
                metaData[node, default: [:]][resource.name] = Array(
                    repeating: MetaVolume(disk: disk, generation: lastGeneration), count: resource.volumes)
                bringUp(node, resource)
            }
        }
        settle()
    }

    // MARK: time

    public mutating func advance(to time: Duration) {
        guard time > now else { return }
        // Step through each deadline on the way, so that events come out in the order they happen.
        while let deadline = nextDeadline(), deadline <= time {
            now = max(now, deadline)
            finishResyncs()
            settle()
        }
        now = time
    }

    public func nextDeadline() -> Duration? {
        var next: Duration?
        for node in nodes.values where node.up {
            for resource in node.resources.values {
                for volume in resource.volumes {
                    if let end = volume.resync?.end, next == nil || end < next! { next = end }
                }
            }
        }
        return next
    }

    // MARK: helpers used throughout

    func resourceSpec(_ name: String) -> ResourceSpec? { spec.resources.first { $0.name == name } }

    func nodeID(_ node: String) -> Int { nodes[node]?.spec.id ?? -1 }

    static func linkKey(_ a: String, _ b: String) -> String { a < b ? "\(a)\u{0}\(b)" : "\(b)\u{0}\(a)" }

    func linkIsCut(_ a: String, _ b: String) -> Bool { cutLinks.contains(Self.linkKey(a, b)) }

    /// The resource state of `resource` on `node`, if the node is up and the resource is up there.
    func state(_ node: String, _ resource: String) -> ResourceState? {
        guard let n = nodes[node], n.up else { return nil }
        return n.resources[resource]
    }

    /// The peers of `node` in node-id order.
    func peers(of node: String) -> [String] { nodeOrder.filter { $0 != node } }

    mutating func newGeneration() -> Int {
        lastGeneration += 1
        return lastGeneration
    }
}

/// What DRBD's meta data keeps of a volume across a crash or `down`.
struct MetaVolume: Hashable, Sendable {
    var disk: DiskState
    var generation: Int
}

/// One volume of one resource on one node.
struct VolumeKey: Hashable, Sendable {
    var node: String
    var resource: String
    var volume: Int
}
