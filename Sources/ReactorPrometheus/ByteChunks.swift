import ReactorCore

/// Bytes to send, as a list of pieces written one after the other (buffers with `writev`).
///
/// Design note: a /metrics response is a small head, the DRBD section (megabytes of text, the same for
/// every scrape until the World changes) and a small per-scrape tail. Concatenating them would copy the
/// big part on every scrape, and keeping the big part as text would keep megabytes alive between
/// changes. So a piece is either a buffer (shared, not copied: arrays are copy-on-write, and nobody
/// writes to these) or a snapshot of the DRBD section that the sender turns into text a chunk at a time
/// while the socket takes it (`ExpositionStream`). A scrape between changes allocates a few hundred
/// bytes plus one chunk at a time. Equality is by content: how the bytes are split is not part of the value.
public struct ByteChunks: Hashable, Sendable, Sequence {
    /// One part of the bytes.
    public enum Piece: Sendable {
        case bytes([UInt8])
        /// The whole text of a snapshot, produced on demand.
        case stream(ExpositionStream)

        /// The piece's length in bytes.
        public var count: Int {
            switch self {
            case .bytes(let b): b.count
            case .stream(let s): s.snapshot.byteCount
            }
        }
    }

    /// The pieces in order; never an empty one.
    public private(set) var pieces: [Piece] = []
    /// The total length of all pieces.
    public private(set) var count = 0

    public init() {}

    public init(_ bytes: [UInt8]) { append(bytes) }

    public init(chunks: [[UInt8]]) {
        for chunk in chunks { append(chunk) }
    }

    public var isEmpty: Bool { count == 0 }

    /// Adds `bytes` as one more piece (shared, not copied).
    public mutating func append(_ bytes: [UInt8]) {
        append(.bytes(bytes))
    }

    /// Adds the whole text of `snapshot`, to be produced while it is sent.
    public mutating func append(_ snapshot: ExpositionSnapshot) {
        append(.stream(ExpositionStream(snapshot)))
    }

    public mutating func append(contentsOf other: ByteChunks) {
        pieces += other.pieces
        count += other.count
    }

    private mutating func append(_ piece: Piece) {
        guard piece.count > 0 else { return }
        pieces.append(piece)
        count += piece.count
    }

    /// Every piece as buffers (streams rendered): for tests, hashing and small bodies.
    public var buffers: [[UInt8]] {
        pieces.flatMap { piece -> [[UInt8]] in
            switch piece {
            case .bytes(let b): [b]
            case .stream(let s): Array(s)
            }
        }
    }

    /// All bytes in one buffer: a copy, for tests and small bodies.
    public var joined: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        for chunk in buffers { out += chunk }
        return out
    }

    public func makeIterator() -> FlattenSequence<[[UInt8]]>.Iterator { buffers.joined().makeIterator() }

    public static func == (a: ByteChunks, b: ByteChunks) -> Bool {
        a.count == b.count && a.elementsEqual(b)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for byte in self { hasher.combine(byte) }
    }
}

extension ByteChunks: OutgoingBytes {
    /// The next buffer to send, taken off the front (a snapshot's text a chunk at a time); `count`
    /// shrinks by what was taken.
    public mutating func nextBuffer() -> [UInt8]? {
        while let piece = pieces.first {
            switch piece {
            case .bytes(let bytes):
                pieces.removeFirst()
                count -= bytes.count
                return bytes
            case .stream(var stream):
                guard let chunk = stream.next() else {
                    pieces.removeFirst()
                    continue
                }
                pieces[0] = .stream(stream)
                count -= chunk.count
                return chunk
            }
        }
        return nil
    }
}
