import CEpoll
import CSystemd
import Glibc

/// The daemon's side of the systemd notify protocol.
///
/// `NOTIFY_SOCKET` and the watchdog variables are read once at start and removed from the environment,
/// so no child (drbdsetup, umh scripts) can ever talk to systemd on the daemon's behalf. Messages go
/// out as datagrams on an unbound AF_UNIX socket, like sd_notify(3) does; a send failure is reported
/// to the caller, which logs it; it never stops the daemon.
public final class Notifier {
    private let socketPath: String?
    private let fd: FileDescriptor?
    /// The watchdog interval systemd asked for (`WatchdogSec=`), if any.
    public let watchdogInterval: Duration?

    /// Reads and unsets `NOTIFY_SOCKET`, `WATCHDOG_USEC`, `WATCHDOG_PID` (sd_watchdog_enabled does the latter two).
    public init() {
        var usec: UInt64 = 0
        let enabled = sd_watchdog_enabled(1, &usec)
        watchdogInterval = enabled > 0 && usec > 0 ? .microseconds(Int64(usec)) : nil
        let path = getenv("NOTIFY_SOCKET").map { String(cString: $0) }
        unsetenv("NOTIFY_SOCKET")
        socketPath = path
        if path != nil, let raw = try? retryingEINTR({ reactor_socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue)) }) {
            fd = FileDescriptor(owning: raw)
        } else {
            fd = nil
        }
    }

    /// Whether systemd listens at all.
    public var isActive: Bool { fd != nil }

    /// Sends one notify message (newline-separated `KEY=value` assignments).
    public func send(_ message: String) throws(Errno) {
        guard let fd, let socketPath else { return }
        var (sun, length) = try Socket.unixAddress(socketPath)
        let bytes = Array(message.utf8)
        let raw = fd.rawValue
        try Socket.asSockaddr(&sun, length: length) { (sa, len) throws(Errno) in
            _ = try retryingEINTR {
                bytes.withUnsafeBytes { b in sendto(raw, b.baseAddress, b.count, Int32(MSG_NOSIGNAL), sa, len) }
            }
        }
    }
}

/// CLOCK_MONOTONIC in microseconds, for `MONOTONIC_USEC=` in RELOADING=1 messages.
public func monotonicMicroseconds() -> UInt64 { reactor_monotonic_ns() / 1000 }
