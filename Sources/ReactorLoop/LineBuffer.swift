import ReactorCore

/// Accumulates bytes read from a stream and hands out complete lines (without the `\n`) of at most
/// `maxLineLength` bytes.
///
/// Bytes are appended at the end; consumed lines advance `start`; the storage is compacted only when the
/// consumed prefix dominates, so a burst of short lines costs no per-line copying. A line longer than
/// `maxLineLength` is not a line any child of ours writes (DRBD's longest events2 lines are a few KB): its
/// bytes are thrown away up to the next newline, the storage is released, and `droppedLines` counts it,
/// so a writer that never sends a newline cannot make the daemon grow.
public struct LineBuffer: Sendable {
    /// The default cap: far above any events2 line, far below what would matter for memory.
    public static let defaultMaxLineLength = 64 * 1024

    public var bytes: [UInt8] = []
    private var start = 0
    /// True while the rest of an over-long line is being thrown away (until its newline).
    private var discarding = false
    public let maxLineLength: Int
    /// Over-long lines thrown away so far.
    public private(set) var droppedLines = 0

    public init(maxLineLength: Int = LineBuffer.defaultMaxLineLength) { self.maxLineLength = maxLineLength }

    /// Number of buffered bytes not yet handed out.
    public var pendingCount: Int { bytes.count - start }

    /// Appends raw bytes (tests; the loop reads straight into `bytes`).
    public mutating func append(_ more: some Sequence<UInt8>) { bytes.append(contentsOf: more) }

    /// Calls `body` with each complete line, in order, then drops them.
    public mutating func consumeLines(_ body: (ArraySlice<UInt8>) throws -> Void) rethrows {
        if discarding && !skipRestOfLongLine() { return }
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
        if bytes.count - start > maxLineLength {
            droppedLines += 1
            discarding = true
            bytes = []
            start = 0
            return
        }
        compact()
    }

    /// Drops bytes up to and including the newline ending an over-long line; false if none came yet.
    private mutating func skipRestOfLongLine() -> Bool {
        guard let nl = ByteWord.firstIndex(of: UInt8(ascii: "\n"), in: bytes.span, from: start) else {
            bytes.removeAll(keepingCapacity: true)  // at most one read's worth: nothing to give back
            start = 0
            return false
        }
        start = nl + 1
        discarding = false
        return true
    }

    /// Hands out whatever is left as a last line (at EOF), if anything.
    public mutating func consumeRemainder(_ body: (ArraySlice<UInt8>) throws -> Void) rethrows {
        if start < bytes.count && !discarding { try body(bytes[start...]) }
        discarding = false
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
