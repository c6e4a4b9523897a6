import Glibc

/// Structured logging to journald over its native protocol, as sd_journal_sendv(3) speaks it.
///
/// Design note: this used to call libsystemd, which with its dependencies (libgcrypt, libgpg-error,
/// liblzma, libzstd, liblz4, libcap) put ~0.9 MiB of library pages into the daemon's RSS for one
/// datagram format. An entry is one datagram to `/run/systemd/journal/socket` on an unbound AF_UNIX
/// socket owned by the `JournalOutput`; its send buffer is raised as libsystemd raises it (8 MiB) so that
/// big entries fit in one datagram. Unlike libsystemd's, the socket is non-blocking and connected to
/// journald: a connected datagram socket reports EPOLLOUT when journald's receive queue has room again,
/// so a `LogQueue` waits for that on the loop instead of blocking in `sendto`. libsystemd's fallback for
/// entries beyond that (a sealed memfd passed with SCM_RIGHTS) is not implemented: such an entry is
/// dropped and `send` returns false.
public enum Journal {
    /// Where journald receives native entries.
    public static let socketPath = "/run/systemd/journal/socket"
    static let sendBufferSize: Int32 = 8 * 1024 * 1024

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

    /// A non-blocking, CLOEXEC datagram socket for `send`, with the larger send buffer (SO_SNDBUF, or
    /// SO_SNDBUFFORCE beyond `wmem_max` when privileged; either may fail, then big entries do).
    /// socket(2), setsockopt(2).
    public static func openSocket() throws(Errno) -> FileDescriptor {
        let fd = FileDescriptor(owning: try retryingEINTR { socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0) })
        var size = sendBufferSize
        let length = socklen_t(MemoryLayout<Int32>.size)
        if setsockopt(fd.rawValue, SOL_SOCKET, SO_SNDBUFFORCE, &size, length) != 0 {
            _ = setsockopt(fd.rawValue, SOL_SOCKET, SO_SNDBUF, &size, length)
        }
        return fd
    }

    /// Sends one entry; `fields` are `KEY=value` strings (MESSAGE=, PRIORITY=, ...). sendto(2).
    public static func send(_ fields: [String], on socket: FileDescriptor, to path: String = socketPath) throws(Errno) {
        let bytes = datagram(fields)
        var (sun, length) = try Socket.unixAddress(path)
        let raw = socket.rawValue
        try Socket.asSockaddr(&sun, length: length) { (sa, len) throws(Errno) in
            _ = try retryingEINTR {
                bytes.withUnsafeBytes { b in sendto(raw, b.baseAddress, b.count, Int32(MSG_NOSIGNAL), sa, len) }
            }
        }
    }

    /// Connects `socket` to journald's socket at `path`, so that `send(_:on:)` needs no address and epoll
    /// reports when journald's queue has room. Connecting again re-targets it (journald restarted).
    /// connect(2).
    public static func connect(_ socket: FileDescriptor, to path: String = socketPath) throws(Errno) {
        var (sun, length) = try Socket.unixAddress(path)
        let raw = socket.rawValue
        try Socket.asSockaddr(&sun, length: length) { (sa, len) throws(Errno) in
            _ = try retryingEINTR { Glibc.connect(raw, sa, len) }
        }
    }

    /// Sends one prepared datagram on a connected socket; false when journald's queue is full (EAGAIN).
    /// send(2).
    public static func send(_ datagram: [UInt8], on socket: FileDescriptor) throws(Errno) -> Bool {
        let raw = socket.rawValue
        let sent = try retryingEINTRNonBlocking {
            datagram.withUnsafeBytes { b in Glibc.send(raw, b.baseAddress, b.count, Int32(MSG_NOSIGNAL)) }
        }
        return sent != nil
    }

    /// The native format: `KEY=value\n`, or for a value with a newline `KEY\n`, its length as a
    /// little-endian UInt64, the value and `\n`. A field without `=` is skipped (sd_journal_sendv rejects
    /// the whole entry; our fields are built by LogEntry and always have one).
    static func datagram(_ fields: [String]) -> [UInt8] {
        var out: [UInt8] = []
        for field in fields {
            let bytes = Array(field.utf8)
            guard let eq = bytes.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let value = bytes[(eq + 1)...]
            if value.contains(UInt8(ascii: "\n")) {
                out += bytes[..<eq]
                out.append(UInt8(ascii: "\n"))
                withUnsafeBytes(of: UInt64(value.count).littleEndian) { out += $0 }
                out += value
            } else {
                out += bytes
            }
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }
}

/// Writes bytes to a raw fd (stderr, log files) ignoring short-write races: logging must never fail loudly.
public enum RawOutput {
    public static func write(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 { if errno == EINTR { continue } else { return } }
            offset += n
        }
    }
}
