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

/// A data source serving a fixed snapshot and recording walk answers.
final class FixedMIB: AgentXDataSource {
    let mib: MIBSnapshot
    var walks = 0
    init(_ mib: MIBSnapshot) { self.mib = mib }
    func snapshot(for access: MIBCache.Access, now: Instant) -> MIBSnapshot { mib }
    func walked(_ answer: [VarBind], now: Instant) { walks += 1 }
}

/// Drives a session like the client does and decodes what it sends.
struct SessionHarness {
    var session = AgentXSession(config: AgentXConfig(agentTimeout: 42))
    let source: FixedMIB
    var now = Instant(nanoseconds: 5_000_000_000)

    init() throws {
        source = FixedMIB(DRBDMIB.snapshot(resources: try scenarioWorld().resources, versions: .unknown, peerStates: true))
    }

    mutating func feed(_ input: AgentXInput) -> [AgentXEffect] { session.handle(input, now: now, source: source) }

    /// The PDUs among `effects`' sends.
    static func sent(_ effects: [AgentXEffect]) -> [AgentXPDU] {
        effects.compactMap { if case .send(let b) = $0 { try? AgentXCodec.decodeOne(b) } else { nil } }
    }

    /// Connects and completes Open and Register; returns the session id.
    mutating func open(session id: UInt32 = 77) -> [AgentXEffect] {
        _ = feed(.start)
        let open = Self.sent(feed(.connected))[0]
        let register = Self.sent(feed(.received(response(to: open, session: id))))[0]
        return feed(.received(response(to: register, session: id)))
    }

    func response(to pdu: AgentXPDU, session: UInt32, error: UInt16 = 0, bigEndian: Bool = false) -> [UInt8] {
        AgentXCodec.encode(
            AgentXPDU(sessionID: session, transactionID: pdu.transactionID, packetID: pdu.packetID,
                      payload: .response(sysUpTime: 1, error: error, index: 0, [])), bigEndian: bigEndian)
    }

    func request(_ payload: AgentXPayload, packet: UInt32 = 500, context: [UInt8]? = nil) -> [UInt8] {
        AgentXCodec.encode(AgentXPDU(sessionID: 77, transactionID: 9, packetID: packet, context: context, payload: payload), bigEndian: false)
    }

    static func varbinds(_ pdu: AgentXPDU) -> [VarBind] {
        if case .response(_, _, _, let vbs) = pdu.payload { return vbs }
        return []
    }

    static func error(_ pdu: AgentXPDU) -> UInt16? {
        if case .response(_, let e, _, _) = pdu.payload { return e }
        return nil
    }
}

@Suite struct AgentXSessionTests {
    @Test func handshakeOpensWithTheTimeoutAndRegistersTheSubtree() throws {
        var h = try SessionHarness()
        let start = h.feed(.start)
        #expect(start == [.connect, .startTimer(h.now + AgentXSession.handshakeTimeout)])
        let open = SessionHarness.sent(h.feed(.connected))
        #expect(open.count == 1)
        #expect(open[0].payload == .open(timeout: 42, id: DRBDMIB.root, description: Array("DRBD by drbd-reactor::agentx".utf8)))
        // The master answers little-endian; the session id comes from its Response.
        let register = SessionHarness.sent(h.feed(.received(h.response(to: open[0], session: 77))))
        #expect(register.map(\.sessionID) == [77])
        #expect(register[0].payload == .register(timeout: 0, priority: 127, subtree: DRBDMIB.root, rangeSubid: 0, upperBound: 0))
        let done = h.feed(.received(h.response(to: register[0], session: 77)))
        #expect(done.first == .cancelTimer)
        #expect(h.session.isServing)
    }

    @Test func answersGetGetNextAndGetBulkCopyingTheIDs() throws {
        var h = try SessionHarness()
        _ = h.open()
        let get = SessionHarness.sent(h.feed(.received(h.request(.get([SearchRange(start: DRBDMIB.entry.appending(2, 1000)), SearchRange(start: [1, 2, 3])])))))
        #expect(get.count == 1)
        #expect((get[0].sessionID, get[0].transactionID, get[0].packetID) == (77, 9, 500))
        #expect(SessionHarness.varbinds(get[0]).map(\.value) == [.string("r0"), .noSuchObject])
        let next = SessionHarness.sent(h.feed(.received(h.request(.getNext([SearchRange(start: DRBDMIB.root)])))))
        #expect(SessionHarness.varbinds(next[0]).map(\.name) == [DRBDMIB.moduleVersion])
        let bulk = SessionHarness.sent(h.feed(.received(h.request(.getBulk(nonRepeaters: 0, maxRepetitions: 5, [SearchRange(start: DRBDMIB.root)])))))
        #expect(SessionHarness.varbinds(bulk[0]).count == 5)
        #expect(h.source.walks == 2)
    }

    @Test func twoRequestsInOneReadAndOneSplitAcrossReads() throws {
        var h = try SessionHarness()
        _ = h.open()
        let a = h.request(.get([SearchRange(start: DRBDMIB.moduleVersion)]), packet: 1)
        let b = h.request(.get([SearchRange(start: DRBDMIB.utilsVersion)]), packet: 2)
        let both = a + b
        #expect(SessionHarness.sent(h.feed(.received(Array(both[..<30])))).map(\.packetID) == [])
        #expect(SessionHarness.sent(h.feed(.received(Array(both[30...])))).map(\.packetID) == [1, 2])
    }

    @Test func setsAreRefusedAndContextsUnsupported() throws {
        var h = try SessionHarness()
        _ = h.open()
        let test = SessionHarness.sent(h.feed(.received(h.request(.testSet([VarBind(DRBDMIB.moduleVersion, .string("x"))])))))
        #expect(test.map(SessionHarness.error) == [AgentXError.notWritable.rawValue])
        #expect(SessionHarness.sent(h.feed(.received(h.request(.cleanupSet)))).isEmpty)
        let ctx = SessionHarness.sent(h.feed(.received(h.request(.get([SearchRange(start: DRBDMIB.root)]), context: Array("other".utf8)))))
        #expect(ctx.map(SessionHarness.error) == [AgentXError.unsupportedContext.rawValue])
        #expect(h.session.isServing)
    }

    @Test func garbageIsLoggedOnceDroppedAndRetriedWithBackoff() throws {
        var h = try SessionHarness()
        _ = h.open()
        let effects = h.feed(.received(Array("GET / HTTP/1.0\r\n\r\n".utf8)))
        // A Close (parseError) for the session, the disconnect, one warning, the backoff timer.
        #expect(SessionHarness.sent(effects).map(\.payload) == [.close(reason: AgentXCloseReason.parseError.rawValue)])
        #expect(effects.contains(.disconnect))
        #expect(effects.filter { if case .log(.warning, _) = $0 { true } else { false } }.count == 1)
        #expect(effects.last == .startTimer(h.now + .seconds(1)))
        #expect(!h.session.isServing)
        // Late bytes of the dropped connection are ignored; the timer reconnects.
        #expect(h.feed(.received([1, 2, 3])).isEmpty)
        #expect(h.feed(.timer).first == .connect)
    }

    @Test func backoffDoublesToThirtySecondsAndLogsOnlyTheFirstFailure() throws {
        var h = try SessionHarness()
        _ = h.feed(.start)
        var waits: [Duration] = []
        var warnings = 0
        for _ in 0..<7 {
            let effects = h.feed(.connectFailed("Connection refused"))
            warnings += effects.filter { if case .log(.warning, _) = $0 { true } else { false } }.count
            if case .startTimer(let at)? = effects.last { waits.append(at - h.now) }
            #expect(h.feed(.timer).first == .connect)
        }
        #expect(waits == [1, 2, 4, 8, 16, 30, 30].map { .seconds($0) })
        #expect(warnings == 1)
        // A registered session resets the backoff; the next failure warns again.
        let open = SessionHarness.sent(h.feed(.connected))[0]
        let register = SessionHarness.sent(h.feed(.received(h.response(to: open, session: 3))))[0]
        _ = h.feed(.received(h.response(to: register, session: 3)))
        let lost = h.feed(.closed(nil))
        #expect(lost.contains(.log(.warning, "AgentX master at localhost:705: the master closed the connection; retrying in 1.0 seconds.")))
        #expect(lost.last == .startTimer(h.now + .seconds(1)))
    }

    @Test func handshakeTimesOutAndRefusalsAreFailures() throws {
        var h = try SessionHarness()
        _ = h.feed(.start)
        _ = h.feed(.connected)
        let timedOut = h.feed(.timer)
        #expect(timedOut.contains(.disconnect))
        _ = h.feed(.timer)
        let open = SessionHarness.sent(h.feed(.connected))[0]
        let refused = h.feed(.received(h.response(to: open, session: 0, error: AgentXError.openFailed.rawValue)))
        #expect(refused.contains(.disconnect))
        #expect(refused.contains { if case .log(_, let m) = $0 { m.contains("openFailed") } else { false } })
    }

    @Test func masterCloseAndUnexpectedPDUsEndTheSession() throws {
        var h = try SessionHarness()
        _ = h.open()
        let closed = h.feed(.received(h.request(.close(reason: 6))))
        #expect(SessionHarness.sent(closed).isEmpty)  // nothing to close any more
        #expect(closed.contains(.disconnect))
        _ = h.feed(.timer)
        _ = h.open()
        let odd = h.feed(.received(h.request(.ping)))
        #expect(SessionHarness.sent(odd).map(\.payload) == [.close(reason: AgentXCloseReason.protocolError.rawValue)])
    }

    @Test func stopClosesAnOpenSession() throws {
        var h = try SessionHarness()
        _ = h.open(session: 12)
        let effects = h.feed(.stop)
        let sent = SessionHarness.sent(effects)
        #expect(sent.map(\.payload) == [.close(reason: AgentXCloseReason.shutdown.rawValue)])
        #expect(sent.map(\.sessionID) == [12])
        #expect(Array(effects.dropFirst()) == [.disconnect, .cancelTimer, .stopped])
        #expect(h.feed(.timer).isEmpty)
        // Stopping while not connected just stops.
        var idle = try SessionHarness()
        _ = idle.feed(.start)
        #expect(idle.feed(.stop) == [.disconnect, .cancelTimer, .stopped])
    }
}
