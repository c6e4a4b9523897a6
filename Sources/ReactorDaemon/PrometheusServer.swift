import Logging
import ReactorCore
import ReactorLoop
import ReactorPrometheus
import ReactorSystem

/// Design note: one `[[prometheus]]` instance on the loop: the executor of a `MetricsServerMachine`.
///
/// Every decision is the machine's, run on the one `EffectRunner`: what to listen on (the any-address
/// with its IPv6 fallback, a host name resolved first), what to log about it, whether a new connection
/// is admitted or makes the idlest client room at the cap, what to answer, when to close. This object
/// only carries the effects out and reports what happened, without ever blocking: listening sockets
/// come from the `ListenerPool` (socket activation, kept over reloads) and go back to it; names are
/// resolved by the shared `HostResolver` (a `getent` child); client sockets are the `IOExecutor`'s,
/// whose unsent output waits for EPOLLOUT; every connection has the deadline timer the machine asks
/// for. A client that connects and sends nothing, trickles, or stops reading costs one fd and a few
/// bytes until its deadline; everyone else's scrape proceeds in the same loop iteration.
public final class PrometheusServer: LoopPlugin {
    /// At most this many clients; at the cap the longest idle one makes room (the machine's decision).
    public static let maxConnections = AcceptPolicy.metricsClients.limit
    /// Takes every waiting connection; whether each one is admitted is the machine's decision.
    private static let acceptor = Acceptor(what: "/metrics client", policy: .unlimited)

    private typealias Machine = MetricsServerMachine<MetricsEndpoint>

    /// A start that failed for a reason other than the socket layer's error.
    struct StartFailure: Error, CustomStringConvertible {
        let description: String
    }

    public let config: PrometheusConfig
    private let loop: EventLoop
    private let logger: Logger
    private let endpoint: MetricsEndpoint
    private let pool: ListenerPool
    private let resolver: HostResolver
    private var listeners: [(fd: FileDescriptor, address: Socket.Address, source: EventLoop.SourceID)] = []
    /// Accepted connections waiting for the machine's `.admit` or `.refuse`, oldest first.
    private var waiting: [FileDescriptor] = []
    /// Why the last `.listen` failed (the socket layer's error).
    private var listenError: (any Error)?
    /// What `start()` throws: set when the machine says the start failed.
    private var startFailure: (any Error)?
    /// The client sockets: reads, writes, closes (`IOEffect`/`IOInput`).
    private let executor: IOExecutor<ByteChunks>
    /// Each client's deadline timer, the one the machine last asked for.
    private var timers: [ConnectionID: EventLoop.SourceID] = [:]
    private var machine: Machine
    /// The machine's runner; this object's own, so its closures' `unowned self` cannot outlive it.
    private lazy var runner = EffectRunner<Machine.Input, Machine.Effect>(clock: { [unowned loop] in loop.now }, logger: logger)
    private lazy var instance = runner.add(
        handle: { [unowned self] input, now in self.machine.handle(input, now: now) },
        perform: { [unowned self] effect in self.perform(effect) })
    private let versions: DRBDVersionSource

    /// Listening sockets come from `pool` and go back to it on stop (see `ListenerPool`); host names
    /// are resolved by `getent` found in PATH.
    public init(config: PrometheusConfig, loop: EventLoop, pool: ListenerPool, versions: DRBDVersionSource, logger: Logger,
                stats: @escaping () -> ReactorStats, count: @escaping (ReactorCounter) -> Void,
                world: @escaping () -> World) {
        self.config = config
        self.loop = loop
        self.pool = pool
        self.versions = versions
        resolver = HostResolver(loop: loop)
        var l = logger
        l[metadataKey: "plugin"] = "prometheus"
        self.logger = l
        endpoint = MetricsEndpoint(enums: config.enums, stats: stats, count: count) {
            let w = world()
            return (w.generation, w.resources)
        }
        machine = Machine(source: endpoint, configured: "\(config.address)")
        executor = IOExecutor(loop: loop, logger: l, what: "/metrics connection", sourceName: "prometheus client")
        executor.onInput = { [unowned self] input in
            if case .closed(let id) = input { self.cancelTimer(id) }
            self.feed(.io(input))
        }
    }

    /// The port actually bound (tests bind port 0).
    public var boundPort: UInt16? {
        switch listeners.first.flatMap({ loop.localAddress($0.fd) }) {
        case .ipv4(_, let port)?, .ipv6(_, let port)?: port
        default: nil
        }
    }

    /// The number of open client connections.
    public var connectionCount: Int { executor.connectionCount }

    /// Starts listening (a failure to listen throws, naming why) and asks drbdadm for the DRBD versions.
    /// A host name is resolved first without blocking; a failure then is logged, not thrown.
    public func start() throws {
        let plan: Machine.Listener.Plan
        switch config.address.target {
        case .any: plan = .any(ipv6: .ipv6("::", config.address.port), ipv4: .ipv4("0.0.0.0", config.address.port))
        case .addresses(let list): plan = .addresses(list)
        case .name(let name, let port): plan = .resolve(name: name, port: port)
        }
        feed(.listener(.start(plan)))
        if let startFailure { throw startFailure }
        queryVersions()
    }

    /// Gives the listeners back to the pool and closes every client.
    public func stop() {
        feed(.stop)
    }

    // MARK: drbdadm --version

    private func queryVersions() {
        versions.request { [weak self] versions in self?.endpoint.versions = versions }
    }

    // MARK: connections

    private func feed(_ input: Machine.Input) { runner.send(input, to: instance) }

    private func acceptAll(_ listener: FileDescriptor) {
        Self.acceptor.takeAll(listener, on: loop, logger: logger) { fd in
            waiting.append(fd)
            feed(.incoming)
        }
    }

    private func perform(_ effect: Machine.Effect) {
        switch effect {
        case .listener(let effect):
            perform(effect)
        case .admit:
            guard !waiting.isEmpty else { return }
            let fd = waiting.removeFirst()
            loop.setNoDelay(fd)
            executor.adopt(fd)
        case .refuse:
            guard !waiting.isEmpty else { return }
            loop.close(waiting.removeFirst())
        case .log(let level, let message):
            logger.log(level: level, "\(message)")
        case .io(let io):
            if case .close(let id) = io { cancelTimer(id) }
            if let failure = executor.perform(io) { logger.warning("\(failure)") }
        case .deadline(let id, let deadline):
            cancelTimer(id)
            guard executor.isOpen(id), let deadline else { return }
            timers[id] = loop.addTimer(at: deadline, name: "prometheus client deadline") { [unowned self] in
                self.timers[id] = nil
                self.feed(.deadline(id))
            }
        case .stopped:
            for fd in waiting { loop.close(fd) }
            waiting.removeAll()
        }
    }

    // MARK: listening

    private func perform(_ effect: Machine.Listener.Effect) {
        switch effect {
        case .probeIPv6:
            feed(.listener(.ipv6Probed(available: ipv6Available())))
        case .resolve(let name, let port):
            resolver.resolve(name, port: port) { [weak self] answer in
                switch answer {
                case .resolved(let list): self?.feed(.listener(.resolved(list)))
                case .failed(let reason): self?.feed(.listener(.resolveFailed(reason)))
                }
            }
        case .cancelResolve:
            resolver.cancel()
        case .listen(let address):
            listen(on: address)
        case .release:
            for l in listeners {
                loop.removeIO(l.source)
                pool.release(l.fd, address: l.address)
            }
            listeners.removeAll()
        case .log(let level, let message):
            logger.log(level: level, "\(message)")
        case .failed(let reason):
            startFailure = listenError ?? StartFailure(description: reason)
        }
    }

    /// Whether an IPv6 socket can be bound at all (fails with EAFNOSUPPORT when IPv6 is disabled).
    private func ipv6Available() -> Bool {
        guard let fd = try? loop.listen(.ipv6("::", 0)) else { return false }
        loop.close(fd)
        return true
    }

    /// Takes the listening socket for `address` from the pool and watches it; the machine hears how
    /// that went. Connections that waited in the backlog (a reload, a restart) wake the level-triggered
    /// listener at the next turn.
    private func listen(on address: Socket.Address) {
        do {
            let fd = try pool.listener(for: address)
            do {
                let source = try loop.addIO(fd, events: .readable, name: "prometheus listener \(address)") { [unowned self] _ in
                    self.acceptAll(fd)
                }
                listeners.append((fd, address, source))
            } catch {
                pool.release(fd, address: address)
                throw error
            }
            feed(.listener(.listening(address)))
        } catch {
            listenError = error
            feed(.listener(.listenFailed(address, "\(error)")))
        }
    }

    private func cancelTimer(_ id: ConnectionID) {
        if let t = timers.removeValue(forKey: id) { loop.cancelTimer(t) }
    }
}
