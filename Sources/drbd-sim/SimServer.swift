/// `drbd-sim serve`: one DRBDCluster in real time, served on a unix socket from one event loop.
///
/// Design note: the loop owns the listener and every client socket; the model is advanced to the
/// loop's clock before each request and by a timer armed for the model's next deadline (a resync
/// ending). After anything changed, `pump()` moves the lines queued for each events2 subscription into
/// its client's output buffer; a client whose node crashed gets `x 0` and is closed once flushed.
/// Nothing blocks: sockets are non-blocking and unwritten output waits for EPOLLOUT.
import DRBDSim
import Glibc
import Logging
import ReactorCore
import ReactorLoop
import ReactorSystem

final class SimServer {
    /// One connected client: a command, a control action or an events2 stream.
    final class Client {
        let fd: FileDescriptor
        var source: EventLoop.SourceID?
        var input = LineBuffer()
        var output: [UInt8] = []
        var requestSeen = false
        var subscription: SubscriptionID?
        var closeWhenFlushed = false

        init(fd: FileDescriptor) { self.fd = fd }
    }

    let loop: EventLoop
    let logger: Logger
    var cluster: DRBDCluster
    let start: Instant
    let listener: FileDescriptor
    var listenerSource: EventLoop.SourceID?
    let socketPath: String
    var clients: [ObjectIdentifier: Client] = [:]
    var deadlineTimer: EventLoop.SourceID?

    init(spec: ClusterSpec, socketPath: String, logger: Logger) throws {
        self.logger = logger
        loop = try EventLoop(logger: logger)
        cluster = DRBDCluster(spec: spec)
        start = loop.now
        self.socketPath = socketPath
        // The kernel's maximum (net.core.somaxconn caps it): many nodes' drbdsetup/drbdadm calls come at once.
        listener = try Socket.listen(.unix(socketPath), backlog: 4096)
        listenerSource = try loop.addIO(listener, events: .readable, name: "listener") { [unowned self] _ in self.acceptAll() }
        try loop.handleSignals([.terminate, .interrupt]) { [unowned self] _ in self.loop.requestExit() }
    }

    /// The server owns the listener and every client connection: closed with it.
    deinit {
        for client in clients.values { drop(client) }
        if let s = listenerSource { loop.removeIO(s) }
        loop.close(listener)
    }

    func run() throws {
        logger.info("drbd-sim serving \(cluster.nodeNames.count) nodes, \(cluster.resourceNames.count) resources on \(socketPath)")
        try loop.run()
        unlink(socketPath)
    }

    /// Model time: seconds since the server started.
    var modelNow: Duration { loop.now - start }

    /// No cap: the clients are the lab's own drbdsetup/drbdadm stand-ins.
    static let acceptor = Acceptor(what: "drbd-sim client", policy: .unlimited)

    func acceptAll() {
        Self.acceptor.acceptAll(listener, on: loop, into: .init(open: { [unowned self] in self.clients.count }) { [unowned self] in self.admit($0) }, logger: logger)
    }

    func admit(_ fd: FileDescriptor) {
        let client = Client(fd: fd)
        clients[ObjectIdentifier(client)] = client
        do {
            client.source = try loop.addIO(fd, events: .readable, name: "client") { [unowned self] events in
                self.service(client, events)
            }
        } catch {
            logger.warning("Failed to watch a drbd-sim client: \(error)")
            drop(client)
        }
    }

    func service(_ client: Client, _ events: IOEvents) {
        if events.contains(.writable) { flush(client) }
        guard events.contains(.readable) || events.contains(.hangup) || events.contains(.error) else { return }
        var bytes: [UInt8] = []
        let result: FileDescriptor.ReadResult
        do { result = try client.fd.read(appendingTo: &bytes) } catch {
            drop(client)
            return
        }
        client.input.append(bytes)
        client.input.consumeLines { line in handle(client, String(decoding: line, as: UTF8.self)) }
        if result == .endOfFile { drop(client) }
        pump()
    }

    /// One line from a client: its request, or `n` (poll) on an events2 stream.
    func handle(_ client: Client, _ line: String) {
        cluster.advance(to: modelNow)
        if client.requestSeen {
            if line == "n", let id = client.subscription { cluster.poll(id) }
            return
        }
        client.requestSeen = true
        let fields = WireProtocol.fields(line)
        switch fields.first {
        case "exec" where fields.count >= 3:
            exec(client, node: fields[1], argv: Array(fields.dropFirst(2)))
        case "ctl":
            let result = cluster.control(Array(fields.dropFirst()))
            if result.exitCode == 0, fields.count > 1, fields[1] != "state" {
                logger.info("ctl \(fields.dropFirst().joined(separator: " "))")
            }
            reply(client, WireProtocol.frames(result), close: true)
        default:
            reply(client, WireProtocol.frames(CommandResult(exitCode: 1, stderr: "drbd-sim: bad request\n")), close: true)
        }
        rearmDeadline()
    }

    /// `drbdsetup events2` without `--now` streams; anything else runs once.
    func exec(_ client: Client, node: String, argv: [String]) {
        let program = argv[0].split(separator: "/").last.map(String.init) ?? argv[0]
        let words = argv.dropFirst().filter { !$0.hasPrefix("-") }
        if program == "drbdsetup", words.first == "events2", !argv.contains("--now") {
            let resource = words.dropFirst().first.flatMap { $0 == "all" ? nil : $0 }
            guard let id = cluster.subscribe(node, resource: resource) else {
                reply(client, WireProtocol.frames(CommandResult(exitCode: 20, stderr: "drbd-sim: node '\(node)' is down\n")), close: true)
                return
            }
            client.subscription = id
            return
        }
        reply(client, WireProtocol.frames(cluster.run(node, argv)), close: true)
    }

    func reply(_ client: Client, _ text: String, close: Bool) {
        client.output.append(contentsOf: Array(text.utf8))
        client.closeWhenFlushed = client.closeWhenFlushed || close
        flush(client)
    }

    /// Moves queued events2 lines to their clients; ends the streams of crashed nodes.
    func pump() {
        for client in clients.values {
            guard let id = client.subscription else { continue }
            let lines = cluster.takeLines(id)
            var text = ""
            for line in lines { text += "o\t\(line)\n" }
            if !cluster.isOpen(id) {
                text += "x\t0\n"
                cluster.unsubscribe(id)
                client.subscription = nil
                client.closeWhenFlushed = true
            }
            if !text.isEmpty || client.closeWhenFlushed { reply(client, text, close: client.closeWhenFlushed) }
        }
    }

    /// Writes what it can; waits for EPOLLOUT for the rest; closes a finished client.
    func flush(_ client: Client) {
        while !client.output.isEmpty {
            do {
                // 0: the socket is full (write returns 0 rather than throwing EAGAIN); EPOLLOUT says when not.
                let written = try client.fd.write(client.output)
                guard written > 0 else { break }
                client.output.removeFirst(written)
            } catch {
                drop(client)
                return
            }
        }
        guard let source = client.source else { return }
        if client.output.isEmpty && client.closeWhenFlushed { return drop(client) }
        do { try loop.modifyIO(source, events: client.output.isEmpty ? .readable : [.readable, .writable]) } catch {
            // Watched for the wrong events, the client would never get its answer: drop it instead.
            drop(client)
        }
    }

    func drop(_ client: Client) {
        guard clients.removeValue(forKey: ObjectIdentifier(client)) != nil else { return }
        if let source = client.source { loop.removeIO(source) }
        if let id = client.subscription { cluster.unsubscribe(id) }
        client.fd.close()
    }

    /// Arms one timer for the model's next deadline.
    func rearmDeadline() {
        if let timer = deadlineTimer { loop.cancelTimer(timer) }
        deadlineTimer = nil
        guard let next = cluster.nextDeadline() else { return }
        deadlineTimer = loop.addTimer(at: start + next, name: "model deadline") { [unowned self] in
            self.deadlineTimer = nil
            self.cluster.advance(to: self.modelNow)
            self.pump()
            self.rearmDeadline()
        }
    }
}
