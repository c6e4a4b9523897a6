/// The value bytes of one `key:value` token and the typed readers the object records use.
///
/// Every reader rejects an empty value, so `role:` is a precise error instead of a silent default.
struct Events2Value {
    let bytes: ArraySlice<UInt8>
    /// The key, for error messages.
    let key: String

    /// The value as text (paths, names, addresses); invalid UTF-8 is replaced, never fatal.
    func string() throws(Events2ParseError) -> String {
        try nonEmpty()
        return String(decoding: bytes, as: UTF8.self)
    }

    /// DRBD's boolean: `no` and `false` are false, anything else (`yes`, `user`, `quorum,user`, ...) is a
    /// reason and therefore true, as in the original's `str_to_bool`.
    func flag() throws(Events2ParseError) -> Bool {
        try nonEmpty()
        return !(equals("no") || equals("false"))
    }

    /// `client`, `open` and `peer-client`: like `flag()`, but `unknown` (printed by old kernels that do not
    /// report the field) is false. The original took it as true (reference 4.1 #4), claiming an open device
    /// or a diskless client that nobody reported.
    func flagUnknownIsFalse() throws(Events2ParseError) -> Bool {
        try nonEmpty()
        return equals("unknown") ? false : try flag()
    }

    /// A 64-bit counter: decimal digits only, overflow is an error.
    func uint64() throws(Events2ParseError) -> UInt64 {
        try nonEmpty()
        var n: UInt64 = 0
        for b in bytes {
            let digit = b &- UInt8(ascii: "0")
            guard digit < 10 else { throw badNumber() }
            let (times10, o1) = n.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
            guard !o1, !o2 else { throw badNumber() }
            n = sum
        }
        return n
    }

    /// A 32-bit signed number (volume, minor, node id, promotion score, helper status).
    func int32() throws(Events2ParseError) -> Int32 {
        try nonEmpty()
        let negative = bytes.first == UInt8(ascii: "-")
        let digits = negative ? bytes.dropFirst() : bytes
        guard !digits.isEmpty else { throw badNumber() }
        let magnitude = try Events2Value(bytes: digits, key: key).uint64()
        let limit: UInt64 = negative ? UInt64(Int32.max) + 1 : UInt64(Int32.max)
        guard magnitude <= limit else { throw badNumber() }
        return negative ? Int32(truncatingIfNeeded: 0 &- magnitude) : Int32(magnitude)
    }

    /// A DRBD state word; an unfamiliar word is kept as `.other` instead of dropping the line.
    func word<W: Events2Word>(_: W.Type = W.self) throws(Events2ParseError) -> W {
        try nonEmpty()
        return W.events2Words.value(of: bytes) ?? W.other(String(decoding: bytes, as: UTF8.self))
    }

    /// Whether the value is exactly `text` (ASCII).
    func equals(_ text: StaticString) -> Bool {
        guard text.utf8CodeUnitCount == bytes.count else { return false }
        var j = bytes.startIndex
        var equal = true
        text.withUTF8Buffer { buffer in
            for b in buffer where equal {
                equal = b == bytes[j]
                j += 1
            }
        }
        return equal
    }

    private func nonEmpty() throws(Events2ParseError) {
        if bytes.isEmpty { throw .missingValue(key: key) }
    }

    private func badNumber() -> Events2ParseError {
        .badNumber(key: key, value: String(decoding: bytes, as: UTF8.self))
    }
}

/// A DRBD state enum the parser can read from bytes: its known spellings come from `known` and
/// `description` (States.swift), anything else becomes `.other(word)`.
protocol Events2Word: CustomStringConvertible, Sendable {
    static var events2Words: ByteTable<Self> { get }
    static func other(_ word: String) -> Self
}

extension Events2Word {
    /// The byte table of `known`, spelled by `description`.
    static func table(_ known: [Self]) -> ByteTable<Self> {
        ByteTable(known.map { ($0.description, $0) })
    }
}

extension Role: Events2Word { static let events2Words = table(known) }
extension DiskState: Events2Word { static let events2Words = table(known) }
extension ConnectionState: Events2Word { static let events2Words = table(known) }
extension ReplicationState: Events2Word { static let events2Words = table(known) }
