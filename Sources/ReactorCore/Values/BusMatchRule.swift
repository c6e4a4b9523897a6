/// A D-Bus match rule (`type='signal',sender='...',path_namespace='...',member='...'`) as a value: what
/// the virtual bus filters signals with, as a bus daemon (or sd-bus, on a direct connection) does.
/// Only the keys the daemon uses are understood; a rule with any other key does not parse.
public struct BusMatchRule: Hashable, Sendable {
    public private(set) var sender: String?
    public private(set) var path: String?
    public private(set) var pathNamespace: String?
    public private(set) var interface: String?
    public private(set) var member: String?

    /// Parses `rule`; nil for a malformed rule, a key not understood, or a type other than `signal`.
    public init?(_ rule: String) {
        var rest = Substring(rule)
        while !rest.isEmpty {
            guard let eq = rest.firstIndex(of: "="), rest[rest.index(after: eq)...].first == "'" else { return nil }
            let key = rest[..<eq]
            let valueStart = rest.index(eq, offsetBy: 2)
            guard let close = rest[valueStart...].firstIndex(of: "'") else { return nil }
            let value = String(rest[valueStart..<close])
            switch key {
            case "type": guard value == "signal" else { return nil }
            case "sender": sender = value
            case "path": path = value
            case "path_namespace": pathNamespace = value
            case "interface": interface = value
            case "member": member = value
            default: return nil
            }
            rest = rest[rest.index(after: close)...]
            if rest.first == "," { rest = rest.dropFirst() } else if !rest.isEmpty { return nil }
        }
    }

    /// Whether the signal `message` matches every key of the rule.
    public func matches(_ message: BusMessage) -> Bool {
        if let sender, message.sender != sender { return false }
        if let path, message.path != path { return false }
        if let pathNamespace {
            guard let p = message.path, p == pathNamespace || p.hasPrefix(pathNamespace + "/") else { return false }
        }
        if let interface, message.interface != interface { return false }
        if let member, message.member != member { return false }
        return true
    }
}
