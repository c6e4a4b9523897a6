/// Typed, strict reading of one TOML table: every getter marks its key as known, `finish()` rejects the
/// rest, and every error carries file, line and key path.
///
/// Plugin configs decode themselves with it:
/// ```
/// var r = reader
/// let address = try r.string("address", default: ":9942")
/// try r.finish()
/// ```
public struct TableReader: Sendable {
    public let table: ConfigTable
    public let file: String
    /// Key path of this table (`prometheus[0]`).
    public let path: String
    public let locator: LineLocator
    private var used: Set<String> = []

    public init(table: ConfigTable, file: String, path: String, locator: LineLocator) {
        self.table = table
        self.file = file
        self.path = path
        self.locator = locator
    }

    /// The key path of `key` inside this table.
    public func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// An error about `key` (or about this table when `key` is nil).
    public func error(_ key: String?, _ message: String) -> ConfigError {
        let kp = key.map(keyPath) ?? path
        return ConfigError(file: file, line: locator.line(of: kp), keyPath: kp, message: message)
    }

    /// The raw value of `key`, marking it known.
    public mutating func value(_ key: String) -> ConfigValue? {
        used.insert(key)
        return table[key]
    }

    public mutating func optionalString(_ key: String) throws -> String? {
        switch value(key) {
        case nil: return nil
        case .string(let s): return s
        case let v?: throw error(key, "expected a string, found \(v.typeName)")
        }
    }

    public mutating func string(_ key: String, default d: String) throws -> String {
        try optionalString(key) ?? d
    }

    public mutating func requiredString(_ key: String) throws -> String {
        guard let s = try optionalString(key) else { throw error(key, "missing required key (a string)") }
        return s
    }

    public mutating func optionalBool(_ key: String) throws -> Bool? {
        switch value(key) {
        case nil: return nil
        case .bool(let b): return b
        case let v?: throw error(key, "expected true or false, found \(v.typeName)")
        }
    }

    public mutating func bool(_ key: String, default d: Bool) throws -> Bool {
        try optionalBool(key) ?? d
    }

    public mutating func optionalInteger(_ key: String, in range: ClosedRange<Int64>) throws -> Int64? {
        switch value(key) {
        case nil: return nil
        case .integer(let i):
            guard range.contains(i) else {
                throw error(key, "expected an integer from \(range.lowerBound) to \(range.upperBound), found \(i)")
            }
            return i
        case let v?: throw error(key, "expected an integer, found \(v.typeName)")
        }
    }

    public mutating func integer(_ key: String, default d: Int64, in range: ClosedRange<Int64>) throws -> Int64 {
        try optionalInteger(key, in: range) ?? d
    }

    /// A string turned into a value by `parse` (an address, say), or nil when absent; what `parse`
    /// rejects becomes a config error naming this key.
    public mutating func optionalParsed<T, E: Error & CustomStringConvertible>(
        _ key: String, _ parse: (String) throws(E) -> T
    ) throws -> T? {
        guard let text = try optionalString(key) else { return nil }
        do { return try parse(text) } catch { throw self.error(key, error.description) }
    }

    /// An array of strings (`start = ["a", "b"]`), or nil when absent.
    public mutating func optionalStringArray(_ key: String) throws -> [String]? {
        switch value(key) {
        case nil: return nil
        case .array(let items):
            return try items.map { item in
                guard case .string(let s) = item else { throw error(key, "expected an array of strings, found \(item.typeName) in it") }
                return s
            }
        case let v?: throw error(key, "expected an array of strings, found \(v.typeName)")
        }
    }

    /// One of a fixed set of spellings (case-sensitive, as the original's serde enums), or `d` when absent.
    public mutating func choice<T: CaseIterable & RawRepresentable>(_ key: String, default d: T) throws -> T where T.RawValue == String {
        guard let text = try optionalString(key) else { return d }
        guard let v = T(rawValue: text) else {
            let allowed = T.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw error(key, "unknown value '\(text)' (expected one of \(allowed))")
        }
        return v
    }

    /// A sub-table (`key = { ... }` or `[path.key]`), or nil when absent.
    public mutating func optionalTable(_ key: String) throws -> TableReader? {
        switch value(key) {
        case nil: return nil
        case .table(let t): return TableReader(table: t, file: file, path: keyPath(key), locator: locator)
        case let v?: throw error(key, "expected a table, found \(v.typeName)")
        }
    }

    /// An array of tables (`[[path.key]]`); empty when absent.
    public mutating func tables(_ key: String) throws -> [TableReader] {
        switch value(key) {
        case nil: return []
        case .array(let items):
            return try items.enumerated().map { i, item in
                guard case .table(let t) = item else {
                    throw error(key, "expected an array of tables ([[\(keyPath(key))]]), found \(item.typeName) in it")
                }
                return TableReader(table: t, file: file, path: "\(keyPath(key))[\(i)]", locator: locator)
            }
        case let v?: throw error(key, "expected an array of tables ([[\(keyPath(key))]]), found \(v.typeName)")
        }
    }

    /// A table of string values (`env = { FOO = "bar" }`), in written order.
    public mutating func stringTable(_ key: String) throws -> [(String, String)] {
        guard var sub = try optionalTable(key) else { return [] }
        var out: [(String, String)] = []
        for k in sub.table.keys { out.append((k, try sub.requiredString(k))) }
        return out
    }

    /// Rejects every key no getter asked for.
    public func finish() throws {
        let unknown = table.keys.filter { !used.contains($0) }
        guard let first = unknown.first else { return }
        let known = used.sorted().map { "'\($0)'" }.joined(separator: ", ")
        throw error(first, "unknown key" + (known.isEmpty ? "" : " (known keys here: \(known))"))
    }
}
