/// Design note: the one I/O vocabulary every machine speaks.
///
/// A machine asks for I/O with `IOEffect` values and hears what the I/O did through `IOInput` values;
/// one executor in the daemon (`IOExecutor`) carries the effects out through the loop and reports the
/// inputs. Sockets are named by `ConnectionID` (never an fd); bytes to send are `Bytes`, whatever the
/// machine produces (`[UInt8]`, or the prometheus plugin's `ByteChunks`, whose text is made a chunk at a
/// time while the socket takes it). Files are written whole and atomically (a reader sees the old or
/// the new contents), counters are the daemon's own (`ReactorCounter`), notify is one sd_notify message.
public enum IOEffect<Bytes: OutgoingBytes> {
    /// Queue these bytes for the connection (sent without blocking; `.drained` when all is out).
    case send(ConnectionID, Bytes)
    /// Close once everything queued has been sent.
    case closeWhenSent(ConnectionID)
    /// Close now, dropping unsent bytes.
    case close(ConnectionID)
    /// Stop watching for input (the peer closed its side; only output remains).
    case stopReading(ConnectionID)
    /// Replace the file at `path` with `contents` (atomically), with permission bits `mode`.
    case writeFile(path: String, contents: String, mode: UInt32)
    case removeFile(path: String)
    /// Count `by` of a counter (more than one at once: the events2 lines of one read, tallied per chunk).
    case count(ReactorCounter, by: UInt64 = 1)
    /// One sd_notify message (newline-separated `KEY=value` assignments).
    case notify(String)
}

/// What the executor reports about a connection.
public enum IOInput: Hashable, Sendable {
    /// A new connection was accepted and is watched.
    case accepted(ConnectionID)
    case received(ConnectionID, [UInt8])
    /// The peer closed its sending side.
    case peerClosed(ConnectionID)
    /// Everything handed out with `.send` has gone to the socket.
    case drained(ConnectionID)
    /// The connection is closed on this side: a read or write failed (reset by peer and the like), or
    /// everything was sent after `.closeWhenSent`. Nothing more is reported for it.
    case closed(ConnectionID)
}

/// Bytes an executor sends a buffer at a time: the next buffer is asked for only when the socket has
/// taken every earlier one, so a big body can be produced while it goes out.
public protocol OutgoingBytes {
    /// The bytes not handed out yet.
    var count: Int { get }
    /// The next buffer to send (never empty), removed from `self`; nil when nothing is left.
    mutating func nextBuffer() -> [UInt8]?
}

extension Array: OutgoingBytes where Element == UInt8 {
    /// The whole array, once.
    public mutating func nextBuffer() -> [UInt8]? {
        guard !isEmpty else { return nil }
        defer { self = [] }
        return self
    }
}

extension IOEffect: Equatable where Bytes: Equatable {}
extension IOEffect: Hashable where Bytes: Hashable {}
extension IOEffect: Sendable where Bytes: Sendable {}
