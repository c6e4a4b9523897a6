import ReactorCore

/// `ls`: one line per plugin of a snippet.
public enum SnippetListing {
    /// `- Promoter: r0; start = [...]`, `- Prometheus: :9942`, `- Debugger`, `- UMH`, `- AgentX: addr`.
    public static func lines(_ s: Snippet) -> [String] {
        return s.plugins.flatMap { plugin -> [String] in
            switch plugin {
            case .promoter(let c):
                c.resources.map { "- Promoter: \($0.name)\(s.enabled ? "" : " (disabled)"); start = \(startList($0.start))" }
            case .prometheus(let c): ["- Prometheus: \(c.address)"]
            case .debugger: ["- Debugger"]
            case .umh: ["- UMH"]
            case .agentx(let c): ["- AgentX: \(c.address)"]
            }
        }
    }

    /// The first three entries quoted, `"..."` when there are more; one item per line when an entry or
    /// all of them together are longer than 80 characters.
    static func startList(_ start: [String]) -> String {
        var items = start.prefix(3).map { TOMLWriter.quote($0) }
        if start.count > 3 { items.append("\"...\"") }
        let long = start.prefix(3).contains { $0.count > 80 } || start.prefix(3).reduce(0) { $0 + $1.count } > 80
        return long ? "[" + items.map { "\n   " + $0 }.joined(separator: ",") + "\n]" : "[" + items.joined(separator: ", ") + "]"
    }
}

extension CtlContext {
    /// `ls`: every snippet (enabled and disabled) with its plugins; a snippet that does not decode is
    /// reported with its error (file:line) and skipped.
    public func list(_ args: [String]) {
        for path in snippetPaths(args, state: .any) {
            console.line("\(path):")
            do { for l in SnippetListing.lines(try Snippet.load(path)) { console.line(l) } } catch {
                console.progress("Error: \(error)")
            }
        }
    }
}
