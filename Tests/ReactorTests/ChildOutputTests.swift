import Testing
import ReactorCore

/// The one bounded keeper of a child's output lines.
@Suite struct ChildOutputTests {
    @Test func keepsLinesInOrderUpToTheLimit() {
        var out = ChildOutput(limit: 12)
        out.append("abc")  // 4 bytes with its newline
        out.append(Array("defg".utf8)[...])  // 5
        out.append("hi")  // 3: exactly 12
        #expect(out.lines == ["abc", "defg", "hi"])
        #expect(out.byteCount == 12)
        #expect(out.text == "abc\ndefg\nhi")
        #expect(!out.isTruncated)
    }

    /// What comes after the limit is counted, not kept, and a later short line does not leave a hole.
    @Test func linesPastTheLimitAreCountedNotKept() {
        var out = ChildOutput(limit: 10)
        out.append("12345678")
        out.append("too long")
        out.append("x")
        #expect(out.lines == ["12345678"])
        #expect(out.droppedLines == 2)
        #expect(out.isTruncated)
    }

    /// A runaway child: memory stays at the limit however much it writes.
    @Test func aFloodStaysWithinTheLimit() {
        var out = ChildOutput(limit: 64 * 1024)
        let line = String(repeating: "y", count: 1000)
        for _ in 0..<10_000 { out.append(line) }
        #expect(out.byteCount <= 64 * 1024)
        #expect(out.lines.count == 64 * 1024 / 1001)
        #expect(out.droppedLines == 10_000 - out.lines.count)
    }
}
