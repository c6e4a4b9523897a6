import ReactorCore

/// When the MIB snapshot is rebuilt from the World:
///
/// - only when something changed (the World's generation or the DRBD versions) **and** the snapshot is
///   at least `cache-max` old, so a busy poller costs one rebuild per `cache-max` at most;
/// - a Get may rebuild (subject to that rule); a GetNext or GetBulk only when no walk is in progress,
///   i.e. more than `walkWindow` passed since the previous one, or the previous one reached the end of
///   the view. A walk thus sees one consistent snapshot.
public struct MIBCache {
    /// How long after a GetNext/GetBulk the next one still counts as the same walk.
    public static let walkWindow: Duration = .seconds(15)

    /// The kind of request a snapshot is wanted for.
    public enum Access: Sendable { case get, walk }

    public let maxAge: Duration
    public let peerStates: Bool
    private var current: MIBSnapshot?
    private var key: Key?
    private var builtAt: Instant?
    private var lastWalk: Instant?
    /// How often a snapshot was built (tests check the cache with it).
    public private(set) var builds = 0

    private struct Key: Equatable {
        var generation: UInt64
        var versions: DRBDVersions
    }

    public init(maxAge: Duration, peerStates: Bool) {
        self.maxAge = maxAge
        self.peerStates = peerStates
    }

    /// The snapshot to answer a request with; `resources` is read only when a rebuild is due.
    public mutating func snapshot(
        for access: Access, now: Instant, generation: UInt64, versions: DRBDVersions,
        resources: () -> [String: Resource]
    ) -> MIBSnapshot {
        let key = Key(generation: generation, versions: versions)
        let inWalk = access == .walk && lastWalk.map { now - $0 <= Self.walkWindow } == true
        let stale = builtAt.map { now - $0 >= maxAge } ?? true
        if let current, inWalk || self.key == key || !stale { return current }
        let fresh = DRBDMIB.snapshot(resources: resources(), versions: versions, peerStates: peerStates)
        current = fresh
        self.key = key
        builtAt = now
        builds += 1
        return fresh
    }

    /// Records a GetNext/GetBulk answer: the walk goes on unless every varbind was the end of the view.
    public mutating func walked(_ answer: [VarBind], now: Instant) {
        lastWalk = answer.allSatisfy { $0.value == .endOfMibView } ? nil : now
    }
}
