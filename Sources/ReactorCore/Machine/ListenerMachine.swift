import Logging

/// Design note: the listening side of a server as a machine (the `/metrics` server's; generic over the
/// address type, which lives in the system layer).
///
/// It decides what a server listens on and says so: the any-address is IPv6's `::` (which takes IPv4
/// too) unless the host cannot bind IPv6 at all (`ipv6.disable=1`), then IPv4's `0.0.0.0`; numeric
/// addresses are listened on as they are; a host name is resolved first (I/O: the owner does it without
/// blocking and reports the answer) and its first address served. The owner carries out `.listen` (a
/// socket from its pool, bound or kept from before) and reports `.listening` or `.listenFailed`.
///
/// A failure at start, while the owner still waits for `start` to return (no name to resolve), is the
/// owner's to report (`.failed`: the daemon logs it and drops the instance); a failure after a
/// resolution has nobody waiting, so the machine logs it and the instance stays, serving nothing. On
/// `.stop` a pending resolution is cancelled and every listening socket goes back (`.release`); what
/// arrives later (a late answer, a late `.listening`) makes nothing listen.
public struct ListenerMachine<Address: Hashable & Sendable & CustomStringConvertible>: Machine {
    /// What to listen on.
    public enum Plan: Hashable, Sendable {
        /// Every address: `ipv6` (the IPv6 any-address), or `ipv4` when the host has no IPv6.
        case any(ipv6: Address, ipv4: Address)
        case addresses([Address])
        /// Resolve this name (with this port) first, then listen on its first address.
        case resolve(name: String, port: UInt16)
    }

    public enum Input: Hashable, Sendable {
        case start(Plan)
        /// The answer to `.probeIPv6`: whether an IPv6 socket can be bound at all.
        case ipv6Probed(available: Bool)
        /// The answer to `.resolve`: the name's addresses, in the resolver's order.
        case resolved([Address])
        case resolveFailed(String)
        /// The `.listen` for this address succeeded: the socket is watched for connections.
        case listening(Address)
        /// The `.listen` for this address failed, for this reason.
        case listenFailed(Address, String)
        /// The instance stops.
        case stop
    }

    public enum Effect: Hashable, Sendable, MachineEffect {
        /// Find out whether IPv6 can be bound (answer: `.ipv6Probed`).
        case probeIPv6
        /// Resolve the name without blocking (answer: `.resolved` or `.resolveFailed`).
        case resolve(name: String, port: UInt16)
        /// Stop the pending resolution; its answer must not come.
        case cancelResolve
        /// Take a listening socket on the address and watch it (answer: `.listening` or `.listenFailed`).
        case listen(Address)
        /// Give every listening socket back (to the pool that keeps it over a reload).
        case release
        case log(Logger.Level, String)
        /// Starting failed, for this reason; the owner reports the failure of its start.
        case failed(String)

        /// The owner ends the instance (the server's own `.stopped`): no last word here.
        public var endsMachine: Bool { false }
    }

    private enum Phase: Hashable {
        case idle
        case probing(ipv6: Address, ipv4: Address)
        case resolving(name: String)
        /// Listening on the addresses in turn; `name` is the resolved name (a failure is then logged).
        case listening(name: String?)
        case serving
        case stopped
    }

    /// What is served, for the log ("/metrics").
    public let service: String
    /// The configured address, for the log (":9942", "localhost:9942").
    public let configured: String
    private var phase = Phase.idle
    /// Addresses still to listen on.
    private(set) var remaining: [Address] = []
    /// The addresses listened on.
    public private(set) var listening: [Address] = []

    public init(service: String, configured: String) {
        self.service = service
        self.configured = configured
    }

    /// Whether every planned address is listened on.
    public var isServing: Bool { phase == .serving }

    public mutating func handle(_ input: Input, now: Instant) -> [Effect] {
        switch input {
        case .start(let plan):
            guard phase == .idle else { return [] }
            switch plan {
            case .any(let ipv6, let ipv4):
                phase = .probing(ipv6: ipv6, ipv4: ipv4)
                return [.probeIPv6]
            case .addresses(let list):
                return listen(on: list, name: nil)
            case .resolve(let name, let port):
                phase = .resolving(name: name)
                return [.resolve(name: name, port: port)]
            }
        case .ipv6Probed(let available):
            guard case .probing(let ipv6, let ipv4) = phase else { return [] }
            if available { return listen(on: [ipv6], name: nil) }
            return [.log(.info, "IPv6 is not available; listening on \(ipv4) only.")] + listen(on: [ipv4], name: nil)
        case .resolved(let list):
            guard case .resolving(let name) = phase else { return [] }
            guard let first = list.first else { return fail(name: name, "the name has no address") }
            return listen(on: [first], name: name)
        case .resolveFailed(let reason):
            guard case .resolving(let name) = phase else { return [] }
            return fail(name: name, reason)
        case .listening(let address):
            // A socket taken for an instance that stopped meanwhile goes back at once.
            guard case .listening = phase else { return phase == .stopped ? [.release] : [] }
            listening.append(address)
            return next()
        case .listenFailed(_, let reason):
            guard case .listening(let name) = phase else { return [] }
            remaining = []
            return [.release] + fail(name: name, reason)
        case .stop:
            let resolving = if case .resolving = phase { true } else { false }
            phase = .stopped
            remaining = []
            listening = []
            return (resolving ? [.cancelResolve] : []) + [.release]
        }
    }

    private mutating func listen(on list: [Address], name: String?) -> [Effect] {
        phase = .listening(name: name)
        remaining = list
        listening = []
        return next()
    }

    /// Listens on the next address, or says the instance serves once every one is listened on.
    private mutating func next() -> [Effect] {
        guard remaining.isEmpty else { return [.listen(remaining.removeFirst())] }
        phase = .serving
        return [.log(.info, "Serving \(service) on \(configured).")]
    }

    /// A start that failed: the owner's to report while it starts, logged after a resolution.
    private mutating func fail(name: String?, _ reason: String) -> [Effect] {
        phase = .idle
        listening = []
        guard let name else { return [.failed(reason)] }
        return [.log(.error, "Failed to serve \(service) on \(configured): cannot listen on '\(name)': \(reason).")]
    }
}
