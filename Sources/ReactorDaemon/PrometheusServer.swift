import Logging
import ReactorCore
import ReactorLoop
import ReactorPrometheus
import ReactorSystem

/// Design note: one `[[prometheus]]` instance on the loop.
///
/// It owns its listening sockets and the client sockets, by `ConnectionID`; what to answer, when to
/// close and which client makes room at the cap is `MetricsServerMachine`'s, run on the one
/// `EffectRunner`. This object reports what each socket did and carries the effects out without ever
/// blocking: unsent output waits for EPOLLOUT, and every connection has the deadline timer the machine
/// asks for. A client that connects and sends nothing, trickles, or stops reading costs one fd and a
/// few bytes until its deadline; everyone else's scrape proceeds in the same loop iteration.
public final class PrometheusServer: LoopPlugin {
    /// At most this many clients; at the cap the longest idle one makes room (`AcceptPolicy`).
    public static let maxConnections = 256
    private static let acceptor = Acceptor(what: "/metrics client", policy: AcceptPolicy(limit: maxConnections, evictsIdle: true))

    private typealias Machine = MetricsServerMachine<MetricsEndpoint>

    public let config: PrometheusConfig
    private let loop: EventLoop
    private let logger: Logger
    private let endpoint: MetricsEndpoint
    private let pool: ListenerPool
    private var listeners: [(fd: FileDescriptor, address: Socket.Address, source: EventLoop.SourceID)] = []
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
    private var resolution: HostResolution?

    /// Listening sockets come from `pool` and go back to it on stop (see `ListenerPool`).
    public init(config: PrometheusConfig, loop: EventLoop, pool: ListenerPool, versions: DRBDVersionSource, logger: Logger,
                stats: @escaping () -> ReactorStats, count: @escaping (ReactorCounter) -> Void,
                world: @escaping () -> World) {
        self.config = config
        self.loop = loop
        self.pool = pool
        self.versions = versions
        var l = logger
        l[metadataKey: "plugin"] = "prometheus"
        self.logger = l
        endpoint = MetricsEndpoint(enums: config.enums, stats: stats, count: count) {
            let w = world()
            return (w.generation, w.resources)
        }
        machine = Machine(source: endpoint)
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

    /// Takes the listening socket for the address from the pool (a failure to bind throws, naming it)
    /// and asks drbdadm for the DRBD versions. A host name is resolved first without blocking
    /// (`HostResolution`); its first address is served when the answer comes, and a failure then is logged.
    public func start() throws {
        switch config.address.target {
        case .any:
            try listen(on: [anyAddress()])
        case .addresses(let list):
            try listen(on: list)
        case .name(let name, let port):
            resolution = HostResolution(name, port: port, loop: loop) { [weak self] result in
                guard let self else { return }
                self.resolution = nil
                do {
                    guard let first = try result.get().first else { throw HostResolution.Failure.notFound }
                    try self.listen(on: [first])
                } catch {
                    self.logger.error("Failed to serve /metrics on \(self.config.address): cannot listen on '\(name)': \(error).")
                }
            }
        }
        queryVersions()
    }

    private func listen(on addresses: [Socket.Address]) throws {
        for address in addresses {
            let fd = try pool.listener(for: address)
            let source: EventLoop.SourceID
            do {
                source = try loop.addIO(fd, events: .readable, name: "prometheus listener \(address)") { [unowned self] _ in
                    self.acceptAll(fd)
                }
            } catch {
                pool.release(fd, address: address)
                throw error
            }
            listeners.append((fd, address, source))
            // Connections that waited in the backlog while no instance served (a reload, a restart).
            acceptAll(fd)
        }
        logger.info("Serving /metrics on \(config.address).")
    }

    /// The socket address for `:P`: the IPv6 any-address, or IPv4's when the host has no IPv6
    /// (`ipv6.disable=1`).
    private func anyAddress() -> Socket.Address {
        if ipv6Available() { return .ipv6("::", config.address.port) }
        logger.info("IPv6 is not available; listening on 0.0.0.0:\(config.address.port) only.")
        return .ipv4("0.0.0.0", config.address.port)
    }

    /// Whether an IPv6 socket can be bound at all (fails with EAFNOSUPPORT when IPv6 is disabled).
    private func ipv6Available() -> Bool {
        guard let fd = try? loop.listen(.ipv6("::", 0)) else { return false }
        loop.close(fd)
        return true
    }

    /// Gives the listeners back to the pool and closes every client.
    public func stop() {
        resolution?.cancel()
        resolution = nil
        for l in listeners {
            loop.removeIO(l.source)
            pool.release(l.fd, address: l.address)
        }
        listeners.removeAll()
        feed(.stop)
    }

    // MARK: drbdadm --version

    private func queryVersions() {
        versions.request { [weak self] versions in self?.endpoint.versions = versions }
    }

    // MARK: connections

    private func feed(_ input: Machine.Input) { runner.send(input, to: instance) }

    private func acceptAll(_ listener: FileDescriptor) {
        Self.acceptor.acceptAll(
            listener, on: loop,
            into: .init(open: { [unowned self] in self.executor.connectionCount }, evictIdlest: { [unowned self] in self.evictIdlest() }) {
                [unowned self] fd in self.admit(fd)
            },
            logger: logger)
    }

    /// Takes an admitted client: a watched socket, then the machine hears of it.
    private func admit(_ fd: FileDescriptor) {
        loop.setNoDelay(fd)
        executor.adopt(fd)
    }

    /// At the cap: the machine closes its longest idle client; false when every client is busy.
    private func evictIdlest() -> Bool {
        guard let victim = machine.idlest else { return false }
        feed(.evict(victim))
        return true
    }

    private func perform(_ effect: Machine.Effect) {
        switch effect {
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
            break
        }
    }

    private func cancelTimer(_ id: ConnectionID) {
        if let t = timers.removeValue(forKey: id) { loop.cancelTimer(t) }
    }
}
