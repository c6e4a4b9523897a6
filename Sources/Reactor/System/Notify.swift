import CEpoll
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

    /// Reads and unsets `NOTIFY_SOCKET`, `WATCHDOG_USEC`, `WATCHDOG_PID`.
    public init() {
        let variable = { (name: String) in getenv(name).map { String(cString: $0) } }
        watchdogInterval = Self.watchdogInterval(usec: variable("WATCHDOG_USEC"), pid: variable("WATCHDOG_PID"),
                                                 ownPid: Int64(getpid()))
        // An empty NOTIFY_SOCKET means no listener, as for sd_notify(3).
        let path = variable("NOTIFY_SOCKET").flatMap { $0.isEmpty ? nil : $0 }
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] { unsetenv(name) }
        socketPath = path
        if path != nil, let raw = try? retryingEINTR({ reactor_socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue)) }) {
            fd = FileDescriptor(owning: raw)
        } else {
            fd = nil
        }
    }

    /// The watchdog interval the variables ask for, by sd_watchdog_enabled(3)'s rules: `WATCHDOG_USEC` a
    /// positive number of microseconds and, when `WATCHDOG_PID` is set, it names this process.
    static func watchdogInterval(usec: String?, pid: String?, ownPid: Int64) -> Duration? {
        guard let usec, let micros = UInt64(usec), micros > 0, micros < UInt64(Int64.max) else { return nil }
        if let pid, Int64(pid) != ownPid { return nil }
        return .microseconds(Int64(micros))
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
