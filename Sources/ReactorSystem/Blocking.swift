import CEpoll
import Glibc
import ReactorCore

/// Blocking process and file helpers for command-line tools (drbd-reactorctl). The daemon never uses
/// them: it has its loop, and nothing there may block.
///
/// Ownership: the pipes of a `run` belong to it and are closed before it returns; the child is always
/// reaped before `run` returns, so no zombie survives a call.
public enum Blocking {
    /// Where one standard stream of a child goes.
    public enum Stream: Sendable, Hashable {
        /// /dev/null.
        case null
        /// The caller's own stream (a terminal for an editor, stdout for `cat`).
        case inherit
        /// A pipe whose contents `run` returns.
        case capture
    }

    /// How a program ended and what it wrote to the captured streams.
    public struct Outcome: Sendable, Hashable {
        public var exit: ChildExit
        public var stdout: [UInt8]
        public var stderr: [UInt8]

        public init(exit: ChildExit, stdout: [UInt8] = [], stderr: [UInt8] = []) {
            self.exit = exit
            self.stdout = stdout
            self.stderr = stderr
        }
    }

    /// Runs `argv` (argv[0] looked up in `PATH`) to completion. Throws only when it cannot be started
    /// (e.g. `ENOENT`: no such program); a non-zero exit is an outcome.
    public static func run(
        _ argv: [String], environment: [String], stdin: Stream = .null, stdout: Stream = .capture, stderr: Stream = .inherit
    ) throws(Errno) -> Outcome {
        try runAll([argv], environment: environment, stdin: stdin, stdout: stdout, stderr: stderr)[0].get()
    }

    /// Runs every command of `argvs` at the same time (drbd-reactorctl's nodes of a cluster context) and
    /// waits for all of them; the outcomes in the order of `argvs`, a command that could not be started
    /// as its error. The captured pipes of all children are read together (poll(2)), so no child blocks
    /// on a full pipe while another is read.
    public static func runAll(
        _ argvs: [[String]], environment: [String], stdin: Stream = .null, stdout: Stream = .capture, stderr: Stream = .inherit
    ) throws(Errno) -> [Result<Outcome, Errno>] {
        func fd(_ s: Stream, _ own: Int32, _ pipe: (read: FileDescriptor, write: FileDescriptor)?) -> Int32 {
            switch s {
            case .null: -1
            case .inherit: own
            case .capture: pipe?.write.rawValue ?? -1
            }
        }
        var pids: [Result<pid_t, Errno>] = []
        var readEnds: [FileDescriptor?] = []  // two per command: stdout, stderr
        for argv in argvs {
            let outPipe = stdout == .capture ? try FileDescriptor.pipe(nonBlocking: false) : nil
            let errPipe = stderr == .capture ? try FileDescriptor.pipe(nonBlocking: false) : nil
            let launched = ChildProcess.launch(
                argv: argv, environment: environment, fds: (fd(stdin, 0, nil), fd(stdout, 1, outPipe), fd(stderr, 2, errPipe)))
            outPipe?.write.close()
            errPipe?.write.close()
            if case .failure = launched {
                outPipe?.read.close()
                errPipe?.read.close()
                readEnds += [nil, nil]
            } else {
                readEnds += [outPipe?.read, errPipe?.read]
            }
            pids.append(launched)
        }
        let buffers = drain(readEnds)
        for f in readEnds { f?.close() }
        var outcomes: [Result<Outcome, Errno>] = []
        for (i, launched) in pids.enumerated() {
            switch launched {
            case .failure(let e): outcomes.append(.failure(e))
            case .success(let pid):
                do { outcomes.append(.success(Outcome(exit: try wait(pid), stdout: buffers[2 * i], stderr: buffers[2 * i + 1]))) } catch {
                    outcomes.append(.failure(error))
                }
            }
        }
        return outcomes
    }

    /// Reads all pipes until each reached end of file (poll(2), so a child filling one pipe while we
    /// read another cannot deadlock).
    static func drain(_ fds: [FileDescriptor?]) -> [[UInt8]] {
        var buffers: [[UInt8]] = Array(repeating: [], count: fds.count)
        var open = fds
        while open.contains(where: { $0 != nil }) {
            var polled = open.map { pollfd(fd: $0?.rawValue ?? -1, events: Int16(POLLIN), revents: 0) }
            let n = polled.withUnsafeMutableBufferPointer { Glibc.poll($0.baseAddress!, nfds_t($0.count), -1) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            for i in polled.indices where polled[i].revents != 0 {
                guard let f = open[i] else { continue }
                let result = (try? f.read(appendingTo: &buffers[i])) ?? .endOfFile
                if result == .endOfFile { open[i] = nil }
            }
        }
        return buffers
    }

    /// waitpid(2) until `pid` has ended.
    static func wait(_ pid: pid_t) throws(Errno) -> ChildExit {
        var status: Int32 = 0
        _ = try retryingEINTR { waitpid(pid, &status, 0) }
        return reactor_wifexited(status) != 0 ? .exited(reactor_wexitstatus(status)) : .signaled(reactor_wtermsig(status))
    }

    /// poll(2) for `fd` to become readable; false when `milliseconds` passed first (or on EINTR).
    public static func waitReadable(_ fd: FileDescriptor, milliseconds: Int32) -> Bool {
        wait(fd, events: Int16(POLLIN), milliseconds: milliseconds)
    }

    /// poll(2) for any of `fds` to become readable (or hung up); the indices of those that are, empty
    /// when `milliseconds` passed first (or on EINTR).
    public static func readable(_ fds: [FileDescriptor], milliseconds: Int32) -> [Int] {
        var polled = fds.map { pollfd(fd: $0.rawValue, events: Int16(POLLIN), revents: 0) }
        let n = polled.withUnsafeMutableBufferPointer { Glibc.poll($0.baseAddress, nfds_t($0.count), milliseconds) }
        guard n > 0 else { return [] }
        return polled.indices.filter { polled[$0].revents != 0 }
    }

    static func wait(_ fd: FileDescriptor, events: Int16, milliseconds: Int32) -> Bool {
        var p = pollfd(fd: fd.rawValue, events: events, revents: 0)
        return Glibc.poll(&p, 1, milliseconds) > 0
    }

    /// Whether a TCP connection to `address` is accepted within `milliseconds`; nil on success, else why not.
    public static func probeConnect(_ address: Socket.Address, milliseconds: Int32) -> Errno? {
        let fd: FileDescriptor
        do { fd = try Socket.connect(address) } catch { return error }
        defer { fd.close() }
        guard wait(fd, events: Int16(POLLOUT), milliseconds: milliseconds) else { return Errno(ETIMEDOUT) }
        return Socket.pendingError(fd)
    }

    /// rename(2).
    public static func rename(_ from: String, to: String) throws(Errno) {
        _ = try retryingEINTR { Glibc.rename(from, to) }
    }

    /// unlink(2); unlike `FileSystem.remove`, a missing file is an error (the caller reports it).
    public static func unlink(_ path: String) throws(Errno) {
        _ = try retryingEINTR { Glibc.unlink(path) }
    }

    /// lstat(2) existence: true for anything at `path`, including a dangling symlink.
    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// Creates a new file `<directory>/<prefix>XXXXXX<suffix>` (mkstemps(3), mode 0600) holding `contents`
    /// and returns its path.
    public static func createTemporaryFile(directory: String, prefix: String, suffix: String, contents: String) throws(Errno) -> String {
        var template = Array((directory + "/" + prefix + "XXXXXX" + suffix).utf8CString)
        let raw = try retryingEINTR { template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, Int32(suffix.utf8.count)) } }
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        try write(FileDescriptor(owning: raw), contents, path: path)
        return path
    }

    /// Replaces the contents of the existing file `path` (O_TRUNC).
    public static func overwrite(_ path: String, _ contents: String) throws(Errno) {
        let raw = try retryingEINTR { Glibc.open(path, O_WRONLY | O_TRUNC | O_CLOEXEC) }
        try write(FileDescriptor(owning: raw), contents, path: path)
    }

    private static func write(_ fd: FileDescriptor, _ contents: String, path: String) throws(Errno) {
        defer { fd.close() }
        let bytes = Array(contents.utf8)
        var offset = 0
        while offset < bytes.count { offset += try fd.write(bytes, from: offset) }
    }

    /// Sleeps `milliseconds` (nanosleep(2)); returns early on a signal.
    public static func sleep(milliseconds: Int) {
        var ts = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        _ = nanosleep(&ts, nil)
    }
}
