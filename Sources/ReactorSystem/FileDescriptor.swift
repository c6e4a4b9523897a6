import CEpoll
import Glibc
import ReactorCore

/// A file descriptor with one owner, which closes it explicitly, once (the loop removes it from epoll
/// first). Created CLOEXEC (and NONBLOCK when it is polled) by the factories of this module.
///
/// Ownership is checked the way swift-nio checks its sockets: an owned descriptor that is still open when
/// its last reference goes away was leaked by its owner. A debug build (every test run) stops there, so
/// the owner gets fixed; a release build closes it, so the daemon's descriptors stay bounded. The owners
/// that hold one for their whole life (`Epoll`, `TimerFD`, `SignalFD`, `EventFD`, `ChildProcess`,
/// `LogQueue`) close theirs in their own deinit. A borrowed descriptor (an inherited standard stream, the
/// fd sd-bus owns, a virtual one) is never closed by this object.
public final class FileDescriptor: CustomStringConvertible {
    public private(set) var rawValue: Int32
    private let owned: Bool

    /// Takes ownership of `rawValue`.
    init(owning rawValue: Int32) {
        self.rawValue = rawValue
        owned = true
    }

    private init(borrowed rawValue: Int32) {
        self.rawValue = rawValue
        owned = false
    }

    /// A descriptor someone else owns: `close()` only lets go of it, and dropping it is no leak.
    public static func borrowing(_ rawValue: Int32) -> FileDescriptor { FileDescriptor(borrowed: rawValue) }

    deinit {
        guard owned, rawValue >= 0 else { return }
        assertionFailure("leak of open \(self): its owner must close it")
        _ = Glibc.close(rawValue)
    }

    public var isOpen: Bool { rawValue >= 0 }
    public var description: String { "fd \(rawValue)" }

    /// close(2) of an owned descriptor; a borrowed one is only let go of. Never retried: on Linux the fd
    /// is gone even when close reports EINTR.
    public func close() {
        guard rawValue >= 0 else { return }
        if owned { _ = Glibc.close(rawValue) }
        rawValue = -1
    }

    /// The result of a non-blocking read.
    public enum ReadResult: Equatable {
        case bytes(Int)
        case wouldBlock
        case endOfFile
    }

    /// read(2) appending up to `maximum` bytes to `buffer`.
    ///
    /// The bytes land in an uninitialised scratch allocation (no zero-filling of `maximum` bytes per call)
    /// and only what was read is appended; the buffer grows geometrically.
    public func read(appendingTo buffer: inout [UInt8], maximum: Int = 65536) throws(Errno) -> ReadResult {
        let fd = rawValue
        var result: ReadResult = .wouldBlock
        var failure: Errno?
        let chunk = [UInt8](unsafeUninitializedCapacity: maximum) { raw, initialized in
            initialized = 0
            do throws(Errno) {
                // non-nil base: capacity `maximum` > 0 was requested.
                if let n = try retryingEINTRNonBlocking({ Glibc.read(fd, raw.baseAddress!, maximum) }) {
                    result = n == 0 ? .endOfFile : .bytes(n)
                    initialized = n
                }
            } catch { failure = error }
        }
        if let failure { throw failure }
        buffer.append(contentsOf: chunk)
        return result
    }

    /// write(2) of as much of `bytes[offset...]` as the fd takes; returns the count (0 when it would block).
    public func write(_ bytes: [UInt8], from offset: Int = 0) throws(Errno) -> Int {
        guard offset < bytes.count else { return 0 }
        let fd = rawValue
        var failure: Errno?
        var written = 0
        bytes.withUnsafeBytes { raw in
            do throws(Errno) {
                // MSG_NOSIGNAL is for sockets only; SIGPIPE is blocked for the whole daemon instead.
                written = try retryingEINTRNonBlocking({ Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset) }) ?? 0
            } catch { failure = error }
        }
        if let failure { throw failure }
        return written
    }

    /// Opens `path` for appending (log files), CLOEXEC, optionally NONBLOCK.
    public static func openForAppend(_ path: String, nonBlocking: Bool = false) throws(Errno) -> FileDescriptor {
        let flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (nonBlocking ? O_NONBLOCK : 0)
        return FileDescriptor(owning: try retryingEINTR { Glibc.open(path, flags, 0o640) })
    }

    /// A non-blocking, CLOEXEC descriptor writing where the inherited `fd` (stderr) writes.
    ///
    /// O_NONBLOCK is a flag of the open file description, which stderr shares with the parent and with
    /// every child we spawn; setting it there would make their writes fail with EAGAIN. Opening
    /// `/proc/self/fd/N` makes a description of our own for a pipe, FIFO, terminal or file (O_APPEND, so a
    /// file is not overwritten from offset 0). A socket cannot be reopened that way (ENXIO): then a
    /// duplicate is made non-blocking, which the sharers see too. open(2), fcntl(2) F_DUPFD_CLOEXEC.
    public static func reopenNonBlocking(_ fd: Int32) throws(Errno) -> FileDescriptor {
        let flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NONBLOCK | O_NOCTTY
        if let own = try? retryingEINTR({ Glibc.open("/proc/self/fd/\(fd)", flags) }) {
            return FileDescriptor(owning: own)
        }
        let copy = FileDescriptor(owning: try retryingEINTR { fcntl(fd, F_DUPFD_CLOEXEC, 0) })
        try copy.setNonBlocking(true)
        return copy
    }

    /// Opens `path` read-only, CLOEXEC.
    public static func openForReading(_ path: String) throws(Errno) -> FileDescriptor {
        FileDescriptor(owning: try retryingEINTR { Glibc.open(path, O_RDONLY | O_CLOEXEC) })
    }

    /// A pipe: (read end, write end), both CLOEXEC, optionally NONBLOCK.
    public static func pipe(nonBlocking: Bool) throws(Errno) -> (read: FileDescriptor, write: FileDescriptor) {
        var fds: [Int32] = [-1, -1]
        _ = try retryingEINTR { fds.withUnsafeMutableBufferPointer { reactor_pipe2($0.baseAddress!, nonBlocking ? 1 : 0) } }
        return (FileDescriptor(owning: fds[0]), FileDescriptor(owning: fds[1]))
    }

    /// Sets or clears O_NONBLOCK.
    public func setNonBlocking(_ on: Bool) throws(Errno) {
        let fd = rawValue
        let flags = try retryingEINTR { fcntl(fd, F_GETFL) }
        _ = try retryingEINTR { fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) }
    }
}

/// Whole-file helpers for config and /proc reading (small files, blocking reads are fine there).
public enum FileSystem {
    /// The contents of `path`, read until end of file (procfs files report size 0, so stat(2) is not
    /// trusted), or its first `limit` bytes and a little more (one read's worth) when it is longer.
    public static func readFile(_ path: String, limit: Int = .max) throws(Errno) -> [UInt8] {
        let fd = try FileDescriptor.openForReading(path)
        defer { fd.close() }
        var buffer: [UInt8] = []
        while buffer.count < limit {
            switch try fd.read(appendingTo: &buffer, maximum: min(65536, max(limit - buffer.count, 1))) {
            case .endOfFile, .wouldBlock: return buffer
            case .bytes: continue
            }
        }
        return buffer
    }

    /// What `stat` says about a path, as far as the config layer cares.
    public struct FileInfo: Hashable, Sendable {
        public var isDirectory: Bool
        public var isRegularFile: Bool
        public var modificationSeconds: Int64
        public var modificationNanoseconds: Int64
        public var size: Int64
        /// The modification time in nanoseconds since the epoch.
        public var modification: Int64 { modificationSeconds * 1_000_000_000 + modificationNanoseconds }

        public init(isDirectory: Bool, isRegularFile: Bool, modificationSeconds: Int64, modificationNanoseconds: Int64, size: Int64) {
            self.isDirectory = isDirectory
            self.isRegularFile = isRegularFile
            self.modificationSeconds = modificationSeconds
            self.modificationNanoseconds = modificationNanoseconds
            self.size = size
        }
    }

    /// stat(2), following symlinks.
    public static func info(_ path: String) throws(Errno) -> FileInfo {
        var st = stat()
        _ = try retryingEINTR { stat(path, &st) }
        let mode = st.st_mode & S_IFMT
        return FileInfo(
            isDirectory: mode == S_IFDIR, isRegularFile: mode == S_IFREG,
            modificationSeconds: Int64(st.st_mtim.tv_sec), modificationNanoseconds: Int64(st.st_mtim.tv_nsec),
            size: Int64(st.st_size))
    }

    /// The names in a directory (without `.` and `..`), unsorted.
    public static func listDirectory(_ path: String) throws(Errno) -> [String] {
        guard let dir = opendir(path) else { throw Errno.current }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Whether `fd` is a terminal.
    public static func isTerminal(_ fd: Int32) -> Bool { reactor_isatty(fd) == 1 }
}
