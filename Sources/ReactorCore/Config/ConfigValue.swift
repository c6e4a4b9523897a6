/// A parsed TOML value, independent of the TOML library: the config layer decodes from this.
public indirect enum ConfigValue: Hashable, Sendable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case bool(Bool)
    case array([ConfigValue])
    case table(ConfigTable)
    /// Dates and times: kept as text, no key of ours takes one.
    case other(String)

    /// The TOML type name used in error messages ("expected a string, found an integer").
    public var typeName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a float"
        case .bool: "a boolean"
        case .array: "an array"
        case .table: "a table"
        case .other: "a date/time"
        }
    }
}

/// A TOML table that remembers key order (for stable error messages and dumps).
public struct ConfigTable: Hashable, Sendable {
    public private(set) var keys: [String] = []
    public private(set) var values: [String: ConfigValue] = [:]

    public init() {}

    public init(_ pairs: [(String, ConfigValue)]) {
        for (k, v) in pairs { self[k] = v }
    }

    public subscript(key: String) -> ConfigValue? {
        get { values[key] }
        set {
            if values[key] == nil, newValue != nil { keys.append(key) }
            if newValue == nil { keys.removeAll { $0 == key } }
            values[key] = newValue
        }
    }

    public var isEmpty: Bool { keys.isEmpty }
}

/// An error in the configuration: which file, where, which key, what was expected.
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    /// Dotted key path with array indices, e.g. `umh[0].resource[1].old.role`; empty for file-level errors.
    public var keyPath: String
    public var message: String

    public init(file: String, line: Int?, keyPath: String, message: String) {
        self.file = file
        self.line = line
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        if !keyPath.isEmpty { s += ": '\(keyPath)'" }
        return s + ": " + message
    }
}
