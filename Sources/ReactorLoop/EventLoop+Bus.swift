import ReactorCore
import ReactorSystem

/// One open bus connection as a source of the loop: its fd (watched for what the backend asks), a
/// timer for the backend's deadline, and the owner's handler.
final class BusSource {
    let fd: FileDescriptor
    let name: String
    let handler: (BusDelivery) -> Void
    var io = SourceID(raw: 0)
    var events: IOEvents = .readable
    var timer: SourceID?
    var deadline: Instant?
    /// Whether a pump is already deferred to the next turn.
    var pumpQueued = false

    init(fd: FileDescriptor, name: String, handler: @escaping (BusDelivery) -> Void) {
        self.fd = fd
        self.name = name
        self.handler = handler
    }
}

/// Design note: D-Bus connections on the loop, through the backend's bus section (sd-bus on epoll, the
/// `VirtualBus` on virtual time), so the daemon's systemd watch runs the same on both.
///
/// A connection is pumped (`busProcess`: send what is queued, read what came) when its fd is ready, when
/// its deadline passes, and at the start of the turn after it was opened or asked something: a reply or
/// signal never reaches the handler from inside `openBus`, `addBusMatch` or `callBus`. After each pump
/// the loop watches what the backend wants next. Deliveries reach the handler in order; `.closed` is the
/// last one, and the connection is already gone from the loop when the handler hears it.
extension EventLoop {
    /// Where this process reaches systemd over D-Bus, best first (nil: no systemd here).
    public var busEndpoints: [BusEndpoint]? { backend.busEndpoints() }

    /// Opens a bus connection; `handler` gets what arrives on it until it closes. The id names it.
    public func openBus(_ endpoint: BusEndpoint, name: String, handler: @escaping (BusDelivery) -> Void) throws(Errno) -> SourceID {
        let fd = try backend.busOpen(endpoint)
        let source = BusSource(fd: fd, name: name, handler: handler)
        do {
            source.io = try addIO(fd, events: source.events, name: name) { [weak self, weak source] _ in
                if let self, let source { self.pump(source) }
            }
        } catch {
            backend.busClose(fd)
            throw error
        }
        buses[source.io.raw] = source
        queuePump(source)
        return source.io
    }

    /// Installs a match rule on a connection (see `LoopBackend.busAddMatch`).
    public func addBusMatch(_ id: SourceID, rule: String) throws(Errno) {
        guard let source = buses[id.raw] else { throw Errno.badDescriptor }
        try backend.busAddMatch(source.fd, rule: rule)
        queuePump(source)
    }

    /// Sends a method call; its reply comes to the handler as `.reply` with the returned serial.
    public func callBus(_ id: SourceID, _ call: BusMethodCall) throws(Errno) -> UInt64 {
        guard let source = buses[id.raw] else { throw Errno.badDescriptor }
        let serial = try backend.busCall(source.fd, call)
        queuePump(source)
        return serial
    }

    /// Closes a connection: nothing more reaches its handler. Unknown ids are ignored.
    public func closeBus(_ id: SourceID) {
        guard let source = buses.removeValue(forKey: id.raw) else { return }
        removeIO(source.io)
        if let timer = source.timer { cancelTimer(timer) }
        backend.busClose(source.fd)
    }

    private func queuePump(_ source: BusSource) {
        guard !source.pumpQueued else { return }
        source.pumpQueued = true
        deferWork { [weak self, weak source] in
            guard let self, let source else { return }
            source.pumpQueued = false
            self.pump(source)
        }
    }

    /// Processes the connection, hands out what arrived, and watches what the backend wants next.
    private func pump(_ source: BusSource) {
        guard buses[source.io.raw] === source else { return }
        for delivery in backend.busProcess(source.fd) {
            if case .closed = delivery { closeBus(source.io) }
            source.handler(delivery)
            guard buses[source.io.raw] === source else { return }  // closed (by the peer, or by the handler)
        }
        do {
            let interest = try backend.busInterest(source.fd)
            if interest.events != source.events {
                try modifyIO(source.io, events: interest.events)
                source.events = interest.events
            }
            rearmTimer(source, at: interest.deadline)
        } catch {
            closeBus(source.io)
            source.handler(.closed(error))
        }
    }

    private func rearmTimer(_ source: BusSource, at deadline: Instant?) {
        guard deadline != source.deadline else { return }
        if let timer = source.timer { cancelTimer(timer) }
        source.timer = nil
        source.deadline = deadline
        guard let deadline else { return }
        source.timer = addTimer(at: deadline, name: "\(source.name) timeout") { [weak self, weak source] in
            guard let self, let source else { return }
            source.timer = nil
            source.deadline = nil
            self.pump(source)
        }
    }
}
