/// A small, immutable table from ASCII spellings to values, matched against raw bytes.
///
/// The events2 parser looks up every verb, object, key and enum word with it, so nothing is decoded to a
/// `String` just to be compared. Tables have at most a few dozen entries; a linear scan that compares the
/// length first beats hashing here. `index(of:hint:)` starts at a caller-kept hint because DRBD prints
/// the keys of an object in a fixed order: with the hint, a typical line needs one comparison per token.
struct ByteTable<Value: Sendable>: Sendable {
    /// The spellings as given, for messages (`missing key 'volume'`).
    let names: [String]
    let values: [Value]
    private let spellings: [[UInt8]]

    init(_ pairs: [(String, Value)]) {
        names = pairs.map(\.0)
        values = pairs.map(\.1)
        spellings = pairs.map { Array($0.0.utf8) }
    }

    /// The index of `bytes`, searching from `hint` and wrapping around; on a match `hint` moves past it.
    func index(of bytes: ArraySlice<UInt8>, hint: inout Int) -> Int? {
        let count = spellings.count
        var i = hint < count ? hint : 0
        for _ in 0..<count {
            if Self.equal(spellings[i], bytes) {
                hint = i + 1
                return i
            }
            i = i + 1 == count ? 0 : i + 1
        }
        return nil
    }

    /// The value spelled `bytes`, or nil.
    func value(of bytes: ArraySlice<UInt8>) -> Value? {
        var hint = 0
        return index(of: bytes, hint: &hint).map { values[$0] }
    }

    /// Byte-wise equality, length first (most mismatches end there).
    @inline(__always)
    private static func equal(_ spelling: [UInt8], _ bytes: ArraySlice<UInt8>) -> Bool {
        guard spelling.count == bytes.count else { return false }
        var j = bytes.startIndex
        for b in spelling {
            if b != bytes[j] { return false }
            j += 1
        }
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
