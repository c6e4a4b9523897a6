import CEpoll
import Glibc
import ReactorCore

/// A child process started with posix_spawn and watched through a pidfd.
///
/// Ownership: the pidfd and the parent's ends of the pipes belong to this object; the child's ends are
/// closed right after the spawn. The child gets default signal dispositions and an empty signal mask
/// (the daemon blocks signals for its signalfd; children must not inherit that).
public final class ChildProcess {
    public let pid: Int32
    public let pidfd: FileDescriptor
    /// Write end of the child's stdin, when requested.
    public var stdin: FileDescriptor?
    /// Read ends of the child's stdout/stderr, when captured (non-blocking).
    public var stdout: FileDescriptor?
    public var stderr: FileDescriptor?
    public private(set) var exit: ChildExit?

    init(pid: Int32, pidfd: FileDescriptor) {
        self.pid = pid
        self.pidfd = pidfd
    }

    /// The fds are this object's (the loop reads and closes them while it watches the child, which
    /// keeps this object alive): whatever is still open goes with it.
    deinit {
        for fd in [pidfd, stdin, stdout, stderr] { fd?.close() }
    }

    /// What to connect to the child's standard streams.
    public struct Stdio: Sendable {
        public var pipeStdin: Bool
        public var captureStdout: Bool
        public var captureStderr: Bool
        /// Streams that are neither piped nor captured are the caller's own (ocf-rs-wrapper's agent writes
        /// straight to the unit's journal) instead of /dev/null.
        public var inheritOthers: Bool
        public init(pipeStdin: Bool = false, captureStdout: Bool = true, captureStderr: Bool = true, inheritOthers: Bool = false) {
            self.pipeStdin = pipeStdin
            self.captureStdout = captureStdout
            self.captureStderr = captureStderr
            self.inheritOthers = inheritOthers
        }
    }

    /// posix_spawnp(3) + pidfd_open(2). argv[0] without a slash is searched in the daemon's own `PATH`
    /// (posix_spawnp looks at the caller's environment, not at `environment`, which is the child's).
    /// Uncaptured streams are /dev/null (unless `inheritOthers`), so a child never writes into the daemon's own stdout.
    public static func spawn(argv: [String], environment: [String], stdio: Stdio) throws(Errno) -> ChildProcess {
        precondition(!argv.isEmpty, "spawn needs a program")
        var inPipe: (read: FileDescriptor, write: FileDescriptor)?
        var outPipe: (read: FileDescriptor, write: FileDescriptor)?
        var errPipe: (read: FileDescriptor, write: FileDescriptor)?
        // Whatever fails, no fd made here outlives the call except those handed to the child object.
        func made() -> [FileDescriptor] { [inPipe, outPipe, errPipe].compactMap { $0 }.flatMap { [$0.read, $0.write] } }
        do throws(Errno) {
            // The parent's ends are non-blocking from the start (a pipe's ends are separate open file
            // descriptions: the child's stays blocking), so nothing can fail after the child exists.
            if stdio.pipeStdin { inPipe = try FileDescriptor.pipe(nonBlocking: false); try inPipe?.write.setNonBlocking(true) }
            if stdio.captureStdout { outPipe = try FileDescriptor.pipe(nonBlocking: false); try outPipe?.read.setNonBlocking(true) }
            if stdio.captureStderr { errPipe = try FileDescriptor.pipe(nonBlocking: false); try errPipe?.read.setNonBlocking(true) }
        } catch {
            for fd in made() { fd.close() }
            throw error
        }
        func other(_ own: Int32) -> Int32 { stdio.inheritOthers ? own : -1 }

        let launched: Result<pid_t, Errno> = launch(
            argv: argv, environment: environment,
            fds: (inPipe?.read.rawValue ?? other(0), outPipe?.write.rawValue ?? other(1), errPipe?.write.rawValue ?? other(2)))
        inPipe?.read.close()
        outPipe?.write.close()
        errPipe?.write.close()
        // pidfd_open cannot race with reaping: the pid stays ours (a zombie at worst) until it is reaped,
        // and nothing else reaps our children (SIGCHLD keeps its default disposition, so the kernel does
        // not reap them on its own, and no code calls wait() for any child but its own pid).
        let pidfd: FileDescriptor
        do throws(Errno) {
            let pid = try launched.get()
            do { pidfd = FileDescriptor(owning: try retryingEINTR { reactor_pidfd_open(pid) }) } catch {
                _ = kill(pid, Signal.kill.rawValue)
                var status: Int32 = 0
                _ = waitpid(pid, &status, 0)
                throw error
            }
        } catch {
            for fd in made() { fd.close() }
            throw error
        }
        let child = ChildProcess(pid: try launched.get(), pidfd: pidfd)
        child.stdin = inPipe?.write
        child.stdout = outPipe?.read
        child.stderr = errPipe?.read
        return child
    }

    /// posix_spawnp(3) of `argv` with `fds` as the child's stdin, stdout and stderr (-1: /dev/null; 0, 1
    /// or 2: the caller's own stream). The caller closes its copies of the child's ends afterwards.
    static func launch(argv: [String], environment: [String], fds: (Int32, Int32, Int32)) -> Result<pid_t, Errno> {
        var pid: pid_t = 0
        let rc = withCStrings(argv) { cargv in
            withCStrings(environment) { cenv in reactor_spawn(&pid, argv[0], cargv, cenv, fds.0, fds.1, fds.2, 1) }
        }
        return rc == 0 ? .success(pid) : .failure(Errno(rc))
    }

    /// waitid(P_PIDFD, WNOHANG): the exit status once the child has ended (reaps it), else nil.
    public func reap() throws(Errno) -> ChildExit? {
        if let exit { return exit }
        var code: Int32 = 0
        var status: Int32 = 0
        let f = pidfd.rawValue
        let r = try retryingEINTR { reactor_pidfd_reap(f, &code, &status) }
        guard r == 1 else { return nil }
        exit = code == 1 ? .exited(status) : .signaled(Signal(rawValue: status))
        return exit
    }

    /// pidfd_send_signal: race-free even if the pid was reused. ESRCH (already gone) is not an error.
    public func send(signal: Signal) throws(Errno) {
        guard exit == nil else { return }
        let f = pidfd.rawValue
        do { _ = try retryingEINTR { reactor_pidfd_send_signal(f, signal.rawValue) } } catch {
            if error != .noProcess { throw error }
        }
    }

    /// The daemon's environment without the variables that belong to the daemon's own systemd
    /// relationship (`NOTIFY_SOCKET`, `WATCHDOG_*`, `LISTEN_*`): children never inherit those.
    public static func inheritedEnvironment() -> [String] {
        var out: [String] = []
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if !(s.hasPrefix("NOTIFY_SOCKET=") || s.hasPrefix("WATCHDOG_") || s.hasPrefix("LISTEN_")) {
                out.append(s)
            }
            p += 1
        }
        return out
    }
}

/// Calls `body` with a NULL-terminated C array of the strings; the pointers live only during the call.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var cstrings: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    cstrings.append(nil)
    defer { for p in cstrings { free(p) } }
    return cstrings.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// The process environment, read once by the executable (the only place that reads it).
public enum ProcessEnvironment {
    public static func get(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
    public static func unset(_ name: String) { unsetenv(name) }
    public static func pid() -> Int32 { getpid() }
}
