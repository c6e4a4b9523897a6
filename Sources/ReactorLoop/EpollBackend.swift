import ReactorCore
import ReactorSystem

/// The production `LoopBackend`: epoll, one timerfd for the loop's next deadline, a signalfd, pidfds,
/// posix_spawn and non-blocking sockets, all through the System layer's wrappers.
///
/// The timerfd is registered under a token no source ever gets (0), armed only when the deadline
/// changes, and acknowledged here: the loop only sees that `now` passed its deadline.
public final class EpollBackend: LoopBackend {
    private let epoll: Epoll
    private let timerFD: TimerFD
    private var armedDeadline: Instant?
    private static let timerToken: UInt64 = 0
    private var signalFDs: [Int32: SignalFD] = [:]
    /// The open D-Bus connections, by their socket's number (see EpollBackend+Bus).
    var buses: [Int32: SystemdBus] = [:]

    public init() throws(Errno) {
        epoll = try Epoll()
        timerFD = try TimerFD()
        try epoll.add(timerFD.fd, events: .readable, token: Self.timerToken)
    }

    public var now: Instant { Clock.now() }
    public var wallNanoseconds: UInt64 { Clock.wallNanoseconds() }

    public func watch(_ fd: FileDescriptor, events: IOEvents, token: UInt64) throws(Errno) {
        try epoll.add(fd, events: events, token: token)
    }

    public func rewatch(_ fd: FileDescriptor, events: IOEvents, token: UInt64) throws(Errno) {
        try epoll.modify(fd, events: events, token: token)
    }

    public func unwatch(_ fd: FileDescriptor) throws(Errno) { try epoll.remove(fd) }

    public func wait(until deadline: Instant?) throws(Errno) -> [(token: UInt64, events: IOEvents)] {
        var timeout: Int32 = -1
        if let deadline {
            if deadline <= Clock.now() {
                timeout = 0
            } else if deadline != armedDeadline {
                try timerFD.arm(at: deadline)
                armedDeadline = deadline
            }
        }
        var ready = try epoll.wait(timeoutMilliseconds: timeout)
        if let i = ready.firstIndex(where: { $0.token == Self.timerToken }) {
            timerFD.acknowledge()
            armedDeadline = nil
            ready.remove(at: i)
        }
        return ready
    }

    public func signalSource(_ signals: [Signal]) throws(Errno) -> FileDescriptor {
        let sfd = try SignalFD(signals: signals)
        signalFDs[sfd.fd.rawValue] = sfd
        return sfd.fd
    }

    public func readSignals(_ fd: FileDescriptor) throws(Errno) -> [Signal] {
        try signalFDs[fd.rawValue]?.readAll() ?? []
    }

    public func spawn(argv: [String], environment: [String], stdio: ChildProcess.Stdio) throws(Errno) -> SpawnedChild {
        let p = try ChildProcess.spawn(argv: argv, environment: environment, stdio: stdio)
        return SpawnedChild(pid: p.pid, pidfd: p.pidfd, stdin: p.stdin, stdout: p.stdout, stderr: p.stderr, process: p)
    }

    public func reap(_ child: SpawnedChild) throws(Errno) -> ChildExit? { try child.process?.reap() }

    public func send(_ signal: Signal, to child: SpawnedChild) throws(Errno) { try child.process?.send(signal: signal) }

    public func read(_ fd: FileDescriptor, appendingTo buffer: inout [UInt8], maximum: Int) throws(Errno) -> FileDescriptor.ReadResult {
        try fd.read(appendingTo: &buffer, maximum: maximum)
    }

    public func write(_ fd: FileDescriptor, _ bytes: [UInt8], from offset: Int) throws(Errno) -> Int {
        try fd.write(bytes, from: offset)
    }

    public func write(_ fd: FileDescriptor, gathering buffers: [[UInt8]], from offset: Int) throws(Errno) -> Int {
        try fd.write(gathering: buffers, from: offset)
    }

    public func close(_ fd: FileDescriptor) {
        signalFDs.removeValue(forKey: fd.rawValue)
        fd.close()
    }

    public func pipe() throws(Errno) -> (read: FileDescriptor, write: FileDescriptor) { try FileDescriptor.pipe(nonBlocking: true) }

    public func listen(_ address: Socket.Address) throws(Errno) -> FileDescriptor { try Socket.listen(address) }

    public func accept(_ listener: FileDescriptor) throws(Errno) -> FileDescriptor? { try Socket.accept(listener) }

    public func connect(_ address: Socket.Address) throws(Errno) -> FileDescriptor { try Socket.connect(address) }

    public func connectionError(_ fd: FileDescriptor) -> Errno? { Socket.pendingError(fd) }

    public func localAddress(_ fd: FileDescriptor) -> Socket.Address? { Socket.localAddress(fd) }

    public func setNoDelay(_ fd: FileDescriptor) { Socket.disableNagle(fd) }

    // MARK: files

    public func readFile(_ path: String) throws(Errno) -> [UInt8] { try FileSystem.readFile(path) }

    public func fileInfo(_ path: String) throws(Errno) -> FileSystem.FileInfo { try FileSystem.info(path) }

    public func listDirectory(_ path: String) throws(Errno) -> [String] { try FileSystem.listDirectory(path) }

    public func writeFile(_ path: String, _ contents: String, mode: UInt32) throws(Errno) {
        try FileSystem.writeAtomically(path, contents, mode: mode)
    }

    public func removeFile(_ path: String) throws(Errno) { try FileSystem.remove(path) }

    public func createDirectories(_ path: String) throws(Errno) { try FileSystem.createDirectories(path) }

    public func setMode(_ path: String, _ mode: UInt32) throws(Errno) { try FileSystem.setMode(path, mode) }
}
