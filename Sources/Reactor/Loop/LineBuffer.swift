/// Accumulates bytes read from a stream and hands out complete lines (without the `\n`), however long.
///
/// Bytes are appended at the end; consumed lines advance `start`; the storage is compacted only when the
/// consumed prefix dominates, so a burst of short lines costs no per-line copying.
public struct LineBuffer: Sendable {
    public var bytes: [UInt8] = []
    private var start = 0

    public init() {}

    /// Number of buffered bytes not yet handed out.
    public var pendingCount: Int { bytes.count - start }

    /// Appends raw bytes (tests; the loop reads straight into `bytes`).
    public mutating func append(_ more: some Sequence<UInt8>) { bytes.append(contentsOf: more) }

    /// Calls `body` with each complete line, in order, then drops them.
    public mutating func consumeLines(_ body: (ArraySlice<UInt8>) throws -> Void) rethrows {
        var i = start
        let end = bytes.count
        while i < end {
            guard let nl = ByteWord.firstIndex(of: UInt8(ascii: "\n"), in: bytes.span, from: i) else { break }
            var lineEnd = nl
            if lineEnd > i && bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            start = nl + 1
            try body(bytes[i..<lineEnd])
            i = nl + 1
        }
        compact()
    }

    /// Hands out whatever is left as a last line (at EOF), if anything.
    public mutating func consumeRemainder(_ body: (ArraySlice<UInt8>) throws -> Void) rethrows {
        if start < bytes.count { try body(bytes[start...]) }
        bytes.removeAll(keepingCapacity: false)
        start = 0
    }

    private mutating func compact() {
        if start == bytes.count {
            bytes.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 65536 && start > bytes.count / 2 {
            bytes.removeSubrange(0..<start)
            start = 0
        }
    }
}
