import Testing
@testable import ReactorCtl
import ReactorCtl
import ReactorCore
import ReactorSystem
import ReactorPromoter

@Suite struct PrimaryNodeTests {
    @Test func localPeerOrUnknown() {
        #expect(PrimaryNode.parse(statusJSON: statusJSON("r0", role: "Primary"), resource: "r0", nodeName: "alpha") == .local("alpha"))
        #expect(PrimaryNode.parse(statusJSON: statusJSON("r0", role: "Secondary", peerRole: "Primary"), resource: "r0", nodeName: "alpha") == .peer("beta"))
        #expect(PrimaryNode.parse(statusJSON: statusJSON("r0", role: "Secondary"), resource: "r0", nodeName: "alpha") == .unknown)
        #expect(PrimaryNode.parse(statusJSON: statusJSON("r1", role: "Primary"), resource: "r0", nodeName: "alpha") == .unknown)
        #expect(PrimaryNode.parse(statusJSON: "not json", resource: "r0", nodeName: "alpha") == .unknown)
    }
}

@Suite struct StatusReportTests {
    static func unit(_ n: String, _ s: String, _ f: String = "running") -> UnitStatus { UnitStatus(name: n, status: s, freezer: f) }

    let promoter = PluginStatus.promoter(
        resource: "r0", primaryOn: .local("alpha"), target: unit("drbd-services@r0.target", "active"),
        dependencies: [unit("drbd-promote@r0.service", "active"), unit("data.mount", "failed"), unit("app.service", "inactive", "frozen")])

    func text(_ r: StatusReport) -> [String] { r.lines(paint: { s, _ in s }) }

    @Test func promoterTree() {
        let r = StatusReport(entries: [.init(path: "/d/r0.toml", enabled: true, plugin: promoter)], daemonState: "active")
        #expect(text(r) == [
            "/d/r0.toml:", "Promoter: Resource r0 currently active on this node", "● drbd-services@r0.target",
            "● ├─ drbd-promote@r0.service", "× ├─ data.mount", "○ └─ app.service(frozen)", "",
        ])
    }

    @Test func disabledPromoterIsOneLineAndWarnsWhenPrimary() {
        let r = StatusReport(entries: [.init(path: "/d/r0.toml.disabled", enabled: false, plugin: promoter)], daemonState: "active")
        #expect(text(r) == ["/d/r0.toml.disabled:", "Promoter: Resource r0 (disabled) currently active on this node", "WARN: disabled but Primary", ""])
    }

    @Test func otherPluginsAndTheDaemonState() {
        let entries: [StatusReport.Entry] = [
            .init(path: "/d/m.toml", enabled: true, plugin: .prometheus(address: ":9942", probes: [Probe(address: "127.0.0.1:9942", error: nil), Probe(address: "[::1]:9942", error: "Connection refused")])),
            .init(path: "/d/u.toml", enabled: false, plugin: .umh),
            .init(path: "/d/a.toml", enabled: true, plugin: .agentx(address: "localhost:705")),
        ]
        let lines = text(StatusReport(entries: entries, daemonState: "inactive"))
        #expect(lines == [
            "WARN: drbd-reactor.service is inactive: its plugins are not running",
            "/d/m.toml:", "Prometheus: listening on :9942", "TCP Connect (127.0.0.1:9942): success", "TCP Connect ([::1]:9942): failed (Connection refused)", "",
            "/d/u.toml:", "UMH (disabled): started", "",
            "/d/a.toml:", "AgentX: connecting to main agent at localhost:705", "",
        ])
        let json = StatusReport(entries: entries, daemonState: "active").json()
        #expect(json.hasSuffix("}\n"))
        #expect(json.contains(#""prometheus":[{"path":"/d/m.toml","enabled":true,"address":":9942","status":"active"}]"#))
        #expect(json.contains(#""umh":[{"path":"/d/u.toml","enabled":false,"status":"inactive"}]"#))
    }

    @Test func promoterJSON() {
        let json = StatusReport(entries: [.init(path: "/d/r0.toml", enabled: true, plugin: promoter)], daemonState: "active").json()
        #expect(json.hasPrefix(#"{"promoter":[{"drbd_resource":"r0","path":"/d/r0.toml","enabled":true,"primary_on":"alpha","target":{"name":"drbd-services@r0.target","status":"active","freezer":"running"},"dependencies":[{"name":"drbd-promote@r0.service","status":"active","freezer":"running"},"#))
        #expect(json.contains(#""status":"active"}],"prometheus":[],"debugger":[],"umh":[],"agentx":[]}"#))
    }

    @Test func symbolsLikeSystemctl() {
        #expect(StatusReport.symbol("active").0 == "●")
        #expect(StatusReport.symbol("reloading").0 == "↻")
        #expect(StatusReport.symbol("failed").0 == "×")
        #expect(StatusReport.symbol("maintenance").0 == "○")
        #expect(StatusReport.symbol("unknown").0 == "?")
        #expect(StatusReport.unitLine(Self.unit("x.service", "active", "freezing"), prefix: "", paint: { s, st in st.isEmpty ? s : "<\(s)>" }) == "<●> x.service(<freezing>)")
    }

    @Test func collectsUnitsTheDaemonNames() throws {
        let dir = try temporaryDirectory()
        try FileSystem.writeAtomically(dir + "/r.toml", "[[promoter]]\n[promoter.resources.res-1]\nstart = [\"a.mount\", \"ocf:heartbeat:IPaddr2 ip1 ip=10.0.0.1\"]\n")
        let runner = RecordingRunner()
        runner.answers["systemctl show --property=ActiveState drbd-services@res\\x2d1.target"] = ("ActiveState=active\n", 0)
        runner.answers["systemctl show --property=FreezerState drbd-services@res\\x2d1.target"] = ("FreezerState=\n", 0)
        runner.answers["drbdsetup status --json res-1"] = (statusJSON("res-1", role: "Secondary", peerRole: "Primary"), 0)
        let ctx = makeContext(.onDisk(dir), runner: runner, transcript: Transcript())
        let report = ctx.statusReport([], resources: [], verbose: false)
        guard case .promoter(let res, let primary, let target, let deps) = report.entries.first?.plugin else {
            Issue.record("no promoter")
            return
        }
        #expect(res == "res-1")
        #expect(primary == .peer("beta"))
        #expect(target == Self.unit("drbd-services@res\\x2d1.target", "active", "unknown"))
        #expect(deps.map(\.name) == ["drbd-promote@res\\x2d1.service", "a.mount", "ocf.rs@ip1_res\\x2d1.service"])
        #expect(ctx.statusReport([], resources: ["other"], verbose: false).entries.isEmpty)
    }
}

@Suite struct SnippetListingTests {
    @Test func pluginLines() throws {
        let s = try Snippet.decode("""
            [[promoter]]
            [promoter.resources.r0]
            start = ["a", "b", "c", "d"]
            [[prometheus]]
            address = "127.0.0.1:9000"
            [[debugger]]
            [[agentx]]
            address = "snmp:705"
            """, path: "/d/x.toml.disabled")
        #expect(SnippetListing.lines(s) == [
            "- Debugger", "- Promoter: r0 (disabled); start = [\"a\", \"b\", \"c\", \"...\"]", "- Prometheus: 127.0.0.1:9000", "- AgentX: snmp:705",
        ])
    }

    @Test func longStartListsGoOneItemPerLine() {
        let long = String(repeating: "x", count: 81)
        #expect(SnippetListing.startList([long, "b"]) == "[\n   \"\(long)\",\n   \"b\"\n]")
    }
}

@Suite struct DaemonViewTests {
    @Test func theDaemonsWhyAppearsInTextAndJSON() throws {
        let status = try JSONValue.parse(#"{"type":"status","promoter":[{"resource":"r0","here":false,"why_not":"Primary on node 'b'","maintenance":true}]}"#)
        var report = StatusReport(daemonState: "active")
        report.daemon = DaemonView.parse(status)
        #expect(report.daemon == ["r0": DaemonView(here: false, whyNot: "Primary on node 'b'", maintenance: true)])
        report.entries = [.init(path: "/d/r0.toml", enabled: true, plugin: .promoter(
            resource: "r0", primaryOn: .peer("b"), target: UnitStatus(name: "t", status: "inactive", freezer: "running"), dependencies: []))]
        #expect(report.lines(paint: { s, _ in s }) == [
            "/d/r0.toml:", "Promoter: Resource r0 currently active on node 'b'", "  maintenance: nothing is started or stopped here",
            "  why not here: Primary on node 'b'", "○ t", "",
        ])
        let json = try JSONValue.parse(report.json())
        #expect(json["promoter"]?.array?.first?["why_not"]?.string == "Primary on node 'b'")
        #expect(json["promoter"]?.array?.first?["here"]?.bool == false)
        #expect(DaemonView.parse(nil).isEmpty)
    }

    @Test func watchLinesAsText() throws {
        #expect(CtlContext.text(try JSONValue.parse(#"{"type":"state","event":"change","resource":"r0","object":"connection","peer":"b","connection":"Connected","peer_role":"Primary"}"#))
            == ["r0: change connection peer:b connection:Connected peer_role:Primary"])
        #expect(CtlContext.text(try JSONValue.parse(#"{"type":"promoter","resource":"r0","level":"info","message":"m"}"#)) == ["r0: promoter: m"])
        #expect(CtlContext.text(try JSONValue.parse(#"{"type":"status","node":"n","promoter":[{"resource":"r0","here":true}]}"#))
            == ["status of n: 1 promoter resource", "  r0: runs here"])
    }
}

@Suite struct DaemonViewSystemdTests {
    @Test func busCountersFromTheDaemonAppearInTextAndJSON() throws {
        let parsed = try JSONValue.parse(#"""
            {"type":"status","promoter":[{"resource":"r0","here":true,"why_not":null,"maintenance":false,"job_results":{"done":4},
             "unit_failures":{"a.service":2,"drbd-promote@r0.service":1},"last_unit_failure":"a.service: exit-code","restarts":2}]}
            """#)
        var report = StatusReport(daemonState: "active")
        report.daemon = DaemonView.parse(parsed)
        #expect(report.daemon["r0"] == DaemonView(here: true, whyNot: nil, maintenance: false, unitFailures: 3, lastUnitFailure: "a.service: exit-code", restarts: 2))
        report.entries = [.init(path: "/d/r0.toml", enabled: true, plugin: .promoter(
            resource: "r0", primaryOn: .local("n1"), target: UnitStatus(name: "t", status: "active", freezer: "running"), dependencies: []))]
        #expect(report.lines(paint: { s, _ in s }).contains("  systemd: 3 unit failures (last: a.service: exit-code), started again 2 times"))
        let json = try JSONValue.parse(report.json())
        #expect(json["promoter"]?.array?.first?["last_unit_failure"]?.string == "a.service: exit-code")
        #expect(json["promoter"]?.array?.first?["restarts"] == .number(2))
        // Without a bus (or before anything happened) there is no such line.
        #expect(DaemonView(here: true, whyNot: nil, maintenance: false).systemdLine == nil)
    }
}
