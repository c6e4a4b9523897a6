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

@Suite struct PromoterDRBDTests {
    @Test func jsonParsesWhatDrbdsetupPrints() throws {
        let v = try JSONValue.parse(#" [ {"name": "r0", "n": -1.5e2, "ok": true, "no": false, "x": null, "s": "a\"b\\c\u00e4\n", "l": []}, {} ] "#)
        let first = try #require(v.array?.first)
        #expect(first["name"]?.string == "r0" && first["n"] == .number(-150) && first["ok"]?.bool == true)
        #expect(first["no"]?.bool == false && first["x"] == .null && first["s"]?.string == "a\"b\\cä\n" && first["l"] == .array([]))
        #expect(v.array?.last == .object([:]))
        for bad in ["", "[", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "tru", "\"open", "[1] x", "{1: 2}"] {
            #expect(throws: JSONValue.ParseError.self, "\(bad)") { try JSONValue.parse(bad) }
        }
    }

    @Test func peerPrimaryFromStatus() {
        let peer = #"[{"name":"r0","role":"Secondary","connections":[{"peer-node-id":1,"peer-role":"Secondary"},{"peer-role":"Primary"}]}]"#
        #expect(PromoterDRBD.peerIsPrimary(statusJSON: peer, resource: "r0"))
        #expect(!PromoterDRBD.peerIsPrimary(statusJSON: peer, resource: "r1"))
        #expect(!PromoterDRBD.peerIsPrimary(statusJSON: #"[{"name":"r0","role":"Primary","connections":[]}]"#, resource: "r0"))
        #expect(!PromoterDRBD.peerIsPrimary(statusJSON: "garbage", resource: "r0"))
    }

    @Test func policyErrorsAndChecks() throws {
        let c = PromoterFixture.config()
        #expect(throws: PromoterDRBD.PolicyError.self) {
            try PromoterDRBD.splitBrainPolicy(showJSON: PromoterFixture.showJSON("r1"), config: c, unifiedCgroups: true)
        }
        #expect(throws: PromoterDRBD.PolicyError.self) {
            try PromoterDRBD.splitBrainPolicy(showJSON: #"[{"resource":"r0","options":{}}]"#, config: c, unifiedCgroups: true)
        }
        var freeze = c
        freeze.onQuorumLoss = .freeze
        let (p, warnings) = try PromoterDRBD.splitBrainPolicy(
            showJSON: PromoterFixture.showJSON(onNoQuorum: "suspend-io").replacingRetryConnect(), config: freeze, unifiedCgroups: false)
        #expect(p == .quorum)
        #expect(warnings == [
            "resource 'r0': DRBD option 'rr-conflict' should be 'retry-connect', but is 'disconnect'",
            "You don't have unified cgroups, the plugin will not work as intended",
        ])
        let fencing = try PromoterDRBD.splitBrainPolicy(
            showJSON: PromoterFixture.showJSON(quorum: "off", fencing: "resource-only"), config: c, unifiedCgroups: true)
        #expect(fencing.policy == .fencing && fencing.warnings.isEmpty)
    }

    /// The original's own test of the delay (sleep_before_promote_ms), in seconds before the factor.
    @Test func promoteDelayLikeTheOriginal() {
        var r = Resource(name: "test")
        for (v, s) in [(Int32(0), DiskState.diskless), (1, .failed), (2, .upToDate)] {
            var d = Device(volume: v)
            d.diskState = s
            r.devices[v] = d
        }
        var conn = Connection(peerNodeID: 1)
        conn.connectionState = .networkFailure
        r.connections[1] = conn
        var c = PromoterFixture.config()
        #expect(PromoterDRBD.diskSeconds(r) == 6)
        #expect(PromoterDRBD.policySeconds(r, config: c, policy: .quorum) == 0)
        r.role = .secondary
        c.onQuorumLoss = .freeze
        #expect(PromoterDRBD.policySeconds(r, config: c, policy: .quorum) == 2)
        #expect(PromoterDRBD.policySeconds(r, config: c, policy: .fencing) == 5)
        #expect(PromoterDRBD.promoteDelayMilliseconds(seconds: 6, factor: 2) == 12000)
        #expect(PromoterDRBD.preferredPosition(["", "", "n1", ""], nodeName: "n1") == 2)
        #expect(PromoterDRBD.preferredPosition(["", "", ""], nodeName: "n1") == 3)
        #expect(PromoterDRBD.preferredPosition(["a"], nodeName: nil) == 0)
        #expect(PromoterDRBD.diskSeconds(Resource(name: "x")) == nil)
        #expect(PromoterDRBD.backingDevices([" /dev/a ", "", "none"]) == ["/dev/a", "none"])
    }
}

extension String {
    /// A `show --json` text with rr-conflict set to something the freeze policy does not want.
    fileprivate func replacingRetryConnect() -> String {
        guard let range = firstRange(of: "retry-connect") else { return self }
        var copy = self
        copy.replaceSubrange(range, with: "disconnect")
        return copy
    }
}
