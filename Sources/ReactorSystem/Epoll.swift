import CEpoll
import Glibc
import ReactorCore

/// Readiness flags of an epoll registration.
public struct IOEvents: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let readable = IOEvents(rawValue: reactor_EPOLLIN)
    public static let writable = IOEvents(rawValue: reactor_EPOLLOUT)
    public static let error = IOEvents(rawValue: reactor_EPOLLERR)
    public static let hangup = IOEvents(rawValue: reactor_EPOLLHUP)
    public static let readHangup = IOEvents(rawValue: reactor_EPOLLRDHUP)
}

/// An epoll instance. Registrations carry a token (never reused) so that events for an fd that was
/// closed and whose number was reused in the same iteration can be recognised and dropped.
public final class Epoll {
    /// The layout Swift sees for the C mirror of `struct epoll_event` (size, stride, offset of `data`),
    /// so tests check it against the kernel's without importing the C module themselves.
    public static let eventLayout = (
        size: MemoryLayout<reactor_epoll_event>.size, stride: MemoryLayout<reactor_epoll_event>.stride,
        dataOffset: MemoryLayout<reactor_epoll_event>.offset(of: \.data) ?? -1)

    private let fd: FileDescriptor
    /// The fd is this object's: it goes when the object goes.
    deinit { fd.close() }
    private var buffer: [reactor_epoll_event]

    /// epoll_create1(EPOLL_CLOEXEC).
    public init(capacity: Int = 256) throws(Errno) {
        fd = FileDescriptor(owning: try retryingEINTR { reactor_epoll_create() })
        buffer = Array(repeating: reactor_epoll_event(events: 0, data: 0), count: capacity)
    }

    /// epoll_ctl(EPOLL_CTL_ADD).
    public func add(_ target: FileDescriptor, events: IOEvents, token: UInt64) throws(Errno) {
        let (e, t) = (fd.rawValue, target.rawValue)
        _ = try retryingEINTR { reactor_epoll_ctl(e, reactor_EPOLL_CTL_ADD, t, events.rawValue, token) }
    }

    /// epoll_ctl(EPOLL_CTL_MOD).
    public func modify(_ target: FileDescriptor, events: IOEvents, token: UInt64) throws(Errno) {
        let (e, t) = (fd.rawValue, target.rawValue)
        _ = try retryingEINTR { reactor_epoll_ctl(e, reactor_EPOLL_CTL_MOD, t, events.rawValue, token) }
    }

    /// epoll_ctl(EPOLL_CTL_DEL). An error means the fd was closed before it was removed (EBADF) or never
    /// added (ENOENT): the caller's ownership went wrong, so it is reported, not swallowed here.
    public func remove(_ target: FileDescriptor) throws(Errno) {
        let (e, t) = (fd.rawValue, target.rawValue)
        _ = try retryingEINTR { reactor_epoll_ctl(e, reactor_EPOLL_CTL_DEL, t, 0, 0) }
    }

    /// epoll_wait: ready (token, events) pairs; `timeoutMilliseconds` -1 waits forever.
    /// EINTR returns an empty list (the signalfd will report the signal).
    public func wait(timeoutMilliseconds: Int32) throws(Errno) -> [(token: UInt64, events: IOEvents)] {
        let e = fd.rawValue
        let capacity = Int32(buffer.count)
        let n: Int32
        switch systemCall({ buffer.withUnsafeMutableBufferPointer { reactor_epoll_wait(e, $0.baseAddress!, capacity, timeoutMilliseconds) } }) {
        case .success(let count): n = count
        case .failure(let error) where error == .interrupted: return []
        case .failure(let error): throw error
        }
        var ready: [(token: UInt64, events: IOEvents)] = []
        ready.reserveCapacity(Int(n))
        for i in 0..<Int(n) {
            ready.append((buffer[i].data, IOEvents(rawValue: buffer[i].events)))
        }
        return ready
    }
}

/// The clocks.
public enum Clock {
    /// CLOCK_MONOTONIC now.
    public static func now() -> Instant { Instant(nanoseconds: reactor_monotonic_ns()) }
    /// CLOCK_REALTIME now, in nanoseconds since the epoch (for logs and metrics only).
    public static func wallNanoseconds() -> UInt64 { reactor_realtime_ns() }
}

/// A timerfd on CLOCK_MONOTONIC armed for one absolute deadline (the loop's earliest timer).
public final class TimerFD {
    public let fd: FileDescriptor
    /// The fd is this object's: it goes when the object goes.
    deinit { fd.close() }

    /// timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK|TFD_CLOEXEC).
    public init() throws(Errno) {
        fd = FileDescriptor(owning: try retryingEINTR { reactor_timerfd_create() })
    }

    /// timerfd_settime(TFD_TIMER_ABSTIME); nil disarms.
    public func arm(at deadline: Instant?) throws(Errno) {
        let f = fd.rawValue
        // A zero it_value disarms, so a deadline at time 0 is moved to 1 ns (already past: fires at once).
        let ns = deadline.map { max($0.nanoseconds, 1) } ?? 0
        _ = try retryingEINTR { reactor_timerfd_set_absolute(f, ns) }
    }

    /// Reads the expiration count, resetting readiness.
    public func acknowledge() {
        var scratch: [UInt8] = []
        _ = try? fd.read(appendingTo: &scratch, maximum: 8)
    }
}

/// A signalfd for a set of signals, which it blocks first (so they are only ever delivered through it).
public final class SignalFD {
    public let fd: FileDescriptor
    /// The fd is this object's: it goes when the object goes.
    deinit { fd.close() }

    /// sigprocmask(SIG_BLOCK) + signalfd(NONBLOCK|CLOEXEC).
    public init(signals: [Signal]) throws(Errno) {
        let numbers = signals.map(\.rawValue)
        let raw = try retryingEINTR { numbers.withUnsafeBufferPointer { reactor_signalfd_create($0.baseAddress!, Int32($0.count)) } }
        fd = FileDescriptor(owning: raw)
    }

    /// The pending signals, in arrival order.
    public func readAll() throws(Errno) -> [Signal] {
        var out: [Signal] = []
        let f = fd.rawValue
        while true {
            var pid: Int32 = 0
            let sig = try retryingEINTR { reactor_signalfd_read(f, &pid) }
            if sig == 0 { return out }
            out.append(Signal(rawValue: sig))
        }
    }

    /// Ignores SIGPIPE for the whole process: a peer closing a socket or pipe must be a write error, not death.
    public static func ignoreSIGPIPE() { _ = Glibc.signal(SIGPIPE, SIG_IGN) }
}

/// An eventfd, used by tests as a cheap pollable object.
public final class EventFD {
    public let fd: FileDescriptor
    /// The fd is this object's: it goes when the object goes.
    deinit { fd.close() }
    public init() throws(Errno) { fd = FileDescriptor(owning: try retryingEINTR { reactor_eventfd_create() }) }
    /// Adds `value` to the counter (makes it readable).
    public func signal(_ value: UInt64 = 1) throws(Errno) {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
        _ = try fd.write(bytes)
    }
    /// Reads and resets the counter.
    public func drain() { var s: [UInt8] = []; _ = try? fd.read(appendingTo: &s, maximum: 8) }
}
