/// One parsed `drbdsetup events2` line: what happened (`verb`) to which object, with only the keys the
/// line carried (a `change` line without `--full` carries just what changed, see the `.plain.` fixtures).

/// The first word of an events2 line.
public enum Events2Verb: String, Hashable, Sendable, CaseIterable {
    case exists, create, change, destroy, rename, call, response

    /// The update type change plugins see, or nil for verbs that are not state changes (`rename` is
    /// handled by the World itself; `call`/`response` announce helpers).
    public var eventType: EventType? {
        switch self {
        case .exists: .exists
        case .create: .create
        case .change: .change
        case .destroy: .destroy
        case .rename, .call, .response: nil
        }
    }
}

/// The object of an events2 line and its fields.
public enum Events2Object: Hashable, Sendable {
    /// `exists -`: the initial state dump is complete.
    case endOfInitialState
    case resource(Events2Resource)
    case device(Events2Device)
    case connection(Events2Connection)
    case peerDevice(Events2PeerDevice)
    case path(Events2Path)
    /// `call helper` / `response helper`: DRBD ran a user mode helper (informational only).
    case helper(Events2Helper)
}

/// One events2 line, parsed.
public struct Events2Record: Hashable, Sendable {
    public var verb: Events2Verb
    public var object: Events2Object
    /// Keys the parser does not know (and tokens without a colon), in line order, for a debug log.
    /// Their values were ignored; the rest of the line is valid.
    public var unknownKeys: [String]

    public init(verb: Events2Verb, object: Events2Object, unknownKeys: [String] = []) {
        self.verb = verb
        self.object = object
        self.unknownKeys = unknownKeys
    }
}

/// The fields of one object kind, filled token by token by the parser's single key/value loop.
///
/// A conforming record starts as a placeholder (identity keys empty/zero) and `requiredKeys` says which
/// keys must have been seen for it to be valid, so the record itself can keep non-optional identities.
protocol Events2Fields: Sendable {
    associatedtype Key: Sendable & Equatable & RawRepresentable<String>
    /// The object word (`peer-device`), for errors.
    static var objectName: String { get }
    static var keys: ByteTable<Key> { get }
    /// Bits (by `keys` index) of the keys a line must carry.
    static var requiredKeys: UInt32 { get }
    init(placeholder: Void)
    /// Stores the value `v` (a range of `line`) of `key`.
    mutating func set(_ key: Key, _ v: Events2Value<Key>, _ line: Span<UInt8>) throws(Events2ParseError)
}
