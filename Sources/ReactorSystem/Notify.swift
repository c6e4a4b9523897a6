import CEpoll
import CSystemd
import Glibc
import ReactorCore

/// The daemon's side of the systemd notify protocol, through libsystemd's sd_notify(3) family.
///
/// Design note: libsystemd reads `NOTIFY_SOCKET` at every call, so the variable stays in the daemon's
/// environment; children never see it because every spawn gets `ChildProcess.inheritedEnvironment()`,
/// which drops `NOTIFY_SOCKET`, `WATCHDOG_*` and `LISTEN_*`. Each message is one datagram (sd_pid_notify
/// opens a socket per call); a failure is reported to the caller, which logs it; it never stops the daemon.
/// The file descriptor store (`FDSTORE=1`) is how listening sockets survive a daemon restart: systemd keeps
/// a copy and passes it back through `LISTEN_FDS` (see `ListenFDs`).
public final class Notifier {
    /// The watchdog interval systemd asked for (`WatchdogSec=`), if any: sd_watchdog_enabled(3).
    public let watchdogInterval: Duration?
    /// Whether systemd listens at all (`NOTIFY_SOCKET` set and not empty, as for sd_notify(3)).
    public let isActive: Bool

    /// Reads the watchdog period (sd_watchdog_enabled(3), which also checks `WATCHDOG_PID`).
    public init() {
        var usec: UInt64 = 0
        watchdogInterval = sd_watchdog_enabled(0, &usec) > 0 && usec < UInt64(Int64.max) ? .microseconds(Int64(usec)) : nil
        isActive = getenv("NOTIFY_SOCKET").map { $0.pointee != 0 } ?? false
    }

    /// Sends one notify message (newline-separated `KEY=value` assignments). sd_pid_notify(3).
    public func send(_ message: String) throws(Errno) {
        guard isActive else { return }
        let rc = sd_pid_notify(0, 0, message)
        if rc < 0 { throw Errno(-rc) }
    }

    /// Hands a copy of `fd` to systemd's file descriptor store under `name` (`FDSTORE=1`), so that it is
    /// passed back when the daemon starts again. Needs `FileDescriptorStoreMax=` in the unit; without it
    /// systemd drops the copy, which is harmless. sd_pid_notify_with_fds(3).
    public func store(_ fd: FileDescriptor, name: String) throws(Errno) {
        guard isActive else { return }
        var raw = fd.rawValue
        let rc = sd_pid_notify_with_fds(0, 0, "FDSTORE=1\nFDNAME=\(name)", &raw, 1)
        if rc < 0 { throw Errno(-rc) }
    }

    /// Removes every descriptor stored under `name` (`FDSTOREREMOVE=1`).
    public func removeStored(name: String) throws(Errno) {
        try send("FDSTOREREMOVE=1\nFDNAME=\(name)")
    }
}
