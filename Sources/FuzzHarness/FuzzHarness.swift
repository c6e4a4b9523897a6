import ReactorAgentX
import ReactorCore
import ReactorDaemon
import ReactorPrometheus
import ReactorPromoter
import ReactorUMH

/// One input handler per parser that takes untrusted bytes, for the libFuzzer targets (`make fuzz`) and
/// for the unit test that replays the committed corpus and every crash input found so far.
///
/// Each handler must return normally for any input: a thrown parse error is an answer, a trap (overflow,
/// out-of-range index, force unwrap) or a sanitizer report is a bug. Only the public API is used, so this
/// module builds without testability and the daemon never links it.
public enum FuzzHarness {
    /// A target name and its handler.
    public static let targets: [String: @Sendable ([UInt8]) -> Void] = [
        "events2": events2,
        "http": http,
        "agentx": agentx,
        "config": config,
        "plugins": plugins,
    ]

    /// `drbdsetup events2` output: every line parsed, every record applied to one World (so
    /// create/change/destroy sequences across lines are reached), then the World replayed and emptied.
    public static func events2(_ bytes: [UInt8]) {
        var world = World()
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: true) {
            _ = try? world.apply(line: line)
        }
        _ = world.replay()
        _ = world.removeAll()
    }

    /// Bytes a client sends to /metrics: the first byte splits the rest into two reads, so heads that
    /// straddle reads and pipelined requests are reached; then end of input and a late timeout.
    public static func http(_ bytes: [UInt8]) {
        let t0 = Instant(nanoseconds: 1_000_000_000)
        var connection = HTTPConnection(now: t0)
        let source = FixedBody()
        let cut = bytes.isEmpty ? 0 : min(Int(bytes[0]), bytes.count - 1) + 1
        let first = Array(bytes.prefix(cut).dropFirst()), second = Array(bytes.dropFirst(cut))
        _ = connection.receive(first, now: t0, source: source)
        _ = connection.receive(second, now: t0, source: source)
        _ = connection.writeDrained(now: t0, source: source)
        _ = connection.endOfInput(now: t0, source: source)
        _ = connection.timeout(now: Instant(nanoseconds: 1_000_000_000_000))
    }

    /// Bytes from the AgentX master: PDUs decoded one after another as the session reads them.
    public static func agentx(_ bytes: [UInt8]) {
        var rest = bytes[...]
        while let (_, length) = try? AgentXCodec.decode(rest), length > 0 {
            rest = rest.dropFirst(length)
        }
        _ = try? AgentXCodec.decodeOne(bytes)
    }

    /// A configuration file, decoded both as the main file and as a snippet (every plugin's decoder is
    /// reached through its `[[kind]]` table).
    public static func config(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        _ = try? ConfigLoader.decodeMain(text, file: "fuzz.toml")
        _ = try? ConfigLoader.decodeSnippet(text, file: "fuzz.toml")
    }

    /// A TOML table handed straight to the umh and promoter decoders, so the fuzzer reaches their keys
    /// without first finding the `[[umh]]` and `[[promoter]]` headers.
    public static func plugins(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let table = try? TOMLLoader.parse(text, file: "fuzz.toml") else { return }
        let reader = TableReader(table: table, file: "fuzz.toml", path: "", locator: LineLocator(text: text))
        _ = try? UMHConfig.decode(reader)
        var warnings: [String] = []
        _ = try? PromoterConfig.decode(reader, warnings: &warnings)
    }
}

/// The metrics body the HTTP handler serves: fixed, so only the request side varies.
private struct FixedBody: MetricsSource {
    func metricsBody(gzip: Bool) -> ByteChunks { ByteChunks(Array("metric 1\n".utf8)) }
}
