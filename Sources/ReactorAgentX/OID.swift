import ReactorCore

/// An SNMP object identifier: a sequence of sub-identifiers, ordered lexicographically as SNMP walks it.
///
/// Pure value type; the AgentX codec writes it with the `1.3.6.1.<prefix>` compression of RFC 2741 5.1.
public struct OID: Hashable, Sendable, Comparable, CustomStringConvertible, ExpressibleByArrayLiteral {
    public var components: [UInt32]

    public init(_ components: [UInt32]) { self.components = components }
    public init(arrayLiteral elements: UInt32...) { components = elements }

    /// Parses dotted text (`1.3.6.1.4.1.23302`, an optional leading dot); nil when malformed.
    public init?(_ text: String) {
        var body = Substring(text)
        if body.hasPrefix(".") { body = body.dropFirst() }
        var out: [UInt32] = []
        for part in body.split(separator: ".", omittingEmptySubsequences: false) {
            guard let v = UInt32(part) else { return nil }
            out.append(v)
        }
        components = out
    }

    /// The null OID (no sub-identifiers): "no upper bound" in a search range.
    public static let null = OID([])

    public var isNull: Bool { components.isEmpty }

    /// Whether `self` starts with `prefix` (an OID is under itself).
    public func hasPrefix(_ prefix: OID) -> Bool {
        components.count >= prefix.components.count && components.starts(with: prefix.components)
    }

    /// `self` followed by `more`.
    public func appending(_ more: UInt32...) -> OID { OID(components + more) }

    public static func < (a: OID, b: OID) -> Bool { a.components.lexicographicallyPrecedes(b.components) }

    public var description: String { components.map(String.init).joined(separator: ".") }
}
