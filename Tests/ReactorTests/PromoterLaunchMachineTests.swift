import Testing
@testable import ReactorCore
@testable import ReactorPromoter
@testable import ReactorDaemon

/// The promoter launcher's sequence: version gate, one daemon-reload per pass, a second one for
/// instances added meanwhile, drops.
@Suite struct PromoterLaunchMachineTests {
    typealias M = PromoterLaunchMachine<String>
    static let now = Instant(nanoseconds: 1)
    static let good = DRBDVersions(kmod: "9.2.11", utils: "9.30.1")
    static let config = PromoterConfig(resources: [])

    /// A compact spelling of effects.
    static func names(_ effects: [M.Effect]) -> [String] {
        effects.map {
            switch $0 {
            case .queryVersions: "versions?"
            case .daemonReload: "daemon-reload"
            case .start(let ready): "start " + ready.map(\.key).joined(separator: ",")
            case .log(let level, let message): "\(level): \(message)"
            }
        }
    }

    func run(_ m: inout M, _ input: M.Input) -> [String] { Self.names(m.handle(input, now: Self.now)) }

    @Test func aPassIsGatedReloadedOnceAndStartedInOrder() {
        var m = M()
        #expect(run(&m, .commit).isEmpty, "nothing prepared: no reload")
        _ = run(&m, .prepared("a", Self.config))
        _ = run(&m, .prepared("b", Self.config))
        #expect(run(&m, .commit) == ["versions?"])
        #expect(run(&m, .versions(Self.good)) == ["daemon-reload"])
        #expect(m.pending.map(\.key) == ["a", "b"])
        #expect(run(&m, .reloaded(nil)) == ["start a,b"])
        #expect(m.pending.isEmpty)
    }

    @Test func instancesAddedDuringAReloadGetASecondOne() {
        var m = M()
        _ = run(&m, .prepared("a", Self.config))
        _ = run(&m, .commit)
        _ = run(&m, .versions(Self.good))
        _ = run(&m, .prepared("b", Self.config))
        #expect(run(&m, .commit).isEmpty, "waits for the running reload")
        #expect(run(&m, .reloaded("exit status 1")) == [
            "error: 'systemctl daemon-reload' failed (exit status 1); starting the promoters anyway, their drop-ins may not be loaded.",
            "versions?",
        ])
        _ = run(&m, .drop(["a"]))  // a reload of the configuration removed it meanwhile
        #expect(run(&m, .versions(Self.good)) == ["daemon-reload"])
        #expect(run(&m, .reloaded(nil)) == ["start b"])
    }

    @Test func unsuitableVersionsDropEverythingPending() {
        var m = M()
        _ = run(&m, .prepared("a", Self.config))
        _ = run(&m, .commit)
        let out = run(&m, .versions(DRBDVersions(kmod: "9.1.6", utils: "9.29.0")))
        #expect(out.count == 1 && out[0].hasPrefix("error: Not starting 1 promoter plugin(s): "))
        #expect(m.pending.isEmpty)
        // The next pass starts afresh.
        _ = run(&m, .prepared("b", Self.config))
        #expect(run(&m, .commit) == ["versions?"])
    }
}
