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

    @Test func theAcceptLoopTakesEveryWaitingConnectionAndAppliesTheCap() throws {
        // On the virtual backend: a listener with five clients waiting in its backlog.
        let loop = EventLoop(backend: VirtualBackend(), logger: Logger(label: "test"))
        let listener = try loop.listen(.unix("/run/test.sock"))
        for _ in 0..<5 { _ = try loop.connect(.unix("/run/test.sock")) }
        var admitted: [FileDescriptor] = []
        var evictions = 2
        let server = Acceptor.Server(
            open: { admitted.count },
            evictIdlest: {
                guard evictions > 0 else { return false }
                evictions -= 1
                loop.close(admitted.removeFirst())
                return true
            },
            admit: { admitted.append($0) })
        let refused = Acceptor(what: "test client", policy: AcceptPolicy(limit: 2, evictsIdle: true))
            .acceptAll(listener, on: loop, into: server, logger: Logger(label: "test"))
        // Two admitted, two more by evicting, the fifth refused; nothing is left waiting.
        #expect(refused == 1)
        #expect(admitted.count == 2)
        #expect(try loop.accept(listener) == nil)
    }
}
