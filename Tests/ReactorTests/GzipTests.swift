import Foundation
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

@Suite struct GzipTests {
    /// Text that compresses, and bytes that do not.
    static let text = Array(String(repeating: "drbd_device_quorum{name=\"r0\",volume=\"0\",minor=\"1000\"} 1\n", count: 2000).utf8)
    static let noise: [UInt8] = {
        var x: UInt32 = 12345
        return (0..<300_000).map { _ in
            x = x &* 1_103_515_245 &+ 12345
            return UInt8(truncatingIfNeeded: x >> 16)
        }
    }()

    @Test(arguments: [[], Array("a".utf8), text, noise])
    func roundTrip(_ input: [UInt8]) throws {
        let zipped = Gzip.compress(input)
        #expect(zipped.prefix(3) == [0x1f, 0x8b, 8])
        #expect(try #require(Gzip.decompress(zipped)) == input)
    }

    @Test func compresses() {
        #expect(Gzip.compress(Self.text).count < Self.text.count / 20)
    }

    @Test func joinedChunksAreOneStream() throws {
        let parts = [Self.text, [], Self.noise, Array("tail\n".utf8)]
        let chunks = parts.enumerated().map { i, p in Gzip.deflate(p, final: i == parts.count - 1) }
        #expect(try #require(Gzip.decompress(Gzip.join(chunks))) == parts.flatMap { $0 })
    }

    @Test func rejectsCorruptOrTruncatedInput() {
        var zipped = Gzip.compress(Self.text)
        #expect(Gzip.decompress(Array(zipped.dropLast(4))) == nil)
        zipped[zipped.count - 8] ^= 0xff  // CRC
        #expect(Gzip.decompress(zipped) == nil)
        #expect(Gzip.decompress(Array("not gzip".utf8)) == nil)
    }

    /// The system's gzip(1) reads what we produce (joined chunks included).
    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/bin/gzip"),
            "needs /bin/gzip (Debian package 'gzip', installed by scripts/setup)"))
    func systemGzipAgrees() throws {
        let body = Gzip.join([Gzip.deflate(Self.text, final: false), Gzip.deflate(Array("end\n".utf8), final: true)])
        let (status, output) = try FilterProcess.run("/bin/gzip", ["-dc"], input: body)
        #expect(status == 0)
        #expect(output == Self.text + Array("end\n".utf8))
    }
}
