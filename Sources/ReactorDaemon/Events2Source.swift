import Logging
import ReactorCore
import ReactorLoop
import ReactorSystem

/// Design note: the events2 source keeps one `drbdsetup events2 --full --poll` running as a child of the
/// loop. Its stdout lines go to `onLine` as they arrive; every `statistics-poll-interval` it writes `n` to
/// drbdsetup's stdin, which makes drbdsetup print fresh statistics. When drbdsetup exits (or closes its
/// stdout, or cannot be started), `onGone` tells the daemon to forget the state it described, and a new
/// one is started after a backoff: 2 s doubling up to 60 s, back to 2 s after it ran for a minute.
public final class Events2Source {
    public static let argv = ["drbdsetup", "events2", "--full", "--poll"]
    static let initialBackoff: Duration = .seconds(2)
    static let maximumBackoff: Duration = .seconds(60)
    static let healthyAfter: Duration = .seconds(60)

    private let loop: EventLoop
    private let logger: Logger
    private var pollInterval: Duration?
    private var child: (id: EventLoop.SourceID, process: ChildProcess)?
    private var pollTimer: EventLoop.SourceID?
    private var respawnTimer: EventLoop.SourceID?
    private var backoff = Events2Source.initialBackoff
    private var startedAt: Instant?
    private var stopped = false
    /// How many times drbdsetup was started after the first time.
    public private(set) var restarts: UInt64 = 0
    private var starts: UInt64 = 0

    public var onLine: (ArraySlice<UInt8>) -> Void = { _ in }
    public var onGone: () -> Void = {}

    public init(loop: EventLoop, logger: Logger, pollInterval: Duration?) {
        self.loop = loop
        self.logger = logger
        self.pollInterval = pollInterval
    }

    public var isRunning: Bool { child != nil }

    /// Starts drbdsetup now.
    public func start() {
        stopped = false
        spawn()
    }

    /// Changes the statistics poll interval (reload); nil disables polling.
    public func setPollInterval(_ interval: Duration?) {
        guard interval != pollInterval else { return }
        pollInterval = interval
        if child != nil { armPoll() }
    }

    /// Stops for good: closes drbdsetup's stdin (it exits on EOF) and sends SIGTERM.
    public func stop() {
        stopped = true
        if let t = respawnTimer { loop.cancelTimer(t) }
        if let t = pollTimer { loop.cancelTimer(t) }
        guard let child else { return }
        child.process.stdin?.close()
        loop.signal(child.id, Signal.terminate)
    }

    private func spawn() {
        respawnTimer = nil
        guard !stopped else { return }
        starts += 1
        if starts > 1 { restarts += 1 }
        do {
            child = try loop.spawn(
                argv: Self.argv, environment: ChildProcess.inheritedEnvironment(),
                stdio: .init(pipeStdin: true, captureStdout: true, captureStderr: true), name: "drbdsetup",
                onLine: { [unowned self] stream, line in
                    if stream == .stdout {
                        self.onLine(line)
                    } else {
                        self.logger.warning("drbdsetup: \(String(decoding: line, as: UTF8.self))")
                    }
                },
                onStreamEnd: { [unowned self] stream in
                    // drbdsetup without stdout is useless; make sure it goes away so it gets replaced.
                    if stream == .stdout, let child = self.child { self.loop.signal(child.id, Signal.kill) }
                },
                onExit: { [unowned self] exit in self.exited(exit) })
            startedAt = loop.now
            logger.info("Started '\(Self.argv.joined(separator: " "))' (pid \(child!.process.pid)).")
            armPoll()
        } catch {
            logger.error("Failed to start '\(Self.argv.joined(separator: " "))': \(error) (is drbdsetup in PATH?); retrying in \(backoff).")
            scheduleRespawn()
        }
    }

    private func armPoll() {
        if let t = pollTimer { loop.cancelTimer(t) }
        pollTimer = nil
        guard let interval = pollInterval, interval > .zero else { return }
        pollTimer = loop.addRepeatingTimer(every: interval, name: "statistics poll") { [unowned self] in
            self.poll()
        }
    }

    /// Asks drbdsetup for fresh statistics. A full pipe means drbdsetup is not reading; skip this round.
    private func poll() {
        guard let stdin = child?.process.stdin, stdin.isOpen else { return }
        do {
            if try stdin.write(Array("n\n".utf8)) == 0 {
                logger.debug("drbdsetup is not reading its stdin; skipping this statistics poll.")
            }
        } catch {
            logger.warning("Failed to ask drbdsetup for statistics: \(error)")
        }
    }

    private func exited(_ exit: ChildExit) {
        child = nil
        if let t = pollTimer { loop.cancelTimer(t) }
        pollTimer = nil
        if let startedAt, loop.now - startedAt >= Self.healthyAfter { backoff = Self.initialBackoff }
        if stopped {
            logger.info("drbdsetup ended (\(exit)).")
        } else {
            logger.warning("drbdsetup ended unexpectedly (\(exit)); forgetting the DRBD state it reported, restarting in \(backoff).")
        }
        onGone()
        if !stopped { scheduleRespawn() }
    }

    private func scheduleRespawn() {
        let delay = backoff
        backoff = min(backoff * 2, Self.maximumBackoff)
        respawnTimer = loop.addTimer(at: loop.now + delay, name: "drbdsetup respawn") { [unowned self] in self.spawn() }
    }
}
