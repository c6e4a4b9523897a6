import Logging
import ReactorCore

/// Design note: the client side of one `[[prometheus]]` instance as a machine.
///
/// It keeps one `HTTPConnection` per client, by `ConnectionID`, and decides everything the server used
/// to decide inline: which client makes room at the connection cap (the longest idle one with no
/// response pending, `AcceptPolicy`), when each connection's one deadline falls, what to send, when to
/// close. The server (`PrometheusServer`) owns the sockets through its `IOExecutor`, which reports what
/// happened on a connection (`IOInput`) and carries out the socket effects (`IOEffect`); the server
/// runs the deadline timers. Time comes with each input.
public struct MetricsServerMachine<Source: MetricsSource>: Machine {
    public enum Input {
        /// What the server's executor reports on a connection (`IOInput`): accepted (admitted by the
        /// accept loop, see `idlest` for making room), bytes, end of input, everything sent, closed on
        /// the server's side (an error, or everything sent after `.closeWhenSent`).
        case io(IOInput)
        /// The connection's deadline (the last `.deadline` effect) passed.
        case deadline(ConnectionID)
        /// Close a client to make room for a new one (at the connection cap).
        case evict(ConnectionID)
        /// The instance stops: every client is closed.
        case stop
    }

    public enum Effect: MachineEffect {
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
    private(set) var clients: [ConnectionID: Client] = [:]

    public init(source: Source, limits: HTTPLimits = HTTPLimits()) {
        self.source = source
        self.limits = limits
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
        case .evict(let id):
            return clients[id] == nil ? [] : forget(id)
        case .io(.closed(let id)):
            clients[id] = nil
            return []
        case .stop:
            let all = clients.keys.sorted()
            clients.removeAll()
            return all.map { .io(.close($0)) } + [.stopped]
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
