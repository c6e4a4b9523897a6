/// A small, immutable table from ASCII spellings to values, matched against raw bytes.
///
/// The events2 parser looks up every verb, object, key and enum word with it, so nothing is decoded to a
/// `String` just to be compared. Tables have at most a few dozen entries; a linear scan beats hashing
/// here. Each spelling is stored packed eight bytes to a word (`ByteWord`), so an entry is rejected or
/// (for spellings of up to eight bytes, most of them) accepted by comparing its length and one integer.
/// `index(of:_:hint:)` starts at a caller-kept hint because DRBD prints the keys of an object in a fixed
/// order: with the hint, a typical line needs one comparison per token.
struct ByteTable<Value: Sendable>: Sendable {
    /// The spellings as given, for messages (`missing key 'volume'`).
    let names: [String]
    let values: [Value]
    /// The packed spellings. Matching lives in a non-generic type so that it is one inlinable piece of
    /// code, not a generic function the compiler merges across specialisations and calls out of line.
    let spellings: PackedSpellings

    init(_ pairs: [(String, Value)]) {
        names = pairs.map(\.0)
        values = pairs.map(\.1)
        spellings = PackedSpellings(names)
    }

    /// The index of `line[range]`, searching from `hint` and wrapping around; on a match `hint` moves
    /// past it. Inlined: it runs once per token.
    @inline(__always)
    func index(of line: Span<UInt8>, _ range: Range<Int>, hint: inout Int) -> Int? {
        spellings.index(of: line, range, hint: &hint)
    }

    /// The value spelled `line[range]`, or nil.
    @inline(__always)
    func value(of line: Span<UInt8>, _ range: Range<Int>) -> Value? {
        var hint = 0
        guard let i = index(of: line, range, hint: &hint) else { return nil }
        return values[i]
    }
}

/// The spellings of a `ByteTable`, packed eight bytes to a word, and the byte matching itself.
struct PackedSpellings: Sendable {
    /// Per entry: its length and its first sixteen bytes, packed (one array: one bounds check per probe).
    private let heads: [Head]
    /// Bytes 16... of entry `i` (rare: `force-io-failures`), packed: `tails[tailStarts[i] ..< tailStarts[i + 1]]`.
    private let tails: [UInt64]
    private let tailStarts: [Int]

    private struct Head: Sendable {
        var length: Int
        /// Bytes 0..<8 and 8..<16, zero-padded.
        var word: UInt64
        var second: UInt64
        /// The spelling followed by a colon, packed like the head words (two words and their byte
        /// masks; if it does not fit in sixteen bytes, a first mask of 0 and a word no masked load
        /// equals): how a `key:value` token starts.
        var keyWord: UInt64
        var keyMask: UInt64
        var keySecond: UInt64
        var keySecondMask: UInt64
    }

    init(_ names: [String]) {
        var heads: [Head] = []
        var tails: [UInt64] = []
        var tailStarts = [0]
        for name in names {
            let bytes = Array(name.utf8)
            let key = bytes + [UInt8(ascii: ":")]
            let fits = key.count <= 16
            heads.append(Head(
                length: bytes.count, word: ByteWord.pack(bytes.prefix(8)), second: ByteWord.pack(bytes.dropFirst(8).prefix(8)),
                keyWord: fits ? ByteWord.pack(key.prefix(8)) : 1, keyMask: fits ? ByteWord.mask(key.count) : 0,
                keySecond: fits ? ByteWord.pack(key.dropFirst(8)) : 0, keySecondMask: fits ? ByteWord.mask(key.count - 8) : 0))
            for start in stride(from: 16, to: bytes.count, by: 8) {
                tails.append(ByteWord.pack(bytes[start..<min(start + 8, bytes.count)]))
            }
            tailStarts.append(tails.count)
        }
        self.heads = heads
        self.tails = tails
        self.tailStarts = tailStarts
    }

    /// See `ByteTable.index(of:_:hint:)`. The hinted entry is tried first, with the token's first word
    /// loaded once: with DRBD's fixed key order that is the only comparison a typical token needs.
    @inline(__always)
    func index(of line: Span<UInt8>, _ range: Range<Int>, hint: inout Int) -> Int? {
        let length = range.count
        let word = ByteWord.load(line, at: range.lowerBound, count: length)
        let count = heads.count
        var i = hint < count ? hint : 0
        for _ in 0..<count {
            if matches(heads[i], i, line, range, length, word) {
                hint = i &+ 1
                return i
            }
            i = i &+ 1 == count ? 0 : i &+ 1
        }
        return nil
    }

    /// If the token starting at `start` begins with entry `entry`'s spelling (of up to fifteen bytes) and
    /// a colon, the colon's index. DRBD prints an object's keys in table order, so checking the expected
    /// key this way (one load, one masked comparison) usually spares scanning for the key's end and
    /// searching the table; on nil the caller does both.
    @inline(__always)
    func colon(ofKeyAt start: Int, in line: Span<UInt8>, entry: Int) -> Int? {
        guard entry < heads.count else { return nil }
        let head = heads[entry]
        guard ByteWord.load(line, at: start) & head.keyMask == head.keyWord else { return nil }
        if head.keySecondMask != 0 {
            // The first word matched all eight bytes, so they are inside the line and start + 8 is too.
            guard ByteWord.load(line, at: start &+ 8) & head.keySecondMask == head.keySecond else { return nil }
        }
        return start &+ head.length
    }

    /// Whether entry `i` (whose head is `head`) spells `line[range]`, `word` being its first eight bytes.
    @inline(__always)
    private func matches(_ head: Head, _ i: Int, _ line: Span<UInt8>, _ range: Range<Int>, _ length: Int, _ word: UInt64) -> Bool {
        head.length == length && head.word == word
            && (length <= 8 || (head.second == ByteWord.load(line, at: range.lowerBound &+ 8, count: length &- 8)
                && (length <= 16 || tailMatches(i, line, range))))
    }

    /// Whether bytes 16... of `line[range]` equal those of entry `i` (whose length was already checked).
    private func tailMatches(_ i: Int, _ line: Span<UInt8>, _ range: Range<Int>) -> Bool {
        var offset = 16
        for k in tailStarts[i]..<tailStarts[i + 1] {
            let word = ByteWord.load(line, at: range.lowerBound + offset, count: range.count - offset)
            if word != tails[k] { return false }
            offset += 8
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
