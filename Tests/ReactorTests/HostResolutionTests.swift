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

/// The one `.resolve` executor of the AgentX client and the `/metrics` server, on virtual time: a new
/// resolution replaces the pending one (its child killed, its answer never delivered), `cancel` too.
@Suite struct HostResolverTests {
    let backend = VirtualBackend()
    let loop: EventLoop
    var children: [VirtualChild] { spawned.children }
    let spawned = Spawned()

    final class Spawned { var children: [VirtualChild] = [] }

    init() {
        loop = EventLoop(backend: backend, logger: Logger(label: "test"))
        backend.install("getent") { [spawned] child in
            spawned.children.append(child)
            child.after(.seconds(1)) {
                child.print("192.0.2.\(spawned.children.count) STREAM \(child.argv[2])")
                child.exit(0)
            }
        }
    }

    func run(for duration: Duration) throws {
        let end = loop.now + duration
        while loop.now < end { try loop.runOnce(timeout: end - loop.now) }
    }

    @Test func aNewResolutionReplacesThePendingOne() throws {
        let resolver = HostResolver(loop: loop)
        var answers: [String] = []
        resolver.resolve("a.example", port: 1) { answers.append("a: \($0)") }
        resolver.resolve("b.example", port: 2) { answers.append("b: \($0)") }
        try run(for: .seconds(3))
        #expect(children.map { $0.argv } == [["getent", "ahosts", "a.example"], ["getent", "ahosts", "b.example"]])
        #expect(children.first?.signals == [Signal.kill])
        #expect(answers.count == 1 && answers[0].hasPrefix("b: resolved") && answers[0].contains("192.0.2.2"), "\(answers)")
    }

    @Test func aCancelledResolutionNeverAnswers() throws {
        let resolver = HostResolver(loop: loop)
        var answered = false
        resolver.resolve("a.example", port: 1) { _ in answered = true }
        resolver.cancel()
        try run(for: .seconds(3))
        #expect(!answered)
        #expect(children.first?.signals == [Signal.kill])
    }

    @Test func aFailureIsAnsweredWithItsReason() throws {
        backend.install("getent") { $0.exit(2) }
        let resolver = HostResolver(loop: loop)
        var answer: String?
        resolver.resolve("nowhere.example", port: 1) {
            if case .failed(let reason) = $0 { answer = reason }
        }
        try run(for: .seconds(1))
        #expect(answer == "the name has no address")
    }
}
