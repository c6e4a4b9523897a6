import CSystemd
import Glibc
import ReactorCore

/// Design note: a D-Bus connection through libsystemd's sd-bus(3), driven only by the daemon's loop.
///
/// sd-bus owns the socket; the loop watches `sd_bus_get_fd` for the events `sd_bus_get_events` asks for
/// and wakes at `sd_bus_get_timeout` (call timeouts, an absolute CLOCK_MONOTONIC time like the loop's),
/// and every wake-up runs `sd_bus_process` until it returns 0. Calls are asynchronous only
/// (`sd_bus_call_async`, `sd_bus_add_match_async`): nothing here waits on the bus (no `sd_bus_call`, no
/// `sd_bus_wait`). Swift cannot call sd-bus's variadic functions, so messages are built with
/// `sd_bus_message_append_basic` and read generically into `BusValue` trees; what the values mean
/// (systemd's signals) is decided above this layer, in plain Swift.
///
/// Ownership: the connection is this object's until `close()`. Each handler is boxed and retained by
/// its sd-bus slot, which releases it from the slot's destroy callback (after an async reply, or when
/// the connection closes). Handlers run inside `sd_bus_process`; calls they make are queued and sent
/// when processing ends, so processing never recurses.
public final class SystemdBus {
    /// Where to connect.
    public enum Endpoint: Hashable, Sendable, CustomStringConvertible {
        /// The system bus (`sd_bus_open_system`): systemd answers through dbus-daemon or dbus-broker.
        case system
        /// systemd's private socket (root only; works without a bus daemon): a direct connection to
        /// PID 1, no `Hello`, no bus names.
        case systemdPrivate
        /// A bus daemon at this D-Bus address (`unix:path=...`), as a bus client (tests).
        case bus(String)

        public var description: String {
            switch self {
            case .system: "the system bus"
            case .systemdPrivate: "systemd's private socket \(SystemdBus.systemdPrivatePath)"
            case .bus(let address): "the bus at '\(address)'"
            }
        }
    }

    /// The path of systemd's private socket.
    public static let systemdPrivatePath = "/run/systemd/private"

    /// Whether systemd is the init system (sd_booted(3): `/run/systemd/system/` exists). Without it there
    /// is no manager to talk to, whatever bus may exist.
    public static var isSystemdBooted: Bool { sd_booted() > 0 }

    /// Where to reach systemd, best first: its private socket when we may use it (root, socket present:
    /// no bus daemon in between, works before it runs), then the system bus.
    public static func systemdEndpoints() -> [Endpoint] {
        geteuid() == 0 && access(systemdPrivatePath, F_OK) == 0 ? [.systemdPrivate, .system] : [.system]
    }

    /// A signal or method reply, decoded.
    public struct Message: Hashable, Sendable {
        public var path: String?
        public var interface: String?
        public var member: String?
        public var arguments: [BusValue]

        public init(path: String?, interface: String?, member: String?, arguments: [BusValue]) {
            self.path = path
            self.interface = interface
            self.member = member
            self.arguments = arguments
        }
    }

    /// A method error reply.
    public struct CallError: Error, Hashable, Sendable, CustomStringConvertible {
        public var name: String
        public var message: String
        public var description: String { message.isEmpty ? name : "\(name): \(message)" }
    }

    /// A handler's box, the slot's userdata.
    private final class Handler {
        let onMessage: (OpaquePointer) -> Void
        init(_ onMessage: @escaping (OpaquePointer) -> Void) { self.onMessage = onMessage }
    }

    public let endpoint: Endpoint
    private var bus: OpaquePointer?
    private weak var loop: (any EventSources)?
    private var ioSource: SourceID?
    private var timer: SourceID?
    private var timerDeadline: UInt64 = .max
    private var watchedEvents: IOEvents = []
    private var processing = false
    /// Called once when the connection ends (the peer closed it, or a fatal error); not after `close()`.
    private var onClosed: ((Errno) -> Void)?

    /// Opens the connection (sd_bus_open_system, or sd_bus_new + sd_bus_set_address + sd_bus_start).
    /// Connecting to a unix socket completes at once or fails here (ENOENT, ECONNREFUSED, EACCES); the
    /// authentication and `Hello` go on from the loop.
    public init(_ endpoint: Endpoint) throws(Errno) {
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
                    try Self.check(sd_bus_set_address(b, "unix:path=\(Self.systemdPrivatePath)"))
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

    /// Registers the connection with `loop`; `onClosed` learns (once) when the connection ends.
    public func attach(to loop: any EventSources, onClosed: @escaping (Errno) -> Void) throws(Errno) {
        guard let bus else { throw Errno(ENOTCONN) }
        self.loop = loop
        self.onClosed = onClosed
        let fd = sd_bus_get_fd(bus)
        try Self.check(fd)
        // sd-bus keeps owning the fd; the loop only watches it (removed in `close` before sd-bus closes it).
        ioSource = try loop.addIO(.borrowing(fd), events: .readable, name: "sd-bus") { [unowned self] _ in self.process() }
        watchedEvents = .readable
        process()
    }

    /// Closes the connection; handlers of pending replies and matches are dropped without being called.
    /// Not flushed (sd_bus_flush would wait for the socket): what is still queued is dropped. Safe inside
    /// a handler (sd_bus_process holds its own reference until it returns). Idempotent.
    public func close() {
        if let ioSource { loop?.removeIO(ioSource) }
        if let timer { loop?.cancelTimer(timer) }
        ioSource = nil
        timer = nil
        onClosed = nil
        if let b = bus {
            bus = nil
            sd_bus_close_unref(b)
        }
    }

    /// Whether the connection is open.
    public var isOpen: Bool { bus != nil }

    // MARK: calls and matches

    /// Calls `member` with string arguments; `reply` gets the decoded reply or the error exactly once,
    /// from the loop (never from inside this call), unless the connection is closed first.
    /// sd_bus_message_new_method_call, sd_bus_message_append_basic, sd_bus_call_async.
    public func call(
        destination: String, path: String, interface: String, member: String, arguments: [String] = [],
        reply: @escaping (Result<Message, CallError>) -> Void
    ) throws(Errno) {
        guard let bus else { throw Errno(ENOTCONN) }
        var m: OpaquePointer?
        try Self.check(sd_bus_message_new_method_call(bus, &m, destination, path, interface, member))
        defer { sd_bus_message_unref(m) }
        for a in arguments {
            try Self.check(a.withCString { sd_bus_message_append_basic(m, CChar(UInt8(ascii: "s")), $0) })
        }
        let handler = Handler { message in
            if sd_bus_message_is_method_error(message, nil) > 0, let e = sd_bus_message_get_error(message) {
                let name = e.pointee.name.map { String(cString: $0) } ?? ""
                reply(.failure(CallError(name: name, message: e.pointee.message.map { String(cString: $0) } ?? "")))
            } else {
                reply(.success(Self.decode(message)))
            }
        }
        try install(handler) { slot, userdata in sd_bus_call_async(bus, slot, m, Self.trampoline, userdata, 0) }
        afterRequest()
    }

    /// Delivers every message matching `rule` (D-Bus match rule syntax) to `handler` until the
    /// connection closes. sd_bus_add_match_async: on a bus the rule is installed without waiting for
    /// the bus daemon's reply; on the private socket it only filters locally.
    public func match(_ rule: String, handler: @escaping (Message) -> Void) throws(Errno) {
        guard let bus else { throw Errno(ENOTCONN) }
        let box = Handler { handler(Self.decode($0)) }
        try install(box) { slot, userdata in sd_bus_add_match_async(bus, slot, rule, Self.trampoline, nil, userdata) }
        afterRequest()
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

    /// A request was queued: outside processing, send it and update the watched events now.
    private func afterRequest() {
        if !processing { process() }
    }

    // MARK: driving

    /// sd_bus_process until it has nothing more to do, then the loop is told what to wait for.
    private func process() {
        guard let bus, !processing else { return }
        processing = true
        var failure: Int32 = 0
        while self.bus != nil {  // a handler may close us
            let r = sd_bus_process(bus, nil)
            if r < 0 { failure = -r }
            if r <= 0 { break }
        }
        processing = false
        guard self.bus != nil else { return }
        if failure == 0 && sd_bus_is_open(bus) <= 0 { failure = ECONNRESET }
        if failure != 0 {
            closed(Errno(failure))
        } else {
            rearm(bus)
        }
    }

    /// Watches the events sd-bus wants and arms the timer for its next timeout.
    private func rearm(_ bus: OpaquePointer) {
        guard let loop, let ioSource else { return }
        let wanted = sd_bus_get_events(bus)
        guard wanted >= 0 else { return closed(Errno(-wanted)) }
        var events: IOEvents = []
        if wanted & Int32(POLLIN) != 0 { events.insert(.readable) }
        if wanted & Int32(POLLOUT) != 0 { events.insert(.writable) }
        if events != watchedEvents {
            do { try loop.modifyIO(ioSource, events: events) } catch { return closed(error) }
            watchedEvents = events
        }
        var usec: UInt64 = .max
        if sd_bus_get_timeout(bus, &usec) < 0 { usec = .max }
        guard usec != timerDeadline else { return }
        if let timer { loop.cancelTimer(timer) }
        timer = nil
        timerDeadline = usec
        guard usec != .max else { return }
        let (ns, overflow) = usec.multipliedReportingOverflow(by: 1000)
        timer = loop.addTimer(at: Instant(nanoseconds: overflow ? .max : ns), name: "sd-bus timeout") { [unowned self] in
            self.timer = nil
            self.timerDeadline = .max
            self.process()
        }
    }

    /// The connection ended: let go of it and tell the owner once.
    private func closed(_ error: Errno) {
        let report = onClosed
        close()
        report?(error)
    }

    // MARK: decoding

    /// Every argument of `message`, with its header fields.
    private static func decode(_ message: OpaquePointer) -> Message {
        Message(
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
