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
    /// One client.
    final class Client {
        let fd: FileDescriptor
        var source: EventLoop.SourceID?
        var input = LineBuffer()
        var output: [UInt8] = []
        var written = 0
        var watching = false
        var watchingWritable = false
        var closeWhenDrained = false

        init(fd: FileDescriptor) { self.fd = fd }
    }

    /// At most this many bytes wait for a client; a watcher further behind is dropped.
    static let outputLimit = 1 << 20
    /// A request line longer than this closes the connection.
    static let lineLimit = 65536
    static let maxClients = 64

    let path: String
    private let loop: EventLoop
    private let logger: Logger
    /// The current status snapshot.
    private let snapshot: () -> JSONText
    /// Re-reads the maintenance state.
    private let rereadMaintenance: () -> Void
    private var listener: (fd: FileDescriptor, source: EventLoop.SourceID)?
    private var clients: [ObjectIdentifier: Client] = [:]

    public init(path: String, loop: EventLoop, logger: Logger, snapshot: @escaping () -> JSONText, rereadMaintenance: @escaping () -> Void) {
        self.path = path
        self.loop = loop
        self.logger = logger
        self.snapshot = snapshot
        self.rereadMaintenance = rereadMaintenance
    }

    /// Whether anybody watches (so the daemon builds no watch lines for nobody).
    public var hasWatchers: Bool { clients.values.contains { $0.watching } }

    /// Binds the socket (its directory is created, a stale socket replaced) and makes it root-only.
    public func start() throws {
        try FileSystem.createDirectories(FileSystem.parentDirectory(of: path))
        let fd = try Socket.listen(.unix(path))
        do {
            try FileSystem.setMode(path, 0o600)
            let source = try loop.addIO(fd, events: .readable, name: "control socket") { [unowned self] _ in self.acceptAll(fd) }
            listener = (fd, source)
        } catch {
            fd.close()
            throw error
        }
        logger.info("Control socket on '\(path)'.")
    }

    /// Closes the socket and every client; removes the socket file.
    public func stop() {
        if let l = listener {
            loop.removeIO(l.source)
            l.fd.close()
            try? FileSystem.remove(path)
        }
        listener = nil
        for c in Array(clients.values) { close(c) }
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
        for c in Array(clients.values) where c.watching {
            if c.output.count - c.written + bytes.count > Self.outputLimit {
                logger.warning("A control socket watcher does not read; disconnecting it.")
                close(c)
                continue
            }
            c.output += bytes
            flush(c)
        }
    }

    private func acceptAll(_ listener: FileDescriptor) {
        while true {
            let fd: FileDescriptor?
            do { fd = try Socket.accept(listener) } catch {
                logger.warning("Failed to accept a control socket client: \(error)")
                return
            }
            guard let fd else { return }
            guard clients.count < Self.maxClients else {
                fd.close()
                continue
            }
            let c = Client(fd: fd)
            clients[ObjectIdentifier(c)] = c
            do {
                c.source = try loop.addIO(fd, events: .readable, name: "control client") { [unowned self, unowned c] events in
                    self.ready(c, events)
                }
            } catch {
                close(c)
            }
        }
    }

    private func ready(_ c: Client, _ events: IOEvents) {
        if events.contains(.writable) || events.contains(.error) { flush(c) }
        guard clients[ObjectIdentifier(c)] != nil else { return }
        if events.contains(.readable) || events.contains(.hangup) { read(c) }
    }

    private func read(_ c: Client) {
        var bytes: [UInt8] = []
        let result: FileDescriptor.ReadResult
        do { result = try c.fd.read(appendingTo: &bytes, maximum: 16384) } catch {
            close(c)
            return
        }
        if result == .endOfFile {
            close(c)  // a client that hung up (a watcher ends this way)
            return
        }
        c.input.append(bytes)
        c.input.consumeLines { line in answer(c, String(decoding: line, as: UTF8.self)) }
        if c.input.pendingCount > Self.lineLimit { close(c) }
    }

    private func answer(_ c: Client, _ line: String) {
        guard clients[ObjectIdentifier(c)] != nil, !line.allSatisfy({ $0 == " " || $0 == "\r" }) else { return }
        var reply: JSONText
        switch ControlMessages.Request.parse(line) {
        case .status: reply = snapshot()
        case .watch:
            reply = snapshot()
            c.watching = true
        case .maintenance:
            rereadMaintenance()
            reply = snapshot()
        case .invalid(let why): reply = ControlMessages.error(why)
        }
        c.output += Array((reply.text + "\n").utf8)
        flush(c)
    }

    /// Writes what the socket takes; waits for EPOLLOUT for the rest.
    private func flush(_ c: Client) {
        guard clients[ObjectIdentifier(c)] != nil else { return }
        do {
            while c.written < c.output.count {
                let n = try c.fd.write(c.output, from: c.written)
                guard n > 0 else { break }
                c.written += n
            }
        } catch {
            close(c)
            return
        }
        if c.written == c.output.count {
            c.output.removeAll(keepingCapacity: c.output.count < 65536)
            c.written = 0
        }
        let pending = !c.output.isEmpty
        if pending != c.watchingWritable, let source = c.source {
            c.watchingWritable = pending
            try? loop.modifyIO(source, events: pending ? [.readable, .writable] : .readable)
        }
    }

    private func close(_ c: Client) {
        guard clients.removeValue(forKey: ObjectIdentifier(c)) != nil else { return }
        if let s = c.source { loop.removeIO(s) }
        c.fd.close()
    }
}
