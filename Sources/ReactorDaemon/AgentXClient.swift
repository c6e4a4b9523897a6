import Logging
import ReactorAgentX
import ReactorCore
import ReactorLoop
import ReactorSystem

/// Design note: one `[[agentx]]` instance on the loop: the driver of an `AgentXSession`.
///
/// It owns the stream socket to the master (TCP or AF_UNIX) and the session's one timer, and carries
/// out the machine's effects without ever blocking: the connect is non-blocking (completion is the
/// socket becoming writable, its outcome `SO_ERROR`), unsent bytes wait for EPOLLOUT, reads take what
/// is there. Which address to try is a `ConnectMachine`'s (on a runner of its own): a host name is
/// resolved before each attempt without blocking (`HostResolver`: a child `getent`, `localhost`
/// directly); when it has several addresses they are tried in turn before the attempt counts as
/// failed. The session runs on the one `EffectRunner`: an input an effect causes
/// synchronously (a connect refused at once) is handled after the current effects, so the machine sees
/// inputs in order, and nothing reaches it after its `.stopped`.
final class AgentXClient: LoopPlugin {
    let config: AgentXConfig
    private let loop: EventLoop
    private let logger: Logger
    private var machine: AgentXSession
    let source: AgentXMIBSource
    private var fd: FileDescriptor?
    private var ioSource: EventLoop.SourceID?
    private var connecting = false
    /// What the io source is registered for.
    private var interest: IOEvents = []
    private var output: [UInt8] = []
    private var timer: EventLoop.SourceID?
    private let versions: DRBDVersionSource
    private lazy var resolver = HostResolver(loop: loop)
    private typealias Connector = ConnectMachine<Socket.Address>
    /// The current connect attempt: which address next (a host name may have several).
    private var connector = Connector()
    /// The attempt's runner, like the session's this object's own.
    private lazy var connectRunner = EffectRunner<Connector.Input, Connector.Effect>(clock: { [unowned loop] in loop.now }, logger: logger)
    private lazy var attempt = connectRunner.add(
        handle: { [unowned self] input, now in self.connector.handle(input, now: now) },
        perform: { [unowned self] effect in self.perform(effect) })
    /// The session's runner; this object's own, so its closures' `unowned self` cannot outlive it.
    private lazy var runner = EffectRunner<AgentXInput, AgentXEffect>(clock: { [unowned loop] in loop.now }, logger: logger)
    private lazy var session = runner.add(
        handle: { [unowned self] input, now in self.machine.handle(input, now: now, source: self.source) },
        perform: { [unowned self] effect in self.run(effect) })

    init(
        config: AgentXConfig, loop: EventLoop, versions: DRBDVersionSource, logger: Logger,
        reconnect: Backoff = AgentXSession.reconnectBackoff, world: @escaping () -> World
    ) {
        self.versions = versions
        self.config = config
        self.loop = loop
        var l = logger
        l[metadataKey: "plugin"] = "agentx"
        self.logger = l
        machine = AgentXSession(config: config, reconnect: reconnect)
        source = AgentXMIBSource(config: config) {
            let w = world()
            return (w.generation, w.resources)
        }
    }

    /// Whether a session is registered with the master.
    var isServing: Bool { machine.isServing }

    func start() {
        logger.info("Starting AgentX subagent for \(DRBDMIB.root) (master: \(config.address)).")
        versions.request { [weak self] versions in self?.source.versions = versions }
        feed(.start)
    }

    func stop() {
        cancelAttempt()
        feed(.stop)
    }

    // MARK: effects

    private func feed(_ input: AgentXInput) { runner.send(input, to: session) }

    private func run(_ effect: AgentXEffect) {
        switch effect {
        case .connect:
            beginAttempt()
        case .send(let bytes):
            output += bytes
            flush()
        case .disconnect:
            cancelAttempt()
            closeConnection()
        case .startTimer(let deadline):
            cancelTimer()
            timer = loop.addTimer(at: deadline, name: "agentx timer") { [weak self] in
                self?.timer = nil
                self?.feed(.timer)
            }
        case .cancelTimer:
            cancelTimer()
        case .log(let level, let message):
            logger.log(level: level, "\(message)")
        case .stopped:
            cancelTimer()
        }
    }

    private func cancelTimer() {
        if let t = timer { loop.cancelTimer(t) }
        timer = nil
    }

    // MARK: connecting

    private func feedConnector(_ input: Connector.Input) { connectRunner.send(input, to: attempt) }

    /// Starts an attempt: the configured socket, or the addresses of its host name.
    private func beginAttempt() {
        cancelAttempt()
        closeConnection()
        switch config.address {
        case .unix(let path):
            feedConnector(.begin(.addresses([.unix(path)])))
        case .tcp(let address):
            switch address.target {
            case .any: feedConnector(.begin(.addresses([])))
            case .addresses(let list): feedConnector(.begin(.addresses(list)))
            case .name(let name, let port): feedConnector(.begin(.resolve(name: name, port: port, what: "\(config.address)")))
            }
        }
    }

    private func cancelAttempt() {
        resolver.cancel()
        feedConnector(.cancel)
    }

    private func perform(_ effect: Connector.Effect) {
        switch effect {
        case .resolve(let name, let port):
            resolver.resolve(name, port: port) { [weak self] answer in
                switch answer {
                case .resolved(let list): self?.feedConnector(.resolved(list))
                case .failed(let reason): self?.feedConnector(.resolveFailed(reason))
                }
            }
        case .connect(let address):
            connect(address)
        case .succeeded:
            if let fd { loop.setNoDelay(fd) }
            updateInterest()
            feed(.connected)
        case .failed(let reason):
            feed(.connectFailed(reason))
        }
    }

    /// A non-blocking connect; its completion is the socket becoming writable.
    private func connect(_ address: Socket.Address) {
        do {
            let fd = try loop.connect(address)
            self.fd = fd
            connecting = true
            ioSource = try loop.addIO(fd, events: .writable, name: "agentx \(address)") { [unowned self] events in
                self.ready(events, address)
            }
            interest = .writable
        } catch {
            closeConnection()
            feedConnector(.connectFailed("\(address): \(error)"))
        }
    }

    private func ready(_ events: IOEvents, _ address: Socket.Address) {
        guard let fd else { return }
        if connecting {
            if let error = loop.connectionError(fd) {
                closeConnection()
                feedConnector(.connectFailed("\(address): \(error)"))
                return
            }
            connecting = false
            feedConnector(.connected)
            return
        }
        if events.contains(.writable) { flush() }
        if self.fd != nil, !events.isDisjoint(with: [.readable, .hangup, .error]) { read() }
    }

    // MARK: reading and writing

    private func read() {
        guard let fd else { return }
        var bytes: [UInt8] = []
        var end: AgentXInput?
        readLoop: while bytes.count < 1 << 20 {
            do {
                switch try loop.read(fd, appendingTo: &bytes, maximum: 65536) {
                case .bytes: continue
                case .wouldBlock: break readLoop
                case .endOfFile:
                    end = .closed(nil)
                    break readLoop
                }
            } catch {
                end = .closed("\(error)")
                break
            }
        }
        if !bytes.isEmpty { feed(.received(bytes)) }
        // The session may have dropped this connection while handling the bytes.
        if let end, self.fd === fd { feed(end) }
    }

    private func flush() {
        guard let fd, !connecting else { return }
        do {
            while !output.isEmpty {
                let n = try loop.write(fd, output)
                guard n > 0 else { break }
                output.removeFirst(n)
            }
        } catch {
            output.removeAll()
            feed(.closed("\(error)"))
            return
        }
        updateInterest()
    }

    /// Readable always once connected; writable while output waits.
    private func updateInterest() {
        guard let ioSource, !connecting else { return }
        let want: IOEvents = output.isEmpty ? .readable : [.readable, .writable]
        guard want != interest else { return }
        interest = want
        do { try loop.modifyIO(ioSource, events: want) } catch {
            // Left watched for the wrong events, the session would stall: drop it; the machine logs
            // the failure and reconnects after its backoff.
            output.removeAll()
            feed(.closed("cannot watch the socket: \(error)"))
        }
    }

    private func closeConnection() {
        if let s = ioSource { loop.removeIO(s) }
        ioSource = nil
        if let fd { loop.close(fd) }
        fd = nil
        connecting = false
        interest = []
        output.removeAll()
    }
}
