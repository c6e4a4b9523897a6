/// The one rule every listening socket follows when a connection arrives (the control socket, the
/// `/metrics` server, drbd-sim's server): below the cap a connection is admitted; at the cap a server that
/// evicts makes room by closing its longest-idle connection (one with no response pending: clients that
/// connect and send nothing must not lock real ones out until their deadline), otherwise the new
/// connection is closed at once (the kernel backlog would hold it, and stalled clients would keep good
/// ones out).
public struct AcceptPolicy: Hashable, Sendable {
    /// What to do with one new connection.
    public enum Decision: Hashable, Sendable {
        case admit
        /// Close the server's longest-idle connection and admit; refuse when none is idle.
        case makeRoom
        case refuse
    }

    /// At most this many connections are open at once.
    public var limit: Int
    /// Whether an idle connection makes room for a new one at the cap.
    public var evictsIdle: Bool

    public init(limit: Int, evictsIdle: Bool) {
        self.limit = max(1, limit)
        self.evictsIdle = evictsIdle
    }

    /// No cap (drbd-sim: its clients are the lab's own drbdsetup/drbdadm stand-ins).
    public static let unlimited = AcceptPolicy(limit: .max, evictsIdle: false)

    /// The decision for a connection arriving while `open` are open.
    public func decide(open: Int) -> Decision {
        if open < limit { return .admit }
        return evictsIdle ? .makeRoom : .refuse
    }
}
