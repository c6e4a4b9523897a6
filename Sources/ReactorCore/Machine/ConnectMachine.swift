/// Design note: one connect attempt as a machine (the AgentX client's; generic over the address type,
/// which lives in the system layer).
///
/// An attempt has a plan: a list of addresses, or a host name to resolve first (resolving is I/O: the
/// owner does it without blocking and reports the answer). The addresses are tried in turn, each one
/// after the previous connect failed; the attempt succeeds with the first connect that completes and
/// fails when none is left, with the last reason. A new `.begin` abandons whatever the previous
/// attempt was doing (late answers for it are ignored).
public struct ConnectMachine<Address: Hashable & Sendable & CustomStringConvertible>: Machine {
    /// Where an attempt connects to.
    public enum Plan: Hashable, Sendable {
        case addresses([Address])
        /// Resolve this name (with this port) first; `what` names the target in the failure.
        case resolve(name: String, port: UInt16, what: String)
    }

    public enum Input: Hashable, Sendable {
        case begin(Plan)
        case resolved([Address])
        case resolveFailed(String)
        /// The connect to the address of the last `.connect` completed.
        case connected
        /// The connect to the address of the last `.connect` failed (the reason names the address).
        case connectFailed(String)
        /// Abandon the attempt (the owner stops or disconnects).
        case cancel
    }

    public enum Effect: Hashable, Sendable, MachineEffect {
        case resolve(name: String, port: UInt16)
        case connect(Address)
        /// The attempt succeeded: the connection to the last `.connect` address is up.
        case succeeded
        /// No address could be connected to; the reason of the last failure.
        case failed(String)

        /// Attempts follow each other as long as the owner lives: no last word.
        public var endsMachine: Bool { false }
    }

    private enum Phase: Hashable {
        case idle
        case resolving(what: String)
        case connecting
    }

    private var phase = Phase.idle
    /// Addresses of the attempt not tried yet.
    private(set) var remaining: [Address] = []

    public init() {}

    public mutating func handle(_ input: Input, now: Instant) -> [Effect] {
        switch input {
        case .begin(.addresses(let list)):
            remaining = list
            return next(lastError: "no address")
        case .begin(.resolve(let name, let port, let what)):
            remaining = []
            phase = .resolving(what: what)
            return [.resolve(name: name, port: port)]
        case .resolved(let list):
            guard case .resolving = phase else { return [] }
            remaining = list
            return next(lastError: "no address")
        case .resolveFailed(let reason):
            guard case .resolving(let what) = phase else { return [] }
            phase = .idle
            return [.failed("cannot resolve '\(what)': \(reason)")]
        case .connected:
            guard phase == .connecting else { return [] }
            phase = .idle
            remaining = []
            return [.succeeded]
        case .connectFailed(let reason):
            guard phase == .connecting else { return [] }
            return next(lastError: reason)
        case .cancel:
            phase = .idle
            remaining = []
            return []
        }
    }

    /// Connects to the next address, or fails the attempt with `lastError` when none is left.
    private mutating func next(lastError: String) -> [Effect] {
        guard !remaining.isEmpty else {
            phase = .idle
            return [.failed(lastError)]
        }
        phase = .connecting
        return [.connect(remaining.removeFirst())]
    }
}
