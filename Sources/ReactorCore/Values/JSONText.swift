
/// A JSON document to write (compact, keys in the given order): drbd-reactorctl's `status --json` and
/// the control socket's lines. Strings are quoted by `TOMLWriter.quote`: TOML's basic-string escapes are
/// valid JSON escapes.
public indirect enum JSONText: Sendable {
    case string(String)
    case bool(Bool)
    case number(Int64)
    case null
    case array([JSONText])
    case object([(String, JSONText)])

    /// The compact text.
    public var text: String {
        switch self {
        case .string(let s): TOMLWriter.quote(s)
        case .bool(let b): b ? "true" : "false"
        case .number(let n): String(n)
        case .null: "null"
        case .array(let items): "[" + items.map(\.text).joined(separator: ",") + "]"
        case .object(let fields): "{" + fields.map { TOMLWriter.quote($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }
}
