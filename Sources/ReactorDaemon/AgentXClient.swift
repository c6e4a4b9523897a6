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
/// is there. A host name is resolved before each attempt without blocking (`HostResolution`: a child
/// `getent`, `localhost` directly); when it has several addresses they are tried in turn before the
/// attempt counts as failed. Inputs that effects cause synchronously (a connect refused at once) are queued and fed after
/// the current effects, so the machine sees them in order.
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
    private var versionChild: EventLoop.SourceID?
    /// The addresses of the current attempt still to try.
    private var candidates: [Socket.Address] = []
    private var resolution: HostResolution?
    private var queue: [AgentXInput] = []
    private var feeding = false

    init(config: AgentXConfig, loop: EventLoop, logger: Logger, world: @escaping () -> World) {
        self.config = config
        self.loop = loop
        var l = logger
        l[metadataKey: "plugin"] = "agentx"
        self.logger = l
        machine = AgentXSession(config: config)
        source = AgentXMIBSource(config: config) {
            let w = world()
            return (w.generation, w.resources)
        }
    }

    /// Whether a session is registered with the master.
    var isServing: Bool { machine.isServing }

    func start() {
        logger.info("Starting AgentX subagent for \(DRBDMIB.root) (master: \(config.address)).")
        versionChild = DRBDVersionQuery.start(loop: loop, logger: logger) { [weak self] versions in
            self?.versionChild = nil
            self?.source.versions = versions
        }
        feed(.start)
    }

    func stop() {
        resolution?.cancel()
        resolution = nil
        feed(.stop)
        if let v = versionChild { loop.signal(v, Signal.kill) }
    }

    // MARK: effects

    private func feed(_ input: AgentXInput) {
        queue.append(input)
        guard !feeding else { return }
        feeding = true
        defer { feeding = false }
        while !queue.isEmpty {
            let next = queue.removeFirst()
            for effect in machine.handle(next, now: loop.now, source: source) { run(effect) }
        }
    }

    private func run(_ effect: AgentXEffect) {
        switch effect {
        case .connect:
            beginAttempt()
        case .send(let bytes):
            output += bytes
            flush()
        case .disconnect:
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

    private func beginAttempt() {
        closeConnection()
        resolution?.cancel()
        resolution = nil
        switch config.address {
        case .unix(let path):
            candidates = [.unix(path)]
        case .tcp(let address):
            switch address.target {
            case .any: candidates = []
            case .addresses(let list): candidates = list
            case .name(let name, let port):
                resolution = HostResolution(name, port: port, loop: loop) { [weak self] result in
                    guard let self else { return }
                    self.resolution = nil
                    switch result {
                    case .success(let list):
                        self.candidates = list
                        self.tryNextCandidate(lastError: "no address")
                    case .failure(let failure):
                        self.feed(.connectFailed("cannot resolve '\(self.config.address)': \(failure)"))
                    }
                }
                return
            }
        }
        tryNextCandidate(lastError: "no address")
    }

    /// Connects to the next candidate address, or reports the attempt failed when none is left.
    private func tryNextCandidate(lastError: String) {
        guard !candidates.isEmpty else {
            feed(.connectFailed(lastError))
            return
        }
        let address = candidates.removeFirst()
        do {
            let fd = try Socket.connect(address)
            self.fd = fd
            connecting = true
            ioSource = try loop.addIO(fd, events: .writable, name: "agentx \(address)") { [unowned self] events in
                self.ready(events, address)
            }
            interest = .writable
        } catch {
            closeConnection()
            tryNextCandidate(lastError: "\(address): \(error)")
        }
    }

    private func ready(_ events: IOEvents, _ address: Socket.Address) {
        guard let fd else { return }
        if connecting {
            if let error = Socket.pendingError(fd) {
                closeConnection()
                tryNextCandidate(lastError: "\(address): \(error)")
                return
            }
            connecting = false
            candidates.removeAll()
            Socket.disableNagle(fd)
            updateInterest()
            feed(.connected)
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
                switch try fd.read(appendingTo: &bytes, maximum: 65536) {
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
                let n = try fd.write(output)
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
        try? loop.modifyIO(ioSource, events: want)
    }

    private func closeConnection() {
        if let s = ioSource { loop.removeIO(s) }
        ioSource = nil
        fd?.close()
        fd = nil
        connecting = false
        interest = []
        output.removeAll()
    }
}
