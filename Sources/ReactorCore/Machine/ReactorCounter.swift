/// One of the daemon's own health counters (`drbdreactor_*`, beyond the original's metrics). Machines
/// count by returning a `.count` effect naming one; the loop counts its turns as an input to the daemon;
/// the daemon alone owns the tally (`ReactorStats`, a value) and the prometheus plugin reads a copy at
/// render time. Nothing writes into a shared object.
public enum ReactorCounter: Hashable, Sendable, CaseIterable {
    /// events2 lines read from drbdsetup (parsed or not).
    case events2Lines
    /// events2 lines that could not be parsed (garbage, unknown object).
    case events2Unparsed
    /// Times drbdsetup had to be started again after it went away.
    case drbdsetupRestarts
    /// umh commands started.
    case umhCommandsRun
    /// umh commands that ended unsuccessfully (non-zero exit, signal, spawn failure, timeout).
    case umhCommandsFailed
    /// umh matches dropped because the plugin's running and queued commands were at their caps.
    case umhCommandsDropped
    /// /metrics requests answered.
    case scrapes
}
