import ReactorCore

/// The value of an AgentX variable binding (RFC 2741 5.4), with the SNMP type it is sent as.
public enum AgentXValue: Hashable, Sendable {
    case integer(Int32)
    case octetString([UInt8])
    case null
    case objectIdentifier(OID)
    /// Four bytes, network order.
    case ipAddress([UInt8])
    case counter32(UInt32)
    case gauge32(UInt32)
    case timeTicks(UInt32)
    case opaque([UInt8])
    case counter64(UInt64)
    case noSuchObject
    case noSuchInstance
    case endOfMibView

    /// The `v.type` field of the varbind.
    public var typeCode: UInt16 {
        switch self {
        case .integer: 2
        case .octetString: 4
        case .null: 5
        case .objectIdentifier: 6
        case .ipAddress: 64
        case .counter32: 65
        case .gauge32: 66
        case .timeTicks: 67
        case .opaque: 68
        case .counter64: 70
        case .noSuchObject: 128
        case .noSuchInstance: 129
        case .endOfMibView: 130
        }
    }

    /// A text value (DisplayString).
    public static func string(_ s: String) -> AgentXValue { .octetString(Array(s.utf8)) }

    /// SNMPv2-TC TruthValue: true(1), false(2).
    public static func truth(_ b: Bool) -> AgentXValue { .integer(b ? 1 : 2) }
}

/// One variable binding: a name and its value.
public struct VarBind: Hashable, Sendable {
    public var name: OID
    public var value: AgentXValue
    public init(_ name: OID, _ value: AgentXValue) {
        self.name = name
        self.value = value
    }
}

/// A search range of a Get/GetNext/GetBulk (RFC 2741 5.2): from `start` (itself included when
/// `include`) up to but excluding `end` (the null OID: no bound).
public struct SearchRange: Hashable, Sendable {
    public var start: OID
    public var include: Bool
    public var end: OID
    public init(start: OID, include: Bool = false, end: OID = .null) {
        self.start = start
        self.include = include
        self.end = end
    }
}
