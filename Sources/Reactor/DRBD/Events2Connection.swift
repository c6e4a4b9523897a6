/// The fields of a `connection` line; nil means the line did not carry that key.
public struct Events2Connection: Hashable, Sendable {
    public var name: String
    public var peerNodeID: Int32
    public var connectionName: String?
    public var connectionState: ConnectionState?
    /// The peer's role (`role:` on a connection line).
    public var peerRole: Role?
    public var congested: Bool?
    public var apInFlight: UInt64?
    public var rsInFlight: UInt64?

    public init(name: String, peerNodeID: Int32) {
        self.name = name
        self.peerNodeID = peerNodeID
    }
}

extension Events2Connection: Events2Fields {
    /// Keys in the order drbd-utils prints them.
    enum Key: String, CaseIterable, Sendable {
        case name, peerNodeID = "peer-node-id", connName = "conn-name", connection, role, congested
        case apInFlight = "ap-in-flight", rsInFlight = "rs-in-flight"
    }

    static let objectName = "connection"
    static let keys = ByteTable(cases: Key.self)
    static let requiredKeys = keys.mask([.name, .peerNodeID])

    init(placeholder: Void) { self.init(name: "", peerNodeID: 0) }

    mutating func set(_ key: Key, _ v: Events2Value) throws(Events2ParseError) {
        switch key {
        case .name: name = try v.string()
        case .peerNodeID: peerNodeID = try v.int32()
        case .connName: connectionName = try v.string()
        case .connection: connectionState = try v.word()
        case .role: peerRole = try v.word()
        case .congested: congested = try v.flag()
        case .apInFlight: apInFlight = try v.uint64()
        case .rsInFlight: rsInFlight = try v.uint64()
        }
    }
}

/// The fields of a `peer-device` line; nil means the line did not carry that key.
public struct Events2PeerDevice: Hashable, Sendable {
    public var name: String
    public var peerNodeID: Int32
    public var volume: Int32
    public var connectionName: String?
    public var replicationState: ReplicationState?
    public var peerDiskState: DiskState?
    public var peerClient: Bool?
    public var resyncSuspended: Bool?
    public var received: UInt64?
    public var sent: UInt64?
    public var outOfSync: UInt64?
    public var pending: UInt64?
    public var unacked: UInt64?

    public init(name: String, peerNodeID: Int32, volume: Int32) {
        self.name = name
        self.peerNodeID = peerNodeID
        self.volume = volume
    }
}

extension Events2PeerDevice: Events2Fields {
    /// Keys in the order drbd-utils prints them; `done`, `dbdt1` and `eta` (resync progress) are known
    /// but ignored, as in the original.
    enum Key: String, CaseIterable, Sendable {
        case name, peerNodeID = "peer-node-id", connName = "conn-name", volume, replication
        case peerDisk = "peer-disk", peerClient = "peer-client", resyncSuspended = "resync-suspended", done
        case received, sent, outOfSync = "out-of-sync", pending, unacked, dbdt1, eta
    }

    static let objectName = "peer-device"
    static let keys = ByteTable(cases: Key.self)
    static let requiredKeys = keys.mask([.name, .peerNodeID, .volume])

    init(placeholder: Void) { self.init(name: "", peerNodeID: 0, volume: 0) }

    mutating func set(_ key: Key, _ v: Events2Value) throws(Events2ParseError) {
        switch key {
        case .name: name = try v.string()
        case .peerNodeID: peerNodeID = try v.int32()
        case .connName: connectionName = try v.string()
        case .volume: volume = try v.int32()
        case .replication: replicationState = try v.word()
        case .peerDisk: peerDiskState = try v.word()
        case .peerClient: peerClient = try v.flagUnknownIsFalse()
        case .resyncSuspended: resyncSuspended = try v.flag()
        case .received: received = try v.uint64()
        case .sent: sent = try v.uint64()
        case .outOfSync: outOfSync = try v.uint64()
        case .pending: pending = try v.uint64()
        case .unacked: unacked = try v.uint64()
        case .done, .dbdt1, .eta: break
        }
    }
}
