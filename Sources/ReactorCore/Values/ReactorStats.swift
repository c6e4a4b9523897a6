/// The daemon's own health counters (`drbdreactor_*`), exported by the prometheus plugin beyond the
/// original's metrics. A value: the daemon owns the one tally and changes it when a machine returns a
/// `.count` effect (the events2 source returns one per read chunk of lines, not one per line) or when
/// the loop reports a turn; the prometheus plugin renders a copy taken at scrape time. Nothing writes
/// into a shared object.
public struct ReactorStats: Sendable {
    /// events2 lines read from drbdsetup (parsed or not).
    public var events2Lines: UInt64 = 0
    /// events2 lines that could not be parsed (garbage, unknown object).
    public var events2Unparsed: UInt64 = 0
    /// Times drbdsetup had to be started again after it went away.
    public var drbdsetupRestarts: UInt64 = 0
    /// umh commands started / finished unsuccessfully (non-zero exit, signal, spawn failure, timeout).
    public var umhCommandsRun: UInt64 = 0
    public var umhCommandsFailed: UInt64 = 0
    /// umh matches dropped because the plugin's running and queued commands were at their caps.
    public var umhCommandsDropped: UInt64 = 0
    /// /metrics requests answered.
    public var scrapes: UInt64 = 0
    /// What the running promoters heard from systemd over the bus, by resource (the daemon fills it in
    /// the copy it hands the renderer: it is the promoters' state, not a tally of its own).
    public var promoterBusCounters: [String: PromoterBusCounters] = [:]
    /// Loop iterations, and those whose work (not the wait) took longer than 1, 10 and 100 ms: a
    /// scraper derives the turn latency's p99 band over any window from the differences.
    public var loopTurns: UInt64 = 0
    public var loopTurnsOver1ms: UInt64 = 0
    public var loopTurnsOver10ms: UInt64 = 0
    public var loopTurnsOver100ms: UInt64 = 0

    public init() {}

    /// Counts `n` of `counter`.
    public mutating func count(_ counter: ReactorCounter, by n: UInt64 = 1) {
        switch counter {
        case .events2Lines: events2Lines += n
        case .events2Unparsed: events2Unparsed += n
        case .drbdsetupRestarts: drbdsetupRestarts += n
        case .umhCommandsRun: umhCommandsRun += n
        case .umhCommandsFailed: umhCommandsFailed += n
        case .umhCommandsDropped: umhCommandsDropped += n
        case .scrapes: scrapes += n
        }
    }

    /// Counts one loop iteration that worked for `d` (the loop's turn report).
    public mutating func recordTurn(_ d: Duration) {
        loopTurns += 1
        if d > .milliseconds(1) { loopTurnsOver1ms += 1 }
        if d > .milliseconds(10) { loopTurnsOver10ms += 1 }
        if d > .milliseconds(100) { loopTurnsOver100ms += 1 }
    }
}
