/// The two escapings the promoter's generated units need, byte for byte as drbd-reactor 1.x does them.
public enum SystemdEscape {
    /// `systemd-escape` for a unit name instance: `/` becomes `-`, `[A-Za-z0-9:_]` and `.` (except as the
    /// first character) stay, every other byte becomes `\xhh` (`res-1` -> `res\x2d1`).
    public static func unitName(_ name: String) -> String {
        var out = ""
        for (i, b) in name.utf8.enumerated() {
            if b == UInt8(ascii: "/") {
                out += "-"
            } else if isWordByte(b) || (b == UInt8(ascii: ".") && i > 0) {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                out += hex(b)
            }
        }
        return out
    }

    /// An `Environment=` value that even old systemd reads back unchanged: `[A-Za-z0-9._:/]` stay, every
    /// other byte becomes `\xhh` (a space is `\x20`, `*` is `\x2a`).
    public static func environmentValue(_ value: String) -> String {
        var out = ""
        for b in value.utf8 {
            if isWordByte(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "/") {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                out += hex(b)
            }
        }
        return out
    }

    /// `drbd-services@<escaped name>.target`, the unit that carries a resource's services.
    public static func servicesTarget(_ resource: String) -> String { "drbd-services@\(unitName(resource)).target" }

    /// `[A-Za-z0-9:_]`.
    private static func isWordByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == UInt8(ascii: ":")
            || b == UInt8(ascii: "_")
    }

    private static func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return "\\x" + String(digits[Int(b >> 4)]) + String(digits[Int(b & 0xf)])
    }
}
