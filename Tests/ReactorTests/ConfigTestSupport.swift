@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorLoop
@testable import ReactorLog
@testable import ReactorPromoter
@testable import ReactorUMH
@testable import ReactorDebugger
@testable import ReactorAgentX
@testable import ReactorPrometheus
@testable import ReactorDaemon

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

extension ConfigLoader {
    /// The loader on the host's files: these tests write real temporary files (the daemon's own loads
    /// go through its loop, see DaemonVirtualTests).
    static func load(path: String) throws(ConfigError) -> DaemonConfig { try load(path: path, files: HostFiles()) }
}
