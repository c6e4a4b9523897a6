import ReactorCore
import ReactorSystem

/// One direction of a virtual pipe or socket: bytes in flight, and whether each end is still open.
final class VirtualChannel {
    var bytes: [UInt8] = []
    let capacity: Int
    var readerOpen = true
    var writerOpen = true
    init(capacity: Int) { self.capacity = capacity }

    /// Takes what fits; EPIPE once the reader is gone.
    func take(_ slice: ArraySlice<UInt8>) throws(Errno) -> Int {
        guard readerOpen else { throw Errno.brokenPipe }
        let n = min(slice.count, capacity - bytes.count)
        bytes += slice.prefix(n)
        return n
    }
}

/// A list shared between a file and its readers (pending connections, raised signals).
final class VirtualQueue<T> {
    var items: [T] = []
}

/// An open virtual file and what it is.
final class VirtualFile {
    enum Kind {
        case pipeRead(VirtualChannel)
        /// `reader` is the child whose stdin this is (nil for a plain pipe).
        case pipeWrite(VirtualChannel, reader: VirtualChild?)
        case socket(inbound: VirtualChannel, outbound: VirtualChannel)
        case listener(Socket.Address, VirtualQueue<Int32>)
        case signals(Set<Signal>, VirtualQueue<Signal>)
        case pidfd(VirtualChild)
        /// A connect that found no listener: its error is reported as SO_ERROR and on every use.
        case refused(Errno)
        /// A connection to the virtual bus: readable while something waits in its inbox.
        case bus(VirtualBusConnection)
    }

    let kind: Kind
    init(kind: Kind) { self.kind = kind }

    /// What epoll would report for this file now (error and hangup are always reported).
    var readiness: IOEvents {
        switch kind {
        case .pipeRead(let c):
            var e: IOEvents = []
            if !c.bytes.isEmpty || !c.writerOpen { e.insert(.readable) }
            if !c.writerOpen { e.insert(.hangup) }
            return e
        case .pipeWrite(let c, _):
            if !c.readerOpen { return [.writable, .error] }
            return c.bytes.count < c.capacity ? .writable : []
        case .socket(let inbound, let outbound):
            var e: IOEvents = []
            if !inbound.bytes.isEmpty || !inbound.writerOpen { e.insert(.readable) }
            if !inbound.writerOpen { e.insert(.readHangup) }
            if !outbound.readerOpen {
                e.formUnion([.writable, .error, .hangup])
            } else if outbound.bytes.count < outbound.capacity {
                e.insert(.writable)
            }
            return e
        case .listener(_, let pending):
            return pending.items.isEmpty ? [] : .readable
        case .signals(_, let pending):
            return pending.items.isEmpty ? [] : .readable
        case .pidfd(let child):
            return child.exit == nil ? [] : .readable
        case .refused:
            return [.writable, .error, .hangup]
        case .bus(let connection):
            return connection.inbox.isEmpty ? [] : .readable
        }
    }
}
