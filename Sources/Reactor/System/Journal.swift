import CSystemd
import Glibc

/// Structured logging to journald with sd_journal_sendv.
public enum Journal {
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

    /// Sends one entry; `fields` are `KEY=value` strings (MESSAGE=, PRIORITY=, ...). Returns false on failure.
    @discardableResult
    public static func send(_ fields: [String]) -> Bool {
        var cstrings = fields.map { strdup($0) }
        defer { for p in cstrings { free(p) } }
        var iov = cstrings.indices.map { i in
            iovec(iov_base: UnsafeMutableRawPointer(cstrings[i]), iov_len: strlen(cstrings[i]!))
        }
        _ = cstrings.count
        cstrings.append(nil)
        return iov.withUnsafeMutableBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) } >= 0
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
