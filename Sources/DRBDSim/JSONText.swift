/// A small JSON value that renders itself, for `status --json`, `show --json` and the harness's
/// state dump (no Foundation in this target).
public enum JSONText: Sendable, Hashable {
    case string(String)
    case int(Int)
    case number(String)
    case bool(Bool)
    case array([JSONText])
    /// Keys keep their order, as drbdsetup prints them.
    case object([(String, JSONText)])

    public static func == (lhs: JSONText, rhs: JSONText) -> Bool { lhs.rendered() == rhs.rendered() }
    public func hash(into hasher: inout Hasher) { hasher.combine(rendered()) }

    /// Pretty-printed with `indent` spaces per level.
    public func rendered(indent: Int = 2, level: Int = 0) -> String {
        let pad = String(repeating: " ", count: indent * (level + 1))
        let close = String(repeating: " ", count: indent * level)
        switch self {
        case .string(let s): return Self.quote(s)
        case .int(let i): return String(i)
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        case .array(let items):
            if items.isEmpty { return "[]" }
            return "[\n" + items.map { pad + $0.rendered(indent: indent, level: level + 1) }.joined(separator: ",\n") + "\n\(close)]"
        case .object(let pairs):
            if pairs.isEmpty { return "{}" }
            return "{\n" + pairs.map { pad + Self.quote($0.0) + ": " + $0.1.rendered(indent: indent, level: level + 1) }
                .joined(separator: ",\n") + "\n\(close)}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
