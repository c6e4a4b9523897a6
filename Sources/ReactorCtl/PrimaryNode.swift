import ReactorCore

/// Where a DRBD resource is Primary, from `drbdsetup status --json <res>`.
public enum PrimaryNode: Hashable, Sendable {
    /// This node (its `uname -n`).
    case local(String)
    /// The peer of that connection name.
    case peer(String)
    /// No Primary, or the state could not be read.
    case unknown

    /// Reads `drbdsetup status --json` output for `resource`; anything unreadable is `.unknown`.
    public static func parse(statusJSON text: String, resource: String, nodeName: String) -> PrimaryNode {
        guard let list = (try? JSONValue.parse(text))?.array,
            let res = list.first(where: { $0["name"]?.string == resource })
        else { return .unknown }
        if res["role"]?.string == "Primary" { return .local(nodeName) }
        if let peer = res["connections"]?.array?.first(where: { $0["peer-role"]?.string == "Primary" }) {
            return .peer(peer["name"]?.string ?? "unknown")
        }
        return .unknown
    }

    /// The connection names of `resource`'s peers in `drbdsetup status --json` output.
    public static func peers(statusJSON text: String, resource: String) -> [String] {
        guard let list = (try? JSONValue.parse(text))?.array, let res = list.first(where: { $0["name"]?.string == resource }) else { return [] }
        return res["connections"]?.array?.compactMap { $0["name"]?.string } ?? []
    }

    /// Asks drbdsetup (a failure, e.g. the resource is down, is `.unknown`).
    public static func query(_ resource: String, runner: CommandRunner, nodeName: String) -> PrimaryNode {
        guard let out = runner.output(["drbdsetup", "status", "--json", resource]) else { return .unknown }
        return parse(statusJSON: out, resource: resource, nodeName: nodeName)
    }

    /// The `primary_on` of `status --json`.
    public var name: String {
        switch self {
        case .local(let n), .peer(let n): n
        case .unknown: "unknown"
        }
    }
}
