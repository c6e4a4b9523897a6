import Glibc

/// Blocking writes of whole messages to an inherited standard stream: the command-line tools' output,
/// help and usage text, a fatal message before exit. The daemon's running log goes through `LogQueue`
/// instead, which never blocks.
public enum RawOutput {
    /// write(2) until all of `bytes` is written. EINTR is retried (`retryingEINTR`); EAGAIN, which a
    /// stream gives when it shares a non-blocking open file description with another process, waits
    /// for room (poll(2)) instead of dropping the rest; any other error (the reader went away) drops the
    /// rest: such output must never fail loudly.
    public static func write(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                Result { () throws(Errno) in try retryingEINTR { Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset) } }
            }
            switch written {
            case .success(let n): offset += n
            case .failure(let error) where error == .wouldBlock:
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                guard (try? retryingEINTR { poll(&p, 1, -1) }) != nil else { return }
            case .failure: return
            }
        }
    }
}
