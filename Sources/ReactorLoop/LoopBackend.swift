import ReactorCore
import ReactorSystem

/// Design note: the loop's one way out of the process, so the same daemon runs on the kernel or on
/// virtual time.
///
/// `EventLoop` keeps the sources (io, timers, signals, children, deferred work, the watchdog), their
/// priorities and the dispatch order; every call that reaches the kernel or reads a clock is a call on
/// its backend. Two backends implement it:
/// - `EpollBackend` (production): epoll, one timerfd armed for the loop's next deadline, a signalfd,
///   posix_spawn + pidfds, non-blocking sockets and pipes, CLOCK_MONOTONIC.
/// - `VirtualBackend` (tests): a virtual clock that jumps to the next deadline when nothing is ready,
///   in-memory pipes, socket pairs and listening sockets, and children that are Swift closures
///   (`VirtualBackend.Program`): the whole daemon (config -> drbdsetup child -> plugins -> an HTTP
///   scrape) runs deterministically in `swift test`, and a 60 s backoff takes no real time.
///
/// The layers above the loop (Daemon, servers, clients) do no syscall on a polled fd themselves: they
/// read, write, accept, connect and close through the loop (`loop.read(fd, ...)`, `loop.close(fd)`),
/// which forwards here. Handles are `FileDescriptor`s made (or adopted) by the backend; a virtual fd
/// has a number no kernel fd can have (from 2^30 up) and is never closed on deinit, so a stray direct
/// `fd.close()` on it is harmless and shows up as a leak in `VirtualBackend.openFiles`.
///
/// What the layers above use is `EventLoop`'s side of it (forwarders, same names): `EventLoop(backend:
/// logger:)`, `loop.read(fd, appendingTo:maximum:)`, `loop.write(fd, bytes, from:)`, `loop.write(fd,
/// gathering:from:)`, `loop.close(fd)`, `loop.listen(address)`, `loop.accept(listener)`,
/// `loop.connect(address)`, `loop.connectionError(fd)`, `loop.localAddress(fd)`, `loop.setNoDelay(fd)`,
/// `loop.wallNanoseconds`, plus the sources: `addIO(_:events:priority:name:handler:)`, timers, `spawn`
/// (returns a `SpawnedChild`), `handleSignals`, `enableWatchdog(period:ping:)`, and bus connections
/// (`openBus`, `addBusMatch`, `callBus`, `closeBus`: sd-bus on epoll, `VirtualBus` on virtual time).
///
/// Contract of `wait`: it returns the ready registrations (level-triggered, like epoll: an fd that is
/// still ready is reported again next time), and returns with an empty list once `deadline` has passed.
/// A nil deadline waits until something is ready (the virtual backend returns an empty list at once
/// when nothing can ever become ready: the test decides what happens next).
public protocol LoopBackend: AnyObject {
    // MARK: clock

    /// The monotonic time (CLOCK_MONOTONIC, or the virtual clock).
    var now: Instant { get }
    /// Wall-clock time in nanoseconds since the epoch (logs, metrics, file modification checks).
    var wallNanoseconds: UInt64 { get }

    // MARK: readiness

    /// Starts reporting `events` of `fd` under `token` (epoll_ctl ADD).
    func watch(_ fd: FileDescriptor, events: IOEvents, token: UInt64) throws(Errno)
    /// Changes the events reported for a watched fd (epoll_ctl MOD).
    func rewatch(_ fd: FileDescriptor, events: IOEvents, token: UInt64) throws(Errno)
    /// Stops reporting `fd` (epoll_ctl DEL); done before the fd is closed.
    func unwatch(_ fd: FileDescriptor) throws(Errno)
    /// Waits until a watched fd is ready or `deadline` passes (nil: no deadline; a past deadline: no
    /// wait) and returns the ready (token, events) pairs.
    func wait(until deadline: Instant?) throws(Errno) -> [(token: UInt64, events: IOEvents)]

    // MARK: signals

    /// Blocks `signals` and returns an fd that becomes readable when one arrives (signalfd).
    func signalSource(_ signals: [Signal]) throws(Errno) -> FileDescriptor
    /// The pending signals of a `signalSource` fd, in arrival order (empty when none).
    func readSignals(_ fd: FileDescriptor) throws(Errno) -> [Signal]

    // MARK: children

    /// Starts `argv` (argv[0] searched in the PATH of `environment`) with `stdio` connected as asked.
    /// The returned pidfd becomes readable when the child exits; its pipes are non-blocking.
    func spawn(argv: [String], environment: [String], stdio: ChildProcess.Stdio) throws(Errno) -> SpawnedChild
    /// The exit status once the child has ended (and reaps it), else nil.
    func reap(_ child: SpawnedChild) throws(Errno) -> ChildExit?
    /// Sends `signal` to a child; one that is already gone is not an error.
    func send(_ signal: Signal, to child: SpawnedChild) throws(Errno)

    // MARK: fd I/O

    /// Non-blocking read of up to `maximum` bytes, appended to `buffer`.
    func read(_ fd: FileDescriptor, appendingTo buffer: inout [UInt8], maximum: Int) throws(Errno) -> FileDescriptor.ReadResult
    /// Non-blocking write of `bytes[offset...]`; the count taken (0 when it would block).
    func write(_ fd: FileDescriptor, _ bytes: [UInt8], from offset: Int) throws(Errno) -> Int
    /// Non-blocking gathering write of `buffers`, starting `offset` bytes into the first; the count taken.
    func write(_ fd: FileDescriptor, gathering buffers: [[UInt8]], from offset: Int) throws(Errno) -> Int
    /// Closes an fd this backend made or adopted (never retried). Unwatch it first.
    func close(_ fd: FileDescriptor)
    /// A non-blocking pipe (read end, write end).
    func pipe() throws(Errno) -> (read: FileDescriptor, write: FileDescriptor)

    // MARK: sockets

    /// A non-blocking listening stream socket bound to `address` (port 0: any free port).
    func listen(_ address: Socket.Address) throws(Errno) -> FileDescriptor
    /// The next pending connection of a listener, nil when none is pending.
    func accept(_ listener: FileDescriptor) throws(Errno) -> FileDescriptor?
    /// Starts a non-blocking connect; the fd becomes writable when it completes (see `connectionError`).
    func connect(_ address: Socket.Address) throws(Errno) -> FileDescriptor
    /// The outcome of a non-blocking connect (SO_ERROR): nil when connected.
    func connectionError(_ fd: FileDescriptor) -> Errno?
    /// Where a socket is bound (how a test learns the port of `:0`).
    func localAddress(_ fd: FileDescriptor) -> Socket.Address?
    /// Sends small writes at once (TCP_NODELAY); best effort, a no-op where it does not apply.
    func setNoDelay(_ fd: FileDescriptor)

    // MARK: files
    // The loop's forwarders are `loop.readFile(path)`, `loop.fileInfo`, `loop.listDirectory`,
    // `loop.writeFile(path, contents, mode:)`, `loop.removeFile`, `loop.createDirectories`, `loop.setMode`.
    // Small, local files (the configuration and its snippets, the maintenance state, the promoter's
    // drop-ins under /run, /proc and /sys probes, the control socket's node): blocking calls that return
    // at once, made synchronously, as 1.x does. A `listen(.unix(path))` above makes the socket's node.

    /// The whole contents of a file (read until end of file: procfs reports size 0).
    func readFile(_ path: String) throws(Errno) -> [UInt8]
    /// stat(2), following symlinks: the kind, size and modification time.
    func fileInfo(_ path: String) throws(Errno) -> FileSystem.FileInfo
    /// The names in a directory (without `.` and `..`), unsorted.
    func listDirectory(_ path: String) throws(Errno) -> [String]
    /// Writes `contents` to `path` atomically (a temporary file renamed over it) with `mode` (less the
    /// umask), creating missing parent directories.
    func writeFile(_ path: String, _ contents: String, mode: UInt32) throws(Errno)
    /// unlink(2); a file already gone is fine.
    func removeFile(_ path: String) throws(Errno)
    /// `mkdir -p` (mode 0755 less the umask); existing directories are fine.
    func createDirectories(_ path: String) throws(Errno)
    /// chmod(2).
    func setMode(_ path: String, _ mode: UInt32) throws(Errno)

    // MARK: bus

    /// Where this process reaches systemd over D-Bus, best first; nil when there is no systemd to talk
    /// to (not the init system, as in containers).
    func busEndpoints() -> [BusEndpoint]?
    /// Opens a D-Bus connection to `endpoint` (fails at once when nothing listens or access is denied).
    /// The handle is an fd the loop watches for what `busInterest` names; it is closed with `busClose`.
    func busOpen(_ endpoint: BusEndpoint) throws(Errno) -> FileDescriptor
    /// Installs a match rule: the signals it matches come out of `busProcess`.
    func busAddMatch(_ bus: FileDescriptor, rule: String) throws(Errno)
    /// Sends a method call; its reply comes out of `busProcess` under the returned serial.
    func busCall(_ bus: FileDescriptor, _ call: BusMethodCall) throws(Errno) -> UInt64
    /// Sends what is queued and reads what arrived: the deliveries in order, `.closed` last when the
    /// connection ended (nothing more comes; unwatch the fd and call `busClose`).
    func busProcess(_ bus: FileDescriptor) -> [BusDelivery]
    /// What to wait for before the next `busProcess`: fd events, and a deadline (call timeouts).
    func busInterest(_ bus: FileDescriptor) throws(Errno) -> (events: IOEvents, deadline: Instant?)
    /// Closes a connection (unwatch its fd first); unknown handles are ignored.
    func busClose(_ bus: FileDescriptor)
}

/// A child started by a `LoopBackend`: its pid, the pidfd that becomes readable when it exits, and
/// the parent's ends of the pipes that were asked for. The backend owns all of them; the loop closes
/// them through the backend when the child is gone.
public final class SpawnedChild {
    public let pid: Int32
    public let pidfd: FileDescriptor
    /// Write end of the child's stdin, when `pipeStdin` was asked for.
    public var stdin: FileDescriptor?
    /// Read ends of the child's stdout and stderr, when captured.
    public var stdout: FileDescriptor?
    public var stderr: FileDescriptor?
    /// The kernel process behind it (epoll backend only; the virtual backend keeps its own table).
    public let process: ChildProcess?

    public init(pid: Int32, pidfd: FileDescriptor, stdin: FileDescriptor?, stdout: FileDescriptor?, stderr: FileDescriptor?,
                 process: ChildProcess?) {
        self.pid = pid
        self.pidfd = pidfd
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.process = process
    }
}
