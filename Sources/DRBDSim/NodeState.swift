/// The simulation's state of one node: what DRBD holds in that node's kernel. Derived facts (quorum
/// inputs, connection states, may_promote) are computed by `DRBDCluster` from these and the links.

/// A DRBD disk state, spelled as events2 prints it.
enum DiskState: String, Sendable {
    case diskless = "Diskless"
    case failed = "Failed"
    case inconsistent = "Inconsistent"
    case outdated = "Outdated"
    case upToDate = "UpToDate"

    /// Whether a backing device is attached (DRBD's `> D_DISKLESS` for the states modelled here).
    var isAttached: Bool { self == .inconsistent || self == .outdated || self == .upToDate }
}

/// A running resync of one volume towards this node.
struct Resync: Hashable, Sendable {
    var source: String
    var start: Duration
    var end: Duration
}

/// One volume (DRBD device) of a resource on one node.
struct VolumeState: Hashable, Sendable {
    var disk: DiskState
    /// The data generation this disk holds (DRBD's current UUID, reduced to a counter that only grows).
    var generation: Int
    /// Quorum as last computed: the tiebreaker rule may only keep quorum, never gain it.
    var quorum: Bool
    /// Set while this volume is the target of a resync.
    var resync: Resync?
}

/// One resource on one node, present while it is up (`drbdadm up`/`adjust`).
struct ResourceState: Hashable, Sendable {
    var primary: Bool
    var volumes: [VolumeState]
    /// Peers this node knows to be outdated (they left gracefully): not counted as voters.
    var outdatedPeers: Set<String> = []
    /// DRBD's `fail_io` after a forced demotion: `force-io-failures:yes`.
    var forceIOFailures = false
}

/// One node: whether it runs, and the resources that are up on it.
struct NodeState: Hashable, Sendable {
    var spec: NodeSpec
    var up = true
    var resources: [String: ResourceState] = [:]
}
