import Logging
import ReactorCore
import ReactorLoop
import ReactorPromoter
import ReactorSystem

/// Design note: the daemon's one connection to systemd's manager, for the promoters.
///
/// While any promoter is configured, the watch connects (systemd's private socket as root, else the
/// system bus, or `DRBD_REACTOR_SYSTEMD_BUS`: whatever the loop's backend names; the virtual bus on
/// virtual time), asks for the manager's `JobRemoved` signals and the units' `PropertiesChanged`, and
/// calls `Subscribe` (systemd sends unit changes only to subscribers). Every signal becomes a
/// `SystemdUnitEvent` handed to `onEvent`, which gives it to every promoter; each promoter picks its own
/// units. What to do when is `SystemdWatchMachine`'s decision; this object carries its effects out on the
/// loop's bus (`openBus`, `addBusMatch`, `callBus`) and reports back what the bus did. Nothing waits.
///
/// The bus only makes promoters quicker: without it (systemd not the init system, as in containers and
/// the stand-in tests; no permission; the connection lost, e.g. by `systemctl daemon-reexec`) they work
/// as before, their 20 s ticker included.
final class SystemdWatch {
    static let retryBackoff = Backoff(first: .seconds(1), limit: .seconds(60))

    private let loop: EventLoop
    private let logger: Logger
    private let onEvent: (SystemdUnitEvent) -> Void
    private var machine: SystemdWatchMachine
    private lazy var runner = EffectRunner<SystemdWatchMachine.Input, SystemdWatchMachine.Effect>(
        clock: { [unowned loop] in loop.now }, logger: logger)
    private lazy var id = runner.add(
        handle: { [unowned self] input, now in self.machine.handle(input, now: now) },
        perform: { [unowned self] effect in self.perform(effect) })
    private var bus: EventLoop.SourceID?
    /// The serial of the pending `Subscribe` call.
    private var subscribe: UInt64?
    private var retry: EventLoop.SourceID?

    /// Where systemd is: the loop backend's answer, unless a test names its own bus.
    private let endpoints: () -> [BusEndpoint]?

    init(
        loop: EventLoop, logger: Logger, retry: Backoff = SystemdWatch.retryBackoff, endpoints: (() -> [BusEndpoint]?)? = nil,
        onEvent: @escaping (SystemdUnitEvent) -> Void
    ) {
        machine = SystemdWatchMachine(retry: retry)
        self.endpoints = endpoints ?? { [unowned loop] in loop.busEndpoints }
        self.loop = loop
        self.logger = logger
        self.onEvent = onEvent
    }

    /// Whether the watch is connected (not necessarily subscribed yet).
    var isConnected: Bool { bus != nil }

    /// Connects when some promoter is configured, disconnects when none is.
    func want(_ w: Bool) { runner.send(.want(w), to: id) }

    /// Disconnects for good (daemon exit).
    func stop() { want(false) }

    private func perform(_ effect: SystemdWatchMachine.Effect) {
        switch effect {
        case .connect: connect()
        case .disconnect: disconnect()
        case .armRetry(let at):
            retry = loop.addTimer(at: at, name: "systemd bus retry") { [unowned self] in
                self.retry = nil
                self.runner.send(.retryDue, to: self.id)
            }
        case .cancelRetry:
            if let retry { loop.cancelTimer(retry) }
            retry = nil
        case .log(let level, let message): logger.log(level: level, "\(message)")
        case .event(let event): onEvent(event)
        }
    }

    private func disconnect() {
        if let bus { loop.closeBus(bus) }
        bus = nil
        subscribe = nil
    }

    /// Tries systemd's endpoints in turn and reports how it went.
    private func connect() {
        guard let endpoints = endpoints() else { return runner.send(.unavailable, to: id) }
        var failures: [String] = []
        for endpoint in endpoints {
            do {
                try open(endpoint)
                return runner.send(.connected(endpoint), to: id)
            } catch {
                disconnect()
                failures.append("\(endpoint): \(error)")
            }
        }
        runner.send(.connectFailed(failures), to: id)
    }

    /// Connects to `endpoint`, installs the matches and sends `Subscribe` (all answered on the loop).
    private func open(_ endpoint: BusEndpoint) throws(Errno) {
        let b = try loop.openBus(endpoint, name: "systemd bus") { [unowned self] in self.received($0, endpoint) }
        bus = b
        // On the private socket messages carry no sender (it is a direct connection to systemd); on a bus
        // only systemd's own signals are wanted.
        let sender = endpoint == .systemdPrivate ? "" : "sender='\(SystemdSignals.destination)',"
        let rules = [
            "type='signal',\(sender)path='\(SystemdSignals.managerPath)',interface='\(SystemdSignals.managerInterface)',member='JobRemoved'",
            "type='signal',\(sender)path_namespace='\(SystemdUnitDecoder.unitPathPrefix.dropLast())',"
                + "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'",
        ]
        for rule in rules { try loop.addBusMatch(b, rule: rule) }
        subscribe = try loop.callBus(
            b, BusMethodCall(destination: SystemdSignals.destination, path: SystemdSignals.managerPath,
                             interface: SystemdSignals.managerInterface, member: "Subscribe"))
    }

    /// What the bus delivered, as the machine's input.
    private func received(_ delivery: BusDelivery, _ endpoint: BusEndpoint) {
        switch delivery {
        case .signal(let message):
            runner.send(.signal(message), to: id)
        case .reply(let serial, let result):
            guard serial == subscribe else { return }
            subscribe = nil
            switch result {
            case .success: runner.send(.subscribed, to: id)
            case .failure(let error): runner.send(.subscribeRefused(error), to: id)
            }
        case .closed(let error):
            bus = nil
            subscribe = nil
            runner.send(.lost("the connection to \(endpoint) ended: \(error)"), to: id)
        }
    }
}
