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

/// The DRBD section streamed from a snapshot: the chunks add up to exactly the text (and to the length
/// announced up front), a response keeps the generation it started with, and gzip over chunks equals
/// gzip over the whole text.
@Suite struct ExpositionStreamTests {
    @Test func chunksAddUpToTheTextAndItsAnnouncedLength() {
        let snapshot = MetricsRenderer(enums: true).snapshot(resources: PrometheusFixture.large(1000), versions: PrometheusFixture.versions)
        let chunks = Array(ExpositionStream(snapshot))
        let text = chunks.reduce(into: [UInt8]()) { $0 += $1 }
        #expect(text.count == snapshot.byteCount)
        #expect(chunks.count > 10)
        // Every chunk but the last stops at the first object boundary past the soft limit.
        for chunk in chunks.dropLast() {
            #expect(chunk.count >= ExpositionStream.chunkBytes && chunk.count < ExpositionStream.chunkBytes + 8 * 1024)
        }
        // Chunks end at line ends, and the text is what a one-piece rendering gives.
        #expect(chunks.allSatisfy { $0.last == UInt8(ascii: "\n") })
        #expect(text.elementsEqual(MetricsRenderer(enums: true).renderDRBD(resources: PrometheusFixture.large(1000), versions: PrometheusFixture.versions)))
        let lines = text.split(separator: UInt8(ascii: "\n"))
        #expect(lines.filter { $0.first != UInt8(ascii: "#") }.count == 3 + 7000 + 44000 + 26000 + 12000)
    }

    /// Cutting anywhere gives the same text: with a limit of 1 byte every object ends a chunk.
    @Test(arguments: [1, 100, 4096, 64 * 1024])
    func theTextDoesNotDependOnWhereChunksEnd(limit: Int) {
        let world = PrometheusFixture.large(50).merging(PrometheusFixture.world) { a, _ in a }
        let snapshot = MetricsRenderer(enums: true).snapshot(resources: world, versions: PrometheusFixture.versions)
        var whole = ExpositionStream(snapshot)
        let reference = whole.next(limit: .max) ?? []
        #expect(whole.next() == nil)
        var stream = ExpositionStream(snapshot)
        var text: [UInt8] = []
        var chunks = 0
        while let chunk = stream.next(limit: limit) {
            text += chunk
            chunks += 1
        }
        #expect(reference.count == snapshot.byteCount)
        #expect(text.count == reference.count)
        #expect(text.elementsEqual(reference))
        #expect(limit > 4096 || chunks > 10)
        // Each HELP line once.
        let helps = text.split(separator: UInt8(ascii: "\n")).filter { $0.starts(with: Array("# HELP".utf8)) }
        #expect(Set(helps.map { Array($0) }).count == helps.count)
    }

    @Test func aCopiedStreamGoesOnIndependently() {
        let snapshot = MetricsRenderer(enums: false).snapshot(resources: PrometheusFixture.large(300), versions: .unknown)
        var stream = ExpositionStream(snapshot)
        let first = stream.next()
        var copy = stream
        let fromOriginal = Array(IteratorSequence(stream))
        let fromCopy = Array(IteratorSequence(copy))
        #expect(first != nil && !fromOriginal.isEmpty)
        #expect(fromOriginal == fromCopy)
        // Iterating a sequence made from `copy` consumed a copy of it: `copy` itself has not moved.
        #expect(copy.next() == fromOriginal.first)
        #expect(((first ?? []) + fromOriginal.joined()).count == snapshot.byteCount)
    }

    @Test func emptyWorldStillHasItsPrelude() {
        let snapshot = MetricsRenderer(enums: true).snapshot(resources: [:], versions: .unknown)
        let text = String(decoding: ExpositionStream(snapshot).joined, as: UTF8.self)
        #expect(text.hasSuffix("drbd_resource_resources 0\n"))
        #expect(text.utf8.count == snapshot.byteCount)
        #expect(!text.contains("drbd_device"))
    }

    @Test func aResponseKeepsTheGenerationItStartedWith() {
        var cache = MetricsCache(renderer: MetricsRenderer(enums: false))
        let stats = ReactorStats()
        var world = PrometheusFixture.world
        let before = cache.body(generation: 1, resources: world, versions: .unknown, stats: stats, process: nil, gzip: false)
        world["r9"] = Resource(name: "r9")
        world["r0"] = nil
        let after = cache.body(generation: 2, resources: world, versions: .unknown, stats: stats, process: nil, gzip: false)
        let old = String(decoding: before.joined, as: UTF8.self), new = String(decoding: after.joined, as: UTF8.self)
        #expect(old.contains("name=\"r0\"") && !old.contains("name=\"r9\""))
        #expect(new.contains("name=\"r9\"") && !new.contains("name=\"r0\""))
        #expect(before.count == before.joined.count && after.count == after.joined.count)
    }

    @Test func gzipOverPartsIsGzipOverTheirConcatenation() throws {
        let parts: [[UInt8]] = [Array("alpha ".utf8), [], Array(repeating: UInt8(ascii: "x"), count: 200_000), Array("omega\n".utf8)]
        let whole = parts.reduce(into: [UInt8]()) { $0 += $1 }
        let head = Gzip.deflate(parts: parts, final: false)
        #expect(head.inputLength == whole.count)
        let member = Gzip.join([head, Gzip.deflate(Array("tail\n".utf8), final: true)])
        #expect(Gzip.decompress(member) == whole + Array("tail\n".utf8))
        #expect(Gzip.decompress(Gzip.join([Gzip.deflate(parts: parts, final: true)])) == whole)
    }

    @Test func plainResponseAnnouncesTheStreamedLength() throws {
        let stats = ReactorStats()
        let endpoint = MetricsEndpoint(enums: true, stats: stats, world: { (1, PrometheusFixture.large(200)) }, process: { nil })
        var connection = HTTPConnection(now: .zero)
        let actions = connection.receive(Array("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: .zero, source: endpoint)
        guard case .write(let bytes)? = actions.first else {
            Issue.record("no response: \(actions)")
            return
        }
        let response = bytes.joined
        let headEnd = try #require(response.indices.first { response[$0...].starts(with: Array("\r\n\r\n".utf8)) })
        let head = String(decoding: response[..<headEnd], as: UTF8.self)
        let length = try #require(head.split(separator: "\r\n").first { $0.hasPrefix("Content-Length: ") }.flatMap { Int($0.dropFirst(16)) })
        #expect(length == response.count - headEnd - 4)
        #expect(length > 2 * ExpositionStream.chunkBytes)
        #expect(bytes.pieces.contains { if case .stream = $0 { true } else { false } })
    }
}
