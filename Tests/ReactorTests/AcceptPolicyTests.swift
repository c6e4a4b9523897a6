import Foundation
import Logging
import Testing
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorLoop

/// The one accept policy and accept loop shared by the control socket, /metrics and drbd-sim.
@Suite struct AcceptPolicyTests {
    @Test func admitsBelowTheCapThenEvictsOrRefuses() {
        let evicting = AcceptPolicy(limit: 2, evictsIdle: true)
        #expect(evicting.decide(open: 1) == .admit)
        #expect(evicting.decide(open: 2) == .makeRoom)
        let strict = AcceptPolicy(limit: 2, evictsIdle: false)
        #expect(strict.decide(open: 2) == .refuse)
        #expect(AcceptPolicy.unlimited.decide(open: 1_000_000) == .admit)
        #expect(AcceptPolicy(limit: 0, evictsIdle: false).decide(open: 0) == .admit)  // at least one
    }

    /// A listening unix socket with `count` clients waiting in its backlog.
    private func listenerWithClients(_ count: Int) throws -> (FileDescriptor, [FileDescriptor], String) {
        let path = NSTemporaryDirectory() + "accept-\(UUID().uuidString).sock"
        let listener = try Socket.listen(.unix(path))
        let clients = try (0..<count).map { _ in try Socket.connect(.unix(path)) }
        return (listener, clients, path)
    }

    @Test func theAcceptLoopTakesEveryWaitingConnectionAndAppliesTheCap() throws {
        let (listener, clients, path) = try listenerWithClients(5)
        defer { listener.close(); clients.forEach { $0.close() }; unlink(path) }
        var admitted: [FileDescriptor] = []
        var evictions = 2
        let server = Acceptor.Server(
            open: { admitted.count },
            evictIdlest: {
                guard evictions > 0 else { return false }
                evictions -= 1
                admitted.removeFirst().close()
                return true
            },
            admit: { admitted.append($0) })
        let refused = Acceptor(what: "a test client", policy: AcceptPolicy(limit: 2, evictsIdle: true))
            .acceptAll(listener, into: server, logger: Logger(label: "test"))
        // Two admitted, two more by evicting, the fifth refused; nothing is left waiting.
        #expect(refused == 1)
        #expect(admitted.count == 2)
        #expect(try Socket.accept(listener) == nil)
        admitted.forEach { $0.close() }
    }
}
