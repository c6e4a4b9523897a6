import Logging
import ReactorCore
import ReactorSystem

/// Design note: one `[[prometheus]]` instance as a machine: its listening side and its clients.
///
/// What to listen on (the any-address with its IPv6 fallback, a host name resolved first) and what to
/// log about it is the composed `ListenerMachine`'s. For the clients it keeps one `HTTPConnection` per
/// client, by `ConnectionID`, and decides everything the server used to decide inline: whether a new
/// connection is admitted, and which client makes room at the connection cap (the longest idle one with
/// no response pending, `AcceptPolicy`), when each connection's one deadline falls, what to send, when
/// to close. The server (`PrometheusServer`) owns the sockets: its `IOExecutor` reports what happened on
/// a connection (`IOInput`) and carries out the socket effects (`IOEffect`); it carries out the
/// listener's effects and runs the deadline timers. Time comes with each input.
public struct MetricsServerMachine<Source: MetricsSource>: Machine {
    public typealias Listener = ListenerMachine<Socket.Address>

    public enum Input {
        /// What the listening side hears: the start and the answers to its effects (its stop comes
        /// with the instance's `.stop`).
        case listener(Listener.Input)
        /// A connection waits on a listening socket (accepted, not yet admitted): `.admit` or `.refuse`.
        case incoming
        /// What the server's executor reports on a connection (`IOInput`): accepted (after `.admit`),
        /// bytes, end of input, everything sent, closed on the server's side (an error, or everything
        /// sent after `.closeWhenSent`).
        case io(IOInput)
        /// The connection's deadline (the last `.deadline` effect) passed.
        case deadline(ConnectionID)
        /// The instance stops: the listening sockets go back, every client is closed.
        case stop
    }

    public enum Effect: MachineEffect {
        /// What the listening side asks for: probe, resolve, listen, release, log, failed.
        case listener(Listener.Effect)
        /// Take the waiting connection (the executor reports `.io(.accepted)`).
        case admit
        /// Close the waiting connection unanswered.
        case refuse
        case log(Logger.Level, String)
        /// Socket work, in the shared vocabulary: `.send`, `.closeWhenSent`, `.close`.
        case io(IOEffect<ByteChunks>)
        /// The connection's one timer: at this instant (replacing the earlier one), or none.
        case deadline(ConnectionID, Instant?)
        case stopped

        public var endsMachine: Bool { if case .stopped = self { true } else { false } }
    }

    /// What the machine tracks per client.
    struct Client {
        var http: HTTPConnection
        /// When the client last sent a byte, was sent everything, or connected: the eviction order.
        var lastActivity: Instant
        /// A response is handed out and not yet sent: such a client is never evicted.
        var sending = false
        /// The deadline last armed (no effect when it did not change).
        var deadline: Instant?
    }

    public let source: Source
    public let limits: HTTPLimits
    public let policy: AcceptPolicy
    public private(set) var listener: Listener
    private(set) var clients: [ConnectionID: Client] = [:]

    /// `configured` names the configured address in the log.
    public init(source: Source, configured: String = "", limits: HTTPLimits = HTTPLimits(),
                policy: AcceptPolicy = .metricsClients) {
        self.source = source
        self.limits = limits
        self.policy = policy
        listener = Listener(service: "/metrics", configured: configured)
    }

    /// The number of open clients.
    public var count: Int { clients.count }

    /// The client to evict to make room: the one silent longest with no response pending; nil when every
    /// client is in the middle of a response. Ties go to the older connection.
    public var idlest: ConnectionID? {
        clients.filter { !$0.value.sending }.min { ($0.value.lastActivity, $0.key) < ($1.value.lastActivity, $1.key) }?.key
    }

    public mutating func handle(_ input: Input, now: Instant) -> [Effect] {
        switch input {
        case .listener(let input):
            return listener.handle(input, now: now).map { .listener($0) }
        case .incoming:
            return admission()
        case .io(.accepted(let id)):
            clients[id] = Client(http: HTTPConnection(now: now, limits: limits), lastActivity: now)
            return rearm(id)
        case .io(.received(let id, let bytes)):
            guard var c = clients[id] else { return [] }
            c.lastActivity = now
            let actions = c.http.receive(bytes, now: now, source: source)
            clients[id] = c
            return perform(actions, id)
        case .io(.peerClosed(let id)):
            guard var c = clients[id] else { return [] }
            let actions = c.http.endOfInput(now: now, source: source)
            clients[id] = c
            return perform(actions, id)
        case .io(.drained(let id)):
            guard var c = clients[id] else { return [] }
            c.sending = false
            c.lastActivity = now
            let actions = c.http.writeDrained(now: now, source: source)
            clients[id] = c
            if c.http.isClosed { return forget(id) }
            return perform(actions, id)
        case .deadline(let id):
            guard var c = clients[id] else { return [] }
            c.deadline = nil
            let actions = c.http.timeout(now: now)
            clients[id] = c
            if actions.isEmpty && c.http.isClosed { return forget(id) }
            return perform(actions, id)
        case .io(.closed(let id)):
            clients[id] = nil
            return []
        case .stop:
            let all = clients.keys.sorted()
            clients.removeAll()
            return listener.handle(.stop, now: now).map { .listener($0) } + all.map { .io(.close($0)) } + [.stopped]
        }
    }

    /// The decision for a waiting connection: admitted below the cap; at the cap the idlest client
    /// makes room for it, and when every client is in the middle of a response it is refused.
    private mutating func admission() -> [Effect] {
        switch policy.decide(open: clients.count) {
        case .admit:
            return [.admit]
        case .makeRoom:
            if let victim = idlest {
                return forget(victim) + [.log(.debug, "Connection limit (\(policy.limit)) reached; closed the longest idle /metrics client."), .admit]
            }
            fallthrough
        case .refuse:
            return [.log(.debug, "Too many busy connections (\(clients.count)); closing a new /metrics client."), .refuse]
        }
    }

    /// The HTTP machine's actions as effects, then the deadline that follows from its new state.
    private mutating func perform(_ actions: [HTTPConnectionAction], _ id: ConnectionID) -> [Effect] {
        var effects: [Effect] = []
        for action in actions {
            switch action {
            case .write(let chunks):
                clients[id]?.sending = true
                effects.append(.io(.send(id, chunks)))
            case .close:
                effects.append(.io(.closeWhenSent(id)))
            case .abort:
                return effects + forget(id)
            }
        }
        return effects + rearm(id)
    }

    /// Closes a client now.
    private mutating func forget(_ id: ConnectionID) -> [Effect] {
        clients[id] = nil
        return [.io(.close(id))]
    }

    /// The deadline effect when the connection's deadline changed.
    private mutating func rearm(_ id: ConnectionID) -> [Effect] {
        guard var c = clients[id] else { return [] }
        let deadline = c.http.deadline
        guard deadline != c.deadline else { return [] }
        c.deadline = deadline
        clients[id] = c
        return [.deadline(id, deadline)]
    }
}

extension AcceptPolicy {
    /// The `/metrics` server's: at most 256 clients; at the cap the longest idle one makes room.
    public static let metricsClients = AcceptPolicy(limit: 256, evictsIdle: true)
}
