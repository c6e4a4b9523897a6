import CSystemd
import Glibc
import ReactorCore

/// Structured logging to journald through libsystemd's sd_journal_sendv(3), without ever stalling the loop.
///
/// Design note: sd_journal_sendv sends on libsystemd's own blocking socket: when journald's receive
/// queue is full (journald busy or stuck) it would wait in `sendmsg`. So every send is preceded by a
/// probe: a non-blocking datagram socket of ours, connected to journald's socket and never sent on.
/// For a connected AF_UNIX datagram socket the kernel reports POLLOUT only while the peer's receive
/// queue has room, and epoll reports EPOLLOUT when it gets room again. `LogQueue` asks `hasRoom` (poll
/// with a zero timeout) before each entry; when there is no room it keeps the entry queued and waits for
/// EPOLLOUT on the probe in the loop. The remaining window (another process filling journald's queue
/// between the probe and the send) can only make sd_journal_sendv wait until journald takes the next
/// datagram, not until it recovers from a stall. Libsystemd does the rest: the native format, the
/// memfd fallback for entries beyond the socket buffer. Queued entries are `pack`ed fields (a length and
/// the bytes of each), so the iovecs for sd_journal_sendv point into the queue's buffer.
public enum Journal {
    /// Where journald receives native entries.
    public static let socketPath = "/run/systemd/journal/socket"

    /// Delivers one packed entry once the probe said journald has room; `sendv` in production. The seam
    /// lets tests deliver to a socket of their own (libsystemd always sends to `socketPath`).
    public typealias Delivery = (_ packed: [UInt8], _ probe: FileDescriptor) throws(Errno) -> Void

    /// Whether stderr is connected to the journal (`JOURNAL_STREAM` names stderr's device:inode),
    /// the rule systemd documents for choosing native journal logging over plain stderr.
    public static func stderrIsJournal() -> Bool {
        guard let v = getenv("JOURNAL_STREAM") else { return false }
        let parts = String(cString: v).split(separator: ":")
        guard parts.count == 2, let dev = UInt64(parts[0]), let ino = UInt64(parts[1]) else { return false }
        var st = stat()
        guard fstat(2, &st) == 0 else { return false }
        return UInt64(st.st_dev) == dev && UInt64(st.st_ino) == ino
    }

    /// The probe: a non-blocking, CLOEXEC datagram socket (`Socket.datagram`).
    public static func openSocket() throws(Errno) -> FileDescriptor { try Socket.datagram() }

    /// Connects the probe to journald's socket at `path`, so that poll and epoll report whether its queue
    /// has room. Connecting again re-targets it (journald restarted).
    public static func connect(_ socket: FileDescriptor, to path: String = socketPath) throws(Errno) {
        try Socket.connect(socket, to: .unix(path))
    }

    /// Whether journald's receive queue has room now: poll(2) for POLLOUT with a zero timeout on the
    /// connected probe. An error or hang-up (journald went away) throws, so the caller reconnects.
    public static func hasRoom(_ probe: FileDescriptor) throws(Errno) -> Bool {
        var p = pollfd(fd: probe.rawValue, events: Int16(POLLOUT), revents: 0)
        let n = try retryingEINTR { poll(&p, 1, 0) }
        if n > 0, p.revents & Int16(POLLERR | POLLHUP) != 0 { throw Socket.pendingError(probe) ?? Errno(ECONNRESET) }
        return n > 0 && p.revents & Int16(POLLOUT) != 0
    }

    /// Checks for room, then delivers; false when journald's queue is full (the entry stays queued).
    public static func send(_ packed: [UInt8], probe: FileDescriptor, deliver: Delivery) throws(Errno) -> Bool {
        guard try hasRoom(probe) else { return false }
        try deliver(packed, probe)
        return true
    }

    /// sd_journal_sendv(3) of a packed entry, one iovec per field, pointing into `packed`.
    public static func sendv(_ packed: [UInt8], probe: FileDescriptor) throws(Errno) {
        let rc = packed.withUnsafeBytes { raw -> Int32 in
            var vectors: [iovec] = []
            var offset = 0
            while offset + 4 <= raw.count {
                let length = Int(raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
                // `packed` outlives the call and sd_journal_sendv only reads the iovecs.
                vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress! + offset + 4), iov_len: length))
                offset += 4 + length
            }
            return sd_journal_sendv(vectors, Int32(vectors.count))
        }
        if rc < 0 { throw Errno(-rc) }
    }

    /// `KEY=value` fields as the queue keeps them: each one a little-endian UInt32 length and its bytes.
    /// A field without `=` is skipped (sd_journal_sendv would reject the whole entry; our fields are built
    /// by LogEntry and always have one).
    public static func pack(_ fields: [String]) -> [UInt8] {
        var out: [UInt8] = []
        for field in fields where field.utf8.contains(UInt8(ascii: "=")) {
            withUnsafeBytes(of: UInt32(field.utf8.count).littleEndian) { out += $0 }
            out += field.utf8
        }
        return out
    }

    /// The fields of a packed entry (the inverse of `pack`).
    public static func unpack(_ packed: [UInt8]) -> [String] {
        var fields: [String] = []
        var offset = 0
        while offset + 4 <= packed.count {
            let length = packed[offset..<offset + 4].reversed().reduce(0) { $0 << 8 | Int($1) }
            fields.append(String(decoding: packed[offset + 4..<min(packed.count, offset + 4 + length)], as: UTF8.self))
            offset += 4 + length
        }
        return fields
    }
}
