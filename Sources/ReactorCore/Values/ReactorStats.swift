/// The daemon's own health counters, exported by the prometheus plugin beyond the original's metrics.
/// Owned by the daemon and passed by reference to whoever counts; one thread, so no synchronisation.
public final class ReactorStats {
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
    /// What the running promoters heard from systemd over the bus, by resource (read at render time; the
    /// daemon points it at its plugin host).
    public var promoterBusCounters: () -> [String: PromoterBusCounters] = { [:] }
    /// Loop iterations, and those whose work (not the wait) took longer than 1, 10 and 100 ms: a
    /// scraper derives the turn latency's p99 band over any window from the differences.
    public var loopTurns: UInt64 = 0
    public var loopTurnsOver1ms: UInt64 = 0
    public var loopTurnsOver10ms: UInt64 = 0
    public var loopTurnsOver100ms: UInt64 = 0

    public init() {}

    /// Counts one loop iteration that worked for `d` (EventLoop.onTurn).
    public func recordTurn(_ d: Duration) {
        loopTurns += 1
        if d > .milliseconds(1) { loopTurnsOver1ms += 1 }
        if d > .milliseconds(10) { loopTurnsOver10ms += 1 }
        if d > .milliseconds(100) { loopTurnsOver100ms += 1 }
    }
}
