/// Bytes to send, as a list of buffers that are written one after the other (with `writev`).
///
/// Design note: a /metrics response is a small head, the cached DRBD section (megabytes, the same
/// buffer for every scrape until the World changes) and a small per-scrape tail. Concatenating them
/// would copy the big part on every scrape; a chunk list only holds another reference to it (arrays are
/// copy-on-write, and nobody writes to these), so a scrape between changes allocates a few hundred bytes.
/// Equality is by content: how the bytes happen to be split is not part of the value.
public struct ByteChunks: Hashable, Sendable, Sequence {
    /// The buffers in order; never an empty one.
    public private(set) var chunks: [[UInt8]] = []
    /// The total length of all chunks.
    public private(set) var count = 0

    public init() {}

    public init(_ bytes: [UInt8]) { append(bytes) }

    public init(chunks: [[UInt8]]) {
        for chunk in chunks { append(chunk) }
    }

    public var isEmpty: Bool { count == 0 }

    /// Adds `bytes` as one more chunk (shared, not copied).
    public mutating func append(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        chunks.append(bytes)
        count += bytes.count
    }

    public mutating func append(contentsOf other: ByteChunks) {
        chunks += other.chunks
        count += other.count
    }

    /// All bytes in one buffer: a copy, for tests and small bodies.
    public var joined: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        for chunk in chunks { out += chunk }
        return out
    }

    public func makeIterator() -> FlattenSequence<[[UInt8]]>.Iterator { chunks.joined().makeIterator() }

    public static func == (a: ByteChunks, b: ByteChunks) -> Bool {
        a.count == b.count && (a.chunks == b.chunks || a.elementsEqual(b))
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for byte in self { hasher.combine(byte) }
    }
}
