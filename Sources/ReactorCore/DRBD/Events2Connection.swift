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

    mutating func set(_ key: Key, _ v: Events2Value<Key>, _ line: Span<UInt8>) throws(Events2ParseError) {
        switch key {
        case .name: name = try v.string(line)
        case .peerNodeID: peerNodeID = try v.int32(line)
        case .connName: connectionName = try v.string(line)
        case .connection: connectionState = try v.word(line)
        case .role: peerRole = try v.word(line)
        case .congested: congested = try v.flag(line)
        case .apInFlight: apInFlight = try v.uint64(line)
        case .rsInFlight: rsInFlight = try v.uint64(line)
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

    mutating func set(_ key: Key, _ v: Events2Value<Key>, _ line: Span<UInt8>) throws(Events2ParseError) {
        switch key {
        case .name: name = try v.string(line)
        case .peerNodeID: peerNodeID = try v.int32(line)
        case .connName: connectionName = try v.string(line)
        case .volume: volume = try v.int32(line)
        case .replication: replicationState = try v.word(line)
        case .peerDisk: peerDiskState = try v.word(line)
        case .peerClient: peerClient = try v.flagUnknownIsFalse(line)
        case .resyncSuspended: resyncSuspended = try v.flag(line)
        case .received: received = try v.uint64(line)
        case .sent: sent = try v.uint64(line)
        case .outOfSync: outOfSync = try v.uint64(line)
        case .pending: pending = try v.uint64(line)
        case .unacked: unacked = try v.uint64(line)
        case .done, .dbdt1, .eta: break
        }
    }
}
