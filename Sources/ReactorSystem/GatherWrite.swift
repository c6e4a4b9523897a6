import Glibc
import ReactorCore

extension FileDescriptor {
    /// At most this many buffers go into one writev(2) call (IOV_MAX is 1024; responses have a handful).
    static let maxGatherBuffers = 16

    /// writev(2) of `buffers` in order, starting `offset` bytes into the first, as far as the fd takes
    /// them; returns the count written (0 when it would block). Writes at most `maxGatherBuffers`
    /// buffers per call. Lets a response go out from several shared buffers (head, cached body, tail)
    /// without first concatenating them.
    public func write(gathering buffers: [[UInt8]], from offset: Int = 0) throws(Errno) -> Int {
        let count = min(buffers.count, Self.maxGatherBuffers)
        guard count > 0, offset <= buffers[0].count else { return 0 }
        let fd = rawValue
        var vectors = [iovec](repeating: iovec(), count: count)
        var result: Result<Int, Errno> = .success(0)
        // Each array's storage is only pinned inside its withUnsafeBytes closure, so the closures nest:
        // the innermost one, with every buffer pinned, makes the call. `vectors` only holds pointers
        // for that call.
        func pin(_ i: Int) {
            guard i < count else {
                result = Result { () throws(Errno) -> Int in
                    let iovcnt = Int32(count)
                    return try retryingEINTRNonBlocking({ vectors.withUnsafeBufferPointer { Glibc.writev(fd, $0.baseAddress, iovcnt) } }) ?? 0
                }
                return
            }
            buffers[i].withUnsafeBytes { raw in
                let skip = i == 0 ? offset : 0
                // writev only reads through iov_base; the mutable type is the C declaration's.
                vectors[i] = iovec(iov_base: raw.baseAddress.map { UnsafeMutableRawPointer(mutating: $0 + skip) }, iov_len: raw.count - skip)
                pin(i + 1)
            }
        }
        pin(0)
        return try result.get()
    }
}
