import Testing
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorLoop
@testable import ReactorLog
@testable import ReactorPromoter
@testable import ReactorUMH
@testable import ReactorDebugger
@testable import ReactorAgentX
@testable import ReactorPrometheus
@testable import ReactorDaemon

/// The word-at-a-time primitives the events2 parser and the line buffer scan with, checked against
/// byte-by-byte answers, including at and past the end of the span.
@Suite struct ByteWordTests {
    @Test func loadPacksLittleEndianAndZeroFillsPastTheEnd() {
        let bytes: [UInt8] = Array("abcdefghij".utf8)
        #expect(ByteWord.load(bytes.span, at: 0) == ByteWord.pack(Array("abcdefgh".utf8)))
        #expect(ByteWord.load(bytes.span, at: 0) & 0xFF == UInt64(UInt8(ascii: "a")))
        #expect(ByteWord.load(bytes.span, at: 7) == ByteWord.pack(Array("hij".utf8)))
        #expect(ByteWord.load(bytes.span, at: 10) == 0)
        #expect(ByteWord.load(bytes.span, at: 2, count: 3) == ByteWord.pack(Array("cde".utf8)))
        #expect(ByteWord.load([UInt8]().span, at: 0) == 0)
    }

    @Test func maskKeepsTheLowBytes() {
        #expect(ByteWord.mask(0) == 0)
        #expect(ByteWord.mask(1) == 0xFF)
        #expect(ByteWord.mask(7) == 0x00FF_FFFF_FFFF_FFFF)
        #expect(ByteWord.mask(8) == ~0)
        #expect(ByteWord.mask(20) == ~0)
    }

    /// The lowest flag is always the first true match, for every position and neighbour.
    @Test func lowestFlagIsTheFirstMatch() {
        for position in 0..<8 {
            for filler: UInt8 in [0x00, 0x01, 0x0A, 0x20, 0x21, 0x3A, 0x3B, 0x7F, 0x80, 0xFF] {
                var bytes = [UInt8](repeating: 0x61, count: 8)
                bytes[position] = UInt8(ascii: "\n")
                if position < 7 { bytes[position + 1] = filler }
                let word = ByteWord.load(bytes.span, at: 0)
                let newline = ByteWord.flags(word, equalTo: UInt8(ascii: "\n"))
                #expect(ByteWord.firstFlagged(newline) == position)
                let low = ByteWord.flags(word, below: 0x21)
                #expect(ByteWord.firstFlagged(low) == bytes.firstIndex { $0 < 0x21 })
            }
        }
        #expect(ByteWord.flags(ByteWord.pack(Array("abcdefgh".utf8)), below: 0x21) == 0)
        #expect(ByteWord.flags(0x8080_8080_8080_8080, below: 0x21) == 0)
    }

    @Test func firstIndexMatchesTheByteByByteSearch() {
        let text = Array("change device name:r0 volume:0\nexists -\n\nlast".utf8)
        for start in 0...text.count {
            let expected = text[start...].firstIndex(of: UInt8(ascii: "\n"))
            #expect(ByteWord.firstIndex(of: UInt8(ascii: "\n"), in: text.span, from: start) == expected)
        }
        #expect(ByteWord.firstIndex(of: 0, in: Array("abc".utf8).span, from: 0) == nil)
    }

    /// ASCII bytes become the same String as the validating path; anything else is left to it.
    @Test func asciiStringTakesOnlyASCII() {
        for text in ["", "r0", "pvc-00000-bench", "/dev/drbdpool/pvc-00727-bench_00000", "ipv4:10.43.0.1:7000"] {
            #expect(ByteWord.asciiString(Array(text.utf8).span) == text)
        }
        #expect(ByteWord.asciiString(Array("café".utf8).span) == nil)
        let invalid: [UInt8] = [0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0xFF]
        #expect(ByteWord.asciiString(invalid.span) == nil)
    }
}
