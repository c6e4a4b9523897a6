/// Eight bytes of a byte span read as one little-endian `UInt64`, for word-at-a-time scanning and
/// comparing in the events2 parser.
///
/// Why it exists: the parser looks at every byte of every events2 line (a million lines a second is the
/// target). Reading a span one checked byte at a time costs several instructions per byte; reading eight
/// at once lets the tokenizer find delimiters with a few bit operations per word and lets `ByteTable`
/// compare a short key with one integer comparison. The one unaligned load this takes is the only
/// unsafe operation, so it lives here, behind the System fence, bounds-checked by hand.
public enum ByteWord {
    /// The bytes `span[offset ..< offset + 8]` packed little-endian (byte `offset` is the lowest byte);
    /// positions at or past the end of the span read as 0. `offset` must be in `0...span.count`.
    @inlinable @inline(__always)
    public static func load(_ span: Span<UInt8>, at offset: Int) -> UInt64 {
        precondition(offset >= 0 && offset <= span.count, "ByteWord.load out of bounds")
        if offset &+ 8 <= span.count {
            // Safe: offset >= 0 and offset + 8 <= count were checked above, so all eight bytes are inside
            // the span; loadUnaligned has no alignment requirement and every bit pattern is a UInt64.
            let raw = span.bytes.unsafeLoadUnaligned(fromByteOffset: offset, as: UInt64.self)
            return UInt64(littleEndian: raw)
        }
        var word: UInt64 = 0
        var shift: UInt64 = 0
        for i in offset..<span.count {
            word |= UInt64(span[i]) << shift
            shift += 8
        }
        return word
    }

    /// The first `count` bytes at `offset` (at most 8, zero-padded), e.g. a short token to compare with
    /// a packed spelling.
    @inlinable @inline(__always)
    public static func load(_ span: Span<UInt8>, at offset: Int, count: Int) -> UInt64 {
        load(span, at: offset) & mask(count)
    }

    /// A mask keeping the low `count` bytes of a word (all of them for 8 or more, none for 0 or less).
    @inlinable @inline(__always)
    public static func mask(_ count: Int) -> UInt64 {
        count >= 8 ? ~0 : count <= 0 ? 0 : (1 &<< UInt64(count &* 8)) &- 1
    }

    /// Flags (sets the high bit of) every byte of `word` equal to `byte`. Every match is flagged and the
    /// lowest flag is always a true match; flags above a match may be false positives (borrows), so a
    /// scanner checks each flag it acts on, or only trusts the lowest.
    @inlinable @inline(__always)
    public static func flags(_ word: UInt64, equalTo byte: UInt8) -> UInt64 {
        let x = word ^ (0x0101_0101_0101_0101 &* UInt64(byte))
        return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
    }

    /// Flags every byte of `word` below `limit` (at most 0x80), with the same exactness as `flags(_:equalTo:)`.
    @inlinable @inline(__always)
    public static func flags(_ word: UInt64, below limit: UInt8) -> UInt64 {
        (word &- 0x0101_0101_0101_0101 &* UInt64(limit)) & ~word & 0x8080_8080_8080_8080
    }

    /// The byte index within a word of its lowest flag (see `flags`); `flagged` must be non-zero.
    @inlinable @inline(__always)
    public static func firstFlagged(_ flagged: UInt64) -> Int { flagged.trailingZeroBitCount &>> 3 }

    /// The index of the first `byte` in `span[start...]`, or nil: eight bytes per step.
    /// `@inlinable`, as are the word helpers it uses: the loop's line splitter (another module) calls it
    /// for every line it hands out, and a call per eight bytes cost more than the scan itself.
    @inlinable
    public static func firstIndex(of byte: UInt8, in span: Span<UInt8>, from start: Int) -> Int? {
        var i = start
        while i < span.count {
            let flagged = flags(load(span, at: i), equalTo: byte)
            if flagged != 0 {
                let j = i &+ firstFlagged(flagged)
                // The zero padding past the end can only match a search for 0.
                return j < span.count ? j : nil
            }
            i &+= 8
        }
        return nil
    }

    /// `span` as a String if every byte is ASCII (checked eight bytes at a time), else nil and the
    /// caller validates it as UTF-8. Spares the general validation for the names and addresses the
    /// events2 parser keeps, which are ASCII in practice.
    public static func asciiString(_ span: Span<UInt8>) -> String? {
        var i = 0
        while i < span.count {
            // Bytes past the end load as 0, which is ASCII.
            if load(span, at: i) & 0x8080_8080_8080_8080 != 0 { return nil }
            i &+= 8
        }
        // Safe: every byte was checked above to be below 0x80, and ASCII is valid UTF-8.
        return unsafe String(copying: UTF8Span(unchecked: span, isKnownASCII: true))
    }

    /// `bytes` (at most 8) packed the same way, for building tables of spellings.
    public static func pack(_ bytes: some Collection<UInt8>) -> UInt64 {
        precondition(bytes.count <= 8, "ByteWord.pack takes at most 8 bytes")
        var word: UInt64 = 0
        for (i, b) in bytes.enumerated() { word |= UInt64(b) << UInt64(i * 8) }
        return word
    }
}
