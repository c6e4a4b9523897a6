import ReactorCore

/// What `evict` waits for: where a resource is Primary, as it changes, one countdown second at a time.
public protocol RoleWatch: AnyObject {
    /// Starts the next countdown second.
    func startTick()
    /// Waits until a change of where the resource is Primary, the end of the current second, or
    /// SIGINT/SIGTERM.
    func next() -> WatchEvent
    /// Whether the events were followed all along (the stream ran and its initial state was complete);
    /// if not, `evict` asks `drbdsetup status` at the end instead of trusting the last event.
    var followed: Bool { get }
}

/// What `RoleWatch.next` saw.
public enum WatchEvent: Hashable, Sendable {
    /// Where the resource is Primary now (reported only when it changed).
    case changed(PrimaryNode)
    /// The current second is over.
    case tickEnded
    /// SIGINT or SIGTERM arrived.
    case interrupted
}

extension PrimaryNode {
    /// Where `resource` is Primary in the daemon's DRBD model (`World`, fed by `drbdsetup events2`).
    public static func of(_ resource: Resource?, nodeName: String) -> PrimaryNode {
        guard let resource else { return .unknown }
        if resource.role == .primary { return .local(nodeName) }
        if let peer = resource.connections.values.first(where: { $0.peerRole == .primary }) { return .peer(peer.connectionName) }
        return .unknown
    }
}
