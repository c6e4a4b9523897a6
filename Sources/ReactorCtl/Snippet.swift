import ReactorDaemon
import ReactorLoop
import ReactorPromoter

/// One snippet file, decoded with the daemon's own loader (`ConfigLoader.loadSnippet`: the same strict
/// checks, errors with file:line).
public struct Snippet: Sendable {
    public var path: String
    public var enabled: Bool
    public var plugins: [PluginConfig]
    /// Non-fatal problems the loader reported.
    public var warnings: [String]
    /// Loads `path`.
    public static func load(_ path: String) throws(CtlError) -> Snippet {
        let config: DaemonConfig
        do { config = try ConfigLoader.loadSnippet(path: path, files: HostFiles()) } catch { throw .config(error) }
        return Snippet(path: path, config: config)
    }

    /// Decodes `text` as the snippet `path` (for `edit`, before anything is saved).
    public static func decode(_ text: String, path: String) throws(CtlError) -> Snippet {
        do { return Snippet(path: path, config: try ConfigLoader.decodeSnippet(text, file: path)) } catch { throw .config(error) }
    }

    init(path: String, config: DaemonConfig) {
        self.path = path
        enabled = !SnippetDirectory.isDisabled(path)
        plugins = config.plugins
        warnings = config.warnings
    }

    /// Every promoter resource of the snippet, in order.
    public var promoterResources: [PromoterResourceConfig] {
        plugins.flatMap { p -> [PromoterResourceConfig] in if case .promoter(let c) = p { c.resources } else { [] } }
    }
}
