import Reactor

/// Why a drbd-reactorctl command failed. Printed as `Error: <description>` with exit status 1 (usage
/// errors are argument-parser errors, also exit status 1, as the original's clap 2).
public enum CtlError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The main file does not parse or sets no `snippets` directory.
    case snippetsPath(config: String, reason: String)
    /// A snippet that does not decode (file:line inside).
    case config(ConfigError)
    /// `--context NAME` names no context file.
    case unknownContext(name: String, path: String)
    /// A context with remote nodes: this build runs commands locally only.
    case clusterUnsupported(context: String)
    /// `start-until` got no usable disabled snippet.
    case noDisabledSnippet
    case missingFile(String)
    case unitNotInStart(String)
    case mixedPlugins(path: String)
    case multipleResources(path: String)
    /// A snippet for `start-until`/`evict` without any promoter resource.
    case noPromoter(path: String)
    /// A file operation failed.
    case io(path: String, Errno)
    /// A program could not be run or failed.
    case command([String], String)
    /// The editor exited non-zero.
    case editor(String)
    /// Some of the files of a command could not be renamed or removed (each was reported).
    case incomplete(failed: Int, of: Int)
    /// An edited snippet that `edit` does not accept (wrong plugin count or type, a topmost mount unit).
    case invalidSnippet(String)

    public var description: String {
        switch self {
        case .snippetsPath(let config, let reason): "Could not get snippets path from config file '\(config)': \(reason)"
        case .config(let e): e.description
        case .unknownContext(let name, let path): "Could not find context '\(name)' (no file '\(path)')"
        case .clusterUnsupported(let context):
            "Context '\(context)' has remote nodes; this build of drbd-reactorctl runs on the local node only (use --context local, or run it on each node)"
        case .noDisabledSnippet: "Could not get disabled snippet file"
        case .missingFile(let p): "File '\(p)' does not exist"
        case .unitNotInStart(let u): "Could not find unit '\(u)' in start list"
        case .mixedPlugins(let p): "Config file '\(p)' contains mixed promoter and other plugins"
        case .multipleResources(let p): "Promoter in config file '\(p)' responsible for multiple resources"
        case .noPromoter(let p): "Config file '\(p)' contains no promoter resource"
        case .io(let path, let e): "'\(path)': \(e)"
        case .command(let argv, let reason): "Command '\(argv.joined(separator: " "))' \(reason)"
        case .editor(let reason): "Editor \(reason)"
        case .invalidSnippet(let reason): reason
        case .incomplete(let failed, let total): "\(failed) of \(total) snippet files could not be changed"
        }
    }
}
