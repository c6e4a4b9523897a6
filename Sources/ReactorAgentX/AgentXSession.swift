import Logging
import ReactorCore

/// Where a session gets the MIB it answers from: the real one wraps a `MIBCache` over the World,
/// tests use a fixed snapshot.
public protocol AgentXDataSource: AnyObject {
    /// The snapshot to answer a Get (`.get`) or a GetNext/GetBulk (`.walk`) with.
    func snapshot(for access: MIBCache.Access, now: Instant) -> MIBSnapshot
    /// Called with the answer to each GetNext/GetBulk (walk tracking).
    func walked(_ answer: [VarBind], now: Instant)
}

/// An input to the AgentX session.
public enum AgentXInput: Hashable, Sendable {
    /// The plugin starts: connect.
    case start
    /// The connect asked for by `.connect` completed.
    case connected
    /// The connect failed (refused, unreachable, name not resolved...).
    case connectFailed(String)
    /// Bytes read from the master.
    case received([UInt8])
    /// The master closed the connection (nil) or reading/writing failed (the reason).
    case closed(String?)
    /// The timer set with `.startTimer` fired.
    case timer
    /// The plugin stops (daemon exit or reload).
    case stop
}

/// An effect the driver carries out for the session.
public enum AgentXEffect: Hashable, Sendable {
    /// Start a non-blocking connect to the configured address (and report `.connected`/`.connectFailed`).
    case connect
    /// Queue bytes for the master.
    case send([UInt8])
    /// Close the connection (after trying to send what is queued).
    case disconnect
    /// Set the session's one timer (replacing an earlier one).
    case startTimer(Instant)
    case cancelTimer
    case log(Logger.Level, String)
    /// The session is finished; the driver may drop it.
    case stopped
}

extension AgentXEffect: MachineEffect {
    public var endsMachine: Bool { if case .stopped = self { true } else { false } }
}

/// Design note: the AgentX subagent side of RFC 2741 as a state machine.
///
/// connect -> Open (with `agent-timeout`) -> Register `enterprises.linbit` -> answer Get, GetNext and
/// GetBulk from the MIB; Sets are refused with notWritable. Whatever ends a session (a refused connect,
/// a timeout during the handshake, the master closing or resetting the connection, bytes that are not
/// AgentX, a refused Open or Register) drops the connection and schedules a new attempt after a backoff
/// of 1 s doubling up to 30 s, reset once a session is registered again. The first failure after a
/// working session is a warning, repeated ones are debug messages, so a stopped snmpd does not flood
/// the journal. On stop, an open session is closed with a Close PDU (reason shutdown).
///
/// The machine never touches a socket or the clock: the driver (`AgentXClient`) connects, reads, writes
/// and sets its timer.
public struct AgentXSession {
    /// The reconnect delays, from the first again once a session is registered.
    public static let reconnectBackoff = Backoff(first: .seconds(1), limit: .seconds(30))
    /// How long connect + Open + Register may take before the attempt counts as failed.
    public static let handshakeTimeout: Duration = .seconds(10)
    /// The most varbinds one GetBulk answer carries.
    public static let maxBulkVarBinds = 1000
    /// The Open PDU's id and description (as 1.x sends them).
    public static let agentID = DRBDMIB.root
    public static let agentDescription = "DRBD by drbd-reactor::agentx"
    /// The registration priority: RFC 2741's default (1.x sent 0, the highest, shadowing any other
    /// registration of the subtree).
    public static let priority: UInt8 = 127

    enum Phase: Equatable {
        case idle, connecting, backingOff, ready, stopped
        case opening(packetID: UInt32)
        case registering(packetID: UInt32)
    }

    public let config: AgentXConfig
    private(set) var phase = Phase.idle
    private var sessionID: UInt32 = 0
    private var nextPacketID: UInt32 = 1
    private var backoff: Backoff
    private var failing = false
    private var buffer: [UInt8] = []

    /// `reconnect` is the delay between connection attempts (`reconnectBackoff` in production).
    public init(config: AgentXConfig, reconnect: Backoff = Self.reconnectBackoff) {
        self.config = config
        backoff = reconnect
    }

    /// Whether a session is registered and answering.
    public var isServing: Bool { phase == .ready }

    public mutating func handle(_ input: AgentXInput, now: Instant, source: AgentXDataSource) -> [AgentXEffect] {
        switch (input, phase) {
        case (_, .stopped):
            return []
        case (.stop, _):
            return stop()
        case (.start, .idle), (.timer, .backingOff):
            return connect(now)
        case (.connected, .connecting):
            let id = packetID()
            phase = .opening(packetID: id)
            let open = AgentXPayload.open(timeout: config.agentTimeout, id: Self.agentID, description: Array(Self.agentDescription.utf8))
            return [.send(AgentXCodec.encode(AgentXPDU(packetID: id, payload: open)))]
        case (.connectFailed(let reason), .connecting):
            return fail(now, "cannot connect: \(reason)")
        case (.timer, .connecting), (.timer, .opening), (.timer, .registering):
            return fail(now, "no answer within \(Self.handshakeTimeout) while opening the session", close: .timeouts)
        case (.closed(let reason), .opening), (.closed(let reason), .registering), (.closed(let reason), .ready):
            return fail(now, reason.map { "connection failed: \($0)" } ?? "the master closed the connection")
        case (.received(let bytes), .opening), (.received(let bytes), .registering), (.received(let bytes), .ready):
            buffer += bytes
            return drain(now, source)
        default:
            return []  // late events of a connection already dropped
        }
    }

    // MARK: connection lifecycle

    private mutating func packetID() -> UInt32 {
        defer { nextPacketID &+= 1 }
        return nextPacketID
    }

    private mutating func connect(_ now: Instant) -> [AgentXEffect] {
        phase = .connecting
        sessionID = 0
        nextPacketID = 1
        buffer.removeAll()
        return [.connect, .startTimer(now + Self.handshakeTimeout)]
    }

    /// Ends the current attempt or session: optionally a Close PDU, the disconnect, one log line, and
    /// the next attempt after the backoff.
    private mutating func fail(_ now: Instant, _ reason: String, close: AgentXCloseReason? = nil) -> [AgentXEffect] {
        var effects: [AgentXEffect] = []
        if let close, sessionID != 0 { effects.append(.send(closePDU(close))) }
        let wait = backoff.next()
        let message = "AgentX master at \(config.address): \(reason); retrying in \(wait)."
        effects += [.disconnect, .log(failing ? .debug : .warning, message), .startTimer(now + wait)]
        failing = true
        phase = .backingOff
        sessionID = 0
        buffer.removeAll()
        return effects
    }

    private mutating func stop() -> [AgentXEffect] {
        var effects: [AgentXEffect] = []
        if sessionID != 0 { effects.append(.send(closePDU(.shutdown))) }
        phase = .stopped
        sessionID = 0
        return effects + [.disconnect, .cancelTimer, .stopped]
    }

    private mutating func closePDU(_ reason: AgentXCloseReason) -> [UInt8] {
        AgentXCodec.encode(AgentXPDU(sessionID: sessionID, packetID: packetID(), payload: .close(reason: reason.rawValue)))
    }

    // MARK: PDUs

    /// Handles every complete PDU in the buffer, until the session ends.
    private mutating func drain(_ now: Instant, _ source: AgentXDataSource) -> [AgentXEffect] {
        var effects: [AgentXEffect] = []
        var consumed = 0
        while phase != .backingOff {
            let decoded: (pdu: AgentXPDU, length: Int)?
            do { decoded = try AgentXCodec.decode(buffer[consumed...]) } catch {
                return effects + fail(now, "not AgentX (\(error))", close: .parseError)
            }
            guard let (pdu, length) = decoded else { break }
            consumed += length
            effects += handle(pdu, now, source)
        }
        if phase != .backingOff { buffer.removeFirst(consumed) }
        return effects
    }

    private mutating func handle(_ pdu: AgentXPDU, _ now: Instant, _ source: AgentXDataSource) -> [AgentXEffect] {
        switch pdu.payload {
        case .response(_, let error, _, _):
            return response(to: pdu, error: error, now)
        case .close(let reason):
            sessionID = 0  // closed by the master: nothing to close any more
            return fail(now, "the master closed the session (reason \(reason))")
        case .get, .getNext, .getBulk, .testSet, .commitSet, .undoSet, .cleanupSet:
            guard let answer = AgentXResponder.answer(pdu, now: now, source: source) else { return [] }
            return [.send(AgentXCodec.encode(answer))]
        default:
            return fail(now, "unexpected PDU type \(pdu.payload.typeCode) from the master", close: .protocolError)
        }
    }

    /// A Response to our Open or Register moves the handshake on; any other one is ignored.
    private mutating func response(to pdu: AgentXPDU, error: UInt16, _ now: Instant) -> [AgentXEffect] {
        switch phase {
        case .opening(let id) where pdu.packetID == id:
            guard error == 0 else { return fail(now, "the master refused the Open (\(Self.errorName(error)))") }
            sessionID = pdu.sessionID
            let next = packetID()
            phase = .registering(packetID: next)
            let register = AgentXPayload.register(
                timeout: 0, priority: Self.priority, subtree: DRBDMIB.root, rangeSubid: 0, upperBound: 0)
            return [.send(AgentXCodec.encode(AgentXPDU(sessionID: sessionID, packetID: next, payload: register)))]
        case .registering(let id) where pdu.packetID == id:
            guard error == 0 else {
                return fail(now, "the master refused to register \(DRBDMIB.root) (\(Self.errorName(error)))", close: .other)
            }
            phase = .ready
            backoff.reset()
            failing = false
            return [.cancelTimer, .log(.info, "Registered \(DRBDMIB.root) with the AgentX master at \(config.address) (session \(sessionID)).")]
        default:
            return []
        }
    }

    static func errorName(_ code: UInt16) -> String {
        AgentXError(rawValue: code).map { "\($0)" } ?? "error \(code)"
    }
}
