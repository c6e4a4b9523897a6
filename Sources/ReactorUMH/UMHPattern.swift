import ReactorCore

/// Values and comparisons of umh filters.
///
/// Every filter field, whatever its DRBD type, is compared as a `UMHValue`, enums by their DRBD spelling.
/// The config decoder, the matcher, the environment builder and the TOML writer therefore share one
/// representation and one code path instead of one per field type.

/// A filter's value, or the value of a field in a state update.
public enum UMHValue: Hashable, Sendable, CustomStringConvertible {
    case text(String)
    case integer(Int64)
    case bool(Bool)

    /// The value as a child's environment spells it: text as is, decimal integers, `true`/`false`.
    public var description: String {
        switch self {
        case .text(let s): s
        case .integer(let i): String(i)
        case .bool(let b): b ? "true" : "false"
        }
    }

    /// The value as TOML spells it (text quoted), for `tomlSnippet()`.
    var toml: String {
        if case .text(let s) = self { return TOMLWriter.quote(s) }
        return description
    }

    /// A DRBD enum by its events2 spelling, which is also how rules and the environment name it.
    static func drbd(_ value: some CustomStringConvertible) -> UMHValue { .text(value.description) }
}

/// What a field may hold: decides which config values are accepted for it and how errors read.
enum UMHValueKind: Hashable, Sendable {
    case text
    case integer(ClosedRange<Int64>)
    case bool
    /// One of DRBD's spellings of an enum; `name` is used in errors ("unknown disk state 'UptoDate'").
    case spelling(name: String, [String])

    static let role = spelling(name: "role", Role.known.map(\.description))
    static let diskState = spelling(name: "disk state", DiskState.known.map(\.description))
    static let replicationState = spelling(name: "replication state", ReplicationState.known.map(\.description))
    static let connectionState = spelling(name: "connection state", ConnectionState.known.map(\.description))
    static let eventType = spelling(name: "event type", EventType.allCases.map(\.rawValue))

    /// Checks a config value against this kind; `fail` turns a message into an error that knows the
    /// file, line and key path, so this stays independent of where the value was written.
    func value(from raw: ConfigValue, fail: (String) -> ConfigError) throws -> UMHValue {
        switch (self, raw) {
        case (.text, .string(let s)):
            return .text(s)
        case (.bool, .bool(let b)):
            return .bool(b)
        case (.integer(let range), .integer(let i)):
            guard range.contains(i) else {
                throw fail("expected an integer from \(range.lowerBound) to \(range.upperBound), found \(i)")
            }
            return .integer(i)
        case (.spelling(let name, let allowed), .string(let s)):
            guard allowed.contains(s) else {
                let list = allowed.map { "'\($0)'" }.joined(separator: ", ")
                throw fail("unknown \(name) '\(s)' (expected one of \(list))")
            }
            return .text(s)
        case (.text, _), (.spelling, _):
            throw fail("expected a string, found \(raw.typeName)")
        case (.bool, _):
            throw fail("expected true or false, found \(raw.typeName)")
        case (.integer, _):
            throw fail("expected an integer, found \(raw.typeName)")
        }
    }
}

/// How a filter compares its value with the update's.
public enum UMHOperator: String, Hashable, Sendable, CaseIterable {
    case equals = "Equals"
    case notEquals = "NotEquals"
}

/// One filter: `old.role = "Primary"` or `old.role = { operator = "NotEquals", value = "Primary" }`.
public struct UMHPattern: Hashable, Sendable {
    public var op: UMHOperator
    public var value: UMHValue

    public init(_ op: UMHOperator = .equals, _ value: UMHValue) {
        self.op = op
        self.value = value
    }

    /// Whether the update's value passes this filter.
    public func matches(_ actual: UMHValue) -> Bool {
        switch op {
        case .equals: actual == value
        case .notEquals: actual != value
        }
    }

    /// The pattern written under `key` in `reader`, or nil when the key is absent. A plain value means
    /// `Equals`; a table (inline or dotted `key.operator`/`key.value`, which TOML makes the same) is read
    /// strictly: `value` required, `operator` optional, nothing else.
    static func decode(_ reader: inout TableReader, key: String, kind: UMHValueKind) throws -> UMHPattern? {
        switch reader.value(key) {
        case nil:
            return nil
        case .table(let table):
            var sub = TableReader(table: table, file: reader.file, path: reader.keyPath(key), locator: reader.locator)
            return try decodeTable(&sub, kind: kind)
        case let raw?:
            let at = reader
            return UMHPattern(.equals, try kind.value(from: raw) { at.error(key, $0) })
        }
    }

    /// The `{ operator = ..., value = ... }` form.
    private static func decodeTable(_ sub: inout TableReader, kind: UMHValueKind) throws -> UMHPattern {
        let name = try sub.string("operator", default: UMHOperator.equals.rawValue)
        guard let op = UMHOperator(rawValue: name) else {
            throw sub.error("operator", "unknown operator '\(name)' (expected 'Equals' or 'NotEquals')")
        }
        guard let raw = sub.value("value") else { throw missingValue(sub) }
        let at = sub
        let value = try kind.value(from: raw) { at.error("value", $0) }
        try sub.finish()
        return UMHPattern(op, value)
    }

    /// A table without `value`. Its own path has no line when it was written only as dotted keys
    /// (`old.role.operator = ...`), so the error takes the line of the key that was written.
    private static func missingValue(_ sub: TableReader) -> ConfigError {
        let written = sub.table.keys.first.map(sub.keyPath) ?? sub.path
        return ConfigError(file: sub.file, line: sub.locator.line(of: written), keyPath: sub.keyPath("value"),
                           message: "missing required key (the value to compare with)")
    }

    /// The right-hand side of `key = ...` in TOML; the short form whenever the operator is the default.
    var toml: String {
        switch op {
        case .equals: value.toml
        case .notEquals: "{ operator = \(TOMLWriter.quote(op.rawValue)), value = \(value.toml) }"
        }
    }
}
