import Logging
import ReactorCore
import ReactorLoop
import ReactorSystem

/// Design note: the events2 source keeps one `drbdsetup events2 --full --poll` running as a child of the
/// loop. What to do when is `Events2Machine`'s (start, poll, respawn backoff from `DaemonTimings.Respawn`,
/// stop); this object carries its effects out on the loop through the one `EffectRunner` and hands the
/// child's stdout lines to `onLine` as they arrive, without passing them through the machine (the hot
/// path); it tallies them (and those `onLine` did not parse) per read chunk and tells the machine once
/// per chunk, whose `.count` effects reach `onCount` with the restarts. `onGone` tells the daemon to
/// forget the state drbdsetup described.
public final class Events2Source {
    public static let argv = ["drbdsetup", "events2", "--full", "--poll"]

    private let loop: EventLoop
    private let logger: Logger
    private var machine: Events2Machine
    private var child: (id: EventLoop.SourceID, process: SpawnedChild)?
    private var pollTimer: EventLoop.SourceID?
    private var respawnTimer: EventLoop.SourceID?
    /// The machine's runner; this object's own, so its closures' `unowned self` cannot outlive it.
    private lazy var runner = EffectRunner<Events2Machine.Input, Events2Machine.Effect>(clock: { [unowned loop] in loop.now }, logger: logger)
    private lazy var instance = runner.add(
        handle: { [unowned self] input, now in self.machine.handle(input, now: now) },
        perform: { [unowned self] effect in self.perform(effect) })

    /// One stdout line; returns whether it was parsed (a `false` counts as unparsed).
    public var onLine: (ArraySlice<UInt8>) -> Bool = { _ in true }
    public var onGone: () -> Void = {}
    /// A counter and how many to count (`.count` effects of the machine).
    public var onCount: (ReactorCounter, UInt64) -> Void = { _, _ in }
    /// The current read chunk's lines so far, and how many of them `onLine` did not parse.
    private var chunkLines: UInt64 = 0
    private var chunkUnparsed: UInt64 = 0

    public init(loop: EventLoop, logger: Logger, pollInterval: Duration?, timings: DaemonTimings.Respawn = DaemonTimings().events2) {
        self.loop = loop
        self.logger = logger
        machine = Events2Machine(timings: timings, pollInterval: pollInterval)
    }

    public var isRunning: Bool { child != nil }

    /// Starts drbdsetup now.
    public func start() { feed(.start) }

    /// Changes the statistics poll interval (reload); nil disables polling.
    public func setPollInterval(_ interval: Duration?) { feed(.pollInterval(interval)) }

    /// Stops for good: closes drbdsetup's stdin (it exits on EOF) and sends SIGTERM.
    public func stop() { feed(.stop) }

    private func feed(_ input: Events2Machine.Input) { runner.send(input, to: instance) }

    private func perform(_ effect: Events2Machine.Effect) {
        switch effect {
        case .spawn: spawn()
        case .poll: poll()
        case .closeStdin:
            if let stdin = child?.process.stdin {
                loop.close(stdin)
                child?.process.stdin = nil
            }
        case .signal(let signal):
            if let child { loop.signal(child.id, signal) }
        case .pollEvery(let interval):
            if let t = pollTimer { loop.cancelTimer(t) }
            pollTimer = interval.map { loop.addRepeatingTimer(every: $0, name: "statistics poll") { [unowned self] in self.feed(.pollDue) } }
        case .respawnAt(let deadline):
            if let t = respawnTimer { loop.cancelTimer(t) }
            respawnTimer = loop.addTimer(at: deadline, name: "drbdsetup respawn") { [unowned self] in
                self.respawnTimer = nil
                self.feed(.respawnDue)
            }
        case .cancelRespawn:
            if let t = respawnTimer { loop.cancelTimer(t) }
            respawnTimer = nil
        case .gone: onGone()
        case .count(let counter, let n): onCount(counter, n)
        case .log(let level, let message): logger.log(level: level, "\(message)")
        }
    }

    private func spawn() {
        do {
            let started = try loop.spawn(
                argv: Self.argv, environment: ChildProcess.inheritedEnvironment(),
                stdio: .init(pipeStdin: true, captureStdout: true, captureStderr: true), name: "drbdsetup",
                onLine: { [unowned self] stream, line in
                    if stream == .stdout {
                        self.chunkLines &+= 1
                        if !self.onLine(line) { self.chunkUnparsed &+= 1 }
                    } else {
                        self.logger.warning("drbdsetup: \(String(decoding: line, as: UTF8.self))")
                    }
                },
                onChunkEnd: { [unowned self] stream in if stream == .stdout { self.countChunk() } },
                onStreamEnd: { [unowned self] stream in if stream == .stdout { self.feed(.stdoutEnded) } },
                onExit: { [unowned self] exit in
                    self.child = nil
                    self.feed(.exited(exit))
                })
            child = started
            feed(.spawned(pid: started.process.pid))
        } catch {
            feed(.spawnFailed("\(error)"))
        }
    }

    /// Hands the machine what the read chunk's lines counted: one input per chunk, not per line.
    private func countChunk() {
        guard chunkLines > 0 else { return }
        let read = Events2Machine.Input.linesRead(lines: chunkLines, unparsed: chunkUnparsed)
        chunkLines = 0
        chunkUnparsed = 0
        feed(read)
    }

    /// Asks drbdsetup for fresh statistics. A full pipe means drbdsetup is not reading; skip this round.
    private func poll() {
        guard let stdin = child?.process.stdin else { return }
        do {
            if try loop.write(stdin, Array("n\n".utf8)) == 0 {
                logger.debug("drbdsetup is not reading its stdin; skipping this statistics poll.")
            }
        } catch {
            logger.warning("Failed to ask drbdsetup for statistics: \(error)")
        }
    }
}
