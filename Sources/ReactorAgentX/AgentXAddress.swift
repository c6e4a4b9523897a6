import ReactorCore

/// Where the AgentX master (snmpd) listens, as written in `address`.
///
/// 1.x takes `host:port` over TCP (default `localhost:705`); those spellings are parsed as prometheus'
/// `ListenAddress` is (`1.2.3.4:P`, `[v6]:P`, `host:P`), optionally with net-snmp's `tcp:` prefix.
/// As an extension, `unix:/path` (or just `/path`) names an AF_UNIX stream socket, snmpd's own default
/// (`/var/agentx/master`).
public enum AgentXAddress: Hashable, Sendable, CustomStringConvertible {
    /// A TCP address; never `.any` (there is nothing to connect to at "every address").
    case tcp(ListenAddress)
    case unix(String)

    public static let `default` = AgentXAddress.tcp(.host(name: "localhost", port: 705))

    public init(parsing text: String) throws(ListenAddress.ParseError) {
        if text.hasPrefix("/") || text.hasPrefix("unix:") {
            let path = text.hasPrefix("unix:") ? String(text.dropFirst(5)) : text
            guard path.hasPrefix("/"), path.count > 1 else {
                throw ListenAddress.ParseError(description: "expected 'unix:/absolute/path', found '\(text)'")
            }
            self = .unix(path)
            return
        }
        let body = text.hasPrefix("tcp:") ? String(text.dropFirst(4)) : text
        let address = try ListenAddress(parsing: body)
        if case .any = address {
            throw ListenAddress.ParseError(description: "expected 'host:port' of the AgentX master, found '\(text)' (no host)")
        }
        self = .tcp(address)
    }

    /// The text `init(parsing:)` reads back to the same value.
    public var description: String {
        switch self {
        case .tcp(let a): a.description
        case .unix(let path): "unix:\(path)"
        }
    }
}
