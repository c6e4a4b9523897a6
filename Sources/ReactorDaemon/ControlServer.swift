import Logging
import ReactorCore
import ReactorLoop
import ReactorSystem

/// Design note: the control socket, a loop source like the prometheus server. A unix stream socket
/// (mode 0600 under the root-owned run directory: root only) where a client writes one request per line
/// (`ControlMessages.Request`) and reads JSON lines: `status` gets one snapshot; `watch` gets the
/// snapshot and then every DRBD state change and promoter decision as it happens, until it hangs up;
/// `maintenance` makes the daemon re-read the maintenance state (as SIGHUP does, without a reload of
/// the configuration). Every socket is non-blocking: what a client does not read is buffered, and a
/// watcher that falls more than `outputLimit` bytes behind is disconnected, so a stuck client costs a
/// bounded amount of memory and never blocks the loop.
public final class ControlServer {
    /// What the server keeps per client (its socket and output are the executor's).
    struct Client {
        var input = LineBuffer()
        var watching = false
    }

    /// At most this many bytes wait for a client; a watcher further behind is dropped.
    static let outputLimit = 1 << 20
    /// A request line longer than this closes the connection.
    static let lineLimit = 65536
    static let maxClients = 64
    /// Beyond `maxClients` a new client is closed at once (no eviction: watchers are idle by nature).
    private static let acceptor = Acceptor(what: "control socket client", policy: AcceptPolicy(limit: maxClients, evictsIdle: false))

    let path: String
    private let loop: EventLoop
    private let logger: Logger
    /// The current status snapshot.
    private let snapshot: () -> JSONText
    /// Re-reads the maintenance state.
    private let rereadMaintenance: () -> Void
    private var listener: (fd: FileDescriptor, source: EventLoop.SourceID)?
    private var clients: [ConnectionID: Client] = [:] {
        didSet { hasWatchers = clients.values.contains { $0.watching } }
    }
    /// The client sockets: reads, writes, closes (`IOEffect`/`IOInput`).
    private let executor: IOExecutor<[UInt8]>

    public init(path: String, loop: EventLoop, logger: Logger, snapshot: @escaping () -> JSONText, rereadMaintenance: @escaping () -> Void) {
        self.path = path
        self.loop = loop
        self.logger = logger
        self.snapshot = snapshot
        self.rereadMaintenance = rereadMaintenance
        executor = IOExecutor(loop: loop, logger: logger, what: "control connection", sourceName: "control client")
        executor.onInput = { [unowned self] in self.handle($0) }
    }

    /// Whether anybody watches (so the daemon builds no watch lines for nobody). Kept up to date when a
    /// client comes, goes or starts watching, so the per-line check is one load.
    public private(set) var hasWatchers = false

    /// Binds the socket (its directory is created, a stale socket replaced) and makes it root-only.
    public func start() throws {
        try loop.createDirectories(FileSystem.parentDirectory(of: path))
        let fd = try loop.listen(.unix(path))
        do {
            try loop.setMode(path, 0o600)
            let source = try loop.addIO(fd, events: .readable, name: "control socket") { [unowned self] _ in self.acceptAll(fd) }
            listener = (fd, source)
        } catch {
            loop.close(fd)
            throw error
        }
        logger.info("Control socket on '\(path)'.")
    }

    /// Closes the socket and every client; removes the socket file.
    public func stop() {
        if let l = listener {
            loop.removeIO(l.source)
            loop.close(l.fd)
            try? loop.removeFile(path)
        }
        listener = nil
        for id in clients.keys.sorted() { close(id) }
    }

    /// A started server, or nil (logged) when the socket cannot be bound: the daemon runs without it.
    public static func started(
        path: String, loop: EventLoop, logger: Logger, snapshot: @escaping () -> JSONText, rereadMaintenance: @escaping () -> Void
    ) -> ControlServer? {
        let server = ControlServer(path: path, loop: loop, logger: logger, snapshot: snapshot, rereadMaintenance: rereadMaintenance)
        do { try server.start() } catch {
            logger.warning("Failed to open the control socket '\(path)': \(error); running without it.")
            return nil
        }
        return server
    }

    /// Sends the DRBD state changes among `updates` to the watchers.
    public func publish(_ updates: [StateUpdate]) {
        guard hasWatchers else { return }
        for u in updates { if let line = ControlMessages.state(u) { publish(line) } }
    }

    /// Sends `line` to every watcher.
    public func publish(_ line: JSONText) {
        let bytes = Array((line.text + "\n").utf8)
        for (id, c) in clients.sorted(by: { $0.key < $1.key }) where c.watching {
            if executor.pendingBytes(id) + bytes.count > Self.outputLimit {
                logger.warning("A control socket watcher does not read; disconnecting it.")
                close(id)
                continue
            }
            send(id, bytes)
        }
    }

    private func acceptAll(_ listener: FileDescriptor) {
        Self.acceptor.acceptAll(
            listener, on: loop, into: .init(open: { [unowned self] in self.executor.connectionCount }) { [unowned self] in
                self.executor.adopt($0)
            }, logger: logger)
    }

    /// What the executor reports on a client.
    private func handle(_ input: IOInput) {
        switch input {
        case .accepted(let id):
            clients[id] = Client()
        case .received(let id, let bytes):
            guard var c = clients[id] else { return }
            c.input.append(bytes)
            var lines: [String] = []
            c.input.consumeLines { lines.append(String(decoding: $0, as: UTF8.self)) }
            let tooLong = c.input.pendingCount > Self.lineLimit
            clients[id] = c
            for line in lines { answer(id, line) }
            if tooLong { close(id) }
        case .peerClosed(let id):
            close(id)  // a client that hung up (a watcher ends this way)
        case .closed(let id):
            clients[id] = nil
        case .drained:
            break
        }
    }

    private func answer(_ id: ConnectionID, _ line: String) {
        guard clients[id] != nil, !line.allSatisfy({ $0 == " " || $0 == "\r" }) else { return }
        var reply: JSONText
        switch ControlMessages.Request.parse(line) {
        case .status: reply = snapshot()
        case .watch:
            reply = snapshot()
            clients[id]?.watching = true
        case .maintenance:
            rereadMaintenance()
            reply = snapshot()
        case .invalid(let why): reply = ControlMessages.error(why)
        }
        send(id, Array((reply.text + "\n").utf8))
    }

    private func send(_ id: ConnectionID, _ bytes: [UInt8]) { perform(.send(id, bytes)) }

    private func close(_ id: ConnectionID) {
        clients[id] = nil
        perform(.close(id))
    }

    /// Socket effects never fail here (a socket error comes back as `.closed`); anything else is logged.
    private func perform(_ effect: IOEffect<[UInt8]>) {
        if let failure = executor.perform(effect) { logger.warning("\(failure)") }
    }
}
