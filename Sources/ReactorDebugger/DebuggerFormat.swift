import ReactorCore

/// The debugger's text for one update, e.g.
/// `Change device r0/0: disk UpToDate -> Outdated, quorum true -> false`.
///
/// Change lists only the fields whose value differs; Exists/Create list every field of the new state,
/// Destroy every field of the last state. Field names are events2's key names. One field list per state
/// type (`fields(_:)`) serves all four event types, so there is a single formatter.
enum DebuggerFormat {
    static func line(for update: StateUpdate) -> String {
        let (object, old, new) = describe(update.kind, update.resourceName)
        let body: String
        switch update.eventType {
        case .change:
            let changed = zip(old, new).filter { $0.value != $1.value }
            body = changed.isEmpty
                ? "no reported field changed"
                : changed.map { "\($0.name) \($0.value) -> \($1.value)" }.joined(separator: ", ")
        case .destroy:
            body = list(old)
        case .exists, .create:
            body = list(new)
        }
        return "\(update.eventType) \(object): \(body)"
    }

    typealias Field = (name: String, value: String)

    /// The object's readable identity and its old and new fields.
    static func describe(_ kind: UpdateKind, _ name: String) -> (String, [Field], [Field]) {
        switch kind {
        case .resource(let old, let new):
            ("resource \(name)", fields(old), fields(new))
        case .device(let volume, let old, let new):
            ("device \(name)/\(volume)", fields(old), fields(new))
        case .connection(let peer, let old, let new):
            ("connection \(name) to node \(peer)", fields(old), fields(new))
        case .peerDevice(let peer, let volume, let old, let new):
            ("peer-device \(name)/\(volume) to node \(peer)", fields(old), fields(new))
        case .path(let peer, let key, let old, let new):
            ("path \(name) to node \(peer) local \(key.local) peer \(key.peer)",
             [("established", "\(old)")], [("established", "\(new)")])
        }
    }

    static func fields(_ s: ResourceState) -> [Field] {
        [("role", "\(s.role)"), ("may_promote", "\(s.mayPromote)"), ("promotion_score", "\(s.promotionScore)"),
         ("suspended", "\(s.suspended)"), ("force-io-failures", "\(s.forceIOFailures)")]
    }

    static func fields(_ s: DeviceState) -> [Field] {
        [("disk", "\(s.diskState)"), ("client", "\(s.client)"), ("quorum", "\(s.quorum)"), ("size", "\(s.size)"),
         ("open", "\(s.open)")]
    }

    static func fields(_ s: ConnectionStateSet) -> [Field] {
        [("conn-name", s.connectionName.isEmpty ? "-" : s.connectionName), ("connection", "\(s.connectionState)"),
         ("role", "\(s.peerRole)"), ("congested", "\(s.congested)")]
    }

    static func fields(_ s: PeerDeviceState) -> [Field] {
        [("replication", "\(s.replicationState)"), ("peer-disk", "\(s.peerDiskState)"),
         ("peer-client", "\(s.peerClient)"), ("resync-suspended", "\(s.resyncSuspended)")]
    }

    private static func list(_ fields: [Field]) -> String {
        fields.map { "\($0.name) \($0.value)" }.joined(separator: ", ")
    }
}
