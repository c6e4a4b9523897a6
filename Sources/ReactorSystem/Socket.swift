import CEpoll
// Not for a call: libsystemd's headers pull in <sys/socket.h>, and in a whole-module (release) build the
// importer then owns `SOCK_STREAM` by CSystemd, which Glibc alone no longer makes visible here.
import CSystemd
import Glibc
import ReactorCore

/// Stream sockets (TCP over IPv4/IPv6, AF_UNIX), always NONBLOCK|CLOEXEC.
public enum Socket {
    /// A numeric socket address.
    public enum Address: Hashable, Sendable, CustomStringConvertible {
        case ipv4(String, UInt16)
        case ipv6(String, UInt16)
        case unix(String)

        public var description: String {
            switch self {
            case .ipv4(let h, let p): "\(h):\(p)"
            case .ipv6(let h, let p): "[\(h)]:\(p)"
            case .unix(let path): "unix:\(path)"
            }
        }
    }

    /// Binds and listens on `address` (SO_REUSEADDR; IPV6_V6ONLY off, so `[::]` also takes IPv4).
    public static func listen(_ address: Address, backlog: Int32 = 128) throws(Errno) -> FileDescriptor {
        let fd = try open(address)
        var one: Int32 = 1
        let raw = fd.rawValue
        if case .unix(let path) = address {
            unlink(path)
        } else {
            _ = setsockopt(raw, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        if case .ipv6 = address {
            var zero: Int32 = 0
            _ = setsockopt(raw, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &zero, socklen_t(MemoryLayout<Int32>.size))
        }
        do {
            try withSockaddr(address) { (sa, len) throws(Errno) in _ = try retryingEINTR { bind(raw, sa, len) } }
            _ = try retryingEINTR { Glibc.listen(raw, backlog) }
        } catch {
            fd.close()
            throw error
        }
        return fd
    }

    /// Starts a non-blocking connect; the socket becomes writable when it completes (check `pendingError`).
    public static func connect(_ address: Address) throws(Errno) -> FileDescriptor {
        let fd = try open(address)
        do { try connect(fd, to: address) } catch {
            if error != .inProgress {
                fd.close()
                throw error
            }
        }
        return fd
    }

    /// A non-blocking, CLOEXEC AF_UNIX datagram socket, not connected yet: the journal's probe (see
    /// `Journal`), which `connect(_:to:)` points at journald's socket, again whenever journald restarts.
    public static func datagram() throws(Errno) -> FileDescriptor { try open(.unix(""), type: SOCK_DGRAM) }

    /// connect(2) of an existing socket. A datagram socket is connected at once (or fails: ENOENT, nobody
    /// bound `address`; ECONNREFUSED, nobody reads it any more); connecting it again re-targets it.
    public static func connect(_ fd: FileDescriptor, to address: Address) throws(Errno) {
        let raw = fd.rawValue
        try withSockaddr(address) { (sa, len) throws(Errno) in _ = try retryingEINTR { Glibc.connect(raw, sa, len) } }
    }

    /// A non-blocking AF_UNIX datagram socket bound to `path`: a receiver (tests stand in for journald
    /// with one). bind(2).
    public static func bindDatagram(_ path: String) throws(Errno) -> FileDescriptor {
        let fd = try datagram()
        let raw = fd.rawValue
        do {
            try withSockaddr(.unix(path)) { (sa, len) throws(Errno) in _ = try retryingEINTR { bind(raw, sa, len) } }
        } catch {
            fd.close()
            throw error
        }
        return fd
    }

    /// accept4(NONBLOCK|CLOEXEC); nil when no connection is pending.
    public static func accept(_ listener: FileDescriptor) throws(Errno) -> FileDescriptor? {
        let raw = listener.rawValue
        return try retryingEINTRNonBlocking { reactor_accept4(raw) }.map { FileDescriptor(owning: $0) }
    }

    /// TCP_NODELAY (setsockopt(2), tcp(7)): sends what is written at once. A large response is written
    /// in several chunks (see `ExpositionStream`); with Nagle's algorithm the last segment of a chunk
    /// would wait for the client's delayed ACK, up to 40 ms per response. Best effort: it fails
    /// harmlessly on a socket that is not TCP.
    public static func disableNagle(_ fd: FileDescriptor) {
        var one: Int32 = 1
        _ = setsockopt(fd.rawValue, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// SO_ERROR: the outcome of a non-blocking connect.
    public static func pendingError(_ fd: FileDescriptor) -> Errno? {
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd.rawValue, SOL_SOCKET, SO_ERROR, &err, &len) == 0 else { return Errno.current }
        return err == 0 ? nil : Errno(err)
    }

    /// The port a listening socket got (for tests binding port 0).
    public static func localPort(_ fd: FileDescriptor) -> UInt16? {
        switch localAddress(fd) {
        case .ipv4(_, let port)?, .ipv6(_, let port)?: port
        default: nil
        }
    }

    /// Where a socket is bound, numerically (getsockname(2)): how a passed socket is matched to the
    /// address a plugin is configured with.
    public static func localAddress(_ fd: FileDescriptor) -> Address? {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd.rawValue, $0, &len) }
        }
        guard ok == 0 else { return nil }
        return withUnsafeMutablePointer(to: &storage) { p -> Address? in
            switch Int32(p.pointee.ss_family) {
            case AF_INET:
                let port = p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
                return p.withMemoryRebound(to: sockaddr.self, capacity: 1) { numeric($0, port: port) }
            case AF_INET6:
                let port = p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
                return p.withMemoryRebound(to: sockaddr.self, capacity: 1) { numeric($0, port: port) }
            case AF_UNIX:
                let path = p.withMemoryRebound(to: sockaddr_un.self, capacity: 1) { sun in
                    withUnsafeBytes(of: &sun.pointee.sun_path) { raw in
                        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                    }
                }
                return .unix(path)
            default: return nil
            }
        }
    }

    /// Resolves a host name to numeric addresses with getaddrinfo. Blocking: for drbd-reactorctl only; the
    /// daemon resolves with `HostResolution` (a child the loop watches).
    public static func resolve(host: String, port: UInt16) throws(Errno) -> [Address] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &result)
        guard rc == 0 else { throw Errno(EADDRNOTAVAIL) }
        defer { freeaddrinfo(result) }
        var out: [Address] = []
        var p = result
        while let ai = p {
            if let a = numeric(ai.pointee.ai_addr, port: port), !out.contains(a) { out.append(a) }
            p = ai.pointee.ai_next
        }
        return out
    }

    /// Whether `text` is a numeric IPv4 / IPv6 address.
    public static func isIPv4(_ text: String) -> Bool { var a = in_addr(); return inet_pton(AF_INET, text, &a) == 1 }
    public static func isIPv6(_ text: String) -> Bool { var a = in6_addr(); return inet_pton(AF_INET6, text, &a) == 1 }

    /// Text form of a 16-byte IPv6 address (inet_ntop).
    public static func ipv6String(_ bytes: [UInt8]) -> String {
        guard bytes.count == 16 else { return "::" }
        var a = in6_addr()
        withUnsafeMutableBytes(of: &a) { raw in for i in 0..<16 { raw[i] = bytes[i] } }
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count))
        return String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: private

    /// socket(2) for `address`'s family, NONBLOCK|CLOEXEC: every socket of the process is made here.
    private static func open(_ address: Address, type: __socket_type = SOCK_STREAM) throws(Errno) -> FileDescriptor {
        let domain: Int32
        switch address {
        case .ipv4: domain = AF_INET
        case .ipv6: domain = AF_INET6
        case .unix: domain = AF_UNIX
        }
        return FileDescriptor(owning: try retryingEINTR { reactor_socket(domain, Int32(type.rawValue)) })
    }

    private static func numeric(_ sa: UnsafeMutablePointer<sockaddr>?, port: UInt16) -> Address? {
        guard let sa else { return nil }
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch Int32(sa.pointee.sa_family) {
        case AF_INET:
            var a = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            inet_ntop(AF_INET, &a, &buf, socklen_t(buf.count))
            return .ipv4(String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self), port)
        case AF_INET6:
            var a = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
            inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count))
            return .ipv6(String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self), port)
        default: return nil
        }
    }

    private static func withSockaddr(
        _ address: Address, _ body: (UnsafePointer<sockaddr>, socklen_t) throws(Errno) -> Void
    ) throws(Errno) {
        switch address {
        case .ipv4(let host, let port):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            guard inet_pton(AF_INET, host, &sin.sin_addr) == 1 else { throw Errno(EINVAL) }
            try asSockaddr(&sin, length: MemoryLayout<sockaddr_in>.size, body)
        case .ipv6(let host, let port):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, host, &sin6.sin6_addr) == 1 else { throw Errno(EINVAL) }
            try asSockaddr(&sin6, length: MemoryLayout<sockaddr_in6>.size, body)
        case .unix(let path):
            var (sun, length) = try unixAddress(path)
            try asSockaddr(&sun, length: length, body)
        }
    }

    /// An AF_UNIX address and its length; a leading `@` names the abstract namespace (as NOTIFY_SOCKET
    /// does).
    static func unixAddress(_ path: String) throws(Errno) -> (sockaddr_un, Int) {
        var sun = sockaddr_un()
        sun.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        guard bytes.count < MemoryLayout.size(ofValue: sun.sun_path) else { throw Errno(ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &sun.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        // Abstract names are exactly their bytes; paths include the terminating NUL.
        return (sun, MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
    }

    /// Calls `body` with `storage` seen as a `sockaddr` of `length` bytes.
    static func asSockaddr<T>(
        _ storage: inout T, length: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) throws(Errno) -> Void
    ) throws(Errno) {
        try withUnsafePointer(to: &storage) { (p) throws(Errno) in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { (s) throws(Errno) in try body(s, socklen_t(length)) }
        }
    }
}
