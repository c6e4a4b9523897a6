import ReactorCore
import ReactorSystem

/// The loop's fd and socket calls: forwarders to its `LoopBackend`, so the layers above reach the
/// kernel (or the virtual backend) only through the loop. Each has the meaning of the backend call of
/// the same name.
extension EventLoop {
    /// Wall-clock time in nanoseconds since the epoch.
    public var wallNanoseconds: UInt64 { backend.wallNanoseconds }

    /// Non-blocking read of up to `maximum` bytes appended to `buffer`.
    public func read(_ fd: FileDescriptor, appendingTo buffer: inout [UInt8], maximum: Int = 65536) throws(Errno) -> FileDescriptor.ReadResult {
        try backend.read(fd, appendingTo: &buffer, maximum: maximum)
    }

    /// Non-blocking write of `bytes[offset...]`; the count taken (0 when it would block).
    public func write(_ fd: FileDescriptor, _ bytes: [UInt8], from offset: Int = 0) throws(Errno) -> Int {
        try backend.write(fd, bytes, from: offset)
    }

    /// Non-blocking gathering write of `buffers` from `offset` into the first; the count taken.
    public func write(_ fd: FileDescriptor, gathering buffers: [[UInt8]], from offset: Int = 0) throws(Errno) -> Int {
        try backend.write(fd, gathering: buffers, from: offset)
    }

    /// Closes an fd the backend made (remove its io source first).
    public func close(_ fd: FileDescriptor) { backend.close(fd) }

    /// A non-blocking pipe (read end, write end).
    public func pipe() throws(Errno) -> (read: FileDescriptor, write: FileDescriptor) { try backend.pipe() }

    /// A listening stream socket on `address`.
    public func listen(_ address: Socket.Address) throws(Errno) -> FileDescriptor { try backend.listen(address) }

    /// The next pending connection of `listener`, nil when none.
    public func accept(_ listener: FileDescriptor) throws(Errno) -> FileDescriptor? { try backend.accept(listener) }

    /// A non-blocking connect to `address` (writable when done; then check `connectionError`).
    public func connect(_ address: Socket.Address) throws(Errno) -> FileDescriptor { try backend.connect(address) }

    /// The outcome of a non-blocking connect: nil when connected.
    public func connectionError(_ fd: FileDescriptor) -> Errno? { backend.connectionError(fd) }

    /// Where a socket is bound.
    public func localAddress(_ fd: FileDescriptor) -> Socket.Address? { backend.localAddress(fd) }

    /// TCP_NODELAY where it applies.
    public func setNoDelay(_ fd: FileDescriptor) { backend.setNoDelay(fd) }
}
