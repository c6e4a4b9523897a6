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

@Suite struct TargetDropInDriftTests {
    static let second: Int64 = 1_000_000_000

    @Test func pathsOfSystemdRunnerResourcesOnly() {
        var shell = PromoterResourceConfig(name: "sh")
        shell.runner = .shell
        let plugins: [PluginConfig] = [
            .promoter(PromoterConfig(resources: [PromoterResourceConfig(name: "res-1"), shell, PromoterResourceConfig(name: "r0")])),
            .debugger(DebuggerConfig()),
        ]
        #expect(TargetDropInDrift.paths(plugins, systemdDirectory: "/run/systemd/system") == [
            "/run/systemd/system/drbd-services@r0.target.d/reactor.conf",
            "/run/systemd/system/drbd-services@res\\x2d1.target.d/reactor.conf",
        ])
    }

    @Test func warnsForSettledModificationsAfterTheLastReloadOnly() {
        let reload: Int64 = 1000 * Self.second
        let now = reload + 60 * Self.second
        let times: [String: Int64] = [
            "/before": reload - Self.second, "/after": reload + 10 * Self.second,
            "/fresh": now - 5 * Self.second, "/settled": now - 20 * Self.second,
        ]
        let warnings = TargetDropInDrift.warnings(
            paths: ["/missing", "/before", "/after", "/fresh", "/settled"], lastReload: reload, now: now) { times[$0] }
        #expect(warnings == [
            "systemd target unit \"/after\" is newer than the last service reload. 'systemctl reload drbd-reactor' required",
            "systemd target unit \"/settled\" is newer than the last service reload. 'systemctl reload drbd-reactor' required",
        ])
    }
}
