/// DRBD's state enumerations, spelled exactly as `drbdsetup events2` prints them.
///
/// Every enum has an `unknown` fallback used only when a value is missing; a value DRBD prints that we
/// do not know (a newer kernel) is kept verbatim in `other` so one unfamiliar word never drops a whole line
/// (the original dropped the line, and with it `may_promote`).

/// A resource's or peer's role.
public enum Role: Hashable, Sendable, CustomStringConvertible {
    case unknown, primary, secondary
    case other(String)

    public static let known: [Role] = [.unknown, .primary, .secondary]

    public init(drbd text: Substring) {
        switch text {
        case "Primary": self = .primary
        case "Secondary": self = .secondary
        case "Unknown": self = .unknown
        default: self = .other(String(text))
        }
    }

    public var description: String {
        switch self {
        case .unknown: "Unknown"
        case .primary: "Primary"
        case .secondary: "Secondary"
        case .other(let s): s
        }
    }
}

/// A local or peer disk state.
public enum DiskState: Hashable, Sendable, CustomStringConvertible {
    case diskless, attaching, detaching, failed, negotiating, inconsistent, outdated, dUnknown, consistent, upToDate
    case other(String)

    public static let known: [DiskState] = [
        .diskless, .attaching, .detaching, .failed, .negotiating, .inconsistent, .outdated, .dUnknown, .consistent,
        .upToDate,
    ]

    public init(drbd text: Substring) {
        switch text {
        case "Diskless": self = .diskless
        case "Attaching": self = .attaching
        case "Detaching": self = .detaching
        case "Failed": self = .failed
        case "Negotiating": self = .negotiating
        case "Inconsistent": self = .inconsistent
        case "Outdated": self = .outdated
        case "DUnknown": self = .dUnknown
        case "Consistent": self = .consistent
        case "UpToDate": self = .upToDate
        default: self = .other(String(text))
        }
    }

    public var description: String {
        switch self {
        case .diskless: "Diskless"
        case .attaching: "Attaching"
        case .detaching: "Detaching"
        case .failed: "Failed"
        case .negotiating: "Negotiating"
        case .inconsistent: "Inconsistent"
        case .outdated: "Outdated"
        case .dUnknown: "DUnknown"
        case .consistent: "Consistent"
        case .upToDate: "UpToDate"
        case .other(let s): s
        }
    }
}

/// A connection's state.
public enum ConnectionState: Hashable, Sendable, CustomStringConvertible {
    case standAlone, disconnecting, unconnected, timeout, brokenPipe, networkFailure, protocolError, tearDown,
        connecting, connected
    case other(String)

    public static let known: [ConnectionState] = [
        .standAlone, .disconnecting, .unconnected, .timeout, .brokenPipe, .networkFailure, .protocolError, .tearDown,
        .connecting, .connected,
    ]

    public init(drbd text: Substring) {
        switch text {
        case "StandAlone": self = .standAlone
        case "Disconnecting": self = .disconnecting
        case "Unconnected": self = .unconnected
        case "Timeout": self = .timeout
        case "BrokenPipe": self = .brokenPipe
        case "NetworkFailure": self = .networkFailure
        case "ProtocolError": self = .protocolError
        case "TearDown": self = .tearDown
        case "Connecting": self = .connecting
        case "Connected": self = .connected
        default: self = .other(String(text))
        }
    }

    public var description: String {
        switch self {
        case .standAlone: "StandAlone"
        case .disconnecting: "Disconnecting"
        case .unconnected: "Unconnected"
        case .timeout: "Timeout"
        case .brokenPipe: "BrokenPipe"
        case .networkFailure: "NetworkFailure"
        case .protocolError: "ProtocolError"
        case .tearDown: "TearDown"
        case .connecting: "Connecting"
        case .connected: "Connected"
        case .other(let s): s
        }
    }
}

/// A peer device's replication state.
public enum ReplicationState: Hashable, Sendable, CustomStringConvertible {
    case off, established, startingSyncS, startingSyncT, wfBitMapS, wfBitMapT, wfSyncUUID, syncSource, syncTarget,
        verifyS, verifyT, pausedSyncS, pausedSyncT, ahead, behind
    case other(String)

    public static let known: [ReplicationState] = [
        .off, .established, .startingSyncS, .startingSyncT, .wfBitMapS, .wfBitMapT, .wfSyncUUID, .syncSource,
        .syncTarget, .verifyS, .verifyT, .pausedSyncS, .pausedSyncT, .ahead, .behind,
    ]

    public init(drbd text: Substring) {
        switch text {
        case "Off": self = .off
        case "Established": self = .established
        case "StartingSyncS": self = .startingSyncS
        case "StartingSyncT": self = .startingSyncT
        case "WFBitMapS": self = .wfBitMapS
        case "WFBitMapT": self = .wfBitMapT
        case "WFSyncUUID": self = .wfSyncUUID
        case "SyncSource": self = .syncSource
        case "SyncTarget": self = .syncTarget
        case "VerifyS": self = .verifyS
        case "VerifyT": self = .verifyT
        case "PausedSyncS": self = .pausedSyncS
        case "PausedSyncT": self = .pausedSyncT
        case "Ahead": self = .ahead
        case "Behind": self = .behind
        default: self = .other(String(text))
        }
    }

    public var description: String {
        switch self {
        case .off: "Off"
        case .established: "Established"
        case .startingSyncS: "StartingSyncS"
        case .startingSyncT: "StartingSyncT"
        case .wfBitMapS: "WFBitMapS"
        case .wfBitMapT: "WFBitMapT"
        case .wfSyncUUID: "WFSyncUUID"
        case .syncSource: "SyncSource"
        case .syncTarget: "SyncTarget"
        case .verifyS: "VerifyS"
        case .verifyT: "VerifyT"
        case .pausedSyncS: "PausedSyncS"
        case .pausedSyncT: "PausedSyncT"
        case .ahead: "Ahead"
        case .behind: "Behind"
        case .other(let s): s
        }
    }
}

/// The kind of a state update, as plugins and umh rules name it.
public enum EventType: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case exists = "Exists"
    case create = "Create"
    case change = "Change"
    case destroy = "Destroy"

    public var description: String { rawValue }
}
