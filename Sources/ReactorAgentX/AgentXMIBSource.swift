import ReactorCore

/// The real data source of one agentx instance: the World (through a closure given by the daemon), the
/// DRBD versions once `drbdadm --version` answered, and the snapshot cache. A class because the
/// session asks it and the driver updates the versions; one thread, so no synchronisation.
public final class AgentXMIBSource: AgentXDataSource {
    public private(set) var cache: MIBCache
    /// `unknown` (0.0.0) until the driver's `drbdadm --version` has answered.
    public var versions: DRBDVersions = .unknown
    private let world: () -> (generation: UInt64, resources: [String: Resource])

    public init(config: AgentXConfig, world: @escaping () -> (generation: UInt64, resources: [String: Resource])) {
        cache = MIBCache(maxAge: .seconds(config.cacheMax), peerStates: config.peerStates)
        self.world = world
    }

    public func snapshot(for access: MIBCache.Access, now: Instant) -> MIBSnapshot {
        let (generation, _) = world()
        return cache.snapshot(for: access, now: now, generation: generation, versions: versions) { world().resources }
    }

    public func walked(_ answer: [VarBind], now: Instant) { cache.walked(answer, now: now) }
}
