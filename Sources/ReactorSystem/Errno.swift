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

    public var description: String { String(cString: strerror(rawValue)) }

    /// The calling thread's current errno.
    static var current: Errno { Errno(errno) }
}

/// Runs a system call that returns -1 and sets errno on failure, retrying EINTR.
/// The one errno path of the daemon: every wrapper goes through here (except `close`, never retried).
@inline(__always)
func retryingEINTR<T: BinaryInteger>(_ call: () -> T) throws(Errno) -> T {
    while true {
        let r = call()
        if r != -1 { return r }
        let e = Errno.current
        if e == .interrupted { continue }
        throw e
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
