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

/// A fixed body; remembers what was asked for.
final class StubMetricsSource: MetricsSource {
    let body: [UInt8]
    private(set) var calls: [Bool] = []
    init(_ body: String = "metric 1\n") { self.body = Array(body.utf8) }
    func metricsBody(gzip: Bool) -> ByteChunks {
        calls.append(gzip)
        return ByteChunks(gzip ? Gzip.compress(body) : body)
    }
}

@Suite struct PrometheusHTTPTests {
    let t0 = Instant(nanoseconds: 1_000_000_000_000)
    let source = StubMetricsSource()

    func at(_ seconds: Int) -> Instant { t0 + .seconds(seconds) }

    /// The bytes of all `.write` actions, as text.
    func written(_ actions: [HTTPConnectionAction]) -> String {
        var bytes: [UInt8] = []
        for case .write(let b) in actions { bytes += b }
        return String(decoding: bytes, as: UTF8.self)
    }

    func send(_ c: inout HTTPConnection, _ text: String, at now: Instant? = nil) -> [HTTPConnectionAction] {
        c.receive(Array(text.utf8), now: now ?? t0, source: source)
    }

    /// How many responses `actions` wrote with status 200.
    func okCount(_ actions: [HTTPConnectionAction]) -> Int {
        written(actions).utf8.split(separator: UInt8(ascii: "\n")).filter { $0.starts(with: "HTTP/1.1 200".utf8) }.count
    }

    static let metricsHeaders = "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: 9\r\nVary: Accept-Encoding\r\n"

    @Test func getMetrics() {
        var c = HTTPConnection(now: t0)
        let actions = send(&c, "GET /metrics HTTP/1.1\r\nHost: x\r\nUser-Agent: Prometheus/2.42\r\n\r\n")
        #expect(actions == [.write(ByteChunks(Array(("HTTP/1.1 200 OK\r\n" + Self.metricsHeaders + "\r\nmetric 1\n").utf8)))])
        #expect(source.calls == [false])
        #expect(!c.isClosed)
    }

    @Test func headHasSameHeadersWithoutBody() {
        var c = HTTPConnection(now: t0)
        let actions = send(&c, "HEAD /metrics HTTP/1.1\r\n\r\n")
        #expect(written(actions) == "HTTP/1.1 200 OK\r\n" + Self.metricsHeaders + "\r\n")
        #expect(actions.count == 1)
    }

    @Test func pipelinedRequestsAnsweredInOrder() {
        var c = HTTPConnection(now: t0)
        let actions = send(&c, "GET /metrics HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\nGET /metrics?x=1 HTTP/1.1\r\nConnection: close\r\n\r\n")
        let text = written(actions)
        let lines = text.utf8.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0.filter { $0 != 13 }, as: UTF8.self) }
        let statuses = lines.filter { $0.hasPrefix("HTTP/1.1 ") }
        #expect(statuses == ["HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found", "HTTP/1.1 200 OK"])
        #expect(text.hasSuffix("Connection: close\r\n\r\nmetric 1\n"))
        #expect(actions.last == .close)
        #expect(source.calls.count == 2)
    }

    @Test func keepAliveAcrossWrites() {
        var c = HTTPConnection(now: t0)
        #expect(written(send(&c, "GET / HTTP/1.1\r\n\r\n")).contains("<a href=\"/metrics\">"))
        #expect(c.writeDrained(now: at(1), source: source).isEmpty)
        #expect(c.deadline == at(61))
        let second = send(&c, "GET /metrics HTTP/1.1\r\n\r\n", at: at(2))
        #expect(written(second).hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(!second.contains(.close))
    }

    @Test func http10ClosesUnlessKeepAlive() {
        var c = HTTPConnection(now: t0)
        let actions = send(&c, "GET /metrics HTTP/1.0\r\n\r\n")
        #expect(written(actions).contains("\r\nConnection: close\r\n"))
        #expect(actions.last == .close)

        var k = HTTPConnection(now: t0)
        let kept = send(&k, "GET /metrics HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
        #expect(written(kept).contains("\r\nConnection: keep-alive\r\n"))
        #expect(!kept.contains(.close))
    }

    @Test func connectionCloseHonoured() {
        var c = HTTPConnection(now: t0)
        let actions = send(&c, "GET /metrics HTTP/1.1\r\nConnection: foo, close\r\n\r\n")
        #expect(actions.last == .close)
        #expect(c.writeDrained(now: at(1), source: source).isEmpty)
        #expect(c.isClosed && c.deadline == nil)
        #expect(send(&c, "GET / HTTP/1.1\r\n\r\n").isEmpty)
    }

    @Test func notFound() {
        var c = HTTPConnection(now: t0)
        let text = written(send(&c, "GET /metricsx HTTP/1.1\r\n\r\n"))
        #expect(text == "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\n\r\n404 Not Found\n")
        #expect(source.calls.isEmpty)
    }

    @Test func otherMethodsGet405AndBodiesAreSkipped() {
        var c = HTTPConnection(now: t0)
        let actions = send(&c, "POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\n\r\n")
        let text = written(actions)
        #expect(text.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
        #expect(text.contains("\r\nAllow: GET, HEAD\r\n"))
        #expect(text.contains("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"))
        #expect(!actions.contains(.close))
        #expect(source.calls.isEmpty)
    }

    @Test func bodyArrivingLaterIsSkipped() {
        var c = HTTPConnection(now: t0)
        #expect(written(send(&c, "PUT / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")).hasPrefix("HTTP/1.1 405"))
        _ = c.writeDrained(now: t0, source: source)
        #expect(send(&c, "defghij").isEmpty)
        #expect(written(send(&c, "GET / HTTP/1.1\r\n\r\n")).hasPrefix("HTTP/1.1 200 OK"))
    }

    @Test func unreadableBodiesClose() {
        var chunked = HTTPConnection(now: t0)
        #expect(send(&chunked, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n").last == .close)
        var huge = HTTPConnection(now: t0)
        #expect(send(&huge, "POST / HTTP/1.1\r\nContent-Length: 100000000\r\n\r\n").last == .close)
    }

    @Test(arguments: [
        "\u{1}\u{2}garbage\r\n\r\n", "GET /metrics\r\n\r\n", "GET  /metrics HTTP/1.1\r\n\r\n", "GET metrics HTTP/1.1\r\n\r\n",
        "GET /metrics HTTP/1.1\r\nNoColon\r\n\r\n", "GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n",
        "GET /metrics HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", "GET /metrics HTTPS/1.1\r\n\r\n", "GET /me\u{7f}trics HTTP/1.1\r\n\r\n",
        "GET /metrics HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "GET /metrics HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "G(T /metrics HTTP/1.1\r\n\r\n",
    ])
    func malformedGets400AndCloses(_ request: String) {
        var c = HTTPConnection(now: t0)
        let actions = send(&c, request)
        #expect(written(actions).hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(written(actions).contains("\r\nConnection: close\r\n"))
        #expect(actions.last == .close)
        #expect(source.calls.isEmpty)
    }

    @Test func unsupportedVersion() {
        var c = HTTPConnection(now: t0)
        #expect(written(send(&c, "GET /metrics HTTP/2.0\r\n\r\n")).hasPrefix("HTTP/1.1 505 HTTP Version Not Supported\r\n"))
    }

    @Test func oversizedHeaderGets431() {
        var c = HTTPConnection(now: t0)
        #expect(send(&c, "GET /metrics HTTP/1.1\r\n").isEmpty)
        let filler = "X-Filler: " + String(repeating: "a", count: 1000) + "\r\n"
        var actions: [HTTPConnectionAction] = []
        for _ in 0..<9 where actions.isEmpty { actions = send(&c, filler) }
        #expect(written(actions).hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
        #expect(actions.last == .close)
        // Also when the oversized head arrives complete in one piece.
        var d = HTTPConnection(now: t0)
        #expect(written(send(&d, "GET / HTTP/1.1\r\n" + String(repeating: filler, count: 9) + "\r\n")).hasPrefix("HTTP/1.1 431 "))
    }

    @Test func overlongRequestLineGets414() {
        var c = HTTPConnection(now: t0)
        let actions = send(&c, "GET /" + String(repeating: "m", count: 5000))
        #expect(written(actions).hasPrefix("HTTP/1.1 414 URI Too Long\r\n"))
    }

    @Test func bytesOneAtATime() {
        var c = HTTPConnection(now: t0)
        let request = Array("\r\nGET /metrics HTTP/1.1\nHost: x\r\nAccept-Encoding: gzip\n\r\n".utf8)
        var actions: [HTTPConnectionAction] = []
        for (i, byte) in request.enumerated() {
            actions = c.receive([byte], now: t0 + .milliseconds(i), source: source)
            if i < request.count - 1 { #expect(actions.isEmpty, "answered early at byte \(i)") }
        }
        #expect(written(actions).hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(source.calls == [true])
    }

    @Test(arguments: [
        ("gzip", true), ("GZIP", true), ("x-gzip", true), ("deflate, gzip;q=0.5", true), ("gzip; q=1.0", true), ("*", true),
        ("gzip;q=0", false), ("gzip;Q=0.000", false), ("gzip;q=0.001", true), ("*;q=0", false), ("gzip;q=0, *", false),
        ("identity", false), ("br, deflate", false), ("", false), ("gzipx", false),
    ])
    func acceptEncoding(_ header: String, _ gzip: Bool) {
        #expect(HTTPRequestParser.acceptsGzip(Array(header.utf8)[...], previously: false) == gzip)
    }

    @Test func gzipNegotiatedBodyDecompresses() throws {
        let stats = ReactorStats()
        let endpoint = MetricsEndpoint(enums: true, stats: stats, world: { (1, PrometheusFixture.world) }, process: { nil })
        var c = HTTPConnection(now: t0)
        let actions = c.receive(Array("GET /metrics HTTP/1.1\r\nAccept-Encoding: deflate, gzip\r\n\r\n".utf8), now: t0, source: endpoint)
        guard case .write(let chunks) = actions.first else {
            Issue.record("no response")
            return
        }
        let bytes = chunks.joined
        let split = try #require(bytes.indices.first { bytes[$0...].starts(with: [13, 10, 13, 10]) })
        let head = String(decoding: bytes[..<split], as: UTF8.self)
        let body = Array(bytes[(split + 4)...])
        #expect(head.contains("\r\nContent-Encoding: gzip\r\n"))
        #expect(head.contains("\r\nVary: Accept-Encoding"))
        #expect(head.contains("\r\nContent-Length: \(body.count)\r\n"))
        let text = String(decoding: try #require(Gzip.decompress(body)), as: UTF8.self)
        #expect(text.contains("drbd_resource_role{name=\"r0\",drbd_resource_role=\"Primary\"} 1\n"))
        #expect(text.contains("drbdreactor_scrapes_total 1\n"))
        #expect(stats.scrapes == 1)
    }

    @Test func silentClientTimesOut() {
        var c = HTTPConnection(now: t0)
        #expect(c.deadline == at(10))
        #expect(c.timeout(now: at(9)).isEmpty)
        #expect(c.timeout(now: at(10)) == [.close])
        #expect(c.isClosed && c.deadline == nil)
    }

    @Test func tricklingClientGets408() {
        var c = HTTPConnection(now: t0)
        _ = send(&c, "GET /met", at: at(5))
        #expect(c.deadline == at(15))
        _ = send(&c, "rics HT", at: at(14))
        #expect(c.deadline == at(15))  // from the first byte, not the latest
        let actions = c.timeout(now: at(15))
        #expect(written(actions).hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(actions.last == .close)
        #expect(c.deadline == at(45))  // the 408 itself must drain
        #expect(c.timeout(now: at(45)) == [.abort])
    }

    @Test func idleKeepAliveTimesOutAfterAMinute() {
        var c = HTTPConnection(now: t0)
        _ = send(&c, "GET /metrics HTTP/1.1\r\n\r\n", at: at(1))
        #expect(c.deadline == at(31))  // write deadline while the response is pending
        _ = c.writeDrained(now: at(2), source: source)
        #expect(c.deadline == at(62))
        #expect(c.timeout(now: at(62)) == [.close])
    }

    @Test func clientThatDoesNotReadIsAborted() {
        var c = HTTPConnection(now: t0)
        _ = send(&c, "GET /metrics HTTP/1.1\r\n\r\n")
        // Requests keep coming, but nothing is answered while the first response is pending.
        #expect(send(&c, "GET /metrics HTTP/1.1\r\n\r\n").isEmpty)
        #expect(c.timeout(now: at(30)) == [.abort])
        var flood = HTTPConnection(now: t0)
        _ = send(&flood, "GET /metrics HTTP/1.1\r\n\r\n")
        let chunk = String(repeating: "GET / HTTP/1.1\r\n\r\n", count: 1000)
        var actions: [HTTPConnectionAction] = []
        for _ in 0..<5 where actions.isEmpty { actions = send(&flood, chunk) }
        #expect(actions == [.abort])
        #expect(flood.isClosed)
    }

    @Test func pipelinedOutputIsBatched() {
        var limits = HTTPLimits()
        limits.outputBatchBytes = 100
        var c = HTTPConnection(now: t0, limits: limits)
        let first = send(&c, String(repeating: "GET /metrics HTTP/1.1\r\n\r\n", count: 3))
        #expect(okCount(first) == 1)
        #expect(okCount(c.writeDrained(now: t0, source: source)) == 1)
        #expect(okCount(c.writeDrained(now: t0, source: source)) == 1)
        #expect(c.writeDrained(now: t0, source: source).isEmpty)
        #expect(source.calls.count == 3)
    }

    @Test func endOfInputAnswersThenCloses() {
        var c = HTTPConnection(now: t0)
        #expect(send(&c, "GET /metrics HTTP/1.1\r\n\r\nGET /met").count == 1)
        #expect(c.endOfInput(now: t0, source: source).isEmpty)  // waits for the pending write
        #expect(c.writeDrained(now: t0, source: source) == [.close])  // the partial request is dropped
        var d = HTTPConnection(now: t0)
        _ = send(&d, "GET /metrics HTTP/1.1\r\n\r\n")
        _ = d.writeDrained(now: t0, source: source)
        #expect(d.endOfInput(now: t0, source: source) == [.close])
        var e = HTTPConnection(now: t0)
        _ = send(&e, "GET /metrics HTTP/1.1\r\n")
        #expect(e.endOfInput(now: t0, source: source) == [.close])
        var f = HTTPConnection(now: t0)
        let answered = f.endOfInput(now: t0, source: source)
        #expect(answered == [.close])
    }
}
