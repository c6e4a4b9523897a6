import Logging

/// Design note: logging. swift-log's `Logger` is the API everywhere; this file provides the handlers.
/// Each `[[log]]` table is one sink with its own level. Under systemd (stderr is the journal) entries go
/// to journald natively with structured fields; otherwise to stderr; a sink with `file` appends to it.
/// Metadata keys `plugin` and `resource` become `REACTOR_PLUGIN=` and `DRBD_RESOURCE=` in the journal,
/// so `journalctl DRBD_RESOURCE=r0` shows one resource's story.

/// One `[[log]]` table.
public struct LogConfig: Hashable, Sendable {
    /// nil means `off`.
    public var level: Logger.Level?
    public var file: String?

    public init(level: Logger.Level? = .info, file: String? = nil) {
        self.level = level
        self.file = file
    }

    static let levelNames: [(String, Logger.Level?)] = [
        ("trace", .trace), ("debug", .debug), ("info", .info), ("warn", .warning), ("warning", .warning),
        ("error", .error), ("off", nil),
    ]

    /// Decodes `level` (case-insensitive: trace, debug, info, warn, error, off) and `file`.
    public static func decode(_ reader: TableReader) throws -> LogConfig {
        var r = reader
        let name = try r.string("level", default: "info")
        guard let entry = levelNames.first(where: { $0.0 == name.lowercased() }) else {
            throw r.error("level", "unknown level '\(name)', expected one of trace, debug, info, warn, error, off")
        }
        let file = try r.optionalString("file")
        try r.finish()
        return LogConfig(level: entry.1, file: file)
    }

    public func tomlSnippet() -> String {
        var s = "[[log]]\nlevel = \(TOMLWriter.quote(level.map(Self.name) ?? "off"))\n"
        if let file { s += "file = \(TOMLWriter.quote(file))\n" }
        return s
    }

    static func name(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "trace"
        case .debug: "debug"
        case .info, .notice: "info"
        case .warning: "warn"
        case .error, .critical: "error"
        }
    }
}

/// Where a sink's entries go.
public protocol LogOutput: Sendable {
    func write(_ entry: LogEntry)
}

/// One log entry, resolved.
public struct LogEntry: Sendable {
    public var level: Logger.Level
    public var message: String
    public var metadata: Logger.Metadata
    public var file: String
    public var function: String
    public var line: UInt

    /// `LEVEL [plugin] message key=value ...`, the plain-text form for stderr and files.
    public var plainText: String {
        var s = LogConfig.name(level).uppercased()
        if case .string(let p)? = metadata["plugin"] { s += " [\(p)]" }
        s += " " + message
        for (k, v) in metadata.sorted(by: { $0.key < $1.key }) where k != "plugin" {
            s += " \(k)=\(v)"
        }
        return s + "\n"
    }

    /// The journald fields of this entry.
    public var journalFields: [String] {
        var fields = [
            "MESSAGE=\(message)", "PRIORITY=\(Self.priority(level))", "SYSLOG_IDENTIFIER=drbd-reactor",
            "CODE_FILE=\(file)", "CODE_LINE=\(line)", "CODE_FUNC=\(function)",
        ]
        for (k, v) in metadata.sorted(by: { $0.key < $1.key }) {
            switch k {
            case "plugin": fields.append("REACTOR_PLUGIN=\(v)")
            case "resource": fields.append("DRBD_RESOURCE=\(v)")
            default: fields.append("REACTOR_\(Self.fieldName(k))=\(v)")
            }
        }
        return fields
    }

    /// syslog priorities: err 3, warning 4, notice 5, info 6, debug 7.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .critical: 2
        case .error: 3
        case .warning: 4
        case .notice: 5
        case .info: 6
        case .debug, .trace: 7
        }
    }

    /// Journal field names are upper-case letters, digits and underscores.
    static func fieldName(_ key: String) -> String {
        String(key.uppercased().map { ($0.isLetter && $0.isASCII) || $0.isNumber ? $0 : "_" })
    }
}

/// Native journald output on a socket of its own, open for the daemon's lifetime.
public final class JournalOutput: LogOutput {
    private let socket: FileDescriptor?

    /// Without a socket (fd exhaustion at start) entries are dropped, as failed sends are.
    public init() { socket = try? Journal.openSocket() }

    public func write(_ entry: LogEntry) {
        guard let socket else { return }
        try? Journal.send(entry.journalFields, on: socket)
    }
}

// JournalOutput is immutable after init and sendto(2) is thread-safe; the daemon has one thread anyway.
extension JournalOutput: @unchecked Sendable {}

/// Plain text to an fd (stderr, or a log file kept open for the daemon's lifetime).
public final class FileOutput: LogOutput {
    private let fd: Int32
    // Kept only to keep the file open; never closed while the process logs.
    private let owner: FileDescriptor?

    public init(fd: Int32) {
        self.fd = fd
        owner = nil
    }

    public init(path: String) throws(Errno) {
        let file = try FileDescriptor.openForAppend(path)
        owner = file
        fd = file.rawValue
    }

    public func write(_ entry: LogEntry) { RawOutput.write(fd, Array(entry.plainText.utf8)) }
}

// FileOutput is immutable after init and write(2) is thread-safe; the daemon has one thread anyway.
extension FileOutput: @unchecked Sendable {}

/// A swift-log handler writing to one output at its own level.
///
/// The sink's level is kept apart from `logLevel`: swift-log's multiplexer sets `logLevel` on every
/// handler when a logger's level is changed, which would erase the per-sink filtering.
public struct SinkLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public let threshold: Logger.Level
    let output: any LogOutput

    public init(level: Logger.Level, output: any LogOutput) {
        logLevel = level
        threshold = level
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        guard event.level >= threshold else { return }
        var merged = metadata
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        output.write(
            LogEntry(
                level: event.level, message: event.message.description, metadata: merged, file: event.file,
                function: event.function, line: event.line))
    }
}

/// Builds the handlers for the configured sinks.
public enum LogSetup {
    /// One handler per enabled sink; with no `[[log]]` at all: info to the journal or stderr.
    /// A log file that cannot be opened is reported in `problems` and skipped.
    public static func handlers(for configs: [LogConfig], problems: inout [String]) -> [SinkLogHandler] {
        let effective = configs.isEmpty ? [LogConfig()] : configs
        let console: any LogOutput = Journal.stderrIsJournal() ? JournalOutput() : FileOutput(fd: 2)
        var out: [SinkLogHandler] = []
        for c in effective {
            guard let level = c.level else { continue }
            if let path = c.file {
                do { out.append(SinkLogHandler(level: level, output: try FileOutput(path: path))) } catch {
                    problems.append("Failed to open log file '\(path)': \(error), ignoring this [[log]] sink.")
                }
            } else {
                out.append(SinkLogHandler(level: level, output: console))
            }
        }
        return out
    }

    /// Installs the sinks as the process-wide swift-log backend (once, at start).
    public static func bootstrap(_ handlers: [SinkLogHandler]) {
        LoggingSystem.bootstrap { _ in
            if handlers.isEmpty { return SwiftLogNoOpLogHandler() }
            return MultiplexLogHandler(handlers.map { $0 as any LogHandler })
        }
    }
}
