import Reactor

/// One snippet file, decoded with the daemon's own loader (`ConfigLoader.loadSnippet`: the same strict
/// checks, errors with file:line).
public struct Snippet: Sendable {
    public var path: String
    public var enabled: Bool
    public var plugins: [PluginConfig]
    /// Non-fatal problems the loader reported.
    public var warnings: [String]
    /// The `address` of each `[[agentx]]` (this build's loader keeps agentx sections undecoded).
    public var agentxAddresses: [String]

    /// The default of agentx's `address`.
    public static let agentxDefaultAddress = "localhost:705"

    /// Loads `path`.
    public static func load(_ path: String) throws(CtlError) -> Snippet {
        let config: DaemonConfig
        do { config = try ConfigLoader.loadSnippet(path: path) } catch { throw .config(error) }
        return Snippet(path: path, config: config, text: (try? FileSystem.readFile(path)).map { String(decoding: $0, as: UTF8.self) } ?? "")
    }

    /// Decodes `text` as the snippet `path` (for `edit`, before anything is saved).
    public static func decode(_ text: String, path: String) throws(CtlError) -> Snippet {
        do { return Snippet(path: path, config: try ConfigLoader.decodeSnippet(text, file: path), text: text) } catch { throw .config(error) }
    }

    init(path: String, config: DaemonConfig, text: String) {
        self.path = path
        enabled = !SnippetDirectory.isDisabled(path)
        plugins = config.plugins
        warnings = config.warnings
        agentxAddresses = []
        guard plugins.contains(where: { $0.kind == "agentx" }),
            case .array(let sections)? = (try? TOMLLoader.parse(text, file: path))?["agentx"]
        else { return }
        agentxAddresses = sections.map { section in
            if case .table(let t) = section, case .string(let a)? = t["address"] { a } else { Self.agentxDefaultAddress }
        }
    }

    /// Every promoter resource of the snippet, in order.
    public var promoterResources: [PromoterResourceConfig] {
        plugins.flatMap { p -> [PromoterResourceConfig] in if case .promoter(let c) = p { c.resources } else { [] } }
    }
}
