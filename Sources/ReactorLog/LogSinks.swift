import Logging
import ReactorCore
import ReactorLoop
import ReactorSystem

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
    /// Lets the output wait for its destination on `loop` instead of dropping when it would block.
    func attach(to loop: EventLoop)
}

extension LogOutput {
    /// Outputs that never block (test memories) need no loop.
    public func attach(to loop: EventLoop) {}
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

    /// The entry a `LogQueue` writes once writing works again after it dropped `count` entries.
    static func dropNotice(_ count: Int) -> LogEntry {
        LogEntry(
            level: .warning, message: "Dropped \(count) log messages: the log destination did not accept them in time.",
            metadata: [:], file: #fileID, function: #function, line: #line)
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

/// Structured journald output (sd_journal_sendv), open for the daemon's lifetime, behind a `LogQueue` that
/// waits on a probe socket of its own when journald's queue is full (see `Journal`).
public final class JournalOutput: LogOutput {
    let queue: LogQueue?

    /// Without a probe socket (fd exhaustion at start) entries are dropped, as failed sends are. `path` and
    /// `deliver` are journald's socket and sd_journal_sendv except in tests.
    public init(path: String = Journal.socketPath, limit: Int = LogQueue.defaultLimit,
                deliver: @escaping Journal.Delivery = Journal.sendv) {
        queue = (try? Journal.openSocket()).map { socket in
            LogQueue(target: .journal(socket, path: path, deliver: deliver), limit: limit) { n in
                Journal.pack(LogEntry.dropNotice(n).journalFields)
            }
        }
    }

    public func write(_ entry: LogEntry) { queue?.enqueue(Journal.pack(entry.journalFields)) }
    public func attach(to loop: EventLoop) { queue?.attach(to: loop) }
}

// The daemon has one thread: outputs are only used from it (swift-log requires Sendable handlers).
extension JournalOutput: @unchecked Sendable {}

/// Plain text to a non-blocking descriptor of our own (stderr, or a log file kept open for the daemon's
/// lifetime), behind a `LogQueue`.
public final class FileOutput: LogOutput {
    let queue: LogQueue

    /// Writes where the inherited `fd` writes (stderr). If no descriptor of our own can be made, `fd` is
    /// used as it is.
    public init(fd: Int32, limit: Int = LogQueue.defaultLimit) {
        let own = (try? FileDescriptor.reopenNonBlocking(fd)) ?? FileDescriptor.borrowing(fd)
        queue = Self.queue(own, limit: limit)
    }

    public init(path: String, limit: Int = LogQueue.defaultLimit) throws(Errno) {
        queue = Self.queue(try FileDescriptor.openForAppend(path, nonBlocking: true), limit: limit)
    }

    private static func queue(_ fd: FileDescriptor, limit: Int) -> LogQueue {
        LogQueue(target: .stream(fd), limit: limit) { n in Array(LogEntry.dropNotice(n).plainText.utf8) }
    }

    public func write(_ entry: LogEntry) { queue.enqueue(Array(entry.plainText.utf8)) }
    public func attach(to loop: EventLoop) { queue.attach(to: loop) }
}

// The daemon has one thread: outputs are only used from it (swift-log requires Sendable handlers).
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

/// A `[[log]]` sink that cannot be set up; the daemon refuses to start, as 1.x does.
public struct LogSetupError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: Errno
    public var description: String { "cannot open log file '\(path)': \(reason)" }
}

/// Builds the handlers for the configured sinks.
public enum LogSetup {
    /// One handler per enabled sink; with no `[[log]]` at all: info to the journal or stderr.
    /// A log file that cannot be opened fails the whole set-up: a daemon whose configured log is missing
    /// would otherwise run with its warnings going nowhere.
    public static func handlers(for configs: [LogConfig]) throws(LogSetupError) -> [SinkLogHandler] {
        let effective = configs.isEmpty ? [LogConfig()] : configs
        var console: (any LogOutput)?
        var out: [SinkLogHandler] = []
        for c in effective {
            guard let level = c.level else { continue }
            if let path = c.file {
                do { out.append(SinkLogHandler(level: level, output: try FileOutput(path: path))) } catch {
                    throw LogSetupError(path: path, reason: error)
                }
            } else {
                // One console output shared by all console sinks, so they share one queue.
                let shared = console ?? (Journal.stderrIsJournal() ? JournalOutput() : FileOutput(fd: 2))
                console = shared
                out.append(SinkLogHandler(level: level, output: shared))
            }
        }
        return out
    }

    /// Lets every sink wait for its destination on `loop` (once the loop exists).
    public static func attach(_ handlers: [SinkLogHandler], to loop: EventLoop) {
        for h in handlers { h.output.attach(to: loop) }
    }

    /// Installs the sinks as the process-wide swift-log backend (once, at start).
    public static func bootstrap(_ handlers: [SinkLogHandler]) {
        LoggingSystem.bootstrap { _ in
            if handlers.isEmpty { return SwiftLogNoOpLogHandler() }
            return MultiplexLogHandler(handlers.map { $0 as any LogHandler })
        }
    }
}
