import CEpoll
import Glibc
import ReactorCore

/// A failed system call's `errno`, typed. Low layers throw it; the caller that decides logs it once.
public struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    public static let wouldBlock = Errno(EAGAIN)
    public static let interrupted = Errno(EINTR)
    public static let noEntry = Errno(ENOENT)
    public static let inProgress = Errno(EINPROGRESS)
    public static let brokenPipe = Errno(EPIPE)
    public static let connectionReset = Errno(ECONNRESET)
    public static let addressFamilyNotSupported = Errno(EAFNOSUPPORT)
    public static let addressInUse = Errno(EADDRINUSE)
    public static let noChild = Errno(ECHILD)
    public static let noProcess = Errno(ESRCH)
    public static let notADirectory = Errno(ENOTDIR)
    public static let isADirectory = Errno(EISDIR)
    public static let permissionDenied = Errno(EACCES)
    /// open(2) of a unix socket's file.
    public static let noDeviceOrAddress = Errno(ENXIO)

    public var description: String { String(cString: strerror(rawValue)) }

    /// The calling thread's current errno.
    static var current: Errno { Errno(errno) }
}

/// Makes one system call that returns -1 and sets errno on failure: its result, or the errno it set, read
/// right after the call (before anything else can change it). No retry: the base of `retryingEINTR`, and
/// for the one caller to whom EINTR means something of its own (`Epoll.wait` returns to the loop).
@inline(__always)
func systemCall<T: BinaryInteger>(_ call: () -> T) -> Result<T, Errno> {
    let r = call()
    return r == -1 ? .failure(.current) : .success(r)
}

/// Runs a system call that returns -1 and sets errno on failure, retrying EINTR.
/// The one errno path of the daemon: every wrapper goes through here (except `close`, never retried).
@inline(__always)
func retryingEINTR<T: BinaryInteger>(_ call: () -> T) throws(Errno) -> T {
    while true {
        switch systemCall(call) {
        case .success(let r): return r
        case .failure(let e) where e == .interrupted: continue
        case .failure(let e): throw e
        }
    }
}

/// Like `retryingEINTR`, but EAGAIN/EWOULDBLOCK becomes nil: on a non-blocking fd that is a value.
@inline(__always)
func retryingEINTRNonBlocking<T: BinaryInteger>(_ call: () -> T) throws(Errno) -> T? {
    do {
        return try retryingEINTR(call)
    } catch {
        if error == .wouldBlock || error.rawValue == EWOULDBLOCK { return nil }
        throw error
    }
}
