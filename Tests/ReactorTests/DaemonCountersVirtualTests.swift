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
}
