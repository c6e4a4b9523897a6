import ReactorCore
import ReactorPromoter

/// Turns systemd's signals, as plain `BusMessage`s (from sd-bus, or the virtual bus), into
/// `SystemdUnitEvent`s for the promoters.
///
/// Two signals matter: the manager's `JobRemoved(u id, o job, s unit, s result)` and
/// `PropertiesChanged(s interface, a{sv} changed, as invalidated)` of a unit object
/// (`/org/freedesktop/systemd1/unit/<escaped name>`). systemd sends a unit's change as two signals, first
/// for its type's interface (`org.freedesktop.systemd1.Service` with `Result`), then for
/// `org.freedesktop.systemd1.Unit` (with `ActiveState`, `SubState`), so that clients can put them
/// together: the `Result` is kept until that unit's `Unit` change, which carries it. Plain Swift, tested
/// without a bus.
struct SystemdUnitDecoder {
    static let unitPathPrefix = "/org/freedesktop/systemd1/unit/"
    static let unitInterface = "org.freedesktop.systemd1.Unit"
    /// At most this many units' results wait for their `Unit` change (systemd always sends it right
    /// after; the bound is for a peer that does not).
    static let pendingResultLimit = 1024

    private var results: [String: String] = [:]

    /// The event a message means, if any.
    mutating func decode(_ message: BusMessage) -> SystemdUnitEvent? {
        switch message.member {
        case "JobRemoved":
            let a = message.arguments
            guard a.count == 4, let unit = a[2].string, let result = a[3].string else { return nil }
            return .jobRemoved(unit: unit, result: result)
        case "PropertiesChanged":
            guard let path = message.path, let unit = Self.unitName(path: path), message.arguments.count >= 2,
                let interface = message.arguments[0].string
            else { return nil }
            let changed = message.arguments[1].dictionary
            if interface == Self.unitInterface {
                guard let active = changed["ActiveState"]?.string else { return nil }
                return .unitState(
                    unit: unit, activeState: active, subState: changed["SubState"]?.string ?? "", result: results.removeValue(forKey: unit))
            }
            if let result = changed["Result"]?.string {
                if results.count >= Self.pendingResultLimit && results[unit] == nil { results.removeAll() }
                results[unit] = result
            }
            return nil
        default:
            return nil
        }
    }

    /// The unit name of a unit object path: D-Bus object path labels escape every byte but `[A-Za-z0-9]`
    /// as `_xx` (two lower-case hex digits), so `drbd_2dpromote_40r0_2eservice` is `drbd-promote@r0.service`.
    static func unitName(path: String) -> String? {
        guard path.hasPrefix(unitPathPrefix) else { return nil }
        let label = Array(path.utf8.dropFirst(unitPathPrefix.utf8.count))
        guard !label.isEmpty, !label.contains(UInt8(ascii: "/")) else { return nil }
        var bytes: [UInt8] = []
        var i = 0
        while i < label.count {
            if label[i] == UInt8(ascii: "_") {
                guard i + 2 < label.count, let hi = hexValue(label[i + 1]), let lo = hexValue(label[i + 2]) else { return nil }
                bytes.append(hi << 4 | lo)
                i += 3
            } else {
                bytes.append(label[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
