import Logging
import ReactorCore
import ReactorLoop
import ReactorPrometheus
import ReactorSystem

/// Design note: one `[[prometheus]]` instance on the loop.
///
/// It owns its listening sockets and client connections; each connection is an `HTTPConnection` machine
/// fed with whatever the socket had, whose actions (write, close, abort) are carried out without ever
/// blocking: unsent output waits for EPOLLOUT, and every connection has a deadline timer from its
/// machine. A client that connects and sends nothing, trickles, or stops reading costs one fd and a
/// few bytes until its deadline; everyone else's scrape proceeds in the same loop iteration.
public final class PrometheusServer: LoopPlugin {
    /// More clients than this are accepted and closed at once (the kernel backlog would hold them
    /// otherwise, and stalled clients would keep good ones out).
    public static let maxConnections = 256

    private final class Client {
        let fd: FileDescriptor
        var source: EventLoop.SourceID?
        var machine: HTTPConnection
        /// Output ready to send, as shared buffers; `written` bytes of the first one are already sent.
        var output: [[UInt8]] = []
        var written = 0
        /// Output after `output`, not yet in buffers: the text of a snapshot is made a chunk at a time
        /// when the socket has taken everything before it (see `ByteChunks`).
        var later: [ByteChunks.Piece] = []
        var hasPendingOutput: Bool { !output.isEmpty || !later.isEmpty }
        var closeWhenDrained = false
        var timer: EventLoop.SourceID?
        var watchingWritable = false
        /// When the client last sent or received a byte (or connected): the eviction order when full.
        var lastActivity: Instant
        init(fd: FileDescriptor, machine: HTTPConnection, now: Instant) {
            self.fd = fd
            self.machine = machine
            lastActivity = now
        }
    }

    public let config: PrometheusConfig
    private let loop: EventLoop
    private let logger: Logger
    private let endpoint: MetricsEndpoint
    private let pool: ListenerPool
    private var listeners: [(fd: FileDescriptor, address: Socket.Address, source: EventLoop.SourceID)] = []
    private var clients: [ObjectIdentifier: Client] = [:]
    private var versionChild: EventLoop.SourceID?
    private var resolution: HostResolution?

    /// Listening sockets come from `pool` and go back to it on stop (see `ListenerPool`).
    public init(config: PrometheusConfig, loop: EventLoop, pool: ListenerPool, logger: Logger, stats: ReactorStats,
                world: @escaping () -> World) {
        self.config = config
        self.loop = loop
        self.pool = pool
        var l = logger
        l[metadataKey: "plugin"] = "prometheus"
        self.logger = l
        endpoint = MetricsEndpoint(enums: config.enums, stats: stats) {
            let w = world()
            return (w.generation, w.resources)
        }
    }

    /// The port actually bound (tests bind port 0).
    public var boundPort: UInt16? { listeners.first.flatMap { Socket.localPort($0.fd) } }

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
        guard let fd = try? Socket.listen(.ipv6("::", 0)) else { return false }
        fd.close()
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
        for (_, c) in clients { close(c) }
        if let v = versionChild { loop.signal(v, Signal.kill) }
    }

    // MARK: drbdadm --version

    private func queryVersions() {
        versionChild = DRBDVersionQuery.start(loop: loop, logger: logger) { [weak self] versions in
            self?.versionChild = nil
            self?.endpoint.versions = versions
        }
    }

    // MARK: connections

    private func acceptAll(_ listener: FileDescriptor) {
        while true {
            let fd: FileDescriptor?
            do { fd = try Socket.accept(listener) } catch {
                logger.warning("Failed to accept a /metrics client: \(error)")
                return
            }
            guard let fd else { return }
            if clients.count >= Self.maxConnections && !evictIdlest() {
                logger.debug("Too many busy /metrics clients (\(clients.count)); closing a new one.")
                fd.close()
                continue
            }
            Socket.disableNagle(fd)
            let client = Client(fd: fd, machine: HTTPConnection(now: loop.now), now: loop.now)
            clients[ObjectIdentifier(client)] = client
            do {
                client.source = try loop.addIO(fd, events: .readable, name: "prometheus client") { [unowned self, unowned client] events in
                    self.ready(client, events)
                }
            } catch {
                logger.warning("Failed to watch a /metrics client: \(error)")
                close(client)
                continue
            }
            armDeadline(client)
        }
    }

    /// Makes room for a new client by closing the one that has been silent longest and has no response
    /// pending: clients that connect and send nothing must not lock real scrapers out until their
    /// deadline. Returns false when every client is in the middle of a response.
    private func evictIdlest() -> Bool {
        guard let victim = clients.values.filter({ !$0.hasPendingOutput }).min(by: { $0.lastActivity < $1.lastActivity }) else {
            return false
        }
        logger.debug("Connection limit (\(Self.maxConnections)) reached; closing the longest idle /metrics client.")
        close(victim)
        return true
    }

    private func ready(_ client: Client, _ events: IOEvents) {
        if events.contains(.writable) || events.contains(.error) { flush(client) }
        guard clients[ObjectIdentifier(client)] != nil else { return }
        if events.contains(.readable) || events.contains(.hangup) { read(client) }
    }

    private func read(_ client: Client) {
        var bytes: [UInt8] = []
        var eof = false
        do {
            switch try client.fd.read(appendingTo: &bytes, maximum: 16384) {
            case .bytes: client.lastActivity = loop.now
            case .wouldBlock: break
            case .endOfFile: eof = true
            }
        } catch {
            close(client)  // reset by peer and the like: nothing to answer
            return
        }
        var actions = client.machine.receive(bytes, now: loop.now, source: endpoint)
        if eof { actions += client.machine.endOfInput(now: loop.now, source: endpoint) }
        perform(actions, client)
        if eof, clients[ObjectIdentifier(client)] != nil, let source = client.source {
            // Stop polling for input that will never come; only output remains.
            try? loop.modifyIO(source, events: client.watchingWritable ? .writable : [])
        }
    }

    private func perform(_ actions: [HTTPConnectionAction], _ client: Client) {
        for action in actions {
            switch action {
            case .write(let bytes):
                client.later += bytes.pieces
            case .close:
                client.closeWhenDrained = true
            case .abort:
                close(client)
                return
            }
        }
        flush(client)
    }

    /// Writes what the socket takes; waits for EPOLLOUT for the rest; tells the machine when drained.
    private func flush(_ client: Client) {
        guard clients[ObjectIdentifier(client)] != nil else { return }
        let hadOutput = client.hasPendingOutput
        do {
            while refill(client) {
                var n = try client.fd.write(gathering: client.output, from: client.written)
                guard n > 0 else { break }
                client.lastActivity = loop.now
                // Drop what went out; a buffer is released (or left to the cache) once fully sent.
                while n > 0, !client.output.isEmpty, n >= client.output[0].count - client.written {
                    n -= client.output[0].count - client.written
                    client.output.removeFirst()
                    client.written = 0
                }
                client.written += n
            }
        } catch {
            close(client)
            return
        }
        if client.hasPendingOutput {
            watchWritable(client, true)
            armDeadline(client)
            return
        }
        client.written = 0
        watchWritable(client, false)
        if client.closeWhenDrained {
            close(client)
            return
        }
        if hadOutput {
            let more = client.machine.writeDrained(now: loop.now, source: endpoint)
            if !more.isEmpty {
                perform(more, client)
                return
            }
        }
        armDeadline(client)
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

    private func watchWritable(_ client: Client, _ on: Bool) {
        guard client.watchingWritable != on, let source = client.source else { return }
        client.watchingWritable = on
        try? loop.modifyIO(source, events: on ? [.readable, .writable] : .readable)
    }

    private func armDeadline(_ client: Client) {
        if let t = client.timer { loop.cancelTimer(t) }
        client.timer = nil
        guard let deadline = client.machine.deadline else { return }
        client.timer = loop.addTimer(at: deadline, name: "prometheus client deadline") { [unowned self, weak client] in
            guard let client, self.clients[ObjectIdentifier(client)] != nil else { return }
            client.timer = nil
            let actions = client.machine.timeout(now: self.loop.now)
            if actions.isEmpty && client.machine.isClosed { self.close(client); return }
            self.perform(actions, client)
        }
    }

    private func close(_ client: Client) {
        guard clients.removeValue(forKey: ObjectIdentifier(client)) != nil else { return }
        if let t = client.timer { loop.cancelTimer(t) }
        if let s = client.source { loop.removeIO(s) }
        client.fd.close()
    }
}
