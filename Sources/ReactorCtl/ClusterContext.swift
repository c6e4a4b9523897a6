import ReactorCore
import ReactorSystem

/// `--context`: which nodes a command runs on. A context file `<ctx>.toml` in
/// `$XDG_CONFIG_HOME/drbd-reactorctl/` (or `~/.config/drbd-reactorctl/`), else in
/// `/etc/drbd-reactorctl.d/`, lists `[nodes."<name>"]` with `hostname` (default: the name) and `user`
/// (default `root`); `nodes-script = "FILE"` (relative to the context file's directory) prints more of
/// the file (usually the `[nodes...]` tables of a cluster manager), which is appended and parsed again.
public enum ClusterContext {
    /// A node of a context.
    public struct Node: Hashable, Sendable {
        public var name: String
        public var hostname: String
        public var user: String

        public init(name: String, hostname: String? = nil, user: String = "root") {
            self.name = name
            self.hostname = hostname ?? name
            self.user = user
        }

        /// Whether this is the node drbd-reactorctl runs on (its name or host name is `uname -n`): it
        /// runs there without ssh.
        public func isLocal(_ nodeName: String) -> Bool { hostname == nodeName || name == nodeName }
    }

    /// Where a command runs.
    public enum Scope: Hashable, Sendable {
        /// On this node only, in this process.
        case local
        /// On these nodes (sorted by host name), each as its own child.
        case nodes([Node])
    }

    /// The candidate files of context `name`, in lookup order.
    public static func files(_ name: String, environment env: [String: String]) -> [String] {
        let base = env["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((env["HOME"] ?? "") + "/.config")
        return [base + "/drbd-reactorctl/\(name).toml", "/etc/drbd-reactorctl.d/\(name).toml"]
    }

    /// A parsed context file: its nodes and its `nodes-script`.
    public struct File: Hashable, Sendable {
        public var nodes: [Node]
        public var nodesScript: String?
    }

    /// Parses the text of a context file (`file` names it in errors). Unknown keys are errors, so a
    /// typo (`hostnme`) does not silently fall back to the default.
    public static func parse(_ text: String, file: String) throws(CtlError) -> File {
        let table: ConfigTable
        do { table = try TOMLLoader.parse(text, file: file) } catch { throw .config(error) }
        var result = File(nodes: [], nodesScript: nil)
        // The `!`s below look up keys taken from the same table's `keys`: always present.
        for key in table.keys {
            switch (key, table[key]!) {
            case ("nodes-script", .string(let s)): result.nodesScript = s
            case ("nodes", .table(let nodes)):
                for name in nodes.keys {
                    guard case .table(let t) = nodes[name]! else { throw .badContext(file: file, "'nodes.\(name)' is not a table") }
                    var node = Node(name: name)
                    for k in t.keys {
                        switch (k, t[k]!) {
                        case ("hostname", .string(let h)): node.hostname = h
                        case ("user", .string(let u)): node.user = u
                        default: throw .badContext(file: file, "'nodes.\(name).\(k)': unknown key or not a string")
                        }
                    }
                    result.nodes.append(node)
                }
            default: throw .badContext(file: file, "'\(key)': unknown key or wrong type")
            }
        }
        return result
    }

    /// Where `context` runs, limited to the node names `only` (empty: all). `none` and `local` are this
    /// node; a missing `default` is this node; any other missing context is an error. A context that
    /// ends up without nodes (e.g. its `nodes-script` printed none) is an error, never "this node".
    /// `read` returns a file's text (nil: no such file); `script` runs a nodes-script and returns its stdout.
    public static func scope(
        _ context: String, only: [String], environment: [String: String],
        read: (String) -> String?, script: (String) throws(CtlError) -> String
    ) throws(CtlError) -> Scope {
        if context == "none" || context == "local" { return .local }
        let candidates = files(context, environment: environment)
        guard let (path, text) = candidates.compactMap({ p in read(p).map { (p, $0) } }).first else {
            if context == "default" { return .local }
            throw .unknownContext(name: context, paths: candidates)
        }
        var parsed = try parse(text, file: path)
        if let s = parsed.nodesScript {
            let program = s.hasPrefix("/") ? s : SnippetDirectory.parent(of: path) + "/" + s
            parsed = try parse(text + "\n" + (try script(program)), file: path)
        }
        let unknown = only.filter { name in !parsed.nodes.contains { $0.name == name } }
        guard unknown.isEmpty else { throw .unknownNodes(context: context, unknown) }
        let nodes = parsed.nodes.filter { only.isEmpty || only.contains($0.name) }.sorted { ($0.hostname, $0.name) < ($1.hostname, $1.name) }
        guard !nodes.isEmpty else { throw .emptyContext(name: context, file: path) }
        return .nodes(nodes)
    }

    /// `scope` with the real file system and nodes-scripts run by `runner`.
    public static func scope(_ context: String, only: [String], environment: [String: String], runner: CommandRunner) throws(CtlError) -> Scope {
        try scope(
            context, only: only, environment: environment,
            read: { p in (try? FileSystem.info(p))?.isRegularFile == true ? (try? FileSystem.readFile(p)).map { String(decoding: $0, as: UTF8.self) } : nil },
            script: { program throws(CtlError) in
                let outcome: Blocking.Outcome
                do { outcome = try runner.run([program], stdin: .null, stdout: .capture, stderr: .inherit) } catch {
                    throw .command([program], "could not be run: \(error)")
                }
                guard outcome.exit.success else { throw .command([program], "failed (\(outcome.exit))") }
                return String(decoding: outcome.stdout, as: UTF8.self)
            })
    }
}
