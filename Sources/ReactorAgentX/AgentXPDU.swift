import ReactorCore

/// One AgentX protocol data unit (RFC 2741 6): the header fields that identify it and its payload.
///
/// Every PDU type of the RFC is modelled so anything a master sends decodes to a value the session can
/// judge (answer, refuse, or drop the connection); nothing is left to a crash.
public struct AgentXPDU: Hashable, Sendable {
    public var sessionID: UInt32
    public var transactionID: UInt32
    public var packetID: UInt32
    /// `h.flags` bits other than NETWORK_BYTE_ORDER and NON_DEFAULT_CONTEXT (which the codec derives
    /// from the encoding and from `context`): INSTANCE_REGISTRATION, NEW_INDEX, ANY_INDEX.
    public var flags: AgentXFlags
    /// The non-default context, when the PDU names one (only PDU types that carry a context).
    public var context: [UInt8]?
    public var payload: AgentXPayload

    public init(
        sessionID: UInt32 = 0, transactionID: UInt32 = 0, packetID: UInt32 = 0, flags: AgentXFlags = [],
        context: [UInt8]? = nil, payload: AgentXPayload
    ) {
        self.sessionID = sessionID
        self.transactionID = transactionID
        self.packetID = packetID
        self.flags = flags
        self.context = context
        self.payload = payload
    }
}

/// `h.flags` (RFC 2741 6.1).
public struct AgentXFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let instanceRegistration = AgentXFlags(rawValue: 0x01)
    public static let newIndex = AgentXFlags(rawValue: 0x02)
    public static let anyIndex = AgentXFlags(rawValue: 0x04)
    public static let nonDefaultContext = AgentXFlags(rawValue: 0x08)
    public static let networkByteOrder = AgentXFlags(rawValue: 0x10)
}

/// The `r.error` values of a Response PDU used here (RFC 2741 6.2.16 and the SNMP error-status codes).
public enum AgentXError: UInt16, Hashable, Sendable, CaseIterable {
    case noError = 0
    case genErr = 5
    case noAccess = 6
    case notWritable = 17
    case commitFailed = 14
    case undoFailed = 15
    case openFailed = 256
    case notOpen = 257
    case indexWrongType = 258
    case indexAlreadyAllocated = 259
    case indexNoneAvailable = 260
    case indexNotAllocated = 261
    case unsupportedContext = 262
    case duplicateRegistration = 263
    case unknownRegistration = 264
    case unknownAgentCaps = 265
    case parseError = 266
    case requestDenied = 267
    case processingError = 268
}

/// `reason` of a Close PDU (RFC 2741 6.2.2).
public enum AgentXCloseReason: UInt8, Hashable, Sendable, CaseIterable {
    case other = 1, parseError, protocolError, timeouts, shutdown, byManager
}

/// The type-specific part of a PDU; the case is `h.type`.
public enum AgentXPayload: Hashable, Sendable {
    /// 1: timeout (seconds, 0 = master's default), the subagent's id and description.
    case open(timeout: UInt8, id: OID, description: [UInt8])
    /// 2. The raw reason is kept: a master may send one this code does not know.
    case close(reason: UInt8)
    /// 3: `rangeSubid`/`upperBound` register a range of subtrees (0: just `subtree`).
    case register(timeout: UInt8, priority: UInt8, subtree: OID, rangeSubid: UInt8, upperBound: UInt32)
    /// 4.
    case unregister(priority: UInt8, subtree: OID, rangeSubid: UInt8, upperBound: UInt32)
    /// 5.
    case get([SearchRange])
    /// 6.
    case getNext([SearchRange])
    /// 7.
    case getBulk(nonRepeaters: UInt16, maxRepetitions: UInt16, [SearchRange])
    /// 8.
    case testSet([VarBind])
    /// 9, 10, 11: header only.
    case commitSet
    case undoSet
    case cleanupSet
    /// 12.
    case notify([VarBind])
    /// 13.
    case ping
    /// 14, 15.
    case indexAllocate([VarBind])
    case indexDeallocate([VarBind])
    /// 16, 17.
    case addAgentCaps(id: OID, description: [UInt8])
    case removeAgentCaps(id: OID)
    /// 18: `error` is kept raw (a master may answer with a code not in `AgentXError`).
    case response(sysUpTime: UInt32, error: UInt16, index: UInt16, [VarBind])

    /// `h.type`.
    public var typeCode: UInt8 {
        switch self {
        case .open: 1
        case .close: 2
        case .register: 3
        case .unregister: 4
        case .get: 5
        case .getNext: 6
        case .getBulk: 7
        case .testSet: 8
        case .commitSet: 9
        case .undoSet: 10
        case .cleanupSet: 11
        case .notify: 12
        case .ping: 13
        case .indexAllocate: 14
        case .indexDeallocate: 15
        case .addAgentCaps: 16
        case .removeAgentCaps: 17
        case .response: 18
        }
    }

    /// Whether this PDU type may carry a non-default context (RFC 2741 6.1.1).
    public static func carriesContext(_ type: UInt8) -> Bool { ![1, 2, 9, 10, 11, 18].contains(type) }
}
