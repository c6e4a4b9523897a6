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
        for case .io(.send(let target, let chunks)) in effects where target == id { bytes += chunks.joined }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func aScrapeIsAnsweredWithDeadlinesForEachPhase() {
        var m = M(source: StubMetricsSource())
        // A new client has the header timeout (10 s) to send its request.
        #expect(m.handle(.io(.accepted(a)), now: at(0)) == [.deadline(a, at(10))])
        let answer = m.handle(.io(.received(a, Self.get)), now: at(1))
        #expect(sent(answer, to: a).hasSuffix("metric 1\n"))
        #expect(answer.last == .deadline(a, at(31)))  // the write timeout, 30 s
        // Everything sent: idle, kept alive for 60 s.
        #expect(m.handle(.io(.drained(a)), now: at(2)) == [.deadline(a, at(62))])
        // Idle past the deadline: closed quietly, and forgotten.
        #expect(m.handle(.deadline(a), now: at(62)) == [.io(.closeWhenSent(a))])
        #expect(m.handle(.io(.closed(a)), now: at(62)).isEmpty)
        #expect(m.count == 0)
    }

    /// The idlest client is the longest silent one without a response pending; evicting it closes it.
    @Test func evictionPicksTheLongestIdleClientNotSending() {
        var m = M(source: StubMetricsSource())
        _ = m.handle(.io(.accepted(a)), now: at(0))
        _ = m.handle(.io(.accepted(b)), now: at(1))
        _ = m.handle(.io(.accepted(c)), now: at(2))
        _ = m.handle(.io(.received(a, Self.get)), now: at(3))  // a: a response is pending (not drained)
        #expect(m.idlest == b)
        _ = m.handle(.io(.received(b, Array("GET".utf8))), now: at(4))  // b spoke last at 4, c at 2
        #expect(m.idlest == c)
    }

    /// Below the cap a waiting connection is admitted; at the cap the idlest client is closed to make
    /// room for it, and when every client is in the middle of a response it is refused.
    @Test func atTheCapTheIdlestMakesRoomOrTheNewcomerIsRefused() {
        var m = M(source: StubMetricsSource(), policy: AcceptPolicy(limit: 3, evictsIdle: true))
        #expect(m.handle(.incoming, now: at(0)) == [.admit])
        _ = m.handle(.io(.accepted(a)), now: at(0))
        _ = m.handle(.io(.accepted(b)), now: at(1))
        _ = m.handle(.io(.accepted(c)), now: at(2))
        _ = m.handle(.io(.received(a, Self.get)), now: at(3))  // a: a response is pending (not drained)
        _ = m.handle(.io(.received(b, Array("GET".utf8))), now: at(4))  // b spoke last at 4, c at 2
        let room = m.handle(.incoming, now: at(5))
        #expect(room.first == .io(.close(c)) && room.last == .admit, "\(room)")
        #expect(room.contains { if case .log(_, let text) = $0 { text.contains("limit (3) reached") } else { false } })
        #expect(m.count == 2 && m.idlest == b)
        _ = m.handle(.io(.accepted(ConnectionID(raw: 4))), now: at(5))
        _ = m.handle(.io(.received(ConnectionID(raw: 4), Self.get)), now: at(5))
        _ = m.handle(.io(.received(b, Array(" /metrics HTTP/1.1\r\n\r\n".utf8))), now: at(6))
        #expect(m.idlest == nil, "everyone is in the middle of a response")
        #expect(m.handle(.incoming, now: at(7)).last == .refuse)
        #expect(m.count == 3)
    }

    /// Without eviction (a policy that refuses at the cap) a newcomer is refused even when clients idle.
    @Test func aCapThatDoesNotEvictRefuses() {
        var m = M(source: StubMetricsSource(), policy: AcceptPolicy(limit: 1, evictsIdle: false))
        _ = m.handle(.io(.accepted(a)), now: at(0))
        #expect(m.handle(.incoming, now: at(1)).last == .refuse)
        #expect(m.count == 1)
    }

    @Test func aClientThatDoesNotReadIsAbortedAtItsWriteDeadline() {
        var m = M(source: StubMetricsSource())
        _ = m.handle(.io(.accepted(a)), now: at(0))
        _ = m.handle(.io(.received(a, Self.get)), now: at(0))
        #expect(m.handle(.deadline(a), now: at(30)) == [.io(.close(a))])
        #expect(m.count == 0)
        #expect(m.handle(.io(.drained(a)), now: at(31)).isEmpty, "nothing for a forgotten connection")
    }

    /// A client that sends its request and closes its sending side gets the answer, then the close.
    @Test func endOfInputAnswersWhatIsCompleteThenCloses() {
        var m = M(source: StubMetricsSource())
        _ = m.handle(.io(.accepted(a)), now: at(0))
        #expect(m.handle(.io(.received(a, Array("GET /metrics HTTP/1.1\r\n".utf8))), now: at(1)).allSatisfy {
            if case .io = $0 { false } else { true }
        }, "half a head: nothing to send yet")
        let effects = m.handle(.io(.peerClosed(a)), now: at(2))
        #expect(sent(effects, to: a).isEmpty, "an incomplete request is not answered")
        #expect(effects.contains(.io(.closeWhenSent(a))) || effects.contains(.io(.close(a))))
    }

    /// The listening side is the composed `ListenerMachine`'s; a stop while the name is resolved cancels
    /// the resolution before the clients are closed and the machine ends.
    @Test func theListeningSideIsComposedAndStopsWithTheInstance() {
        var m = M(source: StubMetricsSource(), configured: "db.example:9942")
        #expect(m.handle(.listener(.start(.resolve(name: "db.example", port: 9942))), now: at(0))
            == [.listener(.resolve(name: "db.example", port: 9942))])
        _ = m.handle(.io(.accepted(a)), now: at(0))
        #expect(m.handle(.stop, now: at(1)) == [.listener(.cancelResolve), .listener(.release), .io(.close(a)), .stopped])
        #expect(m.handle(.listener(.resolved([.ipv4("192.0.2.7", 9942)])), now: at(2)).isEmpty)
    }

    @Test func stopClosesEveryClientThenEnds() {
        var m = M(source: StubMetricsSource())
        _ = m.handle(.io(.accepted(b)), now: at(0))
        _ = m.handle(.io(.accepted(a)), now: at(0))
        let effects = m.handle(.stop, now: at(1))
        #expect(effects == [.listener(.release), .io(.close(a)), .io(.close(b)), .stopped])
        #expect(effects.last?.endsMachine == true)
    }
}

extension MetricsServerMachine.Effect: Equatable {
    public static func == (x: Self, y: Self) -> Bool {
        switch (x, y) {
        case (.io(let a), .io(let b)): a == b
        case (.deadline(let i, let a), .deadline(let j, let b)): i == j && a == b
        case (.stopped, .stopped), (.admit, .admit), (.refuse, .refuse): true
        case (.listener(let a), .listener(let b)): a == b
        case (.log(let l, let a), .log(let k, let b)): l == k && a == b
        default: false
        }
    }
}
