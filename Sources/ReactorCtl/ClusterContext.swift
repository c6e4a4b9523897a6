import Reactor

/// `--context`: which nodes a command runs on. A context file
/// `$XDG_CONFIG_HOME/drbd-reactorctl/<ctx>.toml` (or `~/.config/drbd-reactorctl/`) lists
/// `[nodes."<name>"]` with `hostname` (default: the name) and `user` (default `root`).
public enum ClusterContext {
    /// A node of a context.
    public struct Node: Hashable, Sendable {
        public var name: String
        public var hostname: String
        public var user: String
    }

    /// The context file of `name`.
    public static func file(_ name: String, environment env: [String: String]) -> String {
        let base = env["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((env["HOME"] ?? "") + "/.config")
        return base + "/drbd-reactorctl/\(name).toml"
    }

    /// The nodes of a context file's text, filtered by `only` (node names; empty = all), sorted by host.
    public static func nodes(_ text: String, file: String, only: [String]) throws(CtlError) -> [Node] {
        let table: ConfigTable
        do { table = try TOMLLoader.parse(text, file: file) } catch { throw .config(error) }
        guard case .table(let nodes)? = table["nodes"] else { return [] }
        return nodes.keys.filter { only.isEmpty || only.contains($0) }.map { name in
            var node = Node(name: name, hostname: name, user: "root")
            if case .table(let t)? = nodes[name] {
                if case .string(let h)? = t["hostname"] { node.hostname = h }
                if case .string(let u)? = t["user"] { node.user = u }
            }
            return node
        }.sorted { $0.hostname < $1.hostname }
    }

    /// Checks that `context` runs on this node only: `none` and `local` do, a missing `default` does; a
    /// context with any node other than `nodeName` is refused (this build has no remote execution).
    public static func requireLocal(
        _ context: String, nodes only: [String], nodeName: String, environment: [String: String],
        read: (String) -> String? = { p in (try? FileSystem.readFile(p)).map { String(decoding: $0, as: UTF8.self) } }
    ) throws(CtlError) {
        if context == "none" || context == "local" { return }
        let path = file(context, environment: environment)
        guard let text = read(path) else {
            if context == "default" { return }
            throw .unknownContext(name: context, path: path)
        }
        if try nodes(text, file: path, only: only).contains(where: { $0.hostname != nodeName && $0.name != nodeName }) {
            throw .clusterUnsupported(context: context)
        }
    }
}
