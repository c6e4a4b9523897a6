import ReactorCore

/// systemd's manager signals built as plain values, the inverse of `SystemdUnitDecoder`: what the virtual
/// bus carries when a test or the HA lab's systemd model speaks for systemd, shaped as systemd sends them
/// (the e2e test's fake manager on a real bus sends the same).
public enum SystemdSignals {
    /// systemd's bus name, and the sender of its signals on a bus.
    public static let destination = "org.freedesktop.systemd1"
    public static let managerPath = "/org/freedesktop/systemd1"
    public static let managerInterface = "org.freedesktop.systemd1.Manager"

    /// `JobRemoved(u id, o job, s unit, s result)`: a job of `unit` finished with `result` (`done`,
    /// `failed`, `dependency`, ...).
    public static func jobRemoved(id: UInt32, unit: String, result: String) -> BusMessage {
        BusMessage(
            sender: destination, path: managerPath, interface: managerInterface, member: "JobRemoved",
            arguments: [.integer(UInt64(id)), .string("\(managerPath)/job/\(id)"), .string(unit), .string(result)])
    }

    /// A unit's change as systemd sends it: with a `result`, first `PropertiesChanged` of its type's
    /// interface (`org.freedesktop.systemd1.Service` for a service) carrying `Result`, then always that of
    /// `org.freedesktop.systemd1.Unit` carrying `ActiveState` and `SubState`.
    public static func unitChanged(_ unit: String, activeState: String, subState: String, result: String? = nil) -> [BusMessage] {
        let path = unitPath(unit)
        var out: [BusMessage] = []
        if let result, let type = unit.split(separator: ".").last {
            out.append(propertiesChanged(path, "org.freedesktop.systemd1.\(type.prefix(1).uppercased())\(type.dropFirst())", ["Result": result]))
        }
        out.append(propertiesChanged(path, SystemdUnitDecoder.unitInterface, ["ActiveState": activeState, "SubState": subState]))
        return out
    }

    /// The object path of `unit`: every byte but `[A-Za-z0-9]` of its name escaped as `_xx`.
    public static func unitPath(_ unit: String) -> String {
        var label = ""
        for b in unit.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                label.append(Character(UnicodeScalar(b)))
            default:
                label += "_" + (b < 16 ? "0" : "") + String(b, radix: 16)
            }
        }
        return SystemdUnitDecoder.unitPathPrefix + label
    }

    private static func propertiesChanged(_ path: String, _ interface: String, _ changed: KeyValuePairs<String, String>) -> BusMessage {
        BusMessage(
            sender: destination, path: path, interface: "org.freedesktop.DBus.Properties", member: "PropertiesChanged",
            arguments: [
                .string(interface), .array(changed.map { .structure([.string($0.key), .variant(.string($0.value))]) }), .array([]),
            ])
    }
}
