import ReactorCore

/// What each of the four umh rule types can filter on and exports, as one table of field descriptors.
///
/// A schema turns a `StateUpdate` of its type into a flat "subject": every field's value keyed by the same
/// path a filter uses (`resource-name`, `volume`, `old.role`, `new.disk-state`). Decoding, matching, the
/// environment and the TOML writer all walk these descriptors, so adding a field is one line here and the
/// four rule types share one mechanism.

/// The four kinds of umh rules, named like their config arrays (`[[umh.peerdevice]]`, no dash).
public enum UMHRuleType: String, Hashable, Sendable, CaseIterable {
    case resource, device, peerdevice, connection

    var schema: UMHSchema {
        switch self {
        case .resource: .resource
        case .device: .device
        case .peerdevice: .peerDevice
        case .connection: .connection
        }
    }
}

/// What a rule may say about one field, independent of where its value is read from.
struct UMHFieldSpec: Hashable, Sendable {
    /// The config key (`disk-state`), under `old.`/`new.` for state fields.
    let key: String
    let kind: UMHValueKind
    /// The variable name it is exported under without `DRBD_` / `DRBD_OLD_` (`DISK_STATE`); nil for the
    /// filters the environment list does not carry (`event-type`, `promotion-score`, `size`).
    let env: String?
}

/// One field a rule can filter on, and how to read it from a `Source`.
struct UMHField<Source>: Sendable {
    let spec: UMHFieldSpec
    /// The field's value; nil when `Source` is not of the schema's type.
    let read: @Sendable (Source) -> UMHValue?

    init(_ key: String, _ kind: UMHValueKind, env: String?, read: @escaping @Sendable (Source) -> UMHValue?) {
        spec = UMHFieldSpec(key: key, kind: kind, env: env)
        self.read = read
    }
}

/// The shape of one rule type.
struct UMHSchema: Sendable {
    /// Filters on the object itself, written at the rule's top level (the common ones first).
    let objectFields: [UMHField<StateUpdate>]
    /// Filters written under `old.` and `new.` (their readers live in `sides`, typed by the state).
    let stateFields: [UMHFieldSpec]
    /// Old and new state values by key, or nil when the update is of another type.
    private let sides: @Sendable (UpdateKind) -> (old: [String: UMHValue], new: [String: UMHValue])?
    /// Variables that are not filter fields: the local device's minor and backing disk, `DRBD_CSTATE`.
    let extraEnvironment: @Sendable (StateUpdate) -> [(String, String)]

    /// A schema whose state fields read `State`, which `split` extracts from updates of this type.
    init<State>(
        object: [UMHField<StateUpdate>], state: [UMHField<State>],
        split: @escaping @Sendable (UpdateKind) -> (State, State)?,
        extraEnvironment: @escaping @Sendable (StateUpdate) -> [(String, String)] = { _ in [] }
    ) {
        objectFields = UMHSchema.common + object
        stateFields = state.map(\.spec)
        sides = { kind in
            guard let (old, new) = split(kind) else { return nil }
            func values(_ s: State) -> [String: UMHValue] {
                Dictionary(uniqueKeysWithValues: state.compactMap { f in f.read(s).map { (f.spec.key, $0) } })
            }
            return (values(old), values(new))
        }
        self.extraEnvironment = extraEnvironment
    }

    /// Every field value of `update` by filter path, or nil when the update is not of this type.
    func subject(of update: StateUpdate) -> [String: UMHValue]? {
        guard let (old, new) = sides(update.kind) else { return nil }
        var subject: [String: UMHValue] = [:]
        for field in objectFields { subject[field.spec.key] = field.read(update) }
        for (key, value) in old { subject["old.\(key)"] = value }
        for (key, value) in new { subject["new.\(key)"] = value }
        return subject
    }

    /// The event's variables in a fixed order: exported object fields, then old/new pairs, then extras.
    func environment(of update: StateUpdate, subject: [String: UMHValue]) -> [(String, String)] {
        var vars: [(String, String)] = []
        for field in objectFields.map(\.spec) {
            if let env = field.env, let value = subject[field.key] { vars.append(("DRBD_\(env)", value.description)) }
        }
        for field in stateFields {
            guard let env = field.env else { continue }
            for side in ["old", "new"] {
                if let value = subject["\(side).\(field.key)"] {
                    vars.append(("DRBD_\(side.uppercased())_\(env)", value.description))
                }
            }
        }
        return vars + extraEnvironment(update)
    }
}

// MARK: - The four schemas

extension UMHSchema {
    /// Filters every rule type has.
    static let common: [UMHField<StateUpdate>] = [
        UMHField("resource-name", .text, env: "RES_NAME") { .text($0.resourceName) },
        UMHField("event-type", .eventType, env: nil) { .text($0.eventType.rawValue) },
    ]

    static let volume = UMHField<StateUpdate>("volume", .integer(0...65535), env: "VOLUME") { u in
        u.kind.volume.map { .integer(Int64($0)) }
    }

    /// DRBD node ids are 0...31.
    static let peerNodeID = UMHField<StateUpdate>("peer-node-id", .integer(0...31), env: "PEER_NODE_ID") { u in
        u.kind.peerNodeID.map { .integer(Int64($0)) }
    }

    static let resource = UMHSchema(
        object: [],
        state: [
            UMHField<ResourceState>("role", .role, env: "ROLE") { .drbd($0.role) },
            UMHField("may-promote", .bool, env: "MAY_PROMOTE") { .bool($0.mayPromote) },
            // Undocumented in the original but accepted there; not exported to the environment.
            UMHField("promotion-score", .integer(Int64(Int32.min)...Int64(Int32.max)), env: nil) {
                .integer(Int64($0.promotionScore))
            },
        ],
        split: { if case .resource(let old, let new) = $0 { (old, new) } else { nil } }
    )

    static let device = UMHSchema(
        object: [volume],
        state: [
            UMHField<DeviceState>("disk-state", .diskState, env: "DISK_STATE") { .drbd($0.diskState) },
            UMHField("client", .bool, env: "CLIENT") { .bool($0.client) },
            UMHField("quorum", .bool, env: "QUORUM") { .bool($0.quorum) },
            // Undocumented in the original but accepted there; not exported to the environment.
            UMHField("size", .integer(0...Int64.max), env: nil) { .integer(Int64(clamping: $0.size)) },
            UMHField("open", .bool, env: "OPEN") { .bool($0.open) },
        ],
        split: { if case .device(_, let old, let new) = $0 { (old, new) } else { nil } },
        extraEnvironment: localDevice
    )

    static let peerDevice = UMHSchema(
        object: [volume, peerNodeID],
        state: [
            UMHField<PeerDeviceState>("peer-disk-state", .diskState, env: "PEER_DISK_STATE") { .drbd($0.peerDiskState) },
            UMHField("peer-client", .bool, env: "PEER_CLIENT") { .bool($0.peerClient) },
            UMHField("resync-suspended", .bool, env: "PEER_RESYNC_SUSPENDED") { .bool($0.resyncSuspended) },
            UMHField("replication-state", .replicationState, env: "PEER_REPLICATION_STATE") {
                .drbd($0.replicationState)
            },
        ],
        split: { if case .peerDevice(_, _, let old, let new) = $0 { (old, new) } else { nil } },
        extraEnvironment: localDevice
    )

    static let connection = UMHSchema(
        object: [peerNodeID],
        state: [
            UMHField<ConnectionStateSet>("conn-name", .text, env: "CONN_NAME") { .text($0.connectionName) },
            UMHField("connection-state", .connectionState, env: "CONN_STATE") { .drbd($0.connectionState) },
            UMHField("peer-role", .role, env: "PEER_ROLE") { .drbd($0.peerRole) },
            UMHField("congested", .bool, env: "CONGESTED") { .bool($0.congested) },
        ],
        split: { if case .connection(_, let old, let new) = $0 { (old, new) } else { nil } },
        extraEnvironment: { u in
            guard case .connection(_, _, let new) = u.kind else { return [] }
            return [("DRBD_CSTATE", new.connectionState.description)]
        }
    )

    /// The local device's minor and backing disk from the update's resource snapshot, also for peer
    /// devices (DRBD never knows the peer's path; the kernel's helpers always passed the local one).
    /// `none` when the device is diskless or not in the snapshot (e.g. already destroyed), so the set of
    /// variables a script sees never depends on the state.
    @Sendable static func localDevice(_ update: StateUpdate) -> [(String, String)] {
        guard let volume = update.kind.volume else { return [] }
        let device = update.resource.devices[volume]
        let minor = device.map { String($0.minor) } ?? "none"
        let backing = device?.backingDevice ?? "none"
        return [
            ("DRBD_MINOR", minor), ("DRBD_MINOR_\(volume)", minor),
            ("DRBD_BACKING_DEV", backing), ("DRBD_BACKING_DEV_\(volume)", backing),
        ]
    }
}

extension UpdateKind {
    /// The volume of a device or peer-device update.
    fileprivate var volume: Int32? {
        switch self {
        case .device(let volume, _, _), .peerDevice(_, let volume, _, _): volume
        default: nil
        }
    }

    /// The peer of a peer-device, connection or path update.
    fileprivate var peerNodeID: Int32? {
        switch self {
        case .peerDevice(let id, _, _, _), .connection(let id, _, _), .path(let id, _, _, _): id
        default: nil
        }
    }
}
