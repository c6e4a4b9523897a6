import Testing
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorPrometheus

/// The /metrics client table as a machine: deadlines, responses, eviction order, stop.
@Suite struct MetricsServerMachineTests {
    typealias M = MetricsServerMachine<StubMetricsSource>
    static let t0 = Instant(nanoseconds: 1_000_000_000)
    static let get = Array("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
    let a = ConnectionID(raw: 1), b = ConnectionID(raw: 2), c = ConnectionID(raw: 3)

    func at(_ seconds: Int) -> Instant { Self.t0 + .seconds(seconds) }

    /// The text of the `.send` effects for `id`.
    func sent(_ effects: [M.Effect], to id: ConnectionID) -> String {
        var bytes: [UInt8] = []
        for case .send(let target, let chunks) in effects where target == id { bytes += chunks.joined }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func aScrapeIsAnsweredWithDeadlinesForEachPhase() {
        var m = M(source: StubMetricsSource())
        // A new client has the header timeout (10 s) to send its request.
        #expect(m.handle(.accepted(a), now: at(0)) == [.deadline(a, at(10))])
        let answer = m.handle(.received(a, Self.get), now: at(1))
        #expect(sent(answer, to: a).hasSuffix("metric 1\n"))
        #expect(answer.last == .deadline(a, at(31)))  // the write timeout, 30 s
        // Everything sent: idle, kept alive for 60 s.
        #expect(m.handle(.drained(a), now: at(2)) == [.deadline(a, at(62))])
        // Idle past the deadline: closed quietly, and forgotten.
        #expect(m.handle(.deadline(a), now: at(62)) == [.closeWhenSent(a)])
        #expect(m.handle(.closed(a), now: at(62)).isEmpty)
        #expect(m.count == 0)
    }

    /// The idlest client is the longest silent one without a response pending; evicting it closes it.
    @Test func evictionPicksTheLongestIdleClientNotSending() {
        var m = M(source: StubMetricsSource())
        _ = m.handle(.accepted(a), now: at(0))
        _ = m.handle(.accepted(b), now: at(1))
        _ = m.handle(.accepted(c), now: at(2))
        _ = m.handle(.received(a, Self.get), now: at(3))  // a: a response is pending (not drained)
        #expect(m.idlest == b)
        _ = m.handle(.received(b, Array("GET".utf8)), now: at(4))  // b spoke last at 4, c at 2
        #expect(m.idlest == c)
        #expect(m.handle(.evict(c), now: at(5)) == [.close(c)])
        #expect(m.idlest == b)
        _ = m.handle(.received(b, Array(" /metrics HTTP/1.1\r\n\r\n".utf8)), now: at(6))
        #expect(m.idlest == nil, "everyone is in the middle of a response")
    }

    @Test func aClientThatDoesNotReadIsAbortedAtItsWriteDeadline() {
        var m = M(source: StubMetricsSource())
        _ = m.handle(.accepted(a), now: at(0))
        _ = m.handle(.received(a, Self.get), now: at(0))
        #expect(m.handle(.deadline(a), now: at(30)) == [.close(a)])
        #expect(m.count == 0)
        #expect(m.handle(.drained(a), now: at(31)).isEmpty, "nothing for a forgotten connection")
    }

    @Test func stopClosesEveryClientThenEnds() {
        var m = M(source: StubMetricsSource())
        _ = m.handle(.accepted(b), now: at(0))
        _ = m.handle(.accepted(a), now: at(0))
        let effects = m.handle(.stop, now: at(1))
        #expect(effects == [.close(a), .close(b), .stopped])
        #expect(effects.last?.endsMachine == true)
    }
}

extension MetricsServerMachine.Effect: Equatable {
    public static func == (x: Self, y: Self) -> Bool {
        switch (x, y) {
        case (.send(let i, let a), .send(let j, let b)): i == j && a == b
        case (.closeWhenSent(let i), .closeWhenSent(let j)), (.close(let i), .close(let j)): i == j
        case (.deadline(let i, let a), .deadline(let j, let b)): i == j && a == b
        case (.stopped, .stopped): true
        default: false
        }
    }
}
