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

    /// posix_spawnp(argv[0] searched in the `PATH` of `environment`... of the daemon) + pidfd_open.
    /// Uncaptured streams are /dev/null (unless `inheritOthers`), so a child never writes into the daemon's own stdout.
    public static func spawn(argv: [String], environment: [String], stdio: Stdio) throws(Errno) -> ChildProcess {
        precondition(!argv.isEmpty, "spawn needs a program")
        var inPipe: (read: FileDescriptor, write: FileDescriptor)?
        var outPipe: (read: FileDescriptor, write: FileDescriptor)?
        var errPipe: (read: FileDescriptor, write: FileDescriptor)?
        if stdio.pipeStdin { inPipe = try FileDescriptor.pipe(nonBlocking: false) }
        if stdio.captureStdout { outPipe = try FileDescriptor.pipe(nonBlocking: false) }
        if stdio.captureStderr { errPipe = try FileDescriptor.pipe(nonBlocking: false) }
        func other(_ own: Int32) -> Int32 { stdio.inheritOthers ? own : -1 }

        let launched: Result<pid_t, Errno> = launch(
            argv: argv, environment: environment,
            fds: (inPipe?.read.rawValue ?? other(0), outPipe?.write.rawValue ?? other(1), errPipe?.write.rawValue ?? other(2)))
        inPipe?.read.close()
        outPipe?.write.close()
        errPipe?.write.close()
        let pid = try launched.get()
        // pidfd_open cannot race with reaping: nobody else waits for our children (SIGCHLD is blocked).
        let pidfdRaw: Int32
        do { pidfdRaw = try retryingEINTR { reactor_pidfd_open(pid) } } catch {
            _ = kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            throw error
        }
        let child = ChildProcess(pid: pid, pidfd: FileDescriptor(owning: pidfdRaw))
        if let p = inPipe { try p.write.setNonBlocking(true); child.stdin = p.write }
        if let p = outPipe { try p.read.setNonBlocking(true); child.stdout = p.read }
        if let p = errPipe { try p.read.setNonBlocking(true); child.stderr = p.read }
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
        exit = code == 1 ? .exited(status) : .signaled(status)
        return exit
    }

    /// pidfd_send_signal: race-free even if the pid was reused. ESRCH (already gone) is not an error.
    public func send(signal: Int32) throws(Errno) {
        guard exit == nil else { return }
        let f = pidfd.rawValue
        do { _ = try retryingEINTR { reactor_pidfd_send_signal(f, signal) } } catch {
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
