/// Yields the whitespace-separated tokens of a line as index ranges into it, with the position of each
/// token's first colon (where its key ends).
///
/// Design: the scan runs a word (eight bytes, `ByteWord`) at a time. A few bit operations flag every byte
/// below 0x21 (whitespace candidates) and, while looking for the key's end, every colon; only flagged
/// bytes are looked at one by one. A typical `key:value` token takes one word for the key and one or two
/// for the value, instead of a loop iteration per byte.
struct Events2Tokens {
    private var position = 0

    init() {}

    mutating func next(_ line: Span<UInt8>) -> Range<Int>? {
        nextKeyValue(line)?.token
    }

    /// The next token and the index of its first colon (`token.upperBound` if it has none).
    @inline(__always)
    mutating func nextKeyValue(_ line: Span<UInt8>) -> (token: Range<Int>, colon: Int)? {
        guard let start = nextStart(line) else { return nil }
        return keyValue(line, from: start)
    }

    /// Steps over the whitespace before the next token and returns where it starts, or nil (and stays
    /// at the end) if the line has no more tokens.
    @inline(__always)
    mutating func nextStart(_ line: Span<UInt8>) -> Int? {
        let count = line.count
        var start = position
        // Tokens are separated by one space in practice: step over it without the general loop's checks.
        if start < count, line[start] == 0x20 { start &+= 1 }
        while start < count, Self.isSpace(line[start]) { start += 1 }
        position = start
        return start < count ? start : nil
    }

    /// The token starting at `start` (from `nextStart`) and the index of its first colon.
    @inline(__always)
    mutating func keyValue(_ line: Span<UInt8>, from start: Int) -> (token: Range<Int>, colon: Int) {
        let keyEnd = Self.end(of: line, from: start, atColon: true)
        guard keyEnd < line.count, line[keyEnd] == Self.colon else {
            position = keyEnd
            return (start..<keyEnd, keyEnd)
        }
        return (value(line, from: start, colon: keyEnd), keyEnd)
    }

    /// The token starting at `start` whose first colon is already known to be at `colon`: only the
    /// value is scanned.
    @inline(__always)
    mutating func value(_ line: Span<UInt8>, from start: Int, colon: Int) -> Range<Int> {
        let end = Self.end(of: line, from: colon + 1, atColon: false)
        position = end
        return start..<end
    }

    /// The index of the first whitespace byte (or, if `atColon`, colon) at or after `start`; `line.count`
    /// if there is none.
    @inline(__always)
    static func end(of line: Span<UInt8>, from start: Int, atColon: Bool) -> Int {
        let count = line.count
        var i = start
        while i < count {
            let word = ByteWord.load(line, at: i)
            var flagged = ByteWord.flags(word, below: 0x21)
            if atColon { flagged |= ByteWord.flags(word, equalTo: colon) }
            // Every true delimiter is flagged; a flag can also be a false positive (borrow from a lower
            // flagged byte, a non-space control byte, the zero padding past the end): check each one.
            while flagged != 0 {
                let j = i &+ ByteWord.firstFlagged(flagged)
                if j >= count { return count }
                let b = line[j]
                if isSpace(b) || (atColon && b == colon) { return j }
                flagged &= flagged &- 1
            }
            i &+= 8
        }
        return count
    }

    static let colon = UInt8(ascii: ":")

    /// Space, tab, CR, LF, VT, FF.
    @inline(__always)
    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
}
