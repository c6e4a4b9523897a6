import ReactorAgentX
import ReactorCore
import ReactorDebugger
import ReactorLog
import ReactorLoop
import ReactorPrometheus
import ReactorPromoter
import ReactorSystem
import ReactorUMH

/// The daemon's whole configuration: the main file plus its snippets, decoded and validated.
///
/// Compatibility with drbd-reactor 1.x files: the same keys, the same `[[plugin]]` arrays, snippets
/// (`*.toml` in the `snippets` directory, sorted by name) add to the main file. Unlike the original, each
/// file is parsed on its own, so every error names the file it is in; unknown keys are errors, not silently
/// ignored.
public struct DaemonConfig: Hashable, Sendable {
    public var path: String
    public var snippets: String?
    public var snippetsMonitoringInterval: Int64 = 120
    public var statisticsPollInterval: Int64 = 60
    public var logs: [LogConfig] = []
    public var plugins: [PluginConfig] = []
    /// The snippet files that were read, with their modification times (for the drift monitor).
    public var snippetFiles: [SnippetFile] = []
    /// Non-fatal problems found while loading (logged by the daemon once logging is up).
    public var warnings: [String] = []

    public init(path: String) { self.path = path }

    /// The effective configuration as TOML (SIGUSR1).
    public func tomlDump() -> String {
        var s = ""
        if let snippets { s += "snippets = \(TOMLWriter.quote(snippets))\n" }
        s += "snippets-monitoring-interval = \(snippetsMonitoringInterval)\n"
        s += "statistics-poll-interval = \(statisticsPollInterval)\n"
        for l in logs { s += "\n" + l.tomlSnippet() }
        for p in plugins { s += "\n" + p.tomlSnippet() }
        return s
    }
}

/// A snippet file as it was when loaded.
public struct SnippetFile: Hashable, Sendable {
    public var path: String
    public var modification: Int64  // ns since the epoch
}

/// One plugin instance's configuration. Its identity (for reload diffing) is the whole value.
public enum PluginConfig: Hashable, Sendable {
    case debugger(DebuggerConfig)
    case umh(UMHConfig)
    case prometheus(PrometheusConfig)
    case promoter(PromoterConfig)
    case agentx(AgentXConfig)

    public var kind: String {
        switch self {
        case .debugger: "debugger"
        case .umh: "umh"
        case .prometheus: "prometheus"
        case .promoter: "promoter"
        case .agentx: "agentx"
        }
    }

    public func tomlSnippet() -> String {
        switch self {
        case .debugger(let c): c.tomlSnippet()
        case .umh(let c): c.tomlSnippet()
        case .prometheus(let c): c.tomlSnippet()
        case .promoter(let c): c.tomlSnippet()
        case .agentx(let c): c.tomlSnippet()
        }
    }
}

/// Reads the main file and the snippets.
public enum ConfigLoader {
    static let globalKeys = ["snippets", "snippets-monitoring-interval", "statistics-poll-interval"]
    static let pluginKinds = ["debugger", "promoter", "umh", "prometheus", "agentx"]

    /// Loads `path` and its snippets from `files` (the daemon's loop; `HostFiles()` without one). Throws
    /// the first error, naming file, line and key.
    public static func load(path: String, files: some FileReading) throws(ConfigError) -> DaemonConfig {
        var config = DaemonConfig(path: path)
        let main = try readTable(path, files: files)
        try decodeFile(main.table, text: main.text, file: path, isMain: true, into: &config)
        if let dir = config.snippets {
            for file in snippetPaths(dir, files: files, warnings: &config.warnings) {
                let snippet = try readTable(file.path, files: files)
                config.snippetFiles.append(file)
                try decodeFile(snippet.table, text: snippet.text, file: file.path, isMain: false, into: &config)
            }
        }
        try rejectDuplicates(config)
        return config
    }

    /// Decodes `text` as the snippet `file` with exactly the checks `load` applies to each snippet (the
    /// same strict readers, file:line in every error), without reading the main file or other snippets.
    /// drbd-reactorctl validates what it lists, edits and enables with it.
    public static func decodeSnippet(_ text: String, file: String) throws(ConfigError) -> DaemonConfig {
        try decodeText(text, file: file, isMain: false)
    }

    /// Decodes `text` as the main file `file` without reading its snippets (the fuzz harness feeds it).
    public static func decodeMain(_ text: String, file: String) throws(ConfigError) -> DaemonConfig {
        try decodeText(text, file: file, isMain: true)
    }

    private static func decodeText(_ text: String, file: String, isMain: Bool) throws(ConfigError) -> DaemonConfig {
        var config = DaemonConfig(path: file)
        try decodeFile(try TOMLLoader.parse(text, file: file), text: text, file: file, isMain: isMain, into: &config)
        try rejectDuplicates(config)
        return config
    }

    /// Reads and decodes the snippet at `path` (see `decodeSnippet`).
    public static func loadSnippet(path: String, files: some FileReading) throws(ConfigError) -> DaemonConfig {
        let snippet = try readTable(path, files: files)
        var config = DaemonConfig(path: path)
        try decodeFile(snippet.table, text: snippet.text, file: path, isMain: false, into: &config)
        try rejectDuplicates(config)
        return config
    }

    /// Parses one file.
    static func readTable(_ path: String, files: some FileReading) throws(ConfigError) -> (table: ConfigTable, text: String) {
        let bytes: [UInt8]
        do { bytes = try files.readFile(path) } catch {
            throw ConfigError(file: path, line: nil, keyPath: "", message: "cannot read: \(error)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError(file: path, line: nil, keyPath: "", message: "not valid UTF-8")
        }
        return (try TOMLLoader.parse(text, file: path), text)
    }

    /// The `*.toml` files of the snippets directory (`SnippetNames`: dot-files included), sorted by name. A missing, relative or non-directory
    /// path is a warning, not an error (the daemon still starts).
    static func snippetPaths(_ dir: String, files: some FileReading, warnings: inout [String]) -> [SnippetFile] {
        guard dir.hasPrefix("/") else {
            warnings.append("Snippets path '\(dir)' is not absolute, ignoring it.")
            return []
        }
        guard let info = try? files.fileInfo(dir), info.isDirectory else {
            warnings.append("Snippets path '\(dir)' does not exist or is not a directory, ignoring it.")
            return []
        }
        let names: [String]
        do { names = try files.listDirectory(dir) } catch {
            warnings.append("Cannot list snippets directory '\(dir)': \(error), ignoring it.")
            return []
        }
        let base = dir.hasSuffix("/") ? dir : dir + "/"
        return SnippetNames.select(names, suffixes: [".toml"]).compactMap { name in
                let path = base + name
                guard let st = try? files.fileInfo(path), st.isRegularFile else { return nil }
                return SnippetFile(path: path, modification: st.modification)
            }
    }

    static func decodeFile(_ table: ConfigTable, text: String, file: String, isMain: Bool, into config: inout DaemonConfig) throws(ConfigError) {
        var r = TableReader(table: table, file: file, path: "", locator: LineLocator(text: text))
        do {
            try decodeGlobals(&r, file: file, isMain: isMain, into: &config)
            for log in try r.tables("log") { config.logs.append(try LogConfig.decode(log)) }
            for kind in pluginKinds {
                for t in try r.tables(kind) { config.plugins.append(try decodePlugin(kind, t, warnings: &config.warnings)) }
            }
            try r.finish()
        } catch let e as ConfigError {
            throw e
        } catch {
            throw ConfigError(file: file, line: nil, keyPath: "", message: "\(error)")
        }
    }

    /// Global keys. A snippet may set the intervals too (the original concatenated all files into one);
    /// the last file that sets one wins.
    static func decodeGlobals(_ r: inout TableReader, file: String, isMain: Bool, into c: inout DaemonConfig) throws {
        let seconds: ClosedRange<Int64> = 0...31_536_000
        if let v = try r.optionalString("snippets") {
            guard isMain else { throw r.error("snippets", "only the main configuration file can set the snippets directory") }
            c.snippets = v
        }
        if let v = try r.optionalInteger("snippets-monitoring-interval", in: seconds) { c.snippetsMonitoringInterval = v }
        if let v = try r.optionalInteger("statistics-poll-interval", in: seconds) { c.statisticsPollInterval = v }
    }

    /// Decodes one plugin table; its non-fatal problems go to `warnings` (with the file's name).
    static func decodePlugin(_ kind: String, _ t: TableReader, warnings: inout [String]) throws -> PluginConfig {
        switch kind {
        case "promoter":
            return .promoter(try PromoterConfig.decode(t, warnings: &warnings))
        case "debugger": return .debugger(try DebuggerConfig.decode(t))
        case "umh": return .umh(try UMHConfig.decode(t))
        case "prometheus": return .prometheus(try PrometheusConfig.decode(t))
        default: return .agentx(try AgentXConfig.decode(t))
        }
    }

    /// Two identical plugin instances would do everything twice: a config error (the original exited
    /// even on reload; we reject the new config and, on reload, keep the old one).
    static func rejectDuplicates(_ c: DaemonConfig) throws(ConfigError) {
        var seen = Set<PluginConfig>()
        for p in c.plugins {
            if !seen.insert(p).inserted {
                throw ConfigError(file: c.path, line: nil, keyPath: p.kind, message: "the same [[\(p.kind)]] configuration is given twice (main file or snippets)")
            }
        }
    }
}
