/// Where a D-Bus connection to systemd goes. Plain value, so both loop backends (sd-bus, and the
/// virtual bus of the tests) are asked for the same thing.
public enum BusEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// The system bus: systemd answers through dbus-daemon or dbus-broker.
    case system
    /// systemd's private socket (root only; works without a bus daemon): a direct connection to PID 1,
    /// no `Hello`, no bus names, so messages carry no sender.
    case systemdPrivate
    /// A bus daemon at this D-Bus address (`unix:path=...`), as a bus client (tests).
    case bus(String)

    /// The path of systemd's private socket.
    public static let systemdPrivatePath = "/run/systemd/private"

    public var description: String {
        switch self {
        case .system: "the system bus"
        case .systemdPrivate: "systemd's private socket \(Self.systemdPrivatePath)"
        case .bus(let address): "the bus at '\(address)'"
        }
    }
}
