import ReactorCore
import ReactorSystem

/// Design note: the virtual host's D-Bus, with systemd on it, for the daemon on virtual time.
///
/// Messages are plain values (`BusMessage`): a test, or the HA lab's systemd model, publishes systemd's
/// signals (`JobRemoved`, `PropertiesChanged`) with `publish`, and every open connection whose match
/// rules cover a signal finds it in its inbox, readable on the loop at once. Method calls are answered
/// by `answer` (by default systemd's `Subscribe` succeeds and anything else is an unknown method). A
/// test refuses connections (`refusal`), ends them all (`disconnectAll`: systemd re-executed, the bus
/// daemon gone) or says there is no systemd at all (`endpoints` nil, the default, as in a container).
public final class VirtualBus {
    /// Where the virtual host reaches systemd (what `busEndpoints` answers); nil: systemd is not the
    /// init system here.
    public var endpoints: [BusEndpoint]?
    /// When set, every connect fails with it (nothing listens, access denied).
    public var refusal: Errno?
    /// The reply to a method call.
    public var answer: (BusMethodCall) -> Result<BusMessage, BusCallError> = VirtualBus.systemdAnswer
    /// When each connect was tried (refused ones included), and to where.
    public private(set) var connects: [(at: Instant, endpoint: BusEndpoint)] = []
    /// Every method call received, in order.
    public private(set) var calls: [BusMethodCall] = []
    private var connections: [VirtualBusConnection] = []
    private unowned let backend: VirtualBackend

    init(backend: VirtualBackend) { self.backend = backend }

    /// How many connections are open.
    public var openConnections: Int { connections.count }

    /// systemd's manager as far as the daemon asks it: `Subscribe` succeeds.
    public static func systemdAnswer(_ call: BusMethodCall) -> Result<BusMessage, BusCallError> {
        guard call.destination == "org.freedesktop.systemd1", call.member == "Subscribe" else {
            return .failure(BusCallError(name: "org.freedesktop.DBus.Error.UnknownMethod", message: "Unknown method \(call.member)"))
        }
        return .success(BusMessage(sender: call.destination, path: nil, interface: nil, member: nil, arguments: []))
    }

    /// Hands `message` (a signal) to every open connection with a matching rule.
    public func publish(_ message: BusMessage) {
        for c in connections where c.matches.contains(where: { $0.matches(message) }) {
            c.inbox.append(.signal(message))
        }
    }

    /// Ends every open connection from the bus side: each hears `.closed` (ECONNRESET).
    public func disconnectAll() {
        for c in connections { c.inbox.append(.closed(Errno.connectionReset)) }
        connections.removeAll()
    }

    func connect(_ endpoint: BusEndpoint) throws(Errno) -> VirtualBusConnection {
        connects.append((backend.now, endpoint))
        if let refusal { throw refusal }
        let c = VirtualBusConnection()
        connections.append(c)
        return c
    }

    func call(_ call: BusMethodCall, on c: VirtualBusConnection) -> UInt64 {
        calls.append(call)
        c.serial += 1
        c.inbox.append(.reply(serial: c.serial, answer(call)))
        return c.serial
    }

    func detach(_ c: VirtualBusConnection) { connections.removeAll { $0 === c } }
}

/// One connection to the virtual bus: its match rules and what waits to be read.
final class VirtualBusConnection {
    var matches: [BusMatchRule] = []
    var inbox: [BusDelivery] = []
    var serial: UInt64 = 0
}

/// The virtual backend's bus section: connections are virtual files of the `VirtualBus`.
extension VirtualBackend {
    public func busEndpoints() -> [BusEndpoint]? { bus.endpoints }

    public func busOpen(_ endpoint: BusEndpoint) throws(Errno) -> FileDescriptor {
        open(.bus(try bus.connect(endpoint)))
    }

    public func busAddMatch(_ fd: FileDescriptor, rule: String) throws(Errno) {
        guard let rule = BusMatchRule(rule) else { throw Errno.invalid }
        try connection(fd).matches.append(rule)
    }

    public func busCall(_ fd: FileDescriptor, _ call: BusMethodCall) throws(Errno) -> UInt64 {
        bus.call(call, on: try connection(fd))
    }

    public func busProcess(_ fd: FileDescriptor) -> [BusDelivery] {
        guard let c = try? connection(fd) else { return [] }
        defer { c.inbox.removeAll() }
        return c.inbox
    }

    public func busInterest(_ fd: FileDescriptor) throws(Errno) -> (events: IOEvents, deadline: Instant?) {
        _ = try connection(fd)
        return (.readable, nil)
    }

    public func busClose(_ fd: FileDescriptor) { close(fd) }

    private func connection(_ fd: FileDescriptor) throws(Errno) -> VirtualBusConnection {
        guard case .bus(let c)? = files[fd.rawValue]?.kind else { throw Errno.badDescriptor }
        return c
    }
}
