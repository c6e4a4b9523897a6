import Logging
import ReactorCore
import ReactorSystem

/// Design note: the events2 source's decisions as a machine (the `Events2Source` carries them out).
///
/// One `drbdsetup events2 --full --poll` is kept running: started at `.start`; while it runs, every
/// poll interval `n` is written to its stdin (fresh statistics); when it ends (or closes its stdout, or
/// cannot be started) the daemon is told to forget the state it described (`.gone`) and a new one is
/// started after a backoff, doubling from `initial` to `maximum` and back to `initial` once a child ran
/// for `healthyAfter`. `.stop` closes its stdin (it exits at EOF) and sends SIGTERM; nothing is started
/// after it. The lines themselves do not pass through here: they go from the pipe to the parser
/// directly, the daemon's hot path; what they count (lines read, lines not parsed) comes as one
/// `.linesRead` per read chunk (up to 64 KiB, a few hundred lines), so counting costs one input per
/// chunk, not one per line.
struct Events2Machine: Machine {
    enum Input: Hashable, Sendable {
        case start
        case stop
        /// A reload changed `statistics-poll-interval` (nil: no polling).
        case pollInterval(Duration?)
        /// The child was started (its pid, for the log).
        case spawned(pid: Int32)
        case spawnFailed(String)
        /// drbdsetup closed its stdout: useless from now on.
        case stdoutEnded
        case exited(ChildExit)
        case pollDue
        case respawnDue
        /// One read chunk's lines were handed to the parser: `lines` in all, `unparsed` of them rejected.
        case linesRead(lines: UInt64, unparsed: UInt64)
    }

    enum Effect: Hashable, Sendable, MachineEffect {
        case spawn
        /// Write `n` to the child's stdin.
        case poll
        case closeStdin
        case signal(Signal)
        /// Poll every interval from now on (replacing an earlier period); `nil` stops polling.
        case pollEvery(Duration?)
        case respawnAt(Instant)
        case cancelRespawn
        /// Forget everything drbdsetup said.
        case gone
        /// Count `by` of a daemon counter (`IOEffect.count`).
        case count(ReactorCounter, by: UInt64 = 1)
        case log(Logger.Level, String)

        /// The source runs as long as the daemon: no last word.
        var endsMachine: Bool { false }
    }

    static let command = "drbdsetup events2 --full --poll"

    let timings: DaemonTimings.Respawn
    private(set) var pollInterval: Duration?
    private(set) var running = false
    private var stopped = false
    private var starts: UInt64 = 0
    private var startedAt: Instant?
    private(set) var backoff: Backoff

    init(timings: DaemonTimings.Respawn, pollInterval: Duration?) {
        self.timings = timings
        self.pollInterval = pollInterval
        backoff = Backoff(first: timings.initial, limit: timings.maximum)
    }

    mutating func handle(_ input: Input, now: Instant) -> [Effect] {
        switch input {
        case .start:
            stopped = false
            return spawn()
        case .stop:
            stopped = true
            return [.cancelRespawn, .pollEvery(nil)] + (running ? [.closeStdin, .signal(.terminate)] : [])
        case .pollInterval(let interval):
            guard interval != pollInterval else { return [] }
            pollInterval = interval
            return running ? [.pollEvery(activePoll)] : []
        case .spawned(let pid):
            running = true
            startedAt = now
            return [.log(.info, "Started '\(Self.command)' (pid \(pid))."), .pollEvery(activePoll)]
        case .spawnFailed(let reason):
            let delay = backoff.next()
            return [.log(.error, "Failed to start '\(Self.command)': \(reason) (is drbdsetup in PATH?); retrying in \(delay)."),
                    .respawnAt(now + delay)]
        case .stdoutEnded:
            return running ? [.signal(.kill)] : []
        case .exited(let exit):
            return ended(exit, now: now)
        case .pollDue:
            return running && !stopped ? [.poll] : []
        case .respawnDue:
            return stopped || running ? [] : spawn()
        case .linesRead(let lines, let unparsed):
            var effects: [Effect] = []
            if lines > 0 { effects.append(.count(.events2Lines, by: lines)) }
            if unparsed > 0 { effects.append(.count(.events2Unparsed, by: unparsed)) }
            return effects
        }
    }

    /// The poll period while a child runs: none for a zero or missing interval.
    private var activePoll: Duration? {
        guard let interval = pollInterval, interval > .zero else { return nil }
        return interval
    }

    private mutating func spawn() -> [Effect] {
        guard !running else { return [] }
        starts += 1
        return starts > 1 ? [.count(.drbdsetupRestarts), .spawn] : [.spawn]
    }

    private mutating func ended(_ exit: ChildExit, now: Instant) -> [Effect] {
        running = false
        backoff.reset(ifQuietSince: startedAt, now: now, period: timings.healthyAfter)
        startedAt = nil
        var effects: [Effect] = [.pollEvery(nil)]
        if stopped {
            effects.append(.log(.info, "drbdsetup ended (\(exit))."))
            return effects + [.gone]
        }
        let delay = backoff.next()
        effects.append(.log(.warning, "drbdsetup ended unexpectedly (\(exit)); forgetting the DRBD state it reported, restarting in \(delay)."))
        return effects + [.gone, .respawnAt(now + delay)]
    }
}
