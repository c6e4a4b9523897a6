/// The fields of a `resource` line; nil means the line did not carry that key.
public struct Events2Resource: Hashable, Sendable {
    public var name: String
    /// `rename resource name:OLD new_name:NEW` only.
    public var newName: String?
    public var role: Role?
    public var suspended: Bool?
    public var writeOrdering: String?
    public var forceIOFailures: Bool?
    public var mayPromote: Bool?
    public var promotionScore: Int32?

    public init(name: String) { self.name = name }
}

extension Events2Resource: Events2Fields {
    /// Keys in the order drbd-utils prints them.
    enum Key: String, CaseIterable, Sendable {
        case name, newName = "new_name", role, suspended, forceIOFailures = "force-io-failures"
        case writeOrdering = "write-ordering", mayPromote = "may_promote", promotionScore = "promotion_score"
    }

    static let objectName = "resource"
    static let keys = ByteTable(cases: Key.self)
    static let requiredKeys = keys.mask([.name])

    init(placeholder: Void) { self.init(name: "") }

    mutating func set(_ key: Key, _ v: Events2Value<Key>, _ line: Span<UInt8>) throws(Events2ParseError) {
        switch key {
        case .name: name = try v.string(line)
        case .newName: newName = try v.string(line)
        case .role: role = try v.word(line)
        case .suspended: suspended = try v.flag(line)
        case .forceIOFailures: forceIOFailures = try v.flag(line)
        case .writeOrdering: writeOrdering = try v.string(line)
        case .mayPromote: mayPromote = try v.flag(line)
        case .promotionScore: promotionScore = try v.int32(line)
        }
    }
}

/// The fields of a `device` line; nil means the line did not carry that key.
public struct Events2Device: Hashable, Sendable {
    public var name: String
    public var volume: Int32
    public var minor: Int32?
    /// `.some(nil)` for `backing_dev:none` (diskless), nil when the key is absent.
    public var backingDevice: String??
    public var diskState: DiskState?
    public var client: Bool?
    public var open: Bool?
    public var quorum: Bool?
    public var size: UInt64?
    public var read: UInt64?
    public var written: UInt64?
    public var alWrites: UInt64?
    public var bmWrites: UInt64?
    public var upperPending: UInt64?
    public var lowerPending: UInt64?
    public var alSuspended: Bool?
    public var blocked: String?

    public init(name: String, volume: Int32) {
        self.name = name
        self.volume = volume
    }
}

extension Events2Device: Events2Fields {
    /// Keys in the order drbd-utils prints them.
    enum Key: String, CaseIterable, Sendable {
        case name, volume, minor, backingDev = "backing_dev", disk, client, open, quorum, size, read, written
        case alWrites = "al-writes", bmWrites = "bm-writes", upperPending = "upper-pending"
        case lowerPending = "lower-pending", alSuspended = "al-suspended", blocked
    }

    static let objectName = "device"
    static let keys = ByteTable(cases: Key.self)
    static let requiredKeys = keys.mask([.name, .volume])

    init(placeholder: Void) { self.init(name: "", volume: 0) }

    mutating func set(_ key: Key, _ v: Events2Value<Key>, _ line: Span<UInt8>) throws(Events2ParseError) {
        switch key {
        case .name: name = try v.string(line)
        case .volume: volume = try v.int32(line)
        case .minor: minor = try v.int32(line)
        case .backingDev: backingDevice = .some(v.literal(line) == .noDevice ? nil : try v.string(line))
        case .disk: diskState = try v.word(line)
        case .client: client = try v.flagUnknownIsFalse(line)
        case .open: open = try v.flagUnknownIsFalse(line)
        case .quorum: quorum = try v.flag(line)
        case .size: size = try v.uint64(line)
        case .read: read = try v.uint64(line)
        case .written: written = try v.uint64(line)
        case .alWrites: alWrites = try v.uint64(line)
        case .bmWrites: bmWrites = try v.uint64(line)
        case .upperPending: upperPending = try v.uint64(line)
        case .lowerPending: lowerPending = try v.uint64(line)
        case .alSuspended: alSuspended = try v.flag(line)
        case .blocked: blocked = try v.string(line)
        }
    }
}
