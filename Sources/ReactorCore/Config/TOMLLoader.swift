import TOMLKit

/// Parses TOML text into `ConfigValue`s. The only file that sees the TOML library.
public enum TOMLLoader {
    /// Parses `text`; a syntax error names `file` and the line and column the parser reported.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> ConfigTable {
        if let bad = TOMLPrecheck.problem(text) {
            throw ConfigError(file: file, line: bad.line, keyPath: "", message: "TOML syntax error at column \(bad.column): \(bad.message)")
        }
        do {
            let table = try TOMLTable(string: text)
            return convert(table)
        } catch let e as TOMLParseError {
            let pos = e.source.begin
            return try fail(ConfigError(file: file, line: pos.line, keyPath: "", message: "TOML syntax error at column \(pos.column): \(e.description)"))
        } catch {
            return try fail(ConfigError(file: file, line: nil, keyPath: "", message: "TOML error: \(error)"))
        }
    }

    private static func fail(_ e: ConfigError) throws(ConfigError) -> ConfigTable { throw e }

    private static func convert(_ table: TOMLTable) -> ConfigTable {
        var out = ConfigTable()
        for (key, value) in table { out[key] = convert(value.tomlValue) }
        return out
    }

    private static func convert(_ value: TOMLValue) -> ConfigValue {
        switch value.type {
        case .string: return .string(value.string ?? "")
        case .int: return .integer(Int64(value.int ?? 0))
        case .double: return .float(value.double ?? 0)
        case .bool: return .bool(value.bool ?? false)
        case .array: return .array((value.array ?? []).map { convert($0.tomlValue) })
        case .table: return .table(value.table.map(convert) ?? ConfigTable())
        default: return .other(value.debugDescription)
        }
    }
}

/// Writes config back as TOML (for the SIGUSR1 dump): values quoted and escaped as TOML requires.
public enum TOMLWriter {
    public static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 || u.value == 0x7f {
                    let hex = String(u.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// A bare key when possible, else a quoted one.
    public static func key(_ k: String) -> String {
        let bare = !k.isEmpty && k.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
        }
        return bare ? k : quote(k)
    }
}
