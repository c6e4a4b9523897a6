import ReactorCore
import ReactorSystem

/// Why a drbd-reactorctl command failed. Printed as `Error: <description>` with exit status 1 (usage
/// errors are argument-parser errors, also exit status 1, as the original's clap 2).
public enum CtlError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The main file does not parse or sets no `snippets` directory.
    case snippetsPath(config: String, reason: String)
    /// A snippet that does not decode (file:line inside).
    case config(ConfigError)
    /// `--context NAME` names no context file (the paths looked at).
    case unknownContext(name: String, paths: [String])
    /// A context file with a key it does not know, or a value of the wrong type.
    case badContext(file: String, String)
    /// A context without any node (e.g. its nodes-script printed none).
    case emptyContext(name: String, file: String)
    /// `--nodes` names nodes the context does not have.
    case unknownNodes(context: String, [String])
    /// Some nodes of a cluster context failed or could not be reached (each named before).
    case nodesFailed([String])
    /// The daemon's control socket could not be reached or did not answer.
    case control(path: String, String)
    /// A command that cannot run on the nodes of a cluster context as given.
    case notInCluster(String)
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
        case .unknownContext(let name, let paths): "Could not find context '\(name)' (no file \(paths.map { "'\($0)'" }.joined(separator: " or ")))"
        case .badContext(let file, let reason): "Context file '\(file)': \(reason)"
        case .emptyContext(let name, let file): "Context '\(name)' ('\(file)') has no nodes"
        case .unknownNodes(let context, let names): "Context '\(context)' has no node \(names.map { "'\($0)'" }.joined(separator: ", "))"
        case .nodesFailed(let names): "Failed on \(names.count == 1 ? "node" : "nodes") \(names.map { "'\($0)'" }.joined(separator: ", "))"
        case .notInCluster(let reason): reason
        case .control(let path, let reason): "Control socket '\(path)': \(reason) (is drbd-reactor running, and are you root?)"
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
