import ReactorCore

/// `[[debugger]]`: a change plugin that logs every state update at debug level (visible with
/// `[[log]] level = "debug"`). It has no state, spawns nothing and sets no timers.
///
/// The original printed a Rust pretty-debug dump; we print one stable line per
/// update instead, see `DebuggerFormat`.
public struct DebuggerPlugin: ChangePlugin {
    public let config: DebuggerConfig
    public var kind: String { "debugger" }

    public init(config: DebuggerConfig = DebuggerConfig()) { self.config = config }

    public mutating func handle(_ input: PluginInput, now: Instant) -> [PluginEffect] {
        switch input {
        case .update(let update):
            return [.log(.debug, DebuggerFormat.line(for: update), resource: update.resourceName)]
        case .stop:
            return [.stopped]
        case .start, .childOutput, .childExited, .spawnFailed, .timer:
            return []  // never asked for: the debugger spawns nothing and sets no timers
        }
    }
}
