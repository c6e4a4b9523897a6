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

    /// One client socket and its unsent output.
    private final class Client {
        let fd: FileDescriptor
        var source: EventLoop.SourceID?
        /// Output ready to send, as shared buffers; `written` bytes of the first one are already sent.
        var output: [[UInt8]] = []
        var written = 0
        /// Output after `output`, not yet in buffers: the text of a snapshot is made a chunk at a time
        /// when the socket has taken everything before it (see `ByteChunks`).
        var later: [ByteChunks.Piece] = []
        var hasPendingOutput: Bool { !output.isEmpty || !later.isEmpty }
        var closeWhenSent = false
        var timer: EventLoop.SourceID?
        var watchingWritable = false
        init(fd: FileDescriptor) { self.fd = fd }
    }

    private typealias Machine = MetricsServerMachine<MetricsEndpoint>

    public let config: PrometheusConfig
    private let loop: EventLoop
    private let logger: Logger
    private let endpoint: MetricsEndpoint
    private let pool: ListenerPool
    private var listeners: [(fd: FileDescriptor, address: Socket.Address, source: EventLoop.SourceID)] = []
    private var clients: [ConnectionID: Client] = [:]
    private var lastConnection: UInt64 = 0
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
    }

    /// The port actually bound (tests bind port 0).
    public var boundPort: UInt16? {
        switch listeners.first.flatMap({ loop.localAddress($0.fd) }) {
        case .ipv4(_, let port)?, .ipv6(_, let port)?: port
        default: nil
        }
    }

    /// The number of open client connections.
    public var connectionCount: Int { clients.count }

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
            into: .init(open: { [unowned self] in self.clients.count }, evictIdlest: { [unowned self] in self.evictIdlest() }) {
                [unowned self] fd in self.admit(fd)
            },
            logger: logger)
    }

    /// Takes an admitted client: a watched socket, then the machine hears of it.
    private func admit(_ fd: FileDescriptor) {
        loop.setNoDelay(fd)
        lastConnection += 1
        let id = ConnectionID(raw: lastConnection)
        let client = Client(fd: fd)
        do {
            client.source = try loop.addIO(fd, events: .readable, name: "prometheus client") { [unowned self] events in
                self.ready(id, events)
            }
        } catch {
            logger.warning("Failed to watch a /metrics client: \(error)")
            loop.close(fd)
            return
        }
        clients[id] = client
        feed(.accepted(id))
    }

    /// At the cap: the machine closes its longest idle client; false when every client is busy.
    private func evictIdlest() -> Bool {
        guard let victim = machine.idlest else { return false }
        feed(.evict(victim))
        return true
    }

    private func ready(_ id: ConnectionID, _ events: IOEvents) {
        if events.contains(.writable) || events.contains(.error) { flush(id) }
        guard clients[id] != nil else { return }
        if events.contains(.readable) || events.contains(.hangup) { read(id) }
    }

    private func read(_ id: ConnectionID) {
        guard let client = clients[id] else { return }
        var bytes: [UInt8] = []
        var eof = false
        do {
            switch try loop.read(client.fd, appendingTo: &bytes, maximum: 16384) {
            case .bytes, .wouldBlock: break
            case .endOfFile: eof = true
            }
        } catch {
            closed(id)  // reset by peer and the like: nothing to answer
            return
        }
        if !bytes.isEmpty { feed(.received(id, bytes)) }
        guard eof, clients[id] != nil else { return }
        feed(.endOfInput(id))
        if let client = clients[id] {
            // Stop polling for input that will never come; only output remains.
            watch(id, client.watchingWritable ? .writable : [])
        }
    }

    private func perform(_ effect: Machine.Effect) {
        switch effect {
        case .send(let id, let chunks):
            clients[id]?.later += chunks.pieces
            flush(id)
        case .closeWhenSent(let id):
            clients[id]?.closeWhenSent = true
            flush(id)
        case .close(let id):
            close(id)
        case .deadline(let id, let deadline):
            guard let client = clients[id] else { return }
            if let t = client.timer { loop.cancelTimer(t) }
            client.timer = deadline.map {
                loop.addTimer(at: $0, name: "prometheus client deadline") { [unowned self] in
                    self.clients[id]?.timer = nil
                    self.feed(.deadline(id))
                }
            }
        case .stopped:
            break
        }
    }

    /// Writes what the socket takes; waits for EPOLLOUT for the rest; tells the machine when all is sent.
    private func flush(_ id: ConnectionID) {
        guard let client = clients[id] else { return }
        let hadOutput = client.hasPendingOutput
        do {
            while refill(client) {
                var n = try loop.write(client.fd, gathering: client.output, from: client.written)
                guard n > 0 else { break }
                // Drop what went out; a buffer is released (or left to the cache) once fully sent.
                while n > 0, !client.output.isEmpty, n >= client.output[0].count - client.written {
                    n -= client.output[0].count - client.written
                    client.output.removeFirst()
                    client.written = 0
                }
                client.written += n
            }
        } catch {
            closed(id)
            return
        }
        if client.hasPendingOutput {
            watchWritable(id, true)
            return
        }
        client.written = 0
        guard watchWritable(id, false) else { return }
        if client.closeWhenSent {
            closed(id)
        } else if hadOutput {
            feed(.drained(id))
        }
    }

    /// Makes sure there is a buffer to send while output remains: moves the next pieces into `output`,
    /// up to and including one chunk of a snapshot's text. Returns whether there is something to send.
    private func refill(_ client: Client) -> Bool {
        guard client.output.isEmpty else { return true }
        while let piece = client.later.first {
            switch piece {
            case .bytes(let bytes):
                client.output.append(bytes)
                client.later.removeFirst()
            case .stream(var stream):
                guard let chunk = stream.next() else {
                    client.later.removeFirst()
                    continue
                }
                client.output.append(chunk)
                client.later[0] = .stream(stream)
                return true
            }
        }
        return !client.output.isEmpty
    }

    /// Watches a client for EPOLLOUT while output waits; false when that failed and it was dropped.
    @discardableResult
    private func watchWritable(_ id: ConnectionID, _ on: Bool) -> Bool {
        guard let client = clients[id], client.watchingWritable != on else { return true }
        client.watchingWritable = on
        return watch(id, on ? [.readable, .writable] : .readable)
    }

    /// Changes the events a client's socket is watched for. If epoll refuses (nothing but a bug of ours
    /// makes it refuse a socket it watches already), the connection is logged and dropped rather than
    /// left watched for the wrong events (a response that never goes out, or a busy loop); false then.
    @discardableResult
    private func watch(_ id: ConnectionID, _ events: IOEvents) -> Bool {
        guard let source = clients[id]?.source else { return true }
        do { try loop.modifyIO(source, events: events) } catch {
            logger.warning("Failed to watch a /metrics connection: \(error); dropping it.")
            closed(id)
            return false
        }
        return true
    }

    /// The socket is gone on this side (an error, or closed after sending): the machine forgets it.
    private func closed(_ id: ConnectionID) {
        close(id)
        feed(.closed(id))
    }

    private func close(_ id: ConnectionID) {
        guard let client = clients.removeValue(forKey: id) else { return }
        if let t = client.timer { loop.cancelTimer(t) }
        if let s = client.source { loop.removeIO(s) }
        loop.close(client.fd)
    }
}
