/// Where the value of one `key:value` token is in the line, and the typed readers the object records
/// use. The line itself is passed to each reader (a `Span` cannot be stored in an escapable value).
///
/// Every reader rejects an empty value, so `role:` is a precise error instead of a silent default.
struct Events2Value<Key: RawRepresentable> where Key.RawValue == String {
    /// The value's bytes, as indices into the line.
    let range: Range<Int>
    /// The key, for error messages.
    let key: Key

    /// The value as text (paths, names, addresses); invalid UTF-8 is replaced, never fatal.
    func string(_ line: Span<UInt8>) throws(Events2ParseError) -> String {
        try nonEmpty()
        return Self.text(line, range)
    }

    /// DRBD's boolean: `no` and `false` are false, anything else (`yes`, `user`, `quorum,user`, ...) is a
    /// reason and therefore true, as in the original's `str_to_bool`.
    @inline(__always)
    func flag(_ line: Span<UInt8>) throws(Events2ParseError) -> Bool {
        try nonEmpty()
        let word = literal(line)
        return !(word == .no || word == .false)
    }

    /// `client`, `open` and `peer-client`: like `flag`, but `unknown` (printed by old kernels that do not
    /// report the field) is false. The original took it as true, claiming an open
    /// device or a diskless client that nobody reported.
    @inline(__always)
    func flagUnknownIsFalse(_ line: Span<UInt8>) throws(Events2ParseError) -> Bool {
        try nonEmpty()
        return literal(line) == .unknown ? false : try flag(line)
    }

    /// A 64-bit counter: decimal digits only, overflow is an error.
    @inline(__always)
    func uint64(_ line: Span<UInt8>) throws(Events2ParseError) -> UInt64 {
        try nonEmpty()
        return try digits(line, range)
    }

    /// A 32-bit signed number (volume, minor, node id, promotion score, helper status).
    @inline(__always)
    func int32(_ line: Span<UInt8>) throws(Events2ParseError) -> Int32 {
        try nonEmpty()
        let negative = line[range.lowerBound] == UInt8(ascii: "-")
        let magnitude = try digits(line, negative ? range.lowerBound + 1..<range.upperBound : range)
        guard magnitude <= (negative ? UInt64(Int32.max) + 1 : UInt64(Int32.max)) else { throw badNumber(line) }
        return negative ? Int32(truncatingIfNeeded: 0 &- magnitude) : Int32(magnitude)
    }

    /// A DRBD state word; an unfamiliar word is kept as `.other` instead of dropping the line.
    @inline(__always)
    func word<W: Events2Word>(_ line: Span<UInt8>) throws(Events2ParseError) -> W {
        try nonEmpty()
        return W.events2Words.value(of: line, range) ?? W.other(Self.text(line, range))
    }

    /// Which of the few fixed spellings the readers test for the value is, if any (no allocation, one
    /// packed comparison per candidate).
    @inline(__always)
    func literal(_ line: Span<UInt8>) -> Events2Literal? {
        Events2Literal.table.value(of: line, range)
    }

    /// The decimal number in `line[digits]`; empty, non-digit or overflowing is an error. Up to 19 digits
    /// cannot overflow a UInt64, so only longer numbers pay for overflow checks.
    @inline(__always)
    private func digits(_ line: Span<UInt8>, _ digits: Range<Int>) throws(Events2ParseError) -> UInt64 {
        guard !digits.isEmpty else { throw badNumber(line) }
        var n: UInt64 = 0
        if digits.count <= 19 {
            for i in digits {
                let digit = line[i] &- UInt8(ascii: "0")
                guard digit < 10 else { throw badNumber(line) }
                n = n &* 10 &+ UInt64(digit)
            }
            return n
        }
        for i in digits {
            let digit = line[i] &- UInt8(ascii: "0")
            guard digit < 10 else { throw badNumber(line) }
            let (times10, o1) = n.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
            guard !o1, !o2 else { throw badNumber(line) }
            n = sum
        }
        return n
    }

    @inline(__always)
    private func nonEmpty() throws(Events2ParseError) {
        if range.isEmpty { throw .missingValue(key: key.rawValue) }
    }

    private func badNumber(_ line: Span<UInt8>) -> Events2ParseError {
        .badNumber(key: key.rawValue, value: Self.text(line, range))
    }

    /// `line[range]` as a String; invalid UTF-8 is repaired with U+FFFD.
    static func text(_ line: Span<UInt8>, _ range: Range<Int>) -> String {
        let bytes = line.extracting(range)
        if let ascii = ByteWord.asciiString(bytes) { return ascii }
        if let utf8 = try? UTF8Span(validating: bytes) { return String(copying: utf8) }
        var copy: [UInt8] = []
        copy.reserveCapacity(bytes.count)
        for i in bytes.indices { copy.append(bytes[i]) }
        return String(decoding: copy, as: UTF8.self)
    }
}

/// The fixed value spellings the readers recognise (see `Events2Value.literal`).
enum Events2Literal: String, CaseIterable, Sendable {
    case no, `false`, unknown
    /// `backing_dev:none`: a diskless device.
    case noDevice = "none"

    static let table = ByteTable(cases: Events2Literal.self)
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
