/// A signal, by name: what the daemon handles (hang-up reloads, terminate and interrupt stop, user1
/// dumps the configuration), what it sends its children (terminate, then kill), and what a child died
/// of (`ChildExit.signaled`).
///
/// The layers above System import no C, so the numbers are written here: they are Linux's generic ones,
/// the same on x86_64 and aarch64 (the System layer's tests check each against Glibc's `SIG*`).
/// A signal without a name here (a child that crashed with SIGSEGV) is still a `Signal`, by number.
public struct Signal: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// SIGHUP: reload.
    public static let hangup = Signal(rawValue: 1)
    /// SIGINT: stop (Ctrl-C).
    public static let interrupt = Signal(rawValue: 2)
    /// SIGKILL: ends a child that did not end on `terminate`; cannot be caught.
    public static let kill = Signal(rawValue: 9)
    /// SIGUSR1: log the effective configuration.
    public static let user1 = Signal(rawValue: 10)
    /// SIGTERM: stop (systemd's stop, and what children are sent first).
    public static let terminate = Signal(rawValue: 15)
    /// SIGCHLD.
    public static let child = Signal(rawValue: 17)

    /// The number, as logs and 1.x's messages show it (`killed by signal 9`).
    public var description: String { "\(rawValue)" }
}
