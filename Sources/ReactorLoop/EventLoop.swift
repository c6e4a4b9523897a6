import Logging
import ReactorCore
import ReactorSystem

/// Design note: the daemon's one event loop, a small sd-event.
///
/// Everything the daemon does happens in handlers called from `runOnce`: fd readiness (epoll), timers
/// (one timerfd armed for the earliest deadline), signals (a signalfd), child processes (pidfd plus
/// their output pipes), and deferred work. Nothing here blocks except `epoll_wait`.
///
/// Ownership: a registered fd stays owned by its caller; the loop only remembers it to unregister it.
/// Every registration gets a fresh token that is never reused, so a late event for a removed source is
/// dropped even if the kernel reused the fd number. A handler that throws has its source disabled and
/// the error logged; the loop and the daemon keep running.
public final class EventLoop: EventSources {
    /// Identifies a registration (io, timer, signal or child); never reused.
    public typealias SourceID = ReactorSystem.SourceID

    public typealias IOHandler = (IOEvents) throws -> Void

    private struct IOSource {
        let fd: FileDescriptor
        let name: String
        let handler: IOHandler
    }

    private struct TimerEntry: Comparable {
        let deadline: Instant
        let id: UInt64
        static func < (a: TimerEntry, b: TimerEntry) -> Bool { (a.deadline, a.id) < (b.deadline, b.id) }
    }

    public let logger: Logger
    private let epoll: Epoll
    private let timerFD: TimerFD
    private var nextToken: UInt64 = 1
    private var io: [UInt64: IOSource] = [:]
    private var timerHeap = Heap<TimerEntry>()
    private var timers: [UInt64: (name: String, handler: () throws -> Void)] = [:]
    private var armedDeadline: Instant?
    private var deferred: [() throws -> Void] = []
    private var signalFD: SignalFD?
    private var signalHandlers: [Int32: (Int32) throws -> Void] = [:]
    private var children: [UInt64: ChildWatch] = [:]
    private let timerToken: UInt64 = 0

    /// The time of the current iteration (CLOCK_MONOTONIC), updated after every wait.
    public private(set) var now: Instant
    /// Set by `requestExit`; `run()` returns at the end of the iteration.
    public private(set) var exitRequested = false
    /// Called after each iteration with the time its handlers, timers and deferred work took (not the
    /// wait): how long the loop was unable to answer anything else. The daemon counts these (ReactorStats).
    public var onTurn: ((Duration) -> Void)?

    public init(logger: Logger) throws(Errno) {
        self.logger = logger
        epoll = try Epoll()
        timerFD = try TimerFD()
        now = Clock.now()
        try epoll.add(timerFD.fd, events: .readable, token: timerToken)
    }

    private func newToken() -> UInt64 {
        defer { nextToken += 1 }
        return nextToken
    }

    // MARK: io

    /// Watches `fd` for `events`; the handler gets the ready events.
    @discardableResult
    public func addIO(_ fd: FileDescriptor, events: IOEvents, name: String, handler: @escaping IOHandler) throws(Errno) -> SourceID {
        let token = newToken()
        try epoll.add(fd, events: events, token: token)
        io[token] = IOSource(fd: fd, name: name, handler: handler)
        return SourceID(raw: token)
    }

    /// Changes the events watched for an io source.
    public func modifyIO(_ id: SourceID, events: IOEvents) throws(Errno) {
        guard let source = io[id.raw] else { return }
        try epoll.modify(source.fd, events: events, token: id.raw)
    }

    /// Unregisters an io source (before its owner closes the fd). Unknown ids are ignored.
    public func removeIO(_ id: SourceID) {
        guard let source = io.removeValue(forKey: id.raw) else { return }
        epoll.remove(source.fd)
    }

    // MARK: timers

    /// Runs `handler` once at `deadline` (at once if it is past).
    @discardableResult
    public func addTimer(at deadline: Instant, name: String, handler: @escaping () throws -> Void) -> SourceID {
        let token = newToken()
        timers[token] = (name, handler)
        timerHeap.insert(TimerEntry(deadline: deadline, id: token))
        rearm()
        return SourceID(raw: token)
    }

    /// Runs `handler` every `interval`, starting one interval from now, until cancelled.
    @discardableResult
    public func addRepeatingTimer(every interval: Duration, name: String, handler: @escaping () throws -> Void) -> SourceID {
        let id = SourceID(raw: newToken())
        scheduleRepeat(id, at: now + interval, interval: interval, name: name, handler: handler)
        return id
    }

    private func scheduleRepeat(_ id: SourceID, at deadline: Instant, interval: Duration, name: String, handler: @escaping () throws -> Void) {
        timers[id.raw] = (name, { [unowned self] in
            // Re-arm before running, so the handler can cancel its own timer.
            self.scheduleRepeat(id, at: self.now + interval, interval: interval, name: name, handler: handler)
            try handler()
        })
        timerHeap.insert(TimerEntry(deadline: deadline, id: id.raw))
        rearm()
    }

    /// Cancels a timer; unknown or already fired ids are ignored.
    public func cancelTimer(_ id: SourceID) {
        timers.removeValue(forKey: id.raw)
    }

    private func rearm() {
        while let top = timerHeap.min, timers[top.id] == nil { _ = timerHeap.popMin() }
        let deadline = timerHeap.min?.deadline
        guard deadline != armedDeadline else { return }
        do {
            try timerFD.arm(at: deadline)
            armedDeadline = deadline
        } catch {
            logger.error("Failed to arm the loop's timerfd: \(error)")
        }
    }

    private func fireDueTimers() {
        while let top = timerHeap.min, top.deadline <= now {
            _ = timerHeap.popMin()
            guard let timer = timers.removeValue(forKey: top.id) else { continue }
            do { try timer.handler() } catch {
                logger.error("Timer '\(timer.name)' failed, disabled: \(error)")
                timers.removeValue(forKey: top.id)
            }
        }
        armedDeadline = nil
        rearm()
    }

    // MARK: signals

    /// Delivers `signals` through a signalfd (blocking them first) to `handler`. Call once.
    public func handleSignals(_ signals: [Int32], handler: @escaping (Int32) throws -> Void) throws(Errno) {
        precondition(signalFD == nil, "signals are set up once")
        let sfd = try SignalFD(signals: signals)
        signalFD = sfd
        for s in signals { signalHandlers[s] = handler }
        try addIO(sfd.fd, events: .readable, name: "signalfd") { [unowned self] _ in
            for sig in try sfd.readAll() {
                try self.signalHandlers[sig]?(sig)
            }
        }
    }

    // MARK: deferred

    /// Runs `work` at the start of the next iteration, before waiting.
    public func deferWork(_ work: @escaping () throws -> Void) { deferred.append(work) }

    // MARK: children

    /// One output pipe of a child; a class so its buffer is mutated in place, never copied.
    private final class Pipe {
        let stream: OutputStream
        let fd: FileDescriptor
        var source: SourceID?
        var buffer = LineBuffer()
        /// Over-long lines already reported, and when the last report was (one per minute at most).
        var reportedDrops = 0
        var lastDropReport: Instant?
        init(stream: OutputStream, fd: FileDescriptor) {
            self.stream = stream
            self.fd = fd
        }
    }

    /// At most this many bytes are read from one pipe per readiness event, so a child that writes
    /// without pause cannot monopolise the loop (epoll is level-triggered: the rest comes next round).
    static let maxReadPerEvent = 1 << 20

    /// A running child watched by the loop.
    private final class ChildWatch {
        let process: ChildProcess
        let name: String
        var pidSource: SourceID?
        var pipes: [Pipe] = []
        let onLine: ((OutputStream, ArraySlice<UInt8>) -> Void)?
        let onExit: (ChildExit) -> Void
        var onStreamEnd: ((OutputStream) -> Void)?
        init(process: ChildProcess, name: String, onLine: ((OutputStream, ArraySlice<UInt8>) -> Void)?, onExit: @escaping (ChildExit) -> Void) {
            self.process = process
            self.name = name
            self.onLine = onLine
            self.onExit = onExit
        }
    }

    /// Spawns a child and watches it: its output lines go to `onLine` as they arrive, its exit status to
    /// `onExit` exactly once, after the output it wrote before exiting. The child is reaped (no zombie).
    /// stdin, when piped, is returned for the caller to write to (and close).
    @discardableResult
    public func spawn(
        argv: [String], environment: [String], stdio: ChildProcess.Stdio = .init(), name: String,
        onLine: ((OutputStream, ArraySlice<UInt8>) -> Void)?, onStreamEnd: ((OutputStream) -> Void)? = nil,
        onExit: @escaping (ChildExit) -> Void
    ) throws(Errno) -> (id: SourceID, process: ChildProcess) {
        let process = try ChildProcess.spawn(argv: argv, environment: environment, stdio: stdio)
        let token = newToken()
        let watch = ChildWatch(process: process, name: name, onLine: onLine, onExit: onExit)
        watch.onStreamEnd = onStreamEnd
        children[token] = watch
        for (stream, fd) in [(OutputStream.stdout, process.stdout), (.stderr, process.stderr)] {
            guard let fd else { continue }
            let pipe = Pipe(stream: stream, fd: fd)
            pipe.source = try addIO(fd, events: .readable, name: "\(name) \(stream)") { [unowned self] _ in
                self.drain(token, stream: stream, final: false)
            }
            watch.pipes.append(pipe)
        }
        watch.pidSource = try addIO(process.pidfd, events: .readable, name: "\(name) pidfd") { [unowned self] _ in
            try self.childExited(token)
        }
        return (SourceID(raw: token), process)
    }

    /// Sends a signal to a watched child (ignored once it is gone).
    public func signal(_ id: SourceID, _ signal: Int32) {
        guard let watch = children[id.raw] else { return }
        do { try watch.process.send(signal: signal) } catch {
            logger.warning("Failed to send signal \(signal) to '\(watch.name)' (pid \(watch.process.pid)): \(error)")
        }
    }

    /// The number of children still running.
    public var runningChildren: Int { children.count }

    /// Reads what a pipe has (bounded per call unless `final`), handing out complete lines after each
    /// chunk so the buffer stays small however fast the child writes.
    private func drain(_ token: UInt64, stream: OutputStream, final: Bool) {
        guard let watch = children[token], let index = watch.pipes.firstIndex(where: { $0.stream == stream }) else { return }
        let pipe = watch.pipes[index]
        var eof = false
        var total = 0
        readLoop: while final || total < Self.maxReadPerEvent {
            do {
                switch try pipe.fd.read(appendingTo: &pipe.buffer.bytes) {
                case .bytes(let n): total += n
                case .wouldBlock: break readLoop
                case .endOfFile: eof = true; break readLoop
                }
            } catch {
                logger.warning("Failed to read \(stream) of '\(watch.name)': \(error)")
                eof = true
                break readLoop
            }
            if let onLine = watch.onLine {
                pipe.buffer.consumeLines { onLine(stream, $0) }
            } else {
                pipe.buffer.bytes.removeAll(keepingCapacity: true)  // nobody listens: do not accumulate
            }
        }
        if let onLine = watch.onLine, eof || final { pipe.buffer.consumeRemainder { onLine(stream, $0) } }
        reportDroppedLines(pipe, of: watch.name)
        guard eof || final else { return }
        if let source = pipe.source { removeIO(source) }
        pipe.fd.close()
        watch.pipes.remove(at: index)
        if eof && !final { watch.onStreamEnd?(stream) }
    }

    /// Interval between two warnings about over-long lines of one pipe.
    static let droppedLineReportInterval = Duration.seconds(60)

    /// Warns about over-long lines a pipe dropped, at most once per `droppedLineReportInterval`.
    private func reportDroppedLines(_ pipe: Pipe, of name: String) {
        let new = pipe.buffer.droppedLines - pipe.reportedDrops
        guard new > 0 else { return }
        if let last = pipe.lastDropReport, now < last + Self.droppedLineReportInterval { return }
        logger.warning(
            "Dropped \(new) line(s) of more than \(pipe.buffer.maxLineLength) bytes from the \(pipe.stream) of '\(name)'.")
        pipe.reportedDrops = pipe.buffer.droppedLines
        pipe.lastDropReport = now
    }

    private func childExited(_ token: UInt64) throws {
        guard let watch = children[token] else { return }
        guard let exit = try watch.process.reap() else { return }
        // Output written before the exit is already in the pipes: hand it out, then stop listening
        // (a grandchild holding the pipe open must not delay the exit report).
        for stream in watch.pipes.map(\.stream) { drain(token, stream: stream, final: true) }
        if let s = watch.pidSource { removeIO(s) }
        watch.process.pidfd.close()
        watch.process.stdin?.close()
        children.removeValue(forKey: token)
        watch.onExit(exit)
    }

    // MARK: running

    /// Asks `run()` to return after the current iteration.
    public func requestExit() { exitRequested = true }

    /// One iteration: deferred work, then wait up to `timeout` (nil: until something happens), then
    /// dispatch ready fds and due timers.
    public func runOnce(timeout: Duration?) throws(Errno) {
        let before = onTurn == nil ? nil : Clock.now()
        runDeferred()
        let deferredTook = before.map { Clock.now() - $0 } ?? .zero
        var ms: Int32 = -1
        if !deferred.isEmpty {
            ms = 0
        } else if let timeout {
            let n = timeout.nanosecondsClamped
            ms = n <= 0 ? 0 : Int32(clamping: (n + 999_999) / 1_000_000)
        }
        let ready = try epoll.wait(timeoutMilliseconds: ms)
        now = Clock.now()
        var timerDue = false
        for (token, events) in ready {
            if token == timerToken {
                timerFD.acknowledge()
                timerDue = true
                continue
            }
            // A source removed by an earlier handler of this iteration is gone: drop its event.
            guard let source = io[token] else { continue }
            do { try source.handler(events) } catch {
                logger.error("Handler for '\(source.name)' failed, disabled: \(error)")
                removeIO(SourceID(raw: token))
            }
        }
        if timerDue || (timerHeap.min.map { $0.deadline <= now } ?? false) { fireDueTimers() }
        if let onTurn { onTurn(deferredTook + (Clock.now() - now)) }
    }

    /// Runs until `requestExit()`.
    public func run() throws(Errno) {
        while !exitRequested { try runOnce(timeout: nil) }
    }

    private func runDeferred() {
        while !deferred.isEmpty {
            let work = deferred
            deferred.removeAll()
            for w in work {
                do { try w() } catch { logger.error("Deferred work failed: \(error)") }
            }
        }
    }
}

/// A binary min-heap (the loop's timers; the HA lab's virtual clock).
public struct Heap<Element: Comparable> {
    private var items: [Element] = []
    public var min: Element? { items.first }
    public var count: Int { items.count }

    public init() {}

    public mutating func insert(_ e: Element) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i] < items[parent] else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    public mutating func popMin() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let result = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < items.count && items[l] < items[smallest] { smallest = l }
            if r < items.count && items[r] < items[smallest] { smallest = r }
            guard smallest != i else { break }
            items.swapAt(i, smallest)
            i = smallest
        }
        return result
    }
}
