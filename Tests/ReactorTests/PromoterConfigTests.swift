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

@Suite struct PromoterConfigTests {
    /// The `[[promoter]]` sections of `text` and the warnings decoding them gave.
    static func decode(_ text: String, file: String = "promoter.toml") throws -> ([PromoterConfig], [String]) {
        let table = try TOMLLoader.parse(text, file: file)
        var root = TableReader(table: table, file: file, path: "", locator: LineLocator(text: text))
        var warnings: [String] = []
        let configs = try root.tables("promoter").map { try PromoterConfig.decode($0, warnings: &warnings) }
        return (configs, warnings)
    }

    static func error(_ text: String) -> String? {
        #expect(throws: ConfigError.self) { try decode(text) }.map(\.description)
    }

    @Test func defaultsAreThoseOfTheOriginal() throws {
        let (configs, warnings) = try Self.decode("[[promoter]]\n[promoter.resources.r0]\nstart = [\"a.service\"]\n")
        let r = try #require(configs.first?.resources.first)
        #expect(r.name == "r0" && r.start == ["a.service"] && r.stop.isEmpty)
        #expect(r.runner == .systemd && r.dependenciesAs == .requires && r.targetAs == .requires)
        #expect(r.onDrbdDemoteFailure == .none && r.secondaryForce && !r.stopServicesOnExit)
        #expect(r.sleepBeforePromoteFactor == 1 && r.preferredNodes.isEmpty && r.preferredNodesPolicy == .always)
        #expect(r.onQuorumLoss == .shutdown && r.onDiskDetach == .ignore && r.fencingPromoteDelay == 5)
        #expect(r.adjustResourceOnStart && r.onStopFailure.isEmpty)
        #expect(r.effectiveStop == ["a.service"])
        #expect(warnings.isEmpty)
    }

    @Test func decodesEveryKeyAndSortsResources() throws {
        let (configs, _) = try Self.decode("""
            [[promoter]]
            id = "legacy"
            [promoter.resources.zeta]
            start = ["x"]
            [promoter.resources.alpha]
            start = ["a.service", "ocf:heartbeat:IPaddr2 ip ip=10.0.0.1"]
            stop = ["s1", "s2"]
            runner = "shell"
            dependencies-as = "BindsTo"
            target-as = "Wants"
            on-drbd-demote-failure = "reboot-immediate"
            secondary-force = false
            stop-services-on-exit = true
            sleep-before-promote-factor = 3
            preferred-nodes = ["n1", "n2"]
            preferred-nodes-policy = "start-only"
            on-quorum-loss = "freeze"
            on-disk-detach = "fail-over"
            fencing-promote-delay = 9
            adjust-resource-on-start = false
            """)
        let c = try #require(configs.first)
        #expect(c.id == "legacy")
        #expect(c.resources.map(\.name) == ["alpha", "zeta"])
        let r = c.resources[0]
        #expect(r.stop == ["s1", "s2"] && r.effectiveStop == ["s1", "s2"] && r.runner == .shell)
        #expect(r.dependenciesAs == .bindsTo && r.targetAs == .wants && r.onDrbdDemoteFailure == .rebootImmediate)
        #expect(!r.secondaryForce && r.stopServicesOnExit && r.sleepBeforePromoteFactor == 3)
        #expect(r.preferredNodes == ["n1", "n2"] && r.preferredNodesPolicy == .startOnly)
        #expect(r.onQuorumLoss == .freeze && r.onDiskDetach == .failOver && r.fencingPromoteDelay == 9 && !r.adjustResourceOnStart)
    }

    @Test func valuesAreCaseSensitiveAndErrorsNameFileLineAndKey() {
        #expect(Self.error("[[promoter]]\n[promoter.resources.r0]\nstart = []\nrunner = \"Systemd\"\n")
            == "promoter.toml:4: 'promoter[0].resources.r0.runner': unknown value 'Systemd' (expected one of 'systemd', 'shell')")
        #expect(Self.error("[[promoter]]\n[promoter.resources.r0]\ntarget-as = \"requires\"\n")?
            .hasPrefix("promoter.toml:3: 'promoter[0].resources.r0.target-as': unknown value 'requires'") == true)
        #expect(Self.error("[[promoter]]\n[promoter.resources.r0]\nStart = [\"a\"]\n")?
            .hasPrefix("promoter.toml:3: 'promoter[0].resources.r0.Start': unknown key") == true)
        #expect(Self.error("[[promoter]]\n[promoter.resources.r0]\nstart = \"a.service\"\n")
            == "promoter.toml:3: 'promoter[0].resources.r0.start': expected an array of strings, found a string")
        #expect(Self.error("[[promoter]]\n[promoter.resources.r0]\nstart = [1]\n")
            == "promoter.toml:3: 'promoter[0].resources.r0.start': expected an array of strings, found an integer in it")
        #expect(Self.error("[[promoter]]\n[promoter.resources.r0]\nsleep-before-promote-factor = -1\n")?
            .contains("expected an integer from 0") == true)
        #expect(Self.error("[[promoter]]\nresources = 1\n") == "promoter.toml:2: 'promoter[0].resources': expected a table, found an integer")
        #expect(Self.error("[[promoter]]\nresource = {}\n")?.hasPrefix("promoter.toml:2: 'promoter[0].resource': unknown key") == true)
    }

    @Test func emptyStartAndOnStopFailureWarnLikeTheOriginal() throws {
        let (_, warnings) = try Self.decode("[[promoter]]\n[promoter.resources.r0]\non-stop-failure = \"reboot\"\n")
        #expect(warnings == [
            "promoter.toml: 'promoter[0].resources.r0': Resource 'r0' has an empty start list",
            "promoter.toml: 'promoter[0].resources.r0': 'on-stop-failure' is deprecated and ignored!; use 'on-drbd-demote-failure'",
        ])
    }
}

/// example/promoter.toml must load as shipped and with every commented-out key enabled.
@Suite struct PromoterExampleTests {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../example/promoter.toml").standardized.path

    @Test func exampleDecodesAndItsUnitsGenerate() throws {
        let text = try String(contentsOfFile: Self.path, encoding: .utf8)
        let (configs, warnings) = try PromoterConfigTests.decode(text, file: Self.path)
        let r = try #require(configs.first?.resources.first)
        #expect(r.name == "r0" && r.start.count == 3 && warnings.isEmpty)
        #expect(try PromoterUnits.files(for: r).files.count == 7)
    }

    @Test func everyCommentedKeyIsValid() throws {
        let text = try String(contentsOfFile: Self.path, encoding: .utf8)
        var enabled = 0
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            guard let m = line.wholeMatch(of: /# ([a-z][a-z-]* = .*)/) else { return line }
            enabled += 1
            return m.1
        }
        #expect(enabled == 16)  // with `start`, every key of D.1 and the deprecated id
        let (configs, warnings) = try PromoterConfigTests.decode(lines.joined(separator: "\n"), file: Self.path)
        #expect(configs.first?.id == "legacy")
        #expect(configs.first?.resources.first?.preferredNodes == ["alpha", "bravo"])
        #expect(warnings.isEmpty)  // on-stop-failure = "" is not a deprecation warning
    }
}
