import ReactorCore
import ReactorSystem
import Logging

/// The one accept loop, shared by every server on the loop (through the loop's backend, so it runs on
/// virtual time too): takes every
/// connection waiting on a listening socket (the listener is level-triggered: what is left would wake
/// the loop again), applies the `AcceptPolicy`, and hands each admitted socket to the server (or, with
/// `takeAll`, every socket to a server whose machine applies the policy). An accept
/// error other than "nothing waiting" is logged once and ends this round.
public struct Acceptor: Sendable {
    /// What the server serves, for the log ("/metrics client").
    public let what: String
    public let policy: AcceptPolicy

    public init(what: String, policy: AcceptPolicy) {
        self.what = what
        self.policy = policy
    }

    /// The server's side of the policy: how many are open, which idle one to close, taking a new one.
    public struct Server {
        /// The number of open connections.
        public var open: () -> Int
        /// Closes the longest-idle connection without pending output; false when there is none.
        public var evictIdlest: () -> Bool
        /// Takes an admitted connection.
        public var admit: (FileDescriptor) -> Void

        public init(open: @escaping () -> Int, evictIdlest: @escaping () -> Bool = { false }, admit: @escaping (FileDescriptor) -> Void) {
            self.open = open
            self.evictIdlest = evictIdlest
            self.admit = admit
        }
    }

    /// Accepts until nothing waits; returns how many were refused (for tests).
    @discardableResult
    public func acceptAll(_ listener: FileDescriptor, on loop: EventLoop, into server: Server, logger: Logger) -> Int {
        var refused = 0
        takeAll(listener, on: loop, logger: logger) { fd in
            switch policy.decide(open: server.open()) {
            case .admit:
                server.admit(fd)
            case .makeRoom where server.evictIdlest():
                logger.debug("Connection limit (\(policy.limit)) reached; closed the longest idle \(what).")
                server.admit(fd)
            case .makeRoom, .refuse:
                logger.debug("Too many busy connections (\(server.open())); closing a new \(what).")
                loop.close(fd)
                refused += 1
            }
        }
        return refused
    }

    /// Accepts until nothing waits and hands every connection to `take`, for a server whose machine
    /// applies the policy itself (the `/metrics` server).
    public func takeAll(_ listener: FileDescriptor, on loop: EventLoop, logger: Logger, _ take: (FileDescriptor) -> Void) {
        while true {
            let fd: FileDescriptor?
            do { fd = try loop.accept(listener) } catch {
                logger.warning("Failed to accept a \(what): \(error)")
                return
            }
            guard let fd else { return }
            take(fd)
        }
    }
}
