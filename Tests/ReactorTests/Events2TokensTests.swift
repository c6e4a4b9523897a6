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

/// The word-at-a-time tokenizer agrees with a plain byte-by-byte split on whitespace (space, tab, CR,
/// LF, VT, FF) at the first colon, whatever the token lengths, control bytes and UTF-8 around them.
@Suite struct Events2TokensTests {
    static func reference(_ line: [UInt8]) -> [(token: Range<Int>, colon: Int)] {
        var out: [(Range<Int>, Int)] = []
        var i = 0
        while i < line.count {
            while i < line.count, Events2Tokens.isSpace(line[i]) { i += 1 }
            guard i < line.count else { break }
            let start = i
            var colon: Int?
            while i < line.count, !Events2Tokens.isSpace(line[i]) {
                if line[i] == UInt8(ascii: ":"), colon == nil { colon = i }
                i += 1
            }
            out.append((start..<i, colon ?? i))
        }
        return out
    }

    @Test(arguments: [
        "change device name:r0 volume:0 minor:1000 disk:UpToDate",
        "  leading and trailing  \t\r",
        "x:y\tkey-with-seventeen:value\u{0B}a:b:c\u{0C}:empty-key no-colon",
        "ctl\u{01}in:token\u{00}too force-io-failures:no backing_dev:/dev/drbdpool/pvc-00697-bench_00001",
        "local:ipv6:[fd00::1]:7789 name:r\u{e9}sum\u{e9} peer:ipv6:[fe80::2%eth0]:7789",
        "",
        "a",
        "abcdefgh:ijklmnop qrstuvwx:",
    ])
    func matchesTheByteByByteSplit(_ text: String) {
        let line = Array(text.utf8)
        var tokens = Events2Tokens()
        var got: [(token: Range<Int>, colon: Int)] = []
        while let t = tokens.nextKeyValue(line.span) { got.append(t) }
        let want = Self.reference(line)
        #expect(got.map(\.token) == want.map(\.token))
        #expect(got.map(\.colon) == want.map(\.colon))
    }
}
