import Logging
import Testing
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorLoop

/// The same scenarios on both backends, so the virtual one stays a faithful stand-in for epoll: what a
/// pipe and a TCP connection report (readiness, bytes, end of file, a write to a closed peer), and
/// the dispatch order of a signal and I/O ready in the same turn.
@Suite(.serialized) struct LoopBackendConformanceTests {
    enum Kind: String, CaseIterable, CustomStringConvertible {
        case epoll, virtual
        var description: String { rawValue }
        func loop() throws -> EventLoop {
            switch self {
            case .epoll: try EventLoop(logger: Logger(label: "test"))
            case .virtual: EventLoop(backend: VirtualBackend(), logger: Logger(label: "test"))
            }
        }
    }

    /// Turns `loop` until `done`, with a bound in turns (the epoll ones wait up to 20 ms each).
    func run(_ loop: EventLoop, until done: () -> Bool) throws {
        var n = 0
        while !done() && n < 250 {
            try loop.runOnce(timeout: .milliseconds(20))
            n += 1
        }
        #expect(done())
    }

    @Test(arguments: Kind.allCases) func pipeReadinessBytesAndEndOfFile(_ kind: Kind) throws {
        let loop = try kind.loop()
        let (r, w) = try loop.pipe()
        var seen: [IOEvents] = []
        var got: [UInt8] = []
        var ended = false
        let id = try loop.addIO(r, events: .readable, name: "r") { events in
            seen.append(events)
            while true {
                switch try loop.read(r, appendingTo: &got) {
                case .bytes: continue
                case .wouldBlock: return
                case .endOfFile: ended = true; return
                }
            }
        }
        #expect(try loop.write(w, Array("abc".utf8)) == 3)
        try run(loop) { got.count == 3 }
        #expect(seen.first == .readable)
        loop.close(w)
        try run(loop) { ended }
        #expect(seen.last?.contains(.hangup) == true)
        loop.removeIO(id)
        loop.close(r)
    }

    @Test(arguments: Kind.allCases) func tcpConnectionBothWaysAndPeerClose(_ kind: Kind) throws {
        let loop = try kind.loop()
        let listener = try loop.listen(.ipv4("127.0.0.1", 0))
        guard case .ipv4(_, let port)? = loop.localAddress(listener) else {
            Issue.record("no port")
            return
        }
        var accepted: FileDescriptor?
        let lid = try loop.addIO(listener, events: .readable, name: "l") { _ in accepted = try loop.accept(listener) }
        let client = try loop.connect(.ipv4("127.0.0.1", port))
        var connected = false
        let cid = try loop.addIO(client, events: .writable, name: "c") { _ in connected = loop.connectionError(client) == nil }
        try run(loop) { accepted != nil && connected }
        let server = try #require(accepted)
        loop.setNoDelay(server)
        #expect(try loop.write(client, Array("GET".utf8)) == 3)
        var request: [UInt8] = []
        try run(loop) {
            _ = try? loop.read(server, appendingTo: &request)
            return request.count == 3
        }
        #expect(try loop.write(server, gathering: [Array("a".utf8), Array("bc".utf8)], from: 1) == 2)
        loop.close(server)
        try loop.modifyIO(cid, events: .readable)
        var answer: [UInt8] = []
        var ended = false
        try run(loop) {
            switch try? loop.read(client, appendingTo: &answer) {
            case .endOfFile?: ended = true
            default: break
            }
            return ended
        }
        #expect(answer == Array("bc".utf8))
        loop.removeIO(cid)
        loop.removeIO(lid)
        loop.close(client)
        loop.close(listener)
    }

    @Test(arguments: Kind.allCases) func refusedConnectReportsItsError(_ kind: Kind) throws {
        let loop = try kind.loop()
        // A port that was just free: bind, learn it, close.
        let probe = try loop.listen(.ipv4("127.0.0.1", 0))
        guard case .ipv4(_, let port)? = loop.localAddress(probe) else { return }
        loop.close(probe)
        let client = try loop.connect(.ipv4("127.0.0.1", port))
        var error: Errno?
        let id = try loop.addIO(client, events: .writable, name: "c") { _ in error = loop.connectionError(client) }
        try run(loop) { error != nil }
        #expect(error == Errno.connectionRefused)
        loop.removeIO(id)
        loop.close(client)
    }
}
