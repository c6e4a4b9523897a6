/// The fields of a `path` line; nil means the line did not carry that key.
public struct Events2Path: Hashable, Sendable {
    public var name: String
    public var peerNodeID: Int32
    public var connectionName: String?
    /// Local and peer address as printed, e.g. `ipv4:1.2.3.4:7789` or `ipv6:[fd00::1]:7789`.
    public var key: PathKey
    public var established: Bool?

    public init(name: String, peerNodeID: Int32, key: PathKey) {
        self.name = name
        self.peerNodeID = peerNodeID
        self.key = key
    }
}

extension Events2Path: Events2Fields {
    /// Keys in the order drbd-utils prints them.
    enum Key: String, CaseIterable, Sendable {
        case name, peerNodeID = "peer-node-id", connName = "conn-name", local, peer, established
    }

    static let objectName = "path"
    static let keys = ByteTable(cases: Key.self)
    static let requiredKeys = keys.mask([.name, .peerNodeID, .local, .peer])

    init(placeholder: Void) { self.init(name: "", peerNodeID: 0, key: PathKey(local: "", peer: "")) }

    mutating func set(_ key: Key, _ v: Events2Value<Key>, _ line: Span<UInt8>) throws(Events2ParseError) {
        switch key {
        case .name: name = try v.string(line)
        case .peerNodeID: peerNodeID = try v.int32(line)
        case .connName: connectionName = try v.string(line)
        case .local: self.key.local = try v.string(line)
        case .peer: self.key.peer = try v.string(line)
        case .established: established = try v.flag(line)
        }
    }
}

/// The fields of a `call helper` / `response helper` line (DRBD ran a user mode helper such as
/// `before-resync-target`). Informational: the World ignores it.
public struct Events2Helper: Hashable, Sendable {
    public var name: String
    /// The helper's name (`helper:before-resync-target`).
    public var helper: String
    public var peerNodeID: Int32?
    public var connectionName: String?
    public var volume: Int32?
    public var minor: Int32?
    public var local: String?
    public var peer: String?
    /// The helper's exit status (`response` only).
    public var status: Int32?

    public init(name: String, helper: String) {
        self.name = name
        self.helper = helper
    }
}

extension Events2Helper: Events2Fields {
    enum Key: String, CaseIterable, Sendable {
        case name, peerNodeID = "peer-node-id", connName = "conn-name", local, peer, volume, minor, helper, status
    }

    static let objectName = "helper"
    static let keys = ByteTable(cases: Key.self)
    static let requiredKeys = keys.mask([.name, .helper])

    init(placeholder: Void) { self.init(name: "", helper: "") }

    mutating func set(_ key: Key, _ v: Events2Value<Key>, _ line: Span<UInt8>) throws(Events2ParseError) {
        switch key {
        case .name: name = try v.string(line)
        case .peerNodeID: peerNodeID = try v.int32(line)
        case .connName: connectionName = try v.string(line)
        case .local: local = try v.string(line)
        case .peer: peer = try v.string(line)
        case .volume: volume = try v.int32(line)
        case .minor: minor = try v.int32(line)
        case .helper: helper = try v.string(line)
        case .status: status = try v.int32(line)
        }
    }
}
