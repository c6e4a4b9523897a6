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

/// The versions 1.x requires before any promoter runs: drbd-utils 9.29.0, a loaded module >= 9.1.7.
@Suite struct PromoterVersionGateTests {
    @Test func acceptsWhatThePromoterNeeds() {
        #expect(PromoterVersionGate.problem(with: DRBDVersions(kmod: "9.1.7", utils: "9.29.0")) == nil)
        #expect(PromoterVersionGate.problem(with: DRBDVersions(kmod: "9.2.11", utils: "9.30.1")) == nil)
        #expect(PromoterVersionGate.problem(with: DRBDVersions(kmod: "10.0.0", utils: "10.0.0")) == nil)
    }

    @Test func namesWhatIsMissing() {
        #expect(PromoterVersionGate.problem(with: DRBDVersions(kmod: "9.2.11", utils: "9.28.0"))
            == "drbd-utils minimum version ('9.29.0') not fulfilled by '9.28.0'")
        #expect(PromoterVersionGate.problem(with: DRBDVersions(kmod: "9.1.6", utils: "9.29.0"))
            == "DRBD kernel module minimum version ('9.1.7') not fulfilled by '9.1.6'")
        #expect(PromoterVersionGate.problem(with: DRBDVersions(kmod: "0.0.0", utils: "9.29.0"))?.contains("not loaded") == true)
        // drbdadm missing altogether: nothing is known, the utils check comes first.
        #expect(PromoterVersionGate.problem(with: .unknown)?.contains("drbd-utils") == true)
    }

    @Test func comparesNumericallyPartByPart() {
        #expect(PromoterVersionGate.compare("9.29.0", "9.3.1") == .orderedDescending)
        #expect(PromoterVersionGate.compare("9.1", "9.1.0") == .orderedSame)
        #expect(PromoterVersionGate.compare("8.4.11", "9.0.0") == .orderedAscending)
        #expect(PromoterVersionGate.compare("9.1.x", "9.1.0") == .orderedSame)
    }
}
