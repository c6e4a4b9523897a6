/// A small, immutable table from ASCII spellings to values, matched against raw bytes.
///
/// The events2 parser looks up every verb, object, key and enum word with it, so nothing is decoded to a
/// `String` just to be compared. Tables have at most a few dozen entries; a linear scan that compares the
/// length first beats hashing here. All spellings live in one flat byte array (no per-entry array to
/// retain). `index(of:_:hint:)` starts at a caller-kept hint because DRBD prints the keys of an object in
/// a fixed order: with the hint, a typical line needs one comparison per token.
struct ByteTable<Value: Sendable>: Sendable {
    /// The spellings as given, for messages (`missing key 'volume'`).
    let names: [String]
    let values: [Value]
    /// Spelling `i` is `spelled[starts[i]..<starts[i + 1]]`.
    private let spelled: [UInt8]
    private let starts: [Int]

    init(_ pairs: [(String, Value)]) {
        names = pairs.map(\.0)
        values = pairs.map(\.1)
        spelled = pairs.flatMap { Array($0.0.utf8) }
        var starts = [0]
        for (name, _) in pairs { starts.append(starts[starts.count - 1] + name.utf8.count) }
        self.starts = starts
    }

    /// The index of `line[range]`, searching from `hint` and wrapping around; on a match `hint` moves
    /// past it. Inlined: it runs once per token.
    @inline(__always)
    func index(of line: Span<UInt8>, _ range: Range<Int>, hint: inout Int) -> Int? {
        let table = spelled.span
        let count = values.count
        let length = range.count
        var i = hint < count ? hint : 0
        for _ in 0..<count {
            let start = starts[i]
            if starts[i + 1] - start == length, Self.equal(table, start, line, range.lowerBound, length) {
                hint = i + 1
                return i
            }
            i = i + 1 == count ? 0 : i + 1
        }
        return nil
    }

    /// The value spelled `line[range]`, or nil.
    func value(of line: Span<UInt8>, _ range: Range<Int>) -> Value? {
        var hint = 0
        return index(of: line, range, hint: &hint).map { values[$0] }
    }

    @inline(__always)
    private static func equal(_ a: Span<UInt8>, _ aStart: Int, _ b: Span<UInt8>, _ bStart: Int, _ length: Int) -> Bool {
        for k in 0..<length where a[aStart + k] != b[bStart + k] { return false }
        return true
    }
}

extension ByteTable where Value: RawRepresentable & CaseIterable, Value.RawValue == String {
    /// A table of every case of a string-backed enum, spelled as its raw value, in declaration order.
    init(cases _: Value.Type) {
        self.init(Value.allCases.map { ($0.rawValue, $0) })
    }
}

extension ByteTable where Value: Equatable {
    /// A bit mask with the bit of each of `wanted` set (bit n = entry n); tables stay below 32 entries.
    func mask(_ wanted: [Value]) -> UInt32 {
        var mask: UInt32 = 0
        for (i, v) in values.enumerated() where wanted.contains(v) { mask |= 1 << UInt32(i) }
        return mask
    }
}
