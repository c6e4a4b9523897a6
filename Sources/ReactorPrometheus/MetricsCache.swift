import ReactorCore
import ReactorSystem

/// Where an HTTP connection gets the /metrics body from.
///
/// A protocol so the HTTP machine is tested with a fixed body and the real source (`MetricsEndpoint`)
/// can keep its cache. Every call is one scrape.
public protocol MetricsSource {
    /// The exposition text, gzip-compressed when `gzip` is true, as chunks to send in order.
    func metricsBody(gzip: Bool) -> ByteChunks
}

/// Keeps the DRBD section (as a snapshot, and deflated once gzip was asked for) until the World or
/// the versions change.
///
/// The key is the World's generation number, which the World bumps on every change, so a scrape
/// between changes costs only the small daemon section and, for gzip, one small deflate (see `Gzip`).
/// Plain bodies stream their text from the snapshot (see `ExpositionSnapshot`); the deflated section,
/// a tenth of the text's size, is kept as bytes and shared by the responses that send it.
public struct MetricsCache {
    public let renderer: MetricsRenderer
    private var key: Key?
    private var snapshot: ExpositionSnapshot?
    private var deflated: Gzip.Chunk?
    /// How often the DRBD section was evaluated (tests check the cache with it).
    public private(set) var renders = 0

    private struct Key: Equatable {
        var generation: UInt64
        var versions: DRBDVersions
    }

    public init(renderer: MetricsRenderer) { self.renderer = renderer }

    /// The full body for the World at `generation`; `resources` is only read when that generation (or
    /// the versions) differ from the cached one.
    public mutating func body(
        generation: UInt64, resources: [String: Resource], versions: DRBDVersions, stats: ReactorStats,
        process: ProcessMetrics?, gzip: Bool
    ) -> ByteChunks {
        let key = Key(generation: generation, versions: versions)
        let section: ExpositionSnapshot
        if let cached = snapshot, self.key == key {
            section = cached
        } else {
            // The old snapshot and deflated text are let go first; responses still sending them keep
            // their own references until they are done.
            snapshot = nil
            deflated = nil
            section = renderer.snapshot(resources: resources, versions: versions)
            snapshot = section
            renders += 1
            self.key = key
        }
        let tail = renderer.renderDaemon(stats: stats, process: process)
        guard gzip else {
            var body = ByteChunks()
            body.append(section)
            body.append(tail)
            return body
        }
        let head = deflated ?? Gzip.deflate(parts: ExpositionStream(section), final: false)
        deflated = head
        return ByteChunks(chunks: Gzip.member([head, Gzip.deflate(tail, final: true)]))
    }
}

/// The real metrics source of one prometheus instance: reads the World and the daemon's counters
/// through closures given by the host, counts the scrape, and answers from its cache.
///
/// A class because the HTTP connections of the instance share it (and its cache); one thread, so no
/// synchronisation.
public final class MetricsEndpoint: MetricsSource {
    public private(set) var cache: MetricsCache
    /// Set by the host once `drbdadm --version` has answered; `unknown` until then.
    public var versions: DRBDVersions = .unknown
    private let stats: ReactorStats
    private let world: () -> (generation: UInt64, resources: [String: Resource])
    private let process: () -> ProcessMetrics?

    public init(
        enums: Bool, stats: ReactorStats,
        world: @escaping () -> (generation: UInt64, resources: [String: Resource]),
        process: @escaping () -> ProcessMetrics? = ProcessStats.current
    ) {
        cache = MetricsCache(renderer: MetricsRenderer(enums: enums))
        self.stats = stats
        self.world = world
        self.process = process
    }

    public func metricsBody(gzip: Bool) -> ByteChunks {
        stats.scrapes += 1
        let (generation, resources) = world()
        return cache.body(
            generation: generation, resources: resources, versions: versions, stats: stats, process: process(),
            gzip: gzip)
    }
}
