import Logging
import ReactorLoop
import ReactorPromoter
import ReactorSystem
import ReactorCore

/// Design note: the daemon's one connection to systemd's manager, for the promoters.
///
/// While any promoter is configured, the watch connects (systemd's private socket as root, else the
/// system bus), asks for the manager's `JobRemoved` signals and the units' `PropertiesChanged`, and calls
/// `Subscribe` (systemd sends unit changes only to subscribers). Every signal becomes a
/// `SystemdUnitEvent` (`SystemdUnitDecoder`) handed to `onEvent`, which gives it to every promoter; each
/// promoter picks its own units. All of it runs on the loop through `SystemdBus`; nothing waits.
///
/// The bus only makes promoters quicker: without it (systemd not the init system, as in containers and
/// the stand-in tests; no permission; the connection lost, e.g. by `systemctl daemon-reexec`) they work
/// as before, their 20 s ticker included. That is said once at info; a lost or refused connection is
/// tried again after 1 s, doubling up to a minute.
final class SystemdWatch {
    /// The variable that points the watch at another bus (`unix:path=...`, a bus client): tests with a
    /// bus daemon of their own.
    static let busVariable = "DRBD_REACTOR_SYSTEMD_BUS"
    static let retryBackoff = Backoff(first: .seconds(1), limit: .seconds(60))

    static let destination = "org.freedesktop.systemd1"
    static let managerPath = "/org/freedesktop/systemd1"
    static let managerInterface = "org.freedesktop.systemd1.Manager"

    private let loop: EventLoop
    private let logger: Logger
    private let endpoints: () -> [SystemdBus.Endpoint]?
    private let onEvent: (SystemdUnitEvent) -> Void
    private var bus: SystemdBus?
    private var decoder = SystemdUnitDecoder()
    private var wanted = false
    private var retry: EventLoop.SourceID?
    private var backoff: Backoff
    /// Whether "not used" was logged since the last working connection (it is said once).
    private var toldUnused = false

    /// `endpoints` says where to connect, best first, or nil when there is no systemd to talk to.
    init(
        loop: EventLoop, logger: Logger, endpoints: @escaping () -> [SystemdBus.Endpoint]? = SystemdWatch.currentEndpoints,
        retry: Backoff = SystemdWatch.retryBackoff, onEvent: @escaping (SystemdUnitEvent) -> Void
    ) {
        backoff = retry
        self.loop = loop
        self.logger = logger
        self.endpoints = endpoints
        self.onEvent = onEvent
    }

    /// Where systemd is reached in this process: `DRBD_REACTOR_SYSTEMD_BUS` if set, else nil unless
    /// systemd is the init system.
    static func currentEndpoints() -> [SystemdBus.Endpoint]? {
        if let address = ProcessEnvironment.get(busVariable), !address.isEmpty { return [.bus(address)] }
        return SystemdBus.isSystemdBooted ? SystemdBus.systemdEndpoints() : nil
    }

    /// Whether the watch is connected (not necessarily subscribed yet).
    var isConnected: Bool { bus?.isOpen ?? false }

    /// Connects when some promoter is configured, disconnects when none is.
    func want(_ w: Bool) {
        guard w != wanted else { return }
        wanted = w
        if w {
            connect()
        } else {
            disconnect()
        }
    }

    /// Disconnects for good (daemon exit).
    func stop() { want(false) }

    private func disconnect() {
        if let retry { loop.cancelTimer(retry) }
        retry = nil
        bus?.close()
        bus = nil
        decoder = SystemdUnitDecoder()
    }

    private func connect() {
        retry = nil
        guard wanted, bus == nil else { return }
        guard let endpoints = endpoints() else {
            unused("systemd is not the init system here")
            return
        }
        var failures: [String] = []
        for endpoint in endpoints {
            do {
                bus = try open(endpoint)
                return
            } catch {
                failures.append("\(endpoint): \(error)")
            }
        }
        unused("cannot connect to \(failures.joined(separator: ", "))")
        scheduleRetry()
    }

    /// Connects to `endpoint`, installs the matches and sends `Subscribe` (all answered on the loop).
    private func open(_ endpoint: SystemdBus.Endpoint) throws(Errno) -> SystemdBus {
        let b = try SystemdBus(endpoint)
        try b.attach(to: loop) { [weak self] error in self?.lost("the connection to \(endpoint) ended: \(error)") }
        // On the private socket messages carry no sender (it is a direct connection to systemd); on a bus
        // only systemd's own signals are wanted.
        let sender = endpoint == .systemdPrivate ? "" : "sender='\(Self.destination)',"
        let rules = [
            "type='signal',\(sender)path='\(Self.managerPath)',interface='\(Self.managerInterface)',member='JobRemoved'",
            "type='signal',\(sender)path_namespace='\(SystemdUnitDecoder.unitPathPrefix.dropLast())',"
                + "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'",
        ]
        for rule in rules {
            try b.match(rule) { [weak self] message in self?.received(message) }
        }
        try b.call(destination: Self.destination, path: Self.managerPath, interface: Self.managerInterface, member: "Subscribe") {
            [weak self] result in self?.subscribed(result, endpoint)
        }
        return b
    }

    private func subscribed(_ result: Result<SystemdBus.Message, SystemdBus.CallError>, _ endpoint: SystemdBus.Endpoint) {
        switch result {
        case .success:
            backoff.reset()
            toldUnused = false
            logger.info("Watching the promoters' systemd units over \(endpoint): failed services are started again at once.")
        case .failure(let error):
            lost("systemd refused Subscribe on \(endpoint): \(error)")
        }
    }

    private func received(_ message: SystemdBus.Message) {
        if let event = decoder.decode(message) { onEvent(event) }
    }

    /// The connection is gone or useless: drop it and try again later.
    private func lost(_ why: String) {
        bus?.close()
        bus = nil
        decoder = SystemdUnitDecoder()
        guard wanted else { return }
        logger.warning("Not watching the promoters' systemd units any more (\(why)); their 20 s check goes on, connecting again in \(backoff.current).")
        toldUnused = true
        scheduleRetry()
    }

    /// Says once why the bus is not used.
    private func unused(_ why: String) {
        guard !toldUnused else { return }
        toldUnused = true
        logger.info("Not watching the promoters' systemd units over D-Bus (\(why)); promoters check their targets every 20 s.")
    }

    private func scheduleRetry() {
        guard retry == nil else { return }
        retry = loop.addTimer(at: loop.now + backoff.next(), name: "systemd bus retry") { [weak self] in self?.connect() }
    }
}
