import Logging
import Testing
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorLoop
@testable import ReactorDaemon

/// The daemon's health counters on virtual time: plugins count with `.count` effects, the metrics
/// endpoint reports scrapes, the daemon owns the one tally and the scrape shows it.
@Suite struct DaemonCountersVirtualTests {
    @Test func umhCountsAndScrapesReachTheMetricsThroughEffects() throws {
        // Two rules on every existing resource (web, db): "ok" succeeds, "bad" fails.
        let config = """
            [[log]]
            level = "debug"
            [[prometheus]]
            address = "127.0.0.1:9942"
            [[umh]]
            [[umh.resource]]
            command = "ok"
            event-type = "Exists"
            [[umh.resource]]
            command = "bad"
            event-type = "Exists"

            """
        let d = try VirtualDaemon(config: config)
        var commands = 0
        d.backend.install("sh") { child in
            commands += 1
            child.exit(child.argv.last == "bad" ? 1 : 0)
        }
        try d.daemon.start()
        try d.run(until: { commands == 4 && d.daemon.stats.umhCommandsFailed == 2 })
        #expect(d.daemon.stats.umhCommandsRun == 4)
        let first = try d.scrape(.ipv4("127.0.0.1", 9942))
        #expect(first.contains("drbdreactor_umh_commands_total 4\n"))
        #expect(first.contains("drbdreactor_umh_commands_failed_total 2\n"))
        #expect(first.contains("drbdreactor_scrapes_total 1\n"), "the answer counts itself")
        let second = try d.scrape(.ipv4("127.0.0.1", 9942))
        #expect(second.contains("drbdreactor_scrapes_total 2\n"))
        #expect(d.daemon.stats.scrapes == 2)
        #expect(d.daemon.stats.events2Lines == 4)
    }

    /// The events2 lines reach the metrics counted per read chunk (the source's machine returns one
    /// `.count` per chunk): a stream of several chunks (more than 64 KiB) with garbage lines in it is
    /// counted exactly, lines and unparsed lines alike, under the same `drbdreactor_*` names.
    @Test func events2LinesAndUnparsedLinesReachTheMetricsPerChunk() throws {
        let change = "change resource name:web role:Secondary suspended:no force-io-failures:no write-ordering:flush may_promote:no promotion_score:0\n"
        let changes = 2000  // ~250 KB: several 64 KiB reads
        let garbage = ["what is this\n", "change nothing name:x\n", "\n"]
        var stream = VirtualDaemon.fixture
        for i in 0..<changes {
            stream += change
            if i % 700 == 0 { stream += garbage[(i / 700) % garbage.count] }
        }
        let lines = 4 + changes + 3  // the fixture's four lines, the changes, three garbage lines
        #expect(stream.utf8.count > 3 * 65536)
        let d = try VirtualDaemon(config: "[[prometheus]]\naddress = \"127.0.0.1:9942\"\n", events2: stream)
        try d.daemon.start()
        try d.run(until: { d.daemon.stats.events2Lines == UInt64(lines) })
        let metrics = try d.scrape(.ipv4("127.0.0.1", 9942))
        #expect(metrics.contains("drbdreactor_events2_lines_total \(lines)\n"))
        #expect(metrics.contains("drbdreactor_events2_unparsed_lines_total 3\n"))
        #expect(d.daemon.stats.events2Unparsed == 3)
    }
}
