@testable import Reactor

/// Decodes every `[[key]]` table of `text` with a plugin's `decode`.
func decodeTables<T>(_ text: String, _ key: String, file: String = "t.toml", _ decode: (TableReader) throws -> T) throws -> [T] {
    var root = TableReader(table: try TOMLLoader.parse(text, file: file), file: file, path: "", locator: LineLocator(text: text))
    return try root.tables(key).map(decode)
}

/// The config error `body` throws, or nil when it succeeds (or throws something else).
func configError(_ body: () throws -> Void) -> ConfigError? {
    do {
        try body()
        return nil
    } catch {
        return error as? ConfigError
    }
}
