/// The state model: what DRBD currently looks like, the same picture as `drbdsetup status --json`.
///
/// Plain values, ordered maps by id (volumes and peer node ids are small integers; ordered storage keeps
/// renderers deterministic). Counters are what DRBD prints: sizes and I/O in KiB, in-flight in sectors.
///
/// Memory: a World of 1000 resources holds some 11,000 of these objects, so their size matters. The
/// children of an object are `SmallMap`s (one exact-size array each, not a hash table), and fields are
/// declared largest first (Swift lays out stored properties in declaration order, so booleans spread
/// between 8-byte fields each cost 8 bytes of padding).

/// One DRBD resource with everything below it.
public struct Resource: Hashable, Sendable {
    public var name: String
    public var role: Role = .unknown
    public var writeOrdering = ""
    /// Devices by volume number.
    public var devices: SmallMap<Int32, Device> = [:]
    /// Connections by peer node id.
    public var connections: SmallMap<Int32, Connection> = [:]
    public var promotionScore: Int32 = 0
    /// `suspended:` is `no` or a reason list (`user`, `quorum`, `user,no-data`, ...): any reason means suspended.
    public var suspended = false
    public var forceIOFailures = false
    public var mayPromote = false

    public init(name: String) { self.name = name }
}

/// A local volume of a resource.
public struct Device: Hashable, Sendable {
    public var diskState: DiskState = .dUnknown
    /// `nil` when DRBD prints `backing_dev:none` (diskless) or does not print it at all.
    public var backingDevice: String?
    /// `no`, `upper`, `lower` or `upper,lower`.
    public var blocked = "no"
    public var size: UInt64 = 0
    public var read: UInt64 = 0
    public var written: UInt64 = 0
    public var alWrites: UInt64 = 0
    public var bmWrites: UInt64 = 0
    public var upperPending: UInt64 = 0
    public var lowerPending: UInt64 = 0
    public var volume: Int32
    public var minor: Int32 = 0
    public var client = false
    public var quorum = false
    public var open = false
    public var alSuspended = false

    public init(volume: Int32) { self.volume = volume }
}

/// A connection to one peer.
public struct Connection: Hashable, Sendable {
    public var connectionName = ""
    public var connectionState: ConnectionState = .standAlone
    public var peerRole: Role = .unknown
    public var apInFlight: UInt64 = 0
    public var rsInFlight: UInt64 = 0
    /// Peer devices by volume.
    public var peerDevices: SmallMap<Int32, PeerDevice> = [:]
    /// Paths keyed by "local peer" address pair.
    public var paths: SmallMap<PathKey, Path> = [:]
    public var peerNodeID: Int32
    public var congested = false

    public init(peerNodeID: Int32) { self.peerNodeID = peerNodeID }
}

/// The replication state of one volume towards one peer.
public struct PeerDevice: Hashable, Sendable {
    public var replicationState: ReplicationState = .off
    public var peerDiskState: DiskState = .dUnknown
    public var received: UInt64 = 0
    public var sent: UInt64 = 0
    public var outOfSync: UInt64 = 0
    public var pending: UInt64 = 0
    public var unacked: UInt64 = 0
    public var volume: Int32
    public var peerClient = false
    public var resyncSuspended = false

    public init(volume: Int32) { self.volume = volume }
}

/// Identity of a path: its local and peer address as printed (`ipv4:1.2.3.4:7789`).
public struct PathKey: Hashable, Sendable, Comparable {
    public var local: String
    public var peer: String
    public init(local: String, peer: String) {
        self.local = local
        self.peer = peer
    }
    public static func < (a: PathKey, b: PathKey) -> Bool { (a.local, a.peer) < (b.local, b.peer) }
}

/// One network path of a connection.
public struct Path: Hashable, Sendable {
    public var key: PathKey
    public var established = false
    public init(key: PathKey) { self.key = key }
}

// MARK: - Diffs

/// The part of a resource whose change is reported to change plugins.
public struct ResourceState: Hashable, Sendable {
    public var role: Role = .unknown
    public var mayPromote = false
    public var promotionScore: Int32 = 0
    public var suspended = false
    public var forceIOFailures = false
    public init() {}
}

/// The part of a device whose change is reported to change plugins.
public struct DeviceState: Hashable, Sendable {
    public var diskState: DiskState = .dUnknown
    public var client = false
    public var quorum = false
    public var size: UInt64 = 0
    public var open = false
    public init() {}
}

/// The part of a peer device whose change is reported to change plugins.
public struct PeerDeviceState: Hashable, Sendable {
    public var replicationState: ReplicationState = .off
    public var peerDiskState: DiskState = .dUnknown
    public var peerClient = false
    public var resyncSuspended = false
    public init() {}
}

/// The part of a connection whose change is reported to change plugins.
public struct ConnectionStateSet: Hashable, Sendable {
    public var connectionName = ""
    public var connectionState: ConnectionState = .standAlone
    public var peerRole: Role = .unknown
    public var congested = false
    public init() {}
}

/// What changed, for which object.
public enum UpdateKind: Hashable, Sendable {
    case resource(old: ResourceState, new: ResourceState)
    case device(volume: Int32, old: DeviceState, new: DeviceState)
    case peerDevice(peerNodeID: Int32, volume: Int32, old: PeerDeviceState, new: PeerDeviceState)
    case connection(peerNodeID: Int32, old: ConnectionStateSet, new: ConnectionStateSet)
    case path(peerNodeID: Int32, key: PathKey, old: Bool, new: Bool)
}

/// One diff produced by applying an events2 record to the World, as change plugins receive it.
public struct StateUpdate: Hashable, Sendable {
    public var eventType: EventType
    public var resourceName: String
    public var kind: UpdateKind
    /// The whole resource after the record was applied (for a destroyed resource: its last state).
    public var resource: Resource

    public init(eventType: EventType, resourceName: String, kind: UpdateKind, resource: Resource) {
        self.eventType = eventType
        self.resourceName = resourceName
        self.kind = kind
        self.resource = resource
    }
}
