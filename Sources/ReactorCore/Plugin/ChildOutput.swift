/// What a child wrote to one of its streams, kept line by line up to a byte limit.
///
/// Every reader of a child's output that keeps it (the promoter's readers of `drbdsetup show` and
/// `systemctl show`, `drbdadm --version`, `getent ahosts`, ocf-rs-wrapper's monitor) keeps it here, so a
/// chatty or runaway child cannot make the daemon grow: lines past the limit are counted, not kept. The
/// loop already caps the length of one line (`LineBuffer`); this caps their sum.
public struct ChildOutput: Hashable, Sendable {
    /// Enough for every output the daemon reads (the longest, `drbdsetup show --json` of one resource, is
    /// a few kilobytes per volume and connection).
    public static let defaultLimit = 1 << 20

    /// At most this many bytes of lines (each counted with its newline) are kept.
    public let limit: Int
    /// The lines kept, in order, without their newlines.
    public private(set) var lines: [String] = []
    /// The bytes the kept lines take, newlines included.
    public private(set) var byteCount = 0
    /// Lines that came after the limit was reached.
    public private(set) var droppedLines = 0

    public init(limit: Int = ChildOutput.defaultLimit) { self.limit = limit }

    /// Keeps `line` if it fits under the limit, else counts it as dropped.
    public mutating func append(_ line: String) {
        let size = line.utf8.count + 1
        guard droppedLines == 0, byteCount + size <= limit else {
            droppedLines += 1
            return
        }
        byteCount += size
        lines.append(line)
    }

    /// Keeps a line as the loop hands it out (bytes without the newline).
    public mutating func append(_ line: ArraySlice<UInt8>) { append(String(decoding: line, as: UTF8.self)) }

    /// Whether lines were dropped.
    public var isTruncated: Bool { droppedLines > 0 }

    /// The kept lines joined by newlines (no newline after the last).
    public var text: String { lines.joined(separator: "\n") }
}
