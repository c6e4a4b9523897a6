/// Just enough JSON for what drbdsetup prints (`status --json`, `show --json`): a strict parser into a
/// plain value tree. The library has no Foundation; these documents are small.
public indirect enum JSONValue: Hashable, Sendable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    /// Why a document is not JSON.
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public var offset: Int
        public var description: String { "invalid JSON at byte \(offset)" }
    }

    /// `self[key]` of an object; nil for anything else.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }

    /// Parses a whole document (surrounding white space allowed, nothing else).
    public static func parse(_ text: String) throws(ParseError) -> JSONValue {
        var p = Parser(bytes: Array(text.utf8))
        let v = try p.value()
        p.skipSpace()
        guard p.at == p.bytes.count else { throw ParseError(offset: p.at) }
        return v
    }

    /// A recursive-descent reader over the UTF-8 bytes.
    private struct Parser {
        let bytes: [UInt8]
        var at = 0

        mutating func skipSpace() {
            while at < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[at]) { at += 1 }
        }

        func fail() -> ParseError { ParseError(offset: at) }

        mutating func expect(_ literal: String) throws(ParseError) {
            for b in literal.utf8 {
                guard at < bytes.count, bytes[at] == b else { throw fail() }
                at += 1
            }
        }

        mutating func value() throws(ParseError) -> JSONValue {
            skipSpace()
            guard at < bytes.count else { throw fail() }
            switch bytes[at] {
            case UInt8(ascii: "{"): return try object()
            case UInt8(ascii: "["): return try array()
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "n"): try expect("null"); return .null
            default: return try number()
            }
        }

        mutating func object() throws(ParseError) -> JSONValue {
            var members: [String: JSONValue] = [:]
            try elements(closing: "}") { p throws(ParseError) in
                p.skipSpace()
                guard p.at < p.bytes.count, p.bytes[p.at] == UInt8(ascii: "\"") else { throw p.fail() }
                let key = try p.string()
                p.skipSpace()
                try p.expect(":")
                members[key] = try p.value()
            }
            return .object(members)
        }

        mutating func array() throws(ParseError) -> JSONValue {
            var items: [JSONValue] = []
            try elements(closing: "]") { p throws(ParseError) in items.append(try p.value()) }
            return .array(items)
        }

        /// The comma-separated elements after an opening bracket, up to and including `closing`.
        mutating func elements(closing: Unicode.Scalar, _ element: (inout Parser) throws(ParseError) -> Void) throws(ParseError) {
            at += 1
            skipSpace()
            if at < bytes.count, bytes[at] == UInt8(ascii: closing) {
                at += 1
                return
            }
            while true {
                try element(&self)
                skipSpace()
                guard at < bytes.count else { throw fail() }
                at += 1
                if bytes[at - 1] == UInt8(ascii: closing) { return }
                guard bytes[at - 1] == UInt8(ascii: ",") else {
                    at -= 1
                    throw fail()
                }
            }
        }

        mutating func string() throws(ParseError) -> String {
            at += 1
            var out: [UInt8] = []
            while at < bytes.count {
                let b = bytes[at]
                at += 1
                switch b {
                case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard at < bytes.count else { throw fail() }
                    let e = bytes[at]
                    at += 1
                    switch e {
                    case UInt8(ascii: "n"): out.append(0x0a)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0d)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0c)
                    case UInt8(ascii: "u"): out += Array(String(try unicodeEscape()).utf8)
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                    default: throw fail()
                    }
                case 0..<0x20: throw fail()
                default: out.append(b)
                }
            }
            throw fail()
        }

        /// The four hex digits after `\u` (a lone surrogate becomes U+FFFD; drbdsetup never prints one).
        mutating func unicodeEscape() throws(ParseError) -> Character {
            guard at + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[at..<at + 4], as: UTF8.self), radix: 16) else {
                throw fail()
            }
            at += 4
            return Character(Unicode.Scalar(v) ?? "\u{FFFD}")
        }

        mutating func number() throws(ParseError) -> JSONValue {
            let start = at
            while at < bytes.count, "+-0123456789.eE".utf8.contains(bytes[at]) { at += 1 }
            guard at > start, let d = Double(String(decoding: bytes[start..<at], as: UTF8.self)) else { throw fail() }
            return .number(d)
        }
    }
}
