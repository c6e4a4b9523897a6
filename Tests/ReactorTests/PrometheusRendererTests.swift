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

/// A small World built by hand: r0 (Primary, one device, one peer with one peer device), r1 (bare).
enum PrometheusFixture {
    static var world: [String: Resource] {
        var r0 = Resource(name: "r0")
        r0.role = .primary
        r0.mayPromote = true
        r0.promotionScore = 10101
        var d = Device(volume: 0)
        d.minor = 1000
        d.diskState = .upToDate
        d.quorum = true
        d.open = true
        d.size = 102400
        d.read = 10
        d.written = 20
        d.alWrites = 3
        d.bmWrites = 4
        d.upperPending = 1
        d.lowerPending = 2
        r0.devices[0] = d
        var c = Connection(peerNodeID: 1)
        c.connectionName = "n2"
        c.connectionState = .connected
        c.apInFlight = 8
        var pd = PeerDevice(volume: 0)
        pd.outOfSync = 4
        pd.sent = 100
        pd.received = 200
        c.peerDevices[0] = pd
        r0.connections[1] = c
        var r1 = Resource(name: "r1")
        r1.role = .secondary
        r1.suspended = true
        return ["r1": r1, "r0": r0]
    }

    static let versions = DRBDVersions(kmod: "9.2.8", utils: "9.28.0")

    static let process = ProcessMetrics(
        residentMemoryBytes: 4096, virtualMemoryBytes: 8192, cpuSeconds: 1.5, openFDs: 7, maxFDs: 1024,
        startTimeSeconds: 1_700_000_000.25)

    static var stats: ReactorStats {
        let s = ReactorStats()
        s.events2Lines = 11
        s.events2Unparsed = 1
        s.drbdsetupRestarts = 2
        s.umhCommandsRun = 5
        s.umhCommandsFailed = 3
        s.scrapes = 9
        return s
    }

    /// Many resources for timing and promtool: `count` resources x 2 volumes x 2 peers.
    static func large(_ count: Int) -> [String: Resource] {
        var world: [String: Resource] = [:]
        for i in 0..<count {
            var r = Resource(name: "res\(i)")
            for v in Int32(0)..<2 {
                var d = Device(volume: v)
                d.minor = Int32(1000 + 2 * i) + v
                d.size = UInt64(i) * 1024
                r.devices[v] = d
            }
            for p in Int32(1)...2 {
                var c = Connection(peerNodeID: p)
                c.connectionName = "peer\(p)"
                for v in Int32(0)..<2 { c.peerDevices[v] = PeerDevice(volume: v) }
                r.connections[p] = c
            }
            world[r.name] = r
        }
        return world
    }
}

@Suite struct PrometheusRendererTests {
    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func exactDRBDSectionWithoutEnums() {
        let out = text(MetricsRenderer(enums: false).renderDRBD(resources: PrometheusFixture.world, versions: PrometheusFixture.versions))
        let expected = """
            # HELP drbdreactor_up Whether drbd-reactor is running (always 1)
            # TYPE drbdreactor_up gauge
            drbdreactor_up 1
            # HELP drbd_version DRBD kernel module and drbd-utils versions (always 1)
            # TYPE drbd_version gauge
            drbd_version{kmod="9.2.8",utils="9.28.0"} 1
            # HELP drbd_resource_resources Number of DRBD resources
            # TYPE drbd_resource_resources gauge
            drbd_resource_resources 2
            # HELP drbd_resource_suspended Whether I/O on the resource is suspended
            # TYPE drbd_resource_suspended gauge
            drbd_resource_suspended{name="r0"} 0
            drbd_resource_suspended{name="r1"} 1
            # HELP drbd_resource_maypromote Whether the resource may be promoted
            # TYPE drbd_resource_maypromote gauge
            drbd_resource_maypromote{name="r0"} 1
            drbd_resource_maypromote{name="r1"} 0
            # HELP drbd_resource_promotionscore Promotion score of the resource
            # TYPE drbd_resource_promotionscore gauge
            drbd_resource_promotionscore{name="r0"} 10101
            drbd_resource_promotionscore{name="r1"} 0
            # HELP drbd_resource_forceiofailures Whether I/O failures are forced on the resource
            # TYPE drbd_resource_forceiofailures gauge
            drbd_resource_forceiofailures{name="r0"} 0
            drbd_resource_forceiofailures{name="r1"} 0
            # HELP drbd_connection_congested Whether the connection is congested
            # TYPE drbd_connection_congested gauge
            drbd_connection_congested{name="r0",conn_name="n2",peer_node_id="1"} 0
            # HELP drbd_connection_apinflight_bytes Application data in flight to the peer
            # TYPE drbd_connection_apinflight_bytes gauge
            drbd_connection_apinflight_bytes{name="r0",conn_name="n2",peer_node_id="1"} 4096
            # HELP drbd_connection_rsinflight_bytes Resync data in flight to the peer
            # TYPE drbd_connection_rsinflight_bytes gauge
            drbd_connection_rsinflight_bytes{name="r0",conn_name="n2",peer_node_id="1"} 0
            # HELP drbd_peerdevice_outofsync_bytes Data out of sync with the peer
            # TYPE drbd_peerdevice_outofsync_bytes gauge
            drbd_peerdevice_outofsync_bytes{name="r0",conn_name="n2",peer_node_id="1",volume="0"} 4096
            # HELP drbd_peerdevice_sent_bytes Data sent to the peer
            # TYPE drbd_peerdevice_sent_bytes counter
            drbd_peerdevice_sent_bytes{name="r0",conn_name="n2",peer_node_id="1",volume="0"} 102400
            # HELP drbd_peerdevice_received_bytes Data received from the peer
            # TYPE drbd_peerdevice_received_bytes counter
            drbd_peerdevice_received_bytes{name="r0",conn_name="n2",peer_node_id="1",volume="0"} 204800
            # HELP drbd_device_client Whether the device is a permanently diskless client
            # TYPE drbd_device_client gauge
            drbd_device_client{name="r0",volume="0",minor="1000"} 0
            # HELP drbd_device_unintentionaldiskless Whether the device is diskless without being a client
            # TYPE drbd_device_unintentionaldiskless gauge
            drbd_device_unintentionaldiskless{name="r0",volume="0",minor="1000"} 0
            # HELP drbd_device_quorum Whether the device has quorum
            # TYPE drbd_device_quorum gauge
            drbd_device_quorum{name="r0",volume="0",minor="1000"} 1
            # HELP drbd_device_open Whether the device is open
            # TYPE drbd_device_open gauge
            drbd_device_open{name="r0",volume="0",minor="1000"} 1
            # HELP drbd_device_size_bytes Size of the device
            # TYPE drbd_device_size_bytes gauge
            drbd_device_size_bytes{name="r0",volume="0",minor="1000"} 104857600
            # HELP drbd_device_read_bytes_total Data read from the device
            # TYPE drbd_device_read_bytes_total counter
            drbd_device_read_bytes_total{name="r0",volume="0",minor="1000"} 10240
            # HELP drbd_device_written_bytes_total Data written to the device
            # TYPE drbd_device_written_bytes_total counter
            drbd_device_written_bytes_total{name="r0",volume="0",minor="1000"} 20480
            # HELP drbd_device_alwrites_total Activity log updates
            # TYPE drbd_device_alwrites_total counter
            drbd_device_alwrites_total{name="r0",volume="0",minor="1000"} 3
            # HELP drbd_device_bmwrites_total Bitmap updates
            # TYPE drbd_device_bmwrites_total counter
            drbd_device_bmwrites_total{name="r0",volume="0",minor="1000"} 4
            # HELP drbd_device_upperpending Requests from the upper layer not yet completed
            # TYPE drbd_device_upperpending gauge
            drbd_device_upperpending{name="r0",volume="0",minor="1000"} 1
            # HELP drbd_device_lowerpending Requests to the backing device not yet completed
            # TYPE drbd_device_lowerpending gauge
            drbd_device_lowerpending{name="r0",volume="0",minor="1000"} 2
            # HELP drbd_device_alsuspended Whether activity log updates are suspended
            # TYPE drbd_device_alsuspended gauge
            drbd_device_alsuspended{name="r0",volume="0",minor="1000"} 0

            """
        #expect(out == expected)
    }

    @Test func exactDaemonSection() {
        let out = text(MetricsRenderer(enums: false).renderDaemon(stats: PrometheusFixture.stats, process: PrometheusFixture.process))
        let expected = """
            # HELP process_cpu_seconds_total User and system CPU time spent in seconds
            # TYPE process_cpu_seconds_total counter
            process_cpu_seconds_total 1.5
            # HELP process_open_fds Number of open file descriptors
            # TYPE process_open_fds gauge
            process_open_fds 7
            # HELP process_max_fds Maximum number of open file descriptors
            # TYPE process_max_fds gauge
            process_max_fds 1024
            # HELP process_virtual_memory_bytes Virtual memory size in bytes
            # TYPE process_virtual_memory_bytes gauge
            process_virtual_memory_bytes 8192
            # HELP process_resident_memory_bytes Resident memory size in bytes
            # TYPE process_resident_memory_bytes gauge
            process_resident_memory_bytes 4096
            # HELP process_start_time_seconds Start time of the process since the Unix epoch in seconds
            # TYPE process_start_time_seconds gauge
            process_start_time_seconds 1700000000.25
            # HELP drbdreactor_events2_lines_total events2 lines read from drbdsetup
            # TYPE drbdreactor_events2_lines_total counter
            drbdreactor_events2_lines_total 11
            # HELP drbdreactor_events2_unparsed_lines_total events2 lines that could not be parsed
            # TYPE drbdreactor_events2_unparsed_lines_total counter
            drbdreactor_events2_unparsed_lines_total 1
            # HELP drbdreactor_drbdsetup_restarts_total Restarts of drbdsetup events2
            # TYPE drbdreactor_drbdsetup_restarts_total counter
            drbdreactor_drbdsetup_restarts_total 2
            # HELP drbdreactor_umh_commands_total umh commands started
            # TYPE drbdreactor_umh_commands_total counter
            drbdreactor_umh_commands_total 5
            # HELP drbdreactor_umh_commands_failed_total umh commands that failed
            # TYPE drbdreactor_umh_commands_failed_total counter
            drbdreactor_umh_commands_failed_total 3
            # HELP drbdreactor_umh_commands_dropped_total umh matches dropped at the concurrency and queue caps
            # TYPE drbdreactor_umh_commands_dropped_total counter
            drbdreactor_umh_commands_dropped_total 0
            # HELP drbdreactor_scrapes_total Metrics requests answered
            # TYPE drbdreactor_scrapes_total counter
            drbdreactor_scrapes_total 9
            # HELP drbdreactor_loop_turns_total Event loop iterations
            # TYPE drbdreactor_loop_turns_total counter
            drbdreactor_loop_turns_total 0
            # HELP drbdreactor_loop_turns_over_1ms_total Loop iterations that worked longer than 1 ms
            # TYPE drbdreactor_loop_turns_over_1ms_total counter
            drbdreactor_loop_turns_over_1ms_total 0
            # HELP drbdreactor_loop_turns_over_10ms_total Loop iterations that worked longer than 10 ms
            # TYPE drbdreactor_loop_turns_over_10ms_total counter
            drbdreactor_loop_turns_over_10ms_total 0
            # HELP drbdreactor_loop_turns_over_100ms_total Loop iterations that worked longer than 100 ms
            # TYPE drbdreactor_loop_turns_over_100ms_total counter
            drbdreactor_loop_turns_over_100ms_total 0

            """
        #expect(out == expected)
        // Without process metrics (no /proc) only the health families remain.
        let bare = text(MetricsRenderer(enums: false).renderDaemon(stats: ReactorStats(), process: nil))
        #expect(!bare.contains("process_"))
        #expect(bare.contains("\ndrbdreactor_scrapes_total 0\n"))
    }

    @Test func enumFamilies() {
        var world = PrometheusFixture.world
        world["r1"]?.role = .other("Fancy")
        let out = text(MetricsRenderer(enums: true).renderDRBD(resources: world, versions: .unknown))
        #expect(out.contains("""
            # HELP drbd_resource_role Role of the resource (1 for the current one)
            # TYPE drbd_resource_role gauge
            drbd_resource_role{name="r0",drbd_resource_role="Unknown"} 0
            drbd_resource_role{name="r0",drbd_resource_role="Primary"} 1
            drbd_resource_role{name="r0",drbd_resource_role="Secondary"} 0
            drbd_resource_role{name="r1",drbd_resource_role="Unknown"} 0
            drbd_resource_role{name="r1",drbd_resource_role="Primary"} 0
            drbd_resource_role{name="r1",drbd_resource_role="Secondary"} 0
            drbd_resource_role{name="r1",drbd_resource_role="Fancy"} 1
            # HELP drbd_resource_suspended
            """))
        #expect(out.contains("""
            # TYPE drbd_connection_state gauge
            drbd_connection_state{name="r0",conn_name="n2",peer_node_id="1",drbd_connection_state="StandAlone"} 0
            """))
        let connectionStates = out.split(separator: "\n").filter { $0.hasPrefix("drbd_connection_state{") }
        #expect(connectionStates.count == ConnectionState.known.count)
        #expect(connectionStates.filter { $0.hasSuffix(" 1") } == [#"drbd_connection_state{name="r0",conn_name="n2",peer_node_id="1",drbd_connection_state="Connected"} 1"#])
        let deviceStates = out.split(separator: "\n").filter { $0.hasPrefix("drbd_device_state{") }
        #expect(deviceStates.count == 10)
        #expect(deviceStates.filter { $0.hasSuffix(" 1") } == [#"drbd_device_state{name="r0",volume="0",minor="1000",drbd_device_state="UpToDate"} 1"#])
        #expect(out.contains("drbd_version{kmod=\"0.0.0\",utils=\"0.0.0\"} 1\n"))
        // Without enums, none of the state families.
        let plain = text(MetricsRenderer(enums: false).renderDRBD(resources: world, versions: .unknown))
        #expect(!plain.contains("_role") && !plain.contains("_state"))
    }

    @Test func emptyWorldKeepsOnlyTheFirstThreeFamilies() {
        let out = text(MetricsRenderer(enums: true).renderDRBD(resources: [:], versions: PrometheusFixture.versions))
        let families = out.split(separator: "\n").filter { $0.hasPrefix("# TYPE") }
        #expect(families == ["# TYPE drbdreactor_up gauge", "# TYPE drbd_version gauge", "# TYPE drbd_resource_resources gauge"])
        #expect(out.hasSuffix("drbd_resource_resources 0\n"))
    }

    @Test func unintentionalDiskless() {
        var r = Resource(name: "r")
        for (volume, disk, client) in [(Int32(0), DiskState.diskless, false), (1, .diskless, true), (2, .upToDate, false)] {
            var d = Device(volume: volume)
            d.diskState = disk
            d.client = client
            r.devices[volume] = d
        }
        let lines = text(MetricsRenderer(enums: false).renderDRBD(resources: ["r": r], versions: .unknown))
            .split(separator: "\n").filter { $0.hasPrefix("drbd_device_unintentionaldiskless{") }
        #expect(lines.map { $0.last } == ["1", "0", "0"])
    }

    @Test func labelValuesAreEscaped() {
        var r = Resource(name: "we\"ird\\na\nme")
        var c = Connection(peerNodeID: 3)
        c.connectionName = "pe\"er"
        r.connections[3] = c
        let out = text(MetricsRenderer(enums: false).renderDRBD(resources: [r.name: r], versions: DRBDVersions(kmod: "a\"b", utils: "c")))
        #expect(out.contains(#"drbd_resource_suspended{name="we\"ird\\na\nme"} 0"#))
        #expect(out.contains(#"drbd_connection_congested{name="we\"ird\\na\nme",conn_name="pe\"er",peer_node_id="3"} 0"#))
        #expect(out.contains(#"drbd_version{kmod="a\"b",utils="c"} 1"#))
    }

    @Test func sortedByNameAndID() {
        var world: [String: Resource] = [:]
        for name in ["b", "c", "a"] {
            var r = Resource(name: name)
            for v in [Int32(10), 2, 1] { r.devices[v] = Device(volume: v) }
            world[name] = r
        }
        let lines = text(MetricsRenderer(enums: false).renderDRBD(resources: world, versions: .unknown))
            .split(separator: "\n").filter { $0.hasPrefix("drbd_device_open{") }
        #expect(lines.map { $0.split(separator: ",").prefix(2).joined(separator: ",") } == [
            #"drbd_device_open{name="a",volume="1""#, #"drbd_device_open{name="a",volume="2""#, #"drbd_device_open{name="a",volume="10""#,
            #"drbd_device_open{name="b",volume="1""#, #"drbd_device_open{name="b",volume="2""#, #"drbd_device_open{name="b",volume="10""#,
            #"drbd_device_open{name="c",volume="1""#, #"drbd_device_open{name="c",volume="2""#, #"drbd_device_open{name="c",volume="10""#,
        ])
    }

    @Test func valueFormatting() {
        var w = ExpositionWriter()
        for v: MetricValue in [.unsigned(0), .unsigned(9), .unsigned(10), .unsigned(UInt64.max), .signed(-42), .signed(Int64.min), .float(0.5), .float(.infinity), .float(-.infinity), .float(.nan), .kibibytes(UInt64.max), .sectors(3)] {
            w.append(v)
            w.append(" ")
        }
        #expect(String(decoding: w.bytes, as: UTF8.self) == "0 9 10 18446744073709551615 -42 -9223372036854775808 0.5 +Inf -Inf NaN 18446744073709551615 1536 ")
    }

    @Test func versionParsing() {
        let output = """
            DRBDADM_BUILDTAG=GIT-hash:\\ 1234\\ build\\ by\\ root@host
            DRBDADM_API_VERSION=2
            DRBD_KERNEL_VERSION_CODE=0x090208
            DRBD_KERNEL_VERSION=9.2.8
            DRBDADM_VERSION_CODE=0x091c00
            DRBDADM_VERSION=9.28.0
            """
        #expect(DRBDVersions(drbdadmVersionOutput: output) == DRBDVersions(kmod: "9.2.8", utils: "9.28.0"))
        // No module loaded: drbdadm prints code 0 or nothing for the kernel.
        #expect(DRBDVersions(drbdadmVersionOutput: "DRBDADM_VERSION_CODE=0x091c00\n") == DRBDVersions(kmod: "0.0.0", utils: "9.28.0"))
        #expect(DRBDVersions(drbdadmVersionOutput: "DRBD_KERNEL_VERSION_CODE=0x000000\n").kmod == "0.0.0")
        #expect(DRBDVersions(drbdadmVersionOutput: "") == .unknown)
        #expect(DRBDVersions(drbdadmVersionOutput: "DRBD_KERNEL_VERSION_CODE=garbage\nDRBDADM_VERSION_CODE=0x1000000\n") == .unknown)
        #expect(DRBDVersions(drbdadmVersionOutput: "DRBD_KERNEL_VERSION_CODE = 0x080423\r\n").kmod == "8.4.35")
    }

    @Test func cacheRendersOnlyOnChange() {
        var cache = MetricsCache(renderer: MetricsRenderer(enums: false))
        let stats = ReactorStats()
        var world = PrometheusFixture.world
        let first = cache.body(generation: 1, resources: world, versions: .unknown, stats: stats, process: nil, gzip: false).joined
        stats.scrapes = 5
        world["r9"] = Resource(name: "r9")  // not seen: the generation did not change
        let second = cache.body(generation: 1, resources: world, versions: .unknown, stats: stats, process: nil, gzip: false).joined
        #expect(cache.renders == 1)
        #expect(first != second)  // the daemon section is always fresh
        #expect(String(decoding: second, as: UTF8.self).contains("drbdreactor_scrapes_total 5\n"))
        #expect(!String(decoding: second, as: UTF8.self).contains("r9"))
        let third = cache.body(generation: 2, resources: world, versions: .unknown, stats: stats, process: nil, gzip: false).joined
        #expect(cache.renders == 2)
        #expect(String(decoding: third, as: UTF8.self).contains("name=\"r9\""))
        _ = cache.body(generation: 2, resources: world, versions: PrometheusFixture.versions, stats: stats, process: nil, gzip: true)
        #expect(cache.renders == 3)
    }

    @Test func cachedGzipMatchesPlain() throws {
        var cache = MetricsCache(renderer: MetricsRenderer(enums: true))
        let stats = PrometheusFixture.stats
        for scrape in 0..<3 {
            stats.scrapes = UInt64(scrape)
            let plain = cache.body(generation: 7, resources: PrometheusFixture.world, versions: PrometheusFixture.versions, stats: stats, process: PrometheusFixture.process, gzip: false).joined
            let zipped = cache.body(generation: 7, resources: PrometheusFixture.world, versions: PrometheusFixture.versions, stats: stats, process: PrometheusFixture.process, gzip: true).joined
            #expect(Gzip.decompress(zipped) == plain)
            #expect(zipped.count < plain.count)
        }
        #expect(cache.renders == 1)
    }

    @Test func endpointCountsScrapesAndReadsTheWorld() {
        let stats = ReactorStats()
        var generation: UInt64 = 1
        var world = PrometheusFixture.world
        let endpoint = MetricsEndpoint(enums: false, stats: stats, world: { (generation, world) }, process: { nil })
        endpoint.versions = PrometheusFixture.versions
        let body = String(decoding: endpoint.metricsBody(gzip: false).joined, as: UTF8.self)
        #expect(body.contains("drbdreactor_scrapes_total 1\n"))
        #expect(body.contains("kmod=\"9.2.8\""))
        world = [:]
        generation = 2
        let after = String(decoding: Gzip.decompress(endpoint.metricsBody(gzip: true).joined) ?? [], as: UTF8.self)
        #expect(after.contains("drbd_resource_resources 0\n"))  // a destroyed resource disappears at once
        #expect(after.contains("drbdreactor_scrapes_total 2\n"))
        #expect(stats.scrapes == 2)
    }

    @Test func processStatParsing() throws {
        // Command names may hold spaces and parentheses.
        let stat = "1234 (drbd (re) actor) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 1 0 12350 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0"
        let parsed = try #require(ProcessMetrics.parseStat(stat))
        #expect(parsed == ProcessMetrics.Stat(userTicks: 250, systemTicks: 50, startTicks: 12350, virtualBytes: 104857600, residentPages: 2560))
        #expect(ProcessMetrics.parseStat("1234 (x) S 1 2") == nil)
        #expect(ProcessMetrics.parseBootTime("cpu  1 2 3\nbtime 1700000000\nprocesses 5\n") == 1_700_000_000)
        #expect(ProcessMetrics.parseBootTime("cpu 1\n") == nil)
        let m = ProcessMetrics(stat: parsed, bootTime: 1_700_000_000, pageSize: 4096, ticksPerSecond: 100, openFDs: 3, maxFDs: 1024)
        #expect(m == ProcessMetrics(residentMemoryBytes: 2560 * 4096, virtualMemoryBytes: 104857600, cpuSeconds: 3, openFDs: 3, maxFDs: 1024, startTimeSeconds: 1_700_000_123.5))
    }

    @Test func liveProcessStats() throws {
        let m = try #require(ProcessStats.current())
        #expect(m.residentMemoryBytes > 1024 * 1024)
        #expect(m.virtualMemoryBytes >= m.residentMemoryBytes)
        #expect(m.openFDs >= 3 && m.openFDs <= m.maxFDs)
        let now = Date().timeIntervalSince1970
        #expect(m.startTimeSeconds > now - 24 * 3600 && m.startTimeSeconds <= now + 1)
        #expect(m.cpuSeconds > 0)
    }

    @Test func renderingIsFast() {
        let world = PrometheusFixture.large(1000)
        let renderer = MetricsRenderer(enums: true)
        let clock = ContinuousClock()
        var bytes: [UInt8] = []
        let elapsed = clock.measure { bytes = renderer.renderDRBD(resources: world, versions: .unknown) }
        let samples = bytes.split(separator: UInt8(ascii: "\n")).filter { $0.first != UInt8(ascii: "#") }.count
        // 1000 x (3 role + 4) + 2000 x (10 state + 12) + 2000 x (10 state + 3) + 4000 x 3 + 3
        #expect(samples == 7000 + 44000 + 26000 + 12000 + 3)
        // A release build renders these 7.5 MB in 10-20 ms on a busy 2-core machine, a debug build in
        // ~0.4 s; the bound only catches a quadratic slip.
        #expect(elapsed < .seconds(2), "rendering took \(elapsed)")
    }
}
