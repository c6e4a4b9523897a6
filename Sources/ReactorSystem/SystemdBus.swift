import CSystemd
import Glibc
import ReactorCore

/// Design note: a D-Bus connection through libsystemd's sd-bus(3), driven by the loop through its
/// backend (`EpollBackend`'s bus section), never blocking.
///
/// sd-bus owns the socket; the loop watches `fd` for the events `interest` names (`sd_bus_get_events`)
/// and wakes at its deadline (`sd_bus_get_timeout`: call timeouts, an absolute CLOCK_MONOTONIC time like
/// the loop's), and calls `process()`, which runs `sd_bus_process` until it returns 0 and hands back what
/// arrived as plain values (`BusDelivery`). Calls are asynchronous only (`sd_bus_call_async`,
/// `sd_bus_add_match_async`): nothing here waits on the bus (no `sd_bus_call`, no `sd_bus_wait`). Swift
/// cannot call sd-bus's variadic functions, so messages are built with `sd_bus_message_append_basic` and
/// read generically into `BusValue` trees; what the values mean (systemd's signals) is decided above this
/// layer, in plain Swift, the same for the virtual bus of the tests.
///
/// Ownership: the connection is this object's until `close()`. Each slot's box (a match, or a pending
/// reply) is retained by its sd-bus slot, which releases it from the slot's destroy callback (after an
/// async reply, or when the connection closes). The boxes only append to the connection's inbox, which
/// `process()` empties: no callback runs outside it and none reaches the layers above directly.
public final class SystemdBus {
    /// The variable that points the daemon at another bus (`unix:path=...`, as a bus client): tests with
    /// a bus daemon of their own.
    public static let busVariable = "DRBD_REACTOR_SYSTEMD_BUS"

    /// Whether systemd is the init system (sd_booted(3): `/run/systemd/system/` exists). Without it there
    /// is no manager to talk to, whatever bus may exist.
    public static var isSystemdBooted: Bool { sd_booted() > 0 }

    /// Where to reach systemd, best first: its private socket when we may use it (root, socket present:
    /// no bus daemon in between, works before it runs), then the system bus.
    public static func systemdEndpoints() -> [BusEndpoint] {
        geteuid() == 0 && access(BusEndpoint.systemdPrivatePath, F_OK) == 0 ? [.systemdPrivate, .system] : [.system]
    }

    /// Where systemd is reached in this process: `DRBD_REACTOR_SYSTEMD_BUS` if set, else nil unless
    /// systemd is the init system.
    public static func currentEndpoints() -> [BusEndpoint]? {
        if let address = ProcessEnvironment.get(busVariable), !address.isEmpty { return [.bus(address)] }
        return isSystemdBooted ? systemdEndpoints() : nil
    }

    /// What arrived while sd-bus processed, shared by the slots' boxes and the connection.
    private final class Inbox {
        var deliveries: [BusDelivery] = []
    }

    /// A slot's box, its userdata: what to do with a message for it.
    private final class Handler {
        let onMessage: (OpaquePointer) -> Void
        init(_ onMessage: @escaping (OpaquePointer) -> Void) { self.onMessage = onMessage }
    }

    public let endpoint: BusEndpoint
    private var bus: OpaquePointer?
    private let inbox = Inbox()
    private var nextSerial: UInt64 = 0

    /// Opens the connection (sd_bus_open_system, or sd_bus_new + sd_bus_set_address + sd_bus_start).
    /// Connecting to a unix socket completes at once or fails here (ENOENT, ECONNREFUSED, EACCES); the
    /// authentication and `Hello` go on from the loop.
    public init(_ endpoint: BusEndpoint) throws(Errno) {
        self.endpoint = endpoint
        var b: OpaquePointer?
        switch endpoint {
        case .system:
            try Self.check(sd_bus_open_system(&b))
        case .systemdPrivate, .bus:
            try Self.check(sd_bus_new(&b))
            do {
                switch endpoint {
                case .bus(let address):
                    try Self.check(sd_bus_set_address(b, address))
                    try Self.check(sd_bus_set_bus_client(b, 1))
                default:
                    try Self.check(sd_bus_set_address(b, "unix:path=\(BusEndpoint.systemdPrivatePath)"))
                }
                try Self.check(sd_bus_start(b))
            } catch {
                sd_bus_unref(b)
                throw error
            }
        }
        bus = b
    }

    deinit { close() }

    private static func check(_ rc: Int32) throws(Errno) {
        if rc < 0 { throw Errno(-rc) }
    }

    /// The connection's socket, for the loop to watch (sd-bus keeps owning it: unwatch before `close`).
    public func fd() throws(Errno) -> FileDescriptor {
        guard let bus else { throw Errno(ENOTCONN) }
        let fd = sd_bus_get_fd(bus)
        try Self.check(fd)
        return .borrowing(fd)
    }

    /// Closes the connection; pending replies and matches are dropped. Not flushed (sd_bus_flush would
    /// wait for the socket): what is still queued is dropped. Idempotent.
    public func close() {
        if let b = bus {
            bus = nil
            sd_bus_close_unref(b)
        }
        inbox.deliveries.removeAll()
    }

    /// Whether the connection is open.
    public var isOpen: Bool { bus != nil }

    // MARK: calls and matches

    /// Sends `call`; its reply (or error) arrives later from `process()` as `.reply` with the serial
    /// returned here, unless the connection closes first.
    /// sd_bus_message_new_method_call, sd_bus_message_append_basic, sd_bus_call_async.
    public func call(_ call: BusMethodCall) throws(Errno) -> UInt64 {
        guard let bus else { throw Errno(ENOTCONN) }
        var m: OpaquePointer?
        try Self.check(sd_bus_message_new_method_call(bus, &m, call.destination, call.path, call.interface, call.member))
        defer { sd_bus_message_unref(m) }
        for a in call.arguments {
            try Self.check(a.withCString { sd_bus_message_append_basic(m, CChar(UInt8(ascii: "s")), $0) })
        }
        nextSerial += 1
        let serial = nextSerial
        let inbox = inbox
        let handler = Handler { message in
            if sd_bus_message_is_method_error(message, nil) > 0, let e = sd_bus_message_get_error(message) {
                let name = e.pointee.name.map { String(cString: $0) } ?? ""
                let error = BusCallError(name: name, message: e.pointee.message.map { String(cString: $0) } ?? "")
                inbox.deliveries.append(.reply(serial: serial, .failure(error)))
            } else {
                inbox.deliveries.append(.reply(serial: serial, .success(Self.decode(message))))
            }
        }
        try install(handler) { slot, userdata in sd_bus_call_async(bus, slot, m, Self.trampoline, userdata, 0) }
        return serial
    }

    /// Delivers every signal matching `rule` (D-Bus match rule syntax) from `process()` until the
    /// connection closes. sd_bus_add_match_async: on a bus the rule is installed without waiting for
    /// the bus daemon's reply; on the private socket it only filters locally.
    public func match(_ rule: String) throws(Errno) {
        guard let bus else { throw Errno(ENOTCONN) }
        let inbox = inbox
        let box = Handler { inbox.deliveries.append(.signal(Self.decode($0))) }
        try install(box) { slot, userdata in sd_bus_add_match_async(bus, slot, rule, Self.trampoline, nil, userdata) }
    }

    /// Hands `handler` to a new floating slot: the slot keeps it retained and releases it when it goes.
    private func install(
        _ handler: Handler, _ create: (UnsafeMutablePointer<OpaquePointer?>, UnsafeMutableRawPointer) -> Int32
    ) throws(Errno) {
        let userdata = Unmanaged.passRetained(handler).toOpaque()
        var slot: OpaquePointer?
        let rc = create(&slot, userdata)
        guard rc >= 0, let s = slot else {
            Unmanaged<Handler>.fromOpaque(userdata).release()
            throw Errno(rc < 0 ? -rc : EINVAL)
        }
        sd_bus_slot_set_destroy_callback(s) { p in
            // The slot's userdata is the box retained in `install`; this is its one release.
            if let p { Unmanaged<Handler>.fromOpaque(p).release() }
        }
        // Floating: the connection owns the slot (it ends with the reply, or with the connection).
        sd_bus_slot_set_floating(s, 1)
        sd_bus_slot_unref(s)
    }

    /// The C callback of every slot: forwards to the box's closure.
    private static let trampoline: sd_bus_message_handler_t = { message, userdata, _ in
        guard let message, let userdata else { return 0 }
        // userdata is the box the slot retains (see `install`); it outlives this call.
        Unmanaged<Handler>.fromOpaque(userdata).takeUnretainedValue().onMessage(message)
        return 0
    }

    // MARK: driving

    /// sd_bus_process until it has nothing more to do (sending what is queued, reading what came): what
    /// arrived, in order. When the connection ended, the last delivery is `.closed`: the owner unwatches
    /// the fd and closes the connection (sd-bus closes the fd then).
    public func process() -> [BusDelivery] {
        guard let bus else { return [] }
        var failure: Int32 = 0
        while true {
            let r = sd_bus_process(bus, nil)
            if r < 0 { failure = -r }
            if r <= 0 { break }
        }
        if failure == 0 && sd_bus_is_open(bus) <= 0 { failure = ECONNRESET }
        var out = inbox.deliveries
        inbox.deliveries.removeAll()
        if failure != 0 { out.append(.closed(Errno(failure))) }
        return out
    }

    /// What the loop waits for: the fd events sd-bus wants (sd_bus_get_events) and its next timeout
    /// (sd_bus_get_timeout; nil: none).
    public func interest() throws(Errno) -> (events: IOEvents, deadline: Instant?) {
        guard let bus else { throw Errno(ENOTCONN) }
        let wanted = sd_bus_get_events(bus)
        try Self.check(wanted)
        var events: IOEvents = []
        if wanted & Int32(POLLIN) != 0 { events.insert(.readable) }
        if wanted & Int32(POLLOUT) != 0 { events.insert(.writable) }
        var usec: UInt64 = .max
        if sd_bus_get_timeout(bus, &usec) < 0 { usec = .max }
        guard usec != .max else { return (events, nil) }
        let (ns, overflow) = usec.multipliedReportingOverflow(by: 1000)
        return (events, Instant(nanoseconds: overflow ? .max : ns))
    }

    // MARK: decoding

    /// Every argument of `message`, with its header fields.
    private static func decode(_ message: OpaquePointer) -> BusMessage {
        BusMessage(
            sender: sd_bus_message_get_sender(message).map { String(cString: $0) },
            path: sd_bus_message_get_path(message).map { String(cString: $0) },
            interface: sd_bus_message_get_interface(message).map { String(cString: $0) },
            member: sd_bus_message_get_member(message).map { String(cString: $0) },
            arguments: readValues(message))
    }

    /// Reads values up to the end of the current container (sd_bus_message_peek_type, read_basic,
    /// enter_container); types the daemon has no use for are skipped.
    private static func readValues(_ m: OpaquePointer) -> [BusValue] {
        var values: [BusValue] = []
        while true {
            var type: CChar = 0
            var contents: UnsafePointer<CChar>?
            guard sd_bus_message_peek_type(m, &type, &contents) > 0 else { break }
            switch UInt8(bitPattern: type) {
            case UInt8(ascii: "a"), UInt8(ascii: "v"), UInt8(ascii: "r"), UInt8(ascii: "e"):
                guard sd_bus_message_enter_container(m, type, contents) >= 0 else { return values }
                let inner = readValues(m)
                _ = sd_bus_message_exit_container(m)
                switch UInt8(bitPattern: type) {
                case UInt8(ascii: "a"): values.append(.array(inner))
                case UInt8(ascii: "v"): values.append(.variant(inner.first ?? .unsupported))
                default: values.append(.structure(inner))
                }
            default:
                guard let v = readBasic(m, type) else { return values }
                values.append(v)
            }
        }
        return values
    }

    /// One basic value (sd_bus_message_read_basic); nil when the message cannot be read further.
    private static func readBasic(_ m: OpaquePointer, _ type: CChar) -> BusValue? {
        switch UInt8(bitPattern: type) {
        case UInt8(ascii: "s"), UInt8(ascii: "o"), UInt8(ascii: "g"):
            var p: UnsafePointer<CChar>?
            guard sd_bus_message_read_basic(m, type, &p) > 0, let p else { return nil }
            return .string(String(cString: p))
        case UInt8(ascii: "b"):
            var v: Int32 = 0
            guard sd_bus_message_read_basic(m, type, &v) > 0 else { return nil }
            return .bool(v != 0)
        case UInt8(ascii: "y"), UInt8(ascii: "n"), UInt8(ascii: "q"), UInt8(ascii: "i"), UInt8(ascii: "u"), UInt8(ascii: "x"), UInt8(ascii: "t"):
            // sd-bus writes only the type's own size into the zeroed 8 bytes, low byte first (x86-64,
            // little-endian arm64): the value's unsigned bit pattern.
            var v: UInt64 = 0
            guard sd_bus_message_read_basic(m, type, &v) > 0 else { return nil }
            return .integer(v)
        default:
            guard sd_bus_message_skip(m, String(UnicodeScalar(UInt8(bitPattern: type)))) >= 0 else { return nil }
            return .unsupported
        }
    }
}
