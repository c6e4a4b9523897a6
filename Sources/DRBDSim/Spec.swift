/// What the simulated cluster is made of: the nodes, the resources and how each is configured. Plain
/// values, so a test or a scenario file builds one and hands it to `DRBDCluster(spec:)`.

/// One machine of the cluster. `name` is its `uname -n` and the conn-name its peers print for it.
public struct NodeSpec: Hashable, Sendable {
    public var name: String
    /// The DRBD node-id (the `peer-node-id` its peers print).
    public var id: Int

    public init(name: String, id: Int) {
        self.name = name
        self.id = id
    }
}

/// The resource option `quorum`. DRBD also knows `all` and a number; the lab needs these two.
public enum QuorumSetting: String, Sendable {
    case off, majority
}

/// The resource option `on-no-quorum` (the simulation applies it to `on-no-data-accessible` too).
public enum OnNoQuorum: String, Sendable {
    case ioError = "io-error"
    case suspendIO = "suspend-io"
}

/// One DRBD resource as every node has it configured.
public struct ResourceSpec: Hashable, Sendable {
    public var name: String
    public var volumes: Int = 1
    public var firstMinor: Int = 0
    /// Diskless clients (tiebreakers) of this resource; every other node is diskful.
    public var disklessNodes: Set<String> = []
    public var quorum: QuorumSetting = .majority
    public var onNoQuorum: OnNoQuorum = .ioError
    public var onSuspendedPrimaryOutdated = "force-secondary"
    public var autoPromote = false
    /// `net.fencing`.
    public var fencing = "dont-care"
    public var rrConflict = "retry-connect"
    public var sizeKiB = 1_048_576
    /// How long a full resync after a heal takes.
    public var resyncDuration: Duration = .seconds(2)

    public init(name: String) {
        self.name = name
    }

    /// Whether `node` keeps no data of this resource (a diskless client).
    public func isDiskless(_ node: String) -> Bool { disklessNodes.contains(node) }
}

/// The whole cluster: its nodes and the resources every node has configured.
public struct ClusterSpec: Hashable, Sendable {
    public var nodes: [NodeSpec]
    public var resources: [ResourceSpec]

    public init(nodes: [NodeSpec], resources: [ResourceSpec]) {
        self.nodes = nodes
        self.resources = resources
    }
}

/// What a command run on a node answers: its exit status and both outputs, as drbd-utils print them.
public struct CommandResult: Hashable, Sendable {
    public var exitCode: Int32
    public var stdout: String
    public var stderr: String

    public init(exitCode: Int32, stdout: String = "", stderr: String = "") {
        self.exitCode = exitCode
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// A handle on one `drbdsetup events2` stream of one node.
public typealias SubscriptionID = Int
