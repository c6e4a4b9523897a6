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

@Suite struct UMHConfigTests {
    /// The error decoding `text` throws, as the user reads it.
    static func error(_ text: String) -> String? {
        #expect(throws: ConfigError.self) { try UMHFixture.configs(text) }.map(\.description)
    }

    @Test func decodesEveryKey() throws {
        let config = try #require(try UMHFixture.configs("""
            [[umh]]
            id = "old-style"
            [[umh.resource]]
            name = "promoted"
            command = "/usr/local/bin/primary.sh"
            env = { LEVEL = "2" }
            timeout = 30
            resource-name = "r0"
            event-type = "Change"
            old.role = "Secondary"
            new.role = { operator = "NotEquals", value = "Secondary" }
            [[umh.device]]
            command = "true"
            volume = 0
            new.disk-state.operator = "NotEquals"
            new.disk-state.value = "UpToDate"
            """).first)
        #expect(config.resource == [UMHRule(
            type: .resource, name: "promoted", command: "/usr/local/bin/primary.sh", env: ["LEVEL": "2"],
            timeout: .seconds(30),
            filters: [
                "resource-name": UMHPattern(.equals, .text("r0")),
                "event-type": UMHPattern(.equals, .text("Change")),
                "old.role": UMHPattern(.equals, .text("Secondary")),
                "new.role": UMHPattern(.notEquals, .text("Secondary")),
            ])])
        #expect(config.device == [UMHRule(
            type: .device, command: "true",
            filters: ["volume": UMHPattern(.equals, .integer(0)), "new.disk-state": UMHPattern(.notEquals, .text("UpToDate"))])])
        #expect(config.peerdevice.isEmpty && config.connection.isEmpty)
    }

    @Test func emptySectionHasNoRules() throws {
        #expect(try UMHFixture.configs("[[umh]]\n") == [UMHConfig()])
    }

    @Test func misspelledEnumValuesNameFileLineAndRule() {
        #expect(Self.error("""
            [[umh]]
            [[umh.resource]]
            command = "true"
            [[umh.resource]]
            command = "true"
            old.role = "Primry"
            """) == "umh.toml:6: 'umh[0].resource[1].old.role': unknown role 'Primry' (expected one of 'Unknown', 'Primary', 'Secondary')")
        #expect(Self.error("""
            [[umh]]
            [[umh.device]]
            command = "true"
            new.disk-state = { operator = "NotEquals", value = "UptoDate" }
            """) == "umh.toml:4: 'umh[0].device[0].new.disk-state.value': unknown disk state 'UptoDate' (expected one of 'Diskless', 'Attaching', 'Detaching', 'Failed', 'Negotiating', 'Inconsistent', 'Outdated', 'DUnknown', 'Consistent', 'UpToDate')")
        #expect(Self.error("[[umh]]\n[[umh.connection]]\ncommand = \"true\"\nevent-type = \"Changed\"\n")
                == "umh.toml:4: 'umh[0].connection[0].event-type': unknown event type 'Changed' (expected one of 'Exists', 'Create', 'Change', 'Destroy')")
    }

    @Test func unknownFieldsAreErrorsListingTheKnownOnes() {
        #expect(Self.error("[[umh]]\n[[umh.resource]]\ncommand = \"true\"\nold.disk-state = \"UpToDate\"\n")
                == "umh.toml:4: 'umh[0].resource[0].old.disk-state': unknown key (known keys here: 'may-promote', 'promotion-score', 'role')")
        #expect(Self.error("[[umh]]\n[[umh.peerdevice]]\ncommand = \"true\"\npeer-role = \"Primary\"\n")
                == "umh.toml:4: 'umh[0].peerdevice[0].peer-role': unknown key (known keys here: 'command', 'env', 'event-type', 'name', 'new', 'old', 'peer-node-id', 'resource-name', 'timeout', 'volume')")
        #expect(Self.error("[[umh]]\nids = \"x\"\n")
                == "umh.toml:2: 'umh[0].ids': unknown key (known keys here: 'connection', 'device', 'id', 'peerdevice', 'resource')")
        #expect(Self.error("[[umh]]\n[[umh.device]]\ncommand = \"true\"\nnew.open = { value = true, op = \"NotEquals\" }\n")
                == "umh.toml:4: 'umh[0].device[0].new.open.op': unknown key (known keys here: 'operator', 'value')")
    }

    @Test func operatorsAndPatternShapes() {
        #expect(Self.error("[[umh]]\n[[umh.resource]]\ncommand = \"true\"\nnew.role.operator = \"Equal\"\nnew.role.value = \"Primary\"\n")
                == "umh.toml:4: 'umh[0].resource[0].new.role.operator': unknown operator 'Equal' (expected 'Equals' or 'NotEquals')")
        #expect(Self.error("[[umh]]\n[[umh.resource]]\ncommand = \"true\"\nnew.role.operator = \"NotEquals\"\n")
                == "umh.toml:4: 'umh[0].resource[0].new.role.value': missing required key (the value to compare with)")
    }

    /// `old.role.operator` next to `old.role = "..."` is rejected by the TOML parser itself.
    @Test func mixingNotationsIsATOMLError() {
        let e = #expect(throws: ConfigError.self) {
            try UMHFixture.configs("[[umh]]\n[[umh.resource]]\ncommand = \"true\"\nold.role.operator = \"NotEquals\"\nold.role = \"Primary\"\n")
        }
        #expect(e?.file == "umh.toml")
        #expect(e?.line == 5)
    }

    @Test func wrongTypes() {
        #expect(Self.error("[[umh]]\n[[umh.device]]\ncommand = \"true\"\nvolume = \"0\"\n")
                == "umh.toml:4: 'umh[0].device[0].volume': expected an integer, found a string")
        #expect(Self.error("[[umh]]\n[[umh.device]]\ncommand = \"true\"\nnew.quorum = \"yes\"\n")
                == "umh.toml:4: 'umh[0].device[0].new.quorum': expected true or false, found a string")
        #expect(Self.error("[[umh]]\n[[umh.resource]]\ncommand = \"true\"\nnew.role = 1\n")
                == "umh.toml:4: 'umh[0].resource[0].new.role': expected a string, found an integer")
        #expect(Self.error("[[umh]]\n[[umh.connection]]\ncommand = \"true\"\npeer-node-id = 32\n")
                == "umh.toml:4: 'umh[0].connection[0].peer-node-id': expected an integer from 0 to 31, found 32")
        #expect(Self.error("[[umh]]\n[[umh.resource]]\ncommand = \"true\"\nenv = { A = 1 }\n")
                == "umh.toml:4: 'umh[0].resource[0].env.A': expected a string, found an integer")
        #expect(Self.error("[[umh]]\n[[umh.resource]]\ncommand = \"true\"\ntimeout = 0\n")
                == "umh.toml:4: 'umh[0].resource[0].timeout': expected an integer from 1 to 2147483647, found 0")
        #expect(Self.error("[[umh]]\n[[umh.resource]]\ncommand = \"true\"\nold = \"Primary\"\n")
                == "umh.toml:4: 'umh[0].resource[0].old': expected a table, found a string")
    }

    @Test func commandIsRequired() {
        #expect(Self.error("[[umh]]\n[[umh.resource]]\nname = \"x\"\n")
                == "umh.toml:2: 'umh[0].resource[0].command': missing required key (a string)")
    }

    /// A config using every field of every type, both operators and every value kind.
    static let everything = """
        [[umh]]
        [[umh.resource]]
        name = "all resource"
        command = "echo \\"$DRBD_RES_NAME\\" >> /tmp/log"
        env = { B = "2", "WITH SPACE" = "x\\ty" }
        timeout = 60
        resource-name = { operator = "NotEquals", value = "r9" }
        event-type = "Change"
        old.role = "Secondary"
        old.may-promote = false
        old.promotion-score = -3
        new.role = "Primary"
        new.may-promote.operator = "NotEquals"
        new.may-promote.value = false
        new.promotion-score = 10
        [[umh.device]]
        command = "true"
        volume = 0
        old.disk-state = "Attaching"
        old.client = false
        old.quorum = true
        old.size = 1048576
        old.open = false
        new.disk-state = { operator = "NotEquals", value = "UpToDate" }
        [[umh.peerdevice]]
        command = "true"
        volume = 1
        peer-node-id = 3
        old.peer-disk-state = "DUnknown"
        old.peer-client = false
        old.resync-suspended = true
        old.replication-state = "WFBitMapS"
        new.replication-state = "Established"
        [[umh.connection]]
        command = "true"
        peer-node-id = 31
        old.conn-name = "peer\\u00e9"
        old.connection-state = "Connecting"
        old.peer-role = "Unknown"
        old.congested = true
        new.connection-state = "Connected"
        [[umh]]
        [[umh.connection]]
        command = "second section"
        """

    @Test func snippetRoundTripsToAnEqualConfig() throws {
        let configs = try UMHFixture.configs(Self.everything)
        #expect(configs.count == 2)
        #expect(configs[0].rules.count == 4)
        #expect(configs[0].rules.map(\.filters.count) == [8, 7, 7, 6])
        let dumped = configs.map { $0.tomlSnippet() }.joined(separator: "\n")
        #expect(try UMHFixture.configs(dumped, file: "dump.toml") == configs)
        #expect(dumped.contains("name = \"\"\ncommand = \"true\"\nenv = {}\n"))
    }

    @Test func snippetText() {
        let config = UMHConfig(resource: [UMHRule(
            type: .resource, name: "n", command: "c", env: ["B": "2", "A": "1"], timeout: .seconds(9),
            filters: ["new.role": UMHPattern(.equals, .text("Primary")), "resource-name": UMHPattern(.notEquals, .text("r0"))])])
        // Filters are written in schema order, env keys sorted, so a dump is stable.
        #expect(config.tomlSnippet() == """
            [[umh]]

            [[umh.resource]]
            name = "n"
            command = "c"
            env = { A = "1", B = "2" }
            timeout = 9
            resource-name = { operator = "NotEquals", value = "r0" }
            new.role = "Primary"

            """)
    }

    /// Equality is the plugin identity on reload: any changed key makes another config.
    @Test func equalityFollowsEveryKey() throws {
        let base = try UMHFixture.configs(Self.everything)[0]
        #expect(try UMHFixture.configs(Self.everything)[0] == base)
        let edits = [("timeout = 60", "timeout = 61"), ("old.open = false", "old.open = true"),
                     ("B = \"2\"", "B = \"3\""), ("NotEquals\", value = \"r9\"", "Equals\", value = \"r9\"")]
        for (from, to) in edits {
            let edited = Self.everything.replacingFirst(from, with: to)
            #expect(edited != Self.everything, "\(from)")
            #expect(try UMHFixture.configs(edited)[0] != base, "\(from)")
        }
    }
}

/// example/umh.toml must load as shipped and with every commented-out key enabled.
@Suite struct UMHExampleTests {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../example/umh.toml").standardized.path

    @Test func exampleDecodes() throws {
        let text = try String(contentsOfFile: Self.path, encoding: .utf8)
        let config = try #require(try UMHFixture.configs(text, file: Self.path).first)
        #expect(config.rules.map(\.name) == ["became primary", "lost quorum", "resync finished", "peer gone"])
        #expect(config.resource.first?.timeout == .seconds(60))
        #expect(config.resource.first?.env == ["SITE": "berlin"])
    }

    @Test func everyCommentedKeyIsValid() throws {
        let text = try String(contentsOfFile: Self.path, encoding: .utf8)
        var enabled = 0
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            guard let m = line.wholeMatch(of: /# ([a-z][a-z.-]* = .*)/) else { return line }
            enabled += 1
            return m.1
        }
        #expect(enabled == 16)
        let config = try #require(try UMHFixture.configs(lines.joined(separator: "\n"), file: Self.path).first)
        #expect(config.rules.map(\.filters.count) == [7, 7, 7, 6])
        // Every field of every type is shown (the common two once, in the resource rule).
        for rule in config.rules {
            let used = Set(rule.filters.keys.map { $0.replacing(/^(old|new)\./, with: "") })
            let schema = rule.type.schema
            let all = Set(schema.objectFields.map(\.spec.key) + schema.stateFields.map(\.key))
            let common: Set = rule.type == .resource ? [] : ["resource-name", "event-type"]
            #expect(all.subtracting(used) == common, "\(rule.type)")
        }
    }
}

extension String {
    /// `self` with the first occurrence of `target` replaced (no Foundation in the tests either).
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        var copy = self
        copy.replaceSubrange(range, with: replacement)
        return copy
    }
}
