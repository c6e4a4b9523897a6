import ReactorCore
import ReactorDaemon
import ReactorSystem

extension CtlContext {
    /// `watch [--json]`: the daemon's stream (control socket `watch`): first its status, then every
    /// DRBD state change and promoter decision, until the daemon goes away (an error) or SIGINT/SIGTERM
    /// (success). `--json` prints the lines as they come, else a line of text each.
    public func watch(json: Bool, signals: SignalFD?) throws(CtlError) {
        let daemonEnded = try ControlClient(path: RuntimeDirectory.controlSocket(runDirectory)).stream(
            "watch",
            until: { line in
                if json {
                    console.line(line)
                } else if let value = try? JSONValue.parse(line) {
                    for l in Self.text(value) { console.line(l) }
                }
                return true
            }, idleMilliseconds: nil, signals: signals)
        if daemonEnded { throw .control(path: RuntimeDirectory.controlSocket(runDirectory), "the daemon closed the connection") }
    }

    /// A watch line as text.
    static func text(_ v: JSONValue) -> [String] {
        switch v["type"]?.string {
        case "status":
            let promoters = v["promoter"]?.array ?? []
            var out = ["status of \(v["node"]?.string ?? "?"): \(promoters.count) promoter resource\(promoters.count == 1 ? "" : "s")"]
            for p in promoters {
                let name = p["resource"]?.string ?? "?"
                out.append(p["here"]?.bool == true ? "  \(name): runs here" : "  \(name): not here: \(p["why_not"]?.string ?? "?")")
            }
            return out
        case "state":
            let what = ["object", "peer", "volume", "role", "may_promote", "disk", "quorum", "connection", "peer_role"].compactMap { key -> String? in
                guard let value = v[key] else { return nil }
                switch value {
                case .string(let s): return key == "object" ? s : "\(key):\(s)"
                case .bool(let b): return "\(key):\(b ? "yes" : "no")"
                default: return nil
                }
            }
            return ["\(v["resource"]?.string ?? "?"): \(v["event"]?.string ?? "") " + what.joined(separator: " ")]
        case "promoter":
            return ["\(v["resource"]?.string ?? "?"): promoter: \(v["message"]?.string ?? "")"]
        default:
            return [v["message"]?.string ?? "?"]
        }
    }
}
