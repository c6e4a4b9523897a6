/// Where a prometheus endpoint listens, as written in `address`: the socket layer binds it.
///
/// The spellings are those of the original's `LocalAddress` plus host names: `:P` (every address),
/// `1.2.3.4:P`, `[v6]:P` and `host:P`. Addresses are parsed here, in pure Swift, so a typo is a config
/// error with a line number instead of a bind failure at runtime. Names are kept as names: resolving them
/// is I/O and happens at bind time. A bare IPv6 address without brackets (`::9999`) is rejected, as in
/// the original, because its port cannot be told apart from its last group.
public enum ListenAddress: Hashable, Sendable, CustomStringConvertible {
    /// `:P`: bind `[::]:P` (which also accepts IPv4 on a dual-stack host), or `0.0.0.0:P` when IPv6 is
    /// unavailable (`ipv6.disable=1`).
    case any(port: UInt16)
    /// An explicit IPv4 address: 4 bytes in network order.
    case ipv4(address: [UInt8], port: UInt16)
    /// An explicit IPv6 address: 16 bytes in network order.
    case ipv6(address: [UInt8], port: UInt16)
    /// A host name, resolved when binding.
    case host(name: String, port: UInt16)

    /// Why an address text was rejected (the config layer adds file, line and key).
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    public var port: UInt16 {
        switch self {
        case .any(let p), .ipv4(_, let p), .ipv6(_, let p), .host(_, let p): p
        }
    }

    /// Parses `:P`, `a.b.c.d:P`, `[v6]:P` or `host:P`.
    public init(parsing text: String) throws(ParseError) {
        let chars = Array(text.utf8)
        if chars.first == UInt8(ascii: "[") {
            guard let close = chars.firstIndex(of: UInt8(ascii: "]")), close + 1 < chars.count,
                chars[close + 1] == UInt8(ascii: ":")
            else { throw ParseError(description: "expected '[IPv6]:port', found '\(text)'") }
            guard let bytes = Self.ipv6Bytes(chars[1..<close]) else {
                throw ParseError(description: "'\(String(decoding: chars[1..<close], as: UTF8.self))' is not an IPv6 address")
            }
            self = .ipv6(address: bytes, port: try Self.port(chars[(close + 2)...], in: text))
            return
        }
        guard let colon = chars.lastIndex(of: UInt8(ascii: ":")) else {
            throw ParseError(description: "expected ':port', 'ip:port', '[ipv6]:port' or 'host:port', found '\(text)'")
        }
        let host = chars[..<colon]
        let port = try Self.port(chars[(colon + 1)...], in: text)
        if host.isEmpty {
            self = .any(port: port)
        } else if host.contains(UInt8(ascii: ":")) {
            throw ParseError(description: "an IPv6 address needs brackets ('[::1]:9942'), found '\(text)'")
        } else if host.allSatisfy({ Self.isDigit($0) || $0 == UInt8(ascii: ".") }) {
            guard let bytes = Self.ipv4Bytes(host) else {
                throw ParseError(description: "'\(String(decoding: host, as: UTF8.self))' is not an IPv4 address")
            }
            self = .ipv4(address: bytes, port: port)
        } else if Self.isHostName(host) {
            self = .host(name: String(decoding: host, as: UTF8.self), port: port)
        } else {
            throw ParseError(description: "'\(String(decoding: host, as: UTF8.self))' is not a host name")
        }
    }

    /// The text form `init(parsing:)` accepts (IPv6 in RFC 5952 form), used for TOML dumps and logs.
    public var description: String {
        switch self {
        case .any(let port): ":\(port)"
        case .ipv4(let a, let port): a.map(String.init).joined(separator: ".") + ":\(port)"
        case .ipv6(let a, let port): "[\(Self.formatIPv6(a))]:\(port)"
        case .host(let name, let port): "\(name):\(port)"
        }
    }

    // MARK: - Parsing helpers

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    private static func hexValue(_ c: UInt8) -> UInt16? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt16(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt16(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt16(c - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// A decimal number of at most `maxDigits` digits, at most `max`.
    private static func decimal(_ s: ArraySlice<UInt8>, maxDigits: Int, max: Int) -> Int? {
        guard !s.isEmpty, s.count <= maxDigits, s.allSatisfy(isDigit) else { return nil }
        let v = s.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        return v <= max ? v : nil
    }

    /// Port 0 is accepted (the kernel picks one), which tests use to avoid collisions.
    private static func port(_ s: ArraySlice<UInt8>, in text: String) throws(ParseError) -> UInt16 {
        guard let p = decimal(s, maxDigits: 5, max: 65535) else {
            throw ParseError(description: "'\(String(decoding: s, as: UTF8.self))' is not a port number (0-65535) in '\(text)'")
        }
        return UInt16(p)
    }

    /// Dotted quad, each part 0-255 without sign (leading zeros allowed, read as decimal).
    static func ipv4Bytes(_ s: ArraySlice<UInt8>) -> [UInt8]? {
        let parts = s.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for part in parts {
            guard let v = decimal(part, maxDigits: 3, max: 255) else { return nil }
            out.append(UInt8(v))
        }
        return out
    }

    /// RFC 4291 text: up to eight hex groups, at most one `::`, optionally ending in a dotted quad.
    static func ipv6Bytes(_ s: ArraySlice<UInt8>) -> [UInt8]? {
        let text = Array(s)
        var head = text[...], tail: ArraySlice<UInt8>? = nil
        if let gap = (0..<max(0, text.count - 1)).first(where: { text[$0] == UInt8(ascii: ":") && text[$0 + 1] == UInt8(ascii: ":") }) {
            head = text[..<gap]
            tail = text[(gap + 2)...]
        }
        // Only the very last group of the address may be a dotted quad.
        guard let h = groups(head, quadAllowed: tail == nil), let t = groups(tail ?? [], quadAllowed: true) else { return nil }
        let count = h.count + t.count
        if tail == nil ? count != 16 : count > 14 { return nil }
        return h + [UInt8](repeating: 0, count: 16 - count) + t
    }

    /// The bytes of colon-separated groups; the last one may be a dotted quad.
    private static func groups(_ s: ArraySlice<UInt8>, quadAllowed: Bool) -> [UInt8]? {
        if s.isEmpty { return [] }
        let parts = s.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        var out: [UInt8] = []
        for (i, part) in parts.enumerated() {
            if quadAllowed, i == parts.count - 1, part.contains(UInt8(ascii: ".")) {
                guard let quad = ipv4Bytes(part) else { return nil }
                out += quad
                continue
            }
            guard (1...4).contains(part.count) else { return nil }
            var v: UInt16 = 0
            for c in part {
                guard let d = hexValue(c) else { return nil }
                v = v << 4 | d
            }
            out += [UInt8(v >> 8), UInt8(v & 0xff)]
        }
        return out
    }

    /// RFC 1123 labels: letters, digits and hyphens, not starting or ending with a hyphen.
    private static func isHostName(_ s: ArraySlice<UInt8>) -> Bool {
        guard s.count <= 253 else { return false }
        return s.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy { label in
            guard (1...63).contains(label.count), label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-")
            else { return false }
            return label.allSatisfy { c in
                let lower = c | 0x20
                return isDigit(c) || (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z")) || c == UInt8(ascii: "-")
            }
        }
    }

    /// RFC 5952: lowercase, no leading zeros, the longest run (of two or more) of zero groups as `::`.
    static func formatIPv6(_ bytes: [UInt8]) -> String {
        let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        var best = (start: -1, length: 0), run = (start: -1, length: 0)
        for (i, g) in groups.enumerated() {
            if g == 0 {
                run = run.start < 0 ? (i, 1) : (run.start, run.length + 1)
                if run.length > best.length { best = run }
            } else {
                run = (-1, 0)
            }
        }
        let hex = { (r: ArraySlice<UInt16>) in r.map { String($0, radix: 16) }.joined(separator: ":") }
        guard best.length >= 2 else { return hex(groups[...]) }
        return hex(groups[..<best.start]) + "::" + hex(groups[(best.start + best.length)...])
    }
}
