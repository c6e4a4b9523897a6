import ReactorCore

/// One `[[debugger]]` table. The plugin has no settings; the only key is the deprecated `id`.
///
/// Hashable because a plugin's identity is its whole config: a reload restarts an
/// instance exactly when its table changed, including the deprecated `id`.
public struct DebuggerConfig: Hashable, Sendable {
    /// Deprecated and ignored apart from identity; `warnings` says so, the host logs it.
    public var id: String?
    /// Notes for the host to log at warning level after a successful decode (`'id' is deprecated`).
    public var warnings: [String] {
        id == nil ? [] : ["'id' is deprecated and ignored!"]
    }

    public init(id: String? = nil) { self.id = id }

    /// Decodes one table strictly: any key but `id` is an error naming file, line and key.
    public static func decode(_ reader: TableReader) throws -> DebuggerConfig {
        var r = reader
        let id = try r.optionalString("id")
        try r.finish()
        return DebuggerConfig(id: id)
    }

    /// This config as a `[[debugger]]` table that `decode` reads back to an equal value (SIGUSR1 dump,
    /// `drbd-reactorctl`).
    public func tomlSnippet() -> String {
        var out = "[[debugger]]\n"
        if let id { out += "id = \(TOMLWriter.quote(id))\n" }
        return out
    }
}
