import ReactorSystem

/// The daemon's side of the service manager, as the daemon uses it: `Notifier` (libsystemd's
/// sd_notify family) in production, a recorder in the tests that run the daemon on virtual time.
public protocol ServiceNotifier: AnyObject {
    /// The watchdog interval the manager asked for (`WatchdogSec=`), if any.
    var watchdogInterval: Duration? { get }
    /// Sends one notify message (newline-separated `KEY=value` assignments).
    func send(_ message: String) throws(Errno)
    /// Hands a copy of `fd` to the manager's file descriptor store under `name`.
    func store(_ fd: FileDescriptor, name: String) throws(Errno)
    /// Removes every descriptor stored under `name`.
    func removeStored(name: String) throws(Errno)
}

extension Notifier: ServiceNotifier {}
