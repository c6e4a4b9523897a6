import ReactorCore
import ReactorSystem

/// Design note: a `LoopBackend` without a kernel, for tests that run the daemon on virtual time.
///
/// The clock only moves in `wait`: when nothing is ready it jumps to the loop's deadline or to the next
/// scheduled event (a child's `after`, a test's `schedule`), whichever comes first, so a 60 s backoff
/// costs nothing and every run of a test is the same run. Files live in a table under numbers no
/// kernel fd can have (from 2^30 up): pipes and socket pairs are two byte channels with a capacity
/// (a full one makes a write take 0 bytes, as a full kernel buffer does), listeners hold their pending
/// connections, a signal source holds raised signals, a pidfd is readable once its child has exited.
/// Readiness is level-triggered and reported in fd order, as a deterministic stand-in for epoll.
///
/// Children are `Program`s, Swift closures installed under the name of the command they stand for
/// (`install("drbdsetup") { child in ... }`); a spawn of anything else fails with ENOENT, as
/// posix_spawnp does. A program writes to its stdout/stderr, hears its stdin, schedules work, exits,
/// and dies of signals (unless it handles them). Tests talk to listeners with `connect` and the same
/// `read`/`write`/`close` calls the daemon uses, and raise signals with `raise`. Files (configuration,
/// drop-ins, a unix listener's socket node) live in `fileSystem`, in memory.
public final class VirtualBackend: LoopBackend {
    /// What a virtual child runs: called once, at spawn, with the child.
    public typealias Program = (VirtualChild) -> Void

    public private(set) var now: Instant
    /// The wall clock at virtual time zero (nanoseconds since the epoch).
    public var wallAtZero: UInt64 = 1_767_225_600 * 1_000_000_000
    public var wallNanoseconds: UInt64 { wallAtZero &+ now.nanoseconds }
    /// Bytes a pipe or socket direction holds before writes take 0 bytes.
    public var channelCapacity = 65536
    /// When set, every `rewatch` fails with it: error injection for what the layers above do when the
    /// kernel refuses to change what an fd is watched for.
    public var rewatchFailure: Errno?

    /// Every argv spawned, in order (failed spawns included).
    public private(set) var spawnLog: [[String]] = []
    /// Signals raised while no signal source covered them (a real process would have died).
    public private(set) var unhandledSignals: [Signal] = []
    /// The virtual host's D-Bus with systemd on it (see VirtualBackend+Bus).
    public private(set) lazy var bus = VirtualBus(backend: self)

    private var nextNumber: Int32 = 1 << 30
    private var nextPid: Int32 = 1000
    private var nextPort: UInt16 = 40000
    private(set) var files: [Int32: VirtualFile] = [:]
    private var watches: [Int32: (token: UInt64, events: IOEvents)] = [:]
    private var programs: [String: Program] = [:]
    private var schedule = Heap<Scheduled>()
    private var scheduledWork: [UInt64: () -> Void] = [:]
    private var nextScheduled: UInt64 = 0

    private struct Scheduled: Comparable {
        let at: Instant
        let seq: UInt64
        static func < (a: Scheduled, b: Scheduled) -> Bool { (a.at, a.seq) < (b.at, b.seq) }
    }

    /// The files this process sees (`VirtualBackend+Files.swift`); shared by the backends of successive
    /// daemon runs on one HA lab node.
    public let fileSystem: VirtualFileSystem

    /// Starts the virtual clock at `start` (not zero, so `now - someDuration` stays positive).
    public init(start: Instant = Instant(nanoseconds: 1_000_000_000_000), fileSystem: VirtualFileSystem = VirtualFileSystem()) {
        now = start
        self.fileSystem = fileSystem
    }

    // MARK: test side

    /// Installs `program` as the command `name` (matched against argv[0]'s last path component).
    public func install(_ name: String, _ program: @escaping Program) { programs[name] = program }

    /// Removes the command `name`: spawning it fails with ENOENT again.
    public func uninstall(_ name: String) { programs.removeValue(forKey: name) }

    /// Runs `work` at `instant` (inside a later `wait`, in time order; same instants in call order).
    public func schedule(at instant: Instant, _ work: @escaping () -> Void) {
        nextScheduled += 1
        scheduledWork[nextScheduled] = work
        schedule.insert(Scheduled(at: instant, seq: nextScheduled))
    }

    /// Runs `work` `delay` from now.
    public func schedule(after delay: Duration, _ work: @escaping () -> Void) { schedule(at: now + delay, work) }

    /// Moves the clock forward without running anything: a handler that takes `duration` of the loop.
    public func advance(by duration: Duration) { now = now + duration }

    /// Moves the clock forward to `instant` (no-op if it is not later) without running anything: how a
    /// driver keeps several backends on one shared virtual clock.
    public func advance(to instant: Instant) { if instant > now { now = instant } }

    /// When the earliest scheduled work (a child's `after`, a `schedule`) is due; nil when none is.
    public var nextScheduledWork: Instant? { schedule.min?.at }

    /// Whether a loop on this backend would find something to do now: due scheduled work or a ready
    /// watched fd (a driver turns the loop until this and the loop's `nextDeadline` say no).
    public var hasWorkNow: Bool {
        if let at = schedule.min?.at, at <= now { return true }
        return watches.contains { number, w in
            files[number].map { !$0.readiness.intersection(w.events.union([.error, .hangup])).isEmpty } ?? false
        }
    }

    /// Delivers `signal` to the signal sources that cover it.
    public func raise(_ signal: Signal) {
        var delivered = false
        for (_, f) in files.sorted(by: { $0.key < $1.key }) {
            if case .signals(let set, let pending) = f.kind, set.contains(signal) {
                pending.items.append(signal)
                delivered = true
            }
        }
        if !delivered { unhandledSignals.append(signal) }
    }

    /// The numbers of the open virtual files (a test's leak check).
    public var openFiles: [Int32] { files.keys.sorted() }

    /// Everything readable on `fd` now (a test's side of a connection or pipe), and whether it ended.
    public func drain(_ fd: FileDescriptor) -> (bytes: [UInt8], ended: Bool) {
        var out: [UInt8] = []
        while true {
            switch try? read(fd, appendingTo: &out, maximum: 1 << 20) {
            case .bytes?: continue
            case .endOfFile?: return (out, true)
            case .wouldBlock?, nil: return (out, false)
            }
        }
    }

    // MARK: readiness

    public func watch(_ fd: FileDescriptor, events: IOEvents, token: UInt64) throws(Errno) {
        guard files[fd.rawValue] != nil else { throw Errno.badDescriptor }
        guard watches[fd.rawValue] == nil else { throw Errno.alreadyExists }  // as epoll_ctl ADD
        watches[fd.rawValue] = (token, events)
    }

    public func rewatch(_ fd: FileDescriptor, events: IOEvents, token: UInt64) throws(Errno) {
        if let rewatchFailure { throw rewatchFailure }
        guard files[fd.rawValue] != nil, watches[fd.rawValue] != nil else { throw Errno.noEntry }
        watches[fd.rawValue] = (token, events)
    }

    public func unwatch(_ fd: FileDescriptor) throws(Errno) {
        guard watches.removeValue(forKey: fd.rawValue) != nil else { throw Errno.noEntry }
    }

    public func wait(until deadline: Instant?) throws(Errno) -> [(token: UInt64, events: IOEvents)] {
        while true {
            runDue()
            let ready = readyList()
            if !ready.isEmpty { return ready }
            if let deadline, deadline <= now { return [] }
            let next = [deadline, schedule.min?.at].compactMap { $0 }.min()
            guard let next else { return [] }  // nothing can ever become ready
            if next > now { now = next }
        }
    }

    /// Runs the scheduled work that is due, including work it schedules for now.
    private func runDue() {
        while let top = schedule.min, top.at <= now {
            _ = schedule.popMin()
            scheduledWork.removeValue(forKey: top.seq)?()
        }
    }

    private func readyList() -> [(token: UInt64, events: IOEvents)] {
        var out: [(token: UInt64, events: IOEvents)] = []
        for (number, w) in watches.sorted(by: { $0.key < $1.key }) {
            guard let f = files[number] else { continue }
            let events = f.readiness.intersection(w.events.union([.error, .hangup]))
            if !events.isEmpty { out.append((w.token, events)) }
        }
        return out
    }

    // MARK: signals

    public func signalSource(_ signals: [Signal]) throws(Errno) -> FileDescriptor {
        open(.signals(Set(signals), VirtualQueue()))
    }

    public func readSignals(_ fd: FileDescriptor) throws(Errno) -> [Signal] {
        guard case .signals(_, let pending)? = files[fd.rawValue]?.kind else { throw Errno.badDescriptor }
        defer { pending.items.removeAll() }
        return pending.items
    }

    // MARK: children

    public func spawn(argv: [String], environment: [String], stdio: ChildProcess.Stdio) throws(Errno) -> SpawnedChild {
        spawnLog.append(argv)
        let name = argv.first.map { String($0.split(separator: "/").last ?? "") } ?? ""
        guard let program = programs[name] else { throw Errno.noEntry }
        nextPid += 1
        let child = VirtualChild(pid: nextPid, argv: argv, environment: environment, backend: self)
        var stdin: FileDescriptor?, stdout: FileDescriptor?, stderr: FileDescriptor?
        if stdio.pipeStdin {
            let c = VirtualChannel(capacity: channelCapacity)
            child.stdin = c
            stdin = open(.pipeWrite(c, reader: child))
        }
        if stdio.captureStdout {
            let c = VirtualChannel(capacity: .max)
            child.stdout = c
            stdout = open(.pipeRead(c))
        }
        if stdio.captureStderr {
            let c = VirtualChannel(capacity: .max)
            child.stderr = c
            stderr = open(.pipeRead(c))
        }
        let pidfd = open(.pidfd(child))
        schedule(at: now) { program(child) }
        return SpawnedChild(pid: child.pid, pidfd: pidfd, stdin: stdin, stdout: stdout, stderr: stderr, process: nil)
    }

    public func reap(_ child: SpawnedChild) throws(Errno) -> ChildExit? {
        guard case .pidfd(let c)? = files[child.pidfd.rawValue]?.kind else { throw Errno.badDescriptor }
        return c.exit
    }

    public func send(_ signal: Signal, to child: SpawnedChild) throws(Errno) {
        guard case .pidfd(let c)? = files[child.pidfd.rawValue]?.kind else { throw Errno.badDescriptor }
        c.receive(signal)
    }

    /// Tells a child (soon, not inside the parent's write) that its stdin has bytes or ended.
    func stdinChanged(_ child: VirtualChild) {
        schedule(at: now) { child.deliverInput() }
    }

    // MARK: fd I/O

    public func read(_ fd: FileDescriptor, appendingTo buffer: inout [UInt8], maximum: Int) throws(Errno) -> FileDescriptor.ReadResult {
        guard let f = files[fd.rawValue] else { throw Errno.badDescriptor }
        let channel: VirtualChannel
        switch f.kind {
        case .pipeRead(let c): channel = c
        case .socket(let inbound, _): channel = inbound
        case .refused(let e): throw e
        default: throw Errno.invalid
        }
        if channel.bytes.isEmpty { return channel.writerOpen ? .wouldBlock : .endOfFile }
        let n = min(maximum, channel.bytes.count)
        buffer.append(contentsOf: channel.bytes.prefix(n))
        channel.bytes.removeFirst(n)
        return .bytes(n)
    }

    public func write(_ fd: FileDescriptor, _ bytes: [UInt8], from offset: Int) throws(Errno) -> Int {
        guard let f = files[fd.rawValue] else { throw Errno.badDescriptor }
        guard offset < bytes.count else { return 0 }
        switch f.kind {
        case .pipeWrite(let c, let reader):
            let n = try c.take(bytes[offset...])
            if n > 0, let reader { stdinChanged(reader) }
            return n
        case .socket(_, let outbound):
            return try outbound.take(bytes[offset...])
        case .refused(let e):
            throw e
        default:
            throw Errno.invalid
        }
    }

    public func write(_ fd: FileDescriptor, gathering buffers: [[UInt8]], from offset: Int) throws(Errno) -> Int {
        var joined: [UInt8] = []
        for b in buffers.prefix(16) { joined += b }
        return try write(fd, joined, from: offset)
    }

    public func close(_ fd: FileDescriptor) {
        watches.removeValue(forKey: fd.rawValue)
        guard let f = files.removeValue(forKey: fd.rawValue) else { return }
        switch f.kind {
        case .pipeRead(let c):
            c.readerOpen = false
            c.bytes.removeAll()
        case .pipeWrite(let c, let reader):
            c.writerOpen = false
            if let reader { stdinChanged(reader) }
        case .socket(let inbound, let outbound):
            inbound.readerOpen = false
            inbound.bytes.removeAll()
            outbound.writerOpen = false
        case .listener(let address, let pending):
            listeners.removeValue(forKey: address)
            for p in pending.items { close(FileDescriptor.borrowing(p)) }
        case .bus(let connection):
            bus.detach(connection)
        case .signals, .pidfd, .refused:
            break
        }
    }

    public func pipe() throws(Errno) -> (read: FileDescriptor, write: FileDescriptor) {
        let c = VirtualChannel(capacity: channelCapacity)
        return (open(.pipeRead(c)), open(.pipeWrite(c, reader: nil)))
    }

    // MARK: sockets

    private var listeners: [Socket.Address: Int32] = [:]
    /// When set, IPv6 sockets cannot be bound (EAFNOSUPPORT), as on a host booted with `ipv6.disable=1`.
    public var ipv6Disabled = false

    public func listen(_ address: Socket.Address) throws(Errno) -> FileDescriptor {
        if ipv6Disabled, case .ipv6 = address { throw Errno.addressFamilyNotSupported }
        var bound = address
        switch address {
        case .ipv4(let h, 0): bound = .ipv4(h, freePort())
        case .ipv6(let h, 0): bound = .ipv6(h, freePort())
        default: break
        }
        guard listeners[bound] == nil else { throw Errno.addressInUse }
        if case .unix(let path) = bound { try fileSystem.bindSocket(path, at: wallNanoseconds) }
        let fd = open(.listener(bound, VirtualQueue()))
        listeners[bound] = fd.rawValue
        return fd
    }

    private func freePort() -> UInt16 {
        nextPort += 1
        return nextPort
    }

    public func accept(_ listener: FileDescriptor) throws(Errno) -> FileDescriptor? {
        guard case .listener(_, let pending)? = files[listener.rawValue]?.kind else { throw Errno.invalid }
        guard !pending.items.isEmpty else { return nil }
        return FileDescriptor.borrowing(pending.items.removeFirst())
    }

    public func connect(_ address: Socket.Address) throws(Errno) -> FileDescriptor {
        guard let number = listenerNumber(for: address), case .listener(_, let pending)? = files[number]?.kind else {
            return open(.refused(Errno.connectionRefused))
        }
        let up = VirtualChannel(capacity: channelCapacity), down = VirtualChannel(capacity: channelCapacity)
        let server = open(.socket(inbound: up, outbound: down))
        pending.items.append(server.rawValue)
        return open(.socket(inbound: down, outbound: up))
    }

    /// The listener a connection to `address` reaches: the one bound there, or one on the any-address
    /// of the same port (`[::]` takes IPv4 too, as the daemon's sockets do).
    private func listenerNumber(for address: Socket.Address) -> Int32? {
        if let n = listeners[address] { return n }
        switch address {
        case .ipv4(_, let p): return listeners[.ipv4("0.0.0.0", p)] ?? listeners[.ipv6("::", p)]
        case .ipv6(_, let p): return listeners[.ipv6("::", p)]
        case .unix: return nil
        }
    }

    public func connectionError(_ fd: FileDescriptor) -> Errno? {
        if case .refused(let e)? = files[fd.rawValue]?.kind { return e }
        return nil
    }

    public func localAddress(_ fd: FileDescriptor) -> Socket.Address? {
        if case .listener(let address, _)? = files[fd.rawValue]?.kind { return address }
        return nil
    }

    public func setNoDelay(_ fd: FileDescriptor) {}

    // MARK: files

    func open(_ kind: VirtualFile.Kind) -> FileDescriptor {
        nextNumber += 1
        files[nextNumber] = VirtualFile(kind: kind)
        return FileDescriptor.borrowing(nextNumber)
    }
}

/// The errnos the virtual files report, by their Linux numbers (the same on every architecture the
/// daemon builds for: asm-generic/errno-base.h and errno.h), so the Loop layer needs no Glibc.
extension Errno {
    static let badDescriptor = Errno(9)
    static let invalid = Errno(22)
    static let alreadyExists = Errno(17)
    static let connectionRefused = Errno(111)
}
