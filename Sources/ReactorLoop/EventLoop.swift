import Logging
import ReactorCore
import ReactorSystem

/// Design note: the daemon's one event loop, a small sd-event.
///
/// Everything the daemon does happens in handlers called from `runOnce`: fd readiness, timers (kept in
/// a heap here; the backend wakes the loop at the earliest deadline), signals, child processes (pidfd
/// plus their output pipes), the systemd watchdog, and deferred work. Every call that reaches the kernel
/// or a clock goes through the `LoopBackend` (`EpollBackend` in production, `VirtualBackend` in tests),
/// so the same loop and everything above it runs on virtual time.
///
/// Order within one turn, as in sd-event: first the watchdog ping when due, then the ready sources by
/// priority (`Priority.high`: signals and child exits, so a SIGTERM or an exit status is seen before
/// the I/O that came with it; then `.normal` I/O), then due timers in deadline order, and deferred work
/// at the start of the next turn.
///
/// Ownership: a registered fd stays owned by its caller; the loop only remembers it to unregister it.
/// Every registration gets a fresh token that is never reused, so a late event for a removed source is
/// dropped even if the kernel reused the fd number. A handler that throws has its source disabled and
/// the error logged; the loop and the daemon keep running.
public final class EventLoop {
    /// Identifies a registration (io, timer, signal or child); never reused.
    public typealias SourceID = ReactorSystem.SourceID

    public typealias IOHandler = (IOEvents) throws -> Void

    /// The dispatch order of ready sources within one turn: lower first.
    public struct Priority: Comparable, Sendable {
        public let rawValue: Int
        public init(_ rawValue: Int) { self.rawValue = rawValue }
        /// Signals and child exits.
        public static let high = Priority(-100)
        /// Ordinary I/O.
        public static let normal = Priority(0)
        public static func < (a: Priority, b: Priority) -> Bool { a.rawValue < b.rawValue }
    }

    private struct IOSource {
        let fd: FileDescriptor
        let name: String
        let priority: Priority
        let handler: IOHandler
    }

    private struct TimerEntry: Comparable {
        let deadline: Instant
        let id: UInt64
        static func < (a: TimerEntry, b: TimerEntry) -> Bool { (a.deadline, a.id) < (b.deadline, b.id) }
    }

    /// The systemd watchdog as a source of the loop: pinged every half period while the loop turns.
    private struct Watchdog {
        let every: Duration
        var next: Instant
        let ping: () -> Void
    }

    public let logger: Logger
    /// Where every syscall and clock read of the loop (and of the layers above, through the forwarders) goes.
    public let backend: any LoopBackend
    private var nextToken: UInt64 = 1
    private var io: [UInt64: IOSource] = [:]
    /// Whether any source has a priority other than `.normal` (only then is a turn's ready list sorted).
    private var hasPriorities = false
    private var timerHeap = Heap<TimerEntry>()
    private var timers: [UInt64: (name: String, handler: () throws -> Void)] = [:]
    private var deferred: [() throws -> Void] = []
    private var signalSource: FileDescriptor?
    private var signalHandlers: [Signal: (Signal) throws -> Void] = [:]
    var children: [UInt64: ChildWatch] = [:]
    /// The open bus connections, by their io source's token (see EventLoop+Bus).
    var buses: [UInt64: BusSource] = [:]
    private var watchdog: Watchdog?

    /// The time of the current iteration (the backend's clock), updated after every wait. Inlinable over
    /// unchecked storage: every machine runner reads it once per input, from other modules, and a stored
    /// property read there costs a call and a dynamic exclusivity check. Safe: the loop is one thread whose
    /// only writes are plain stores between handlers, so no access can overlap another.
    @inlinable public var now: Instant { currentTime }
    @usableFromInline @exclusivity(unchecked) var currentTime: Instant
    /// Set by `requestExit`; `run()` returns at the end of the iteration.
    public private(set) var exitRequested = false
    /// Called after each iteration with the time its handlers, timers and deferred work took (not the
    /// wait): how long the loop was unable to answer anything else. The daemon counts these (ReactorStats).
    public var onTurn: ((Duration) -> Void)?

    /// A loop on `backend`.
    public init(backend: any LoopBackend, logger: Logger) {
        self.logger = logger
        self.backend = backend
        currentTime = backend.now
    }

    /// A loop on the kernel (`EpollBackend`).
    public convenience init(logger: Logger) throws(Errno) {
        self.init(backend: try EpollBackend(), logger: logger)
    }

    func newToken() -> UInt64 {
        defer { nextToken += 1 }
        return nextToken
    }

    // MARK: io

    /// Watches `fd` for `events`; the handler gets the ready events.
    @discardableResult
    public func addIO(_ fd: FileDescriptor, events: IOEvents, name: String, handler: @escaping IOHandler) throws(Errno) -> SourceID {
        try addIO(fd, events: events, priority: .normal, name: name, handler: handler)
    }

    /// Watches `fd` for `events` at `priority` (see the design note for the order within a turn).
    @discardableResult
    public func addIO(
        _ fd: FileDescriptor, events: IOEvents, priority: Priority, name: String, handler: @escaping IOHandler
    ) throws(Errno) -> SourceID {
        let token = newToken()
        try backend.watch(fd, events: events, token: token)
        io[token] = IOSource(fd: fd, name: name, priority: priority, handler: handler)
        if priority != .normal { hasPriorities = true }
        return SourceID(raw: token)
    }

    /// Changes the events watched for an io source.
    public func modifyIO(_ id: SourceID, events: IOEvents) throws(Errno) {
        guard let source = io[id.raw] else { return }
        try backend.rewatch(source.fd, events: events, token: id.raw)
    }

    /// Unregisters an io source (before its owner closes the fd). Unknown ids are ignored; a failure of
    /// the kernel to forget the fd is logged (the token is gone either way, so no event reaches a handler).
    public func removeIO(_ id: SourceID) {
        guard let source = io.removeValue(forKey: id.raw) else { return }
        do { try backend.unwatch(source.fd) } catch {
            logger.debug("Failed to stop watching '\(source.name)' (\(source.fd)): \(error)")
        }
    }

    // MARK: timers

    /// Runs `handler` once at `deadline` (at once if it is past).
    @discardableResult
    public func addTimer(at deadline: Instant, name: String, handler: @escaping () throws -> Void) -> SourceID {
        let token = newToken()
        timers[token] = (name, handler)
        timerHeap.insert(TimerEntry(deadline: deadline, id: token))
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
    }

    /// Cancels a timer; unknown or already fired ids are ignored.
    public func cancelTimer(_ id: SourceID) {
        timers.removeValue(forKey: id.raw)
    }

    /// The earliest deadline of a live timer (cancelled ones are dropped from the top of the heap).
    private var earliestTimer: Instant? {
        while let top = timerHeap.min, timers[top.id] == nil { _ = timerHeap.popMin() }
        return timerHeap.min?.deadline
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
    }

    // MARK: watchdog

    /// Pings the systemd watchdog (`ping`, normally sending `WATCHDOG=1`) now and then every half of
    /// `interval` (systemd's `WatchdogSec=`) for as long as the loop turns: the ping comes from the loop
    /// itself, so a loop stuck in a handler misses it and systemd notices. Calling it again replaces it.
    public func enableWatchdog(interval: Duration, ping: @escaping () -> Void) {
        let every = interval / 2
        watchdog = Watchdog(every: every, next: now + every, ping: ping)
        ping()
    }

    private func pingWatchdogIfDue() {
        guard var w = watchdog, w.next <= now else { return }
        w.next = now + w.every
        watchdog = w
        w.ping()
    }

    // MARK: signals

    /// Delivers `signals` (blocked first, so only the loop sees them) to `handler`, before the I/O of
    /// the same turn. Call once.
    public func handleSignals(_ signals: [Signal], handler: @escaping (Signal) throws -> Void) throws(Errno) {
        precondition(signalSource == nil, "signals are set up once")
        let fd = try backend.signalSource(signals)
        signalSource = fd
        for s in signals { signalHandlers[s] = handler }
        try addIO(fd, events: .readable, priority: .high, name: "signals") { [unowned self] _ in
            for sig in try self.backend.readSignals(fd) {
                try self.signalHandlers[sig]?(sig)
            }
        }
    }

    // MARK: deferred

    /// Runs `work` at the start of the next iteration, before waiting.
    public func deferWork(_ work: @escaping () throws -> Void) { deferred.append(work) }

    // MARK: running

    /// Asks `run()` to return after the current iteration.
    public func requestExit() { exitRequested = true }

    /// One iteration: deferred work, then wait up to `timeout` (nil: until something happens), then
    /// dispatch the watchdog, ready fds by priority and due timers.
    public func runOnce(timeout: Duration?) throws(Errno) {
        let before = onTurn == nil ? nil : backend.now
        runDeferred()
        let deferredTook = before.map { backend.now - $0 } ?? .zero
        var deadline = Self.earlier(earliestTimer, watchdog?.next)
        if !deferred.isEmpty {
            deadline = backend.now
        } else if let timeout {
            let limit = backend.now + timeout
            deadline = min(deadline ?? limit, limit)
        }
        var ready = try backend.wait(until: deadline)
        currentTime = backend.now
        pingWatchdogIfDue()
        if hasPriorities && ready.count > 1 { sortByPriority(&ready) }
        for (token, events) in ready {
            // A source removed by an earlier handler of this iteration is gone: drop its event.
            guard let source = io[token] else { continue }
            do { try source.handler(events) } catch {
                logger.error("Handler for '\(source.name)' failed, disabled: \(error)")
                removeIO(SourceID(raw: token))
            }
        }
        if let first = earliestTimer, first <= now { fireDueTimers() }
        if let onTurn { onTurn(deferredTook + (backend.now - now)) }
    }

    /// When this loop next has something to do without any fd becoming ready: now while deferred work
    /// waits, else the earliest timer or watchdog ping (nil: only I/O can wake it). A driver that runs
    /// several loops on one virtual clock (the HA lab) advances them all to the earliest of these.
    public var nextDeadline: Instant? {
        deferred.isEmpty ? Self.earlier(earliestTimer, watchdog?.next) : backend.now
    }

    /// The earlier of two optional instants (no array per turn).
    private static func earlier(_ a: Instant?, _ b: Instant?) -> Instant? {
        guard let a else { return b }
        guard let b else { return a }
        return min(a, b)
    }

    /// Orders a turn's ready list by source priority, keeping the backend's order among equals.
    private func sortByPriority(_ ready: inout [(token: UInt64, events: IOEvents)]) {
        let ranked = ready.enumerated().map { (rank: io[$0.element.token]?.priority ?? .normal, index: $0.offset, item: $0.element) }
        ready = ranked.sorted { ($0.rank, $0.index) < ($1.rank, $1.index) }.map(\.item)
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
