import Glibc
import Logging
import Testing
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorLoop
@testable import ReactorLog
@testable import ReactorPromoter
@testable import ReactorUMH
@testable import ReactorDebugger
@testable import ReactorAgentX
@testable import ReactorPrometheus
@testable import ReactorDaemon

/// Host names are resolved by a child the loop watches, so a resolver that hangs stalls nothing.
@Suite(.serialized, .timeLimit(.minutes(1))) struct HostResolutionTests {
    let loop: EventLoop
    let dir = TempDir()

    init() throws { loop = try EventLoop(logger: Logger(label: "test")) }

    /// A stand-in `getent` running `body`.
    func getent(_ body: String) -> String {
        let path = dir.write("getent", "#!/bin/sh\n" + body + "\n")
        chmod(path, 0o755)
        return path
    }

    func run(until done: () -> Bool) throws {
        let end = Clock.now() + .seconds(10)
        while !done() && Clock.now() < end { try loop.runOnce(timeout: .milliseconds(20)) }
        #expect(done(), "not done within 10 s")
    }

    @Test func aHangingResolverTimesOutWhileTimersKeepFiring() throws {
        var ticks = 0
        let timer = loop.addRepeatingTimer(every: .milliseconds(5), name: "tick") { ticks += 1 }
        defer { loop.cancelTimer(timer) }
        var result: Result<[Socket.Address], HostResolution.Failure>?
        let started = loop.now
        let r = HostResolution("stalled.example", port: 705, loop: loop, timeout: .milliseconds(300), getent: getent("exec sleep 30")) {
            result = $0
        }
        try run { result != nil }
        #expect(result.map { if case .failure(.timedOut) = $0 { true } else { false } } == true)
        #expect(ticks >= 20, "the loop stalled while the resolver hung")
        #expect(loop.now - started < .seconds(5))
        try run { loop.runningChildren == 0 }  // the stalled child was killed and reaped
        withExtendedLifetime(r) {}
    }

    @Test func addressesComeFromGetent() throws {
        let output = "192.0.2.7      STREAM db.example\\n192.0.2.7      DGRAM\\n192.0.2.7      RAW\\n2001:db8::7    STREAM\\n"
        var result: Result<[Socket.Address], HostResolution.Failure>?
        let r = HostResolution("db.example", port: 9942, loop: loop, getent: getent("printf '\(output)'")) { result = $0 }
        try run { result != nil }
        #expect(try result?.get() == [.ipv4("192.0.2.7", 9942), .ipv6("2001:db8::7", 9942)])
        withExtendedLifetime(r) {}
    }

    @Test func anUnknownNameIsNotFound() throws {
        var result: Result<[Socket.Address], HostResolution.Failure>?
        let r = HostResolution("nowhere.example", port: 1, loop: loop, getent: getent("exit 2")) { result = $0 }
        try run { result != nil }
        #expect(result.map { if case .failure(.notFound) = $0 { true } else { false } } == true)
        withExtendedLifetime(r) {}
    }

    @Test func localhostNeedsNoResolver() throws {
        var result: Result<[Socket.Address], HostResolution.Failure>?
        let r = HostResolution("localhost", port: 705, loop: loop, getent: "/nonexistent/getent") { result = $0 }
        try run { result != nil }
        #expect(try result?.get() == [.ipv4("127.0.0.1", 705), .ipv6("::1", 705)])
        withExtendedLifetime(r) {}
    }

    @Test func cancelledResolutionsNeverComplete() throws {
        var called = false
        let r = HostResolution("stalled.example", port: 1, loop: loop, timeout: .milliseconds(50), getent: getent("exec sleep 30")) { _ in
            called = true
        }
        r.cancel()
        try run { loop.runningChildren == 0 }
        let end = Clock.now() + .milliseconds(100)
        while Clock.now() < end { try loop.runOnce(timeout: .milliseconds(10)) }
        #expect(!called)
    }
}
