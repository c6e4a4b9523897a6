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

/// Builders shared by the umh tests: configs from TOML text and state updates straight from the model.
enum UMHFixture {
    /// Every `[[umh]]` section of `text`, decoded as the daemon does.
    static func configs(_ text: String, file: String = "umh.toml") throws -> [UMHConfig] {
        let table = try TOMLLoader.parse(text, file: file)
        var root = TableReader(table: table, file: file, path: "", locator: LineLocator(text: text))
        return try root.tables("umh").map(UMHConfig.decode)
    }

    /// The single rule of type `type` with body `body`.
    static func rule(_ type: UMHRuleType, _ body: String) throws -> UMHRule {
        let rules = try configs("[[umh]]\n[[umh.\(type.rawValue)]]\ncommand = \"true\"\n\(body)\n")[0][type]
        return try #require(rules.first)
    }

    /// r0 with volume 1 on minor 1001 backed by /dev/vg/r0_1.
    static func snapshot(backing: String? = "/dev/vg/r0_1", withDevice: Bool = true) -> Resource {
        var resource = Resource(name: "r0")
        var device = Device(volume: 1)
        device.minor = 1001
        device.backingDevice = backing
        if withDevice { resource.devices[1] = device }
        return resource
    }

    /// Secondary (score 5, may not promote) -> Primary (score 10, may promote).
    static func resourceUpdate(_ event: EventType = .change, name: String = "r0") -> StateUpdate {
        var old = ResourceState(), new = ResourceState()
        old.role = .secondary
        old.promotionScore = 5
        new.role = .primary
        new.mayPromote = true
        new.promotionScore = 10
        return StateUpdate(eventType: event, resourceName: name, kind: .resource(old: old, new: new), resource: snapshot())
    }

    /// Volume 1: Attaching, all false, 100 KiB -> UpToDate, all true, 200 KiB.
    static func deviceUpdate(resource: Resource = snapshot()) -> StateUpdate {
        var old = DeviceState(), new = DeviceState()
        old.diskState = .attaching
        old.size = 100
        new.diskState = .upToDate
        new.client = true
        new.quorum = true
        new.size = 200
        new.open = true
        return StateUpdate(eventType: .change, resourceName: "r0", kind: .device(volume: 1, old: old, new: new), resource: resource)
    }

    /// Peer 2, volume 1: Off, DUnknown, false, false -> Established, UpToDate, true, true.
    static func peerDeviceUpdate() -> StateUpdate {
        var old = PeerDeviceState(), new = PeerDeviceState()
        old.replicationState = .off
        old.peerDiskState = .dUnknown
        new.replicationState = .established
        new.peerDiskState = .upToDate
        new.peerClient = true
        new.resyncSuspended = true
        let kind = UpdateKind.peerDevice(peerNodeID: 2, volume: 1, old: old, new: new)
        return StateUpdate(eventType: .change, resourceName: "r0", kind: kind, resource: snapshot())
    }

    /// Peer 2: "", Connecting, Unknown, false -> "bob", Connected, Primary, true.
    static func connectionUpdate() -> StateUpdate {
        var old = ConnectionStateSet(), new = ConnectionStateSet()
        old.connectionState = .connecting
        new.connectionName = "bob"
        new.connectionState = .connected
        new.peerRole = .primary
        new.congested = true
        return StateUpdate(eventType: .change, resourceName: "r0", kind: .connection(peerNodeID: 2, old: old, new: new), resource: snapshot())
    }

    static func update(for type: UMHRuleType) -> StateUpdate {
        switch type {
        case .resource: resourceUpdate()
        case .device: deviceUpdate()
        case .peerdevice: peerDeviceUpdate()
        case .connection: connectionUpdate()
        }
    }
}

/// One field of one rule type: the TOML spelling of the value the fixture update has, and of another.
struct FieldCase: Sendable, CustomTestStringConvertible {
    let type: UMHRuleType
    let path: String
    let actual: String
    let other: String
    var testDescription: String { "\(type.rawValue) \(path)" }
}

@Suite struct UMHMatchTests {
    /// Every filter of every rule type, against the fixture update of that type.
    static let fields: [FieldCase] = [
        FieldCase(type: .resource, path: "resource-name", actual: "\"r0\"", other: "\"r1\""),
        FieldCase(type: .resource, path: "event-type", actual: "\"Change\"", other: "\"Exists\""),
        FieldCase(type: .resource, path: "old.role", actual: "\"Secondary\"", other: "\"Primary\""),
        FieldCase(type: .resource, path: "new.role", actual: "\"Primary\"", other: "\"Unknown\""),
        FieldCase(type: .resource, path: "old.may-promote", actual: "false", other: "true"),
        FieldCase(type: .resource, path: "new.may-promote", actual: "true", other: "false"),
        FieldCase(type: .resource, path: "old.promotion-score", actual: "5", other: "10"),
        FieldCase(type: .resource, path: "new.promotion-score", actual: "10", other: "5"),
        FieldCase(type: .device, path: "resource-name", actual: "\"r0\"", other: "\"r1\""),
        FieldCase(type: .device, path: "event-type", actual: "\"Change\"", other: "\"Destroy\""),
        FieldCase(type: .device, path: "volume", actual: "1", other: "0"),
        FieldCase(type: .device, path: "old.disk-state", actual: "\"Attaching\"", other: "\"UpToDate\""),
        FieldCase(type: .device, path: "new.disk-state", actual: "\"UpToDate\"", other: "\"Diskless\""),
        FieldCase(type: .device, path: "old.client", actual: "false", other: "true"),
        FieldCase(type: .device, path: "new.client", actual: "true", other: "false"),
        FieldCase(type: .device, path: "old.quorum", actual: "false", other: "true"),
        FieldCase(type: .device, path: "new.quorum", actual: "true", other: "false"),
        FieldCase(type: .device, path: "old.size", actual: "100", other: "200"),
        FieldCase(type: .device, path: "new.size", actual: "200", other: "100"),
        FieldCase(type: .device, path: "old.open", actual: "false", other: "true"),
        FieldCase(type: .device, path: "new.open", actual: "true", other: "false"),
        FieldCase(type: .peerdevice, path: "resource-name", actual: "\"r0\"", other: "\"r1\""),
        FieldCase(type: .peerdevice, path: "event-type", actual: "\"Change\"", other: "\"Create\""),
        FieldCase(type: .peerdevice, path: "volume", actual: "1", other: "0"),
        FieldCase(type: .peerdevice, path: "peer-node-id", actual: "2", other: "3"),
        FieldCase(type: .peerdevice, path: "old.peer-disk-state", actual: "\"DUnknown\"", other: "\"UpToDate\""),
        FieldCase(type: .peerdevice, path: "new.peer-disk-state", actual: "\"UpToDate\"", other: "\"Outdated\""),
        FieldCase(type: .peerdevice, path: "old.peer-client", actual: "false", other: "true"),
        FieldCase(type: .peerdevice, path: "new.peer-client", actual: "true", other: "false"),
        FieldCase(type: .peerdevice, path: "old.resync-suspended", actual: "false", other: "true"),
        FieldCase(type: .peerdevice, path: "new.resync-suspended", actual: "true", other: "false"),
        FieldCase(type: .peerdevice, path: "old.replication-state", actual: "\"Off\"", other: "\"SyncSource\""),
        FieldCase(type: .peerdevice, path: "new.replication-state", actual: "\"Established\"", other: "\"WFBitMapS\""),
        FieldCase(type: .connection, path: "resource-name", actual: "\"r0\"", other: "\"r1\""),
        FieldCase(type: .connection, path: "event-type", actual: "\"Change\"", other: "\"Exists\""),
        FieldCase(type: .connection, path: "peer-node-id", actual: "2", other: "0"),
        FieldCase(type: .connection, path: "old.conn-name", actual: "\"\"", other: "\"bob\""),
        FieldCase(type: .connection, path: "new.conn-name", actual: "\"bob\"", other: "\"alice\""),
        FieldCase(type: .connection, path: "old.connection-state", actual: "\"Connecting\"", other: "\"Connected\""),
        FieldCase(type: .connection, path: "new.connection-state", actual: "\"Connected\"", other: "\"StandAlone\""),
        FieldCase(type: .connection, path: "old.peer-role", actual: "\"Unknown\"", other: "\"Primary\""),
        FieldCase(type: .connection, path: "new.peer-role", actual: "\"Primary\"", other: "\"Secondary\""),
        FieldCase(type: .connection, path: "old.congested", actual: "false", other: "true"),
        FieldCase(type: .connection, path: "new.congested", actual: "true", other: "false"),
    ]

    /// The three notations of one filter: plain (always Equals), inline table, dotted keys.
    static func notations(_ path: String, _ op: String, _ value: String) -> [String] {
        var forms = [
            "\(path) = { operator = \"\(op)\", value = \(value) }",
            "\(path).operator = \"\(op)\"\n\(path).value = \(value)",
        ]
        if op == "Equals" { forms.append("\(path) = \(value)") }
        return forms
    }

    @Test(arguments: fields)
    func everyFieldOperatorAndNotation(_ c: FieldCase) throws {
        let update = UMHFixture.update(for: c.type)
        let expectations = [("Equals", c.actual, true), ("Equals", c.other, false),
                            ("NotEquals", c.actual, false), ("NotEquals", c.other, true)]
        for (op, value, expected) in expectations {
            for body in Self.notations(c.path, op, value) {
                let rule = try UMHFixture.rule(c.type, body)
                #expect(rule.filters.count == 1, "\(body)")
                #expect(rule.matches(update) == expected, "\(body)")
            }
        }
    }

    @Test func operatorDefaultsToEqualsInTheTableForm() throws {
        let rule = try UMHFixture.rule(.resource, "new.role = { value = \"Primary\" }")
        #expect(rule.filters == ["new.role": UMHPattern(.equals, .text("Primary"))])
        #expect(rule.matches(UMHFixture.resourceUpdate()))
    }

    @Test(arguments: UMHRuleType.allCases)
    func unsetFieldsDoNotRestrictButTheTypeDoes(_ type: UMHRuleType) throws {
        let rule = try UMHFixture.rule(type, "")
        for other in UMHRuleType.allCases {
            #expect(rule.matches(UMHFixture.update(for: other)) == (other == type), "\(other)")
        }
    }

    @Test func allFiltersMustPass() throws {
        let rule = try UMHFixture.rule(.resource, "resource-name = \"r0\"\nold.role = \"Secondary\"\nnew.role = \"Primary\"")
        #expect(rule.matches(UMHFixture.resourceUpdate()))
        #expect(!rule.matches(UMHFixture.resourceUpdate(name: "r1")))
        var flipped = UMHFixture.resourceUpdate()
        flipped.kind = .resource(old: ResourceState(), new: ResourceState())
        #expect(!rule.matches(flipped))
    }

    @Test func pathUpdatesMatchNoRule() throws {
        let update = StateUpdate(eventType: .change, resourceName: "r0",
                                 kind: .path(peerNodeID: 2, key: PathKey(local: "a", peer: "b"), old: false, new: true),
                                 resource: UMHFixture.snapshot())
        for type in UMHRuleType.allCases {
            #expect(try !UMHFixture.rule(type, "").matches(update))
        }
    }

    @Test func configReturnsMatchingRulesInOrder() throws {
        let config = try UMHFixture.configs("""
            [[umh]]
            [[umh.device]]
            name = "d"
            command = "true"
            [[umh.resource]]
            name = "a"
            command = "true"
            [[umh.resource]]
            name = "b"
            command = "true"
            new.role = "Secondary"
            [[umh.resource]]
            name = "c"
            command = "true"
            new.role = "Primary"
            """)[0]
        #expect(config.rules(matching: UMHFixture.resourceUpdate()).map(\.name) == ["a", "c"])
        #expect(config.rules(matching: UMHFixture.deviceUpdate()).map(\.name) == ["d"])
    }

    /// An unknown DRBD word (newer kernel) is kept verbatim by the parser: it equals no configured value.
    @Test func unfamiliarStateNeverEqualsAKnownOne() throws {
        var update = UMHFixture.resourceUpdate()
        update.kind = .resource(old: ResourceState(), new: { var s = ResourceState(); s.role = .other("Zombie"); return s }())
        #expect(try !UMHFixture.rule(.resource, "new.role = \"Primary\"").matches(update))
        #expect(try UMHFixture.rule(.resource, "new.role = { operator = \"NotEquals\", value = \"Primary\" }").matches(update))
    }
}

@Suite struct UMHEnvironmentTests {
    static let common = ["HOME=/", "TERM=Linux", "PATH=/sbin:/usr/sbin:/bin:/usr/bin"]

    @Test func commandIsOnlyAnArgumentOfShell() throws {
        let rule = try UMHFixture.rule(.resource, "")
        #expect(UMHRule(type: .resource, command: "echo \"$DRBD_RES_NAME\"; exit 3").argv
                == ["sh", "-c", "echo \"$DRBD_RES_NAME\"; exit 3"])
        let request = rule.spawnRequest(for: UMHFixture.resourceUpdate())
        #expect(request.argv == ["sh", "-c", "true"])
        #expect(request.environment == rule.environment(for: UMHFixture.resourceUpdate()))
        #expect(request.captureOutput)
    }

    @Test func resource() {
        let rule = UMHRule(type: .resource, command: "x")
        #expect(rule.environment(for: UMHFixture.resourceUpdate()) == Self.common + [
            "DRBD_RES_NAME=r0",
            "DRBD_OLD_ROLE=Secondary", "DRBD_NEW_ROLE=Primary",
            "DRBD_OLD_MAY_PROMOTE=false", "DRBD_NEW_MAY_PROMOTE=true",
        ])
    }

    @Test func device() {
        let rule = UMHRule(type: .device, command: "x")
        #expect(rule.environment(for: UMHFixture.deviceUpdate()) == Self.common + [
            "DRBD_RES_NAME=r0", "DRBD_VOLUME=1",
            "DRBD_OLD_DISK_STATE=Attaching", "DRBD_NEW_DISK_STATE=UpToDate",
            "DRBD_OLD_CLIENT=false", "DRBD_NEW_CLIENT=true",
            "DRBD_OLD_QUORUM=false", "DRBD_NEW_QUORUM=true",
            "DRBD_OLD_OPEN=false", "DRBD_NEW_OPEN=true",
            "DRBD_MINOR=1001", "DRBD_MINOR_1=1001",
            "DRBD_BACKING_DEV=/dev/vg/r0_1", "DRBD_BACKING_DEV_1=/dev/vg/r0_1",
        ])
    }

    @Test func disklessAndUnknownDevicesSayNone() {
        let rule = UMHRule(type: .device, command: "x")
        let diskless = rule.environment(for: UMHFixture.deviceUpdate(resource: UMHFixture.snapshot(backing: nil)))
        #expect(diskless.suffix(4) == ["DRBD_MINOR=1001", "DRBD_MINOR_1=1001", "DRBD_BACKING_DEV=none", "DRBD_BACKING_DEV_1=none"])
        let gone = rule.environment(for: UMHFixture.deviceUpdate(resource: UMHFixture.snapshot(withDevice: false)))
        #expect(gone.suffix(4) == ["DRBD_MINOR=none", "DRBD_MINOR_1=none", "DRBD_BACKING_DEV=none", "DRBD_BACKING_DEV_1=none"])
    }

    @Test func peerDevice() {
        let rule = UMHRule(type: .peerdevice, command: "x")
        #expect(rule.environment(for: UMHFixture.peerDeviceUpdate()) == Self.common + [
            "DRBD_RES_NAME=r0", "DRBD_VOLUME=1", "DRBD_PEER_NODE_ID=2",
            "DRBD_OLD_PEER_DISK_STATE=DUnknown", "DRBD_NEW_PEER_DISK_STATE=UpToDate",
            "DRBD_OLD_PEER_CLIENT=false", "DRBD_NEW_PEER_CLIENT=true",
            "DRBD_OLD_PEER_RESYNC_SUSPENDED=false", "DRBD_NEW_PEER_RESYNC_SUSPENDED=true",
            "DRBD_OLD_PEER_REPLICATION_STATE=Off", "DRBD_NEW_PEER_REPLICATION_STATE=Established",
            "DRBD_MINOR=1001", "DRBD_MINOR_1=1001",
            "DRBD_BACKING_DEV=/dev/vg/r0_1", "DRBD_BACKING_DEV_1=/dev/vg/r0_1",
        ])
    }

    @Test func connection() {
        let rule = UMHRule(type: .connection, command: "x")
        #expect(rule.environment(for: UMHFixture.connectionUpdate()) == Self.common + [
            "DRBD_RES_NAME=r0", "DRBD_PEER_NODE_ID=2",
            "DRBD_OLD_CONN_NAME=", "DRBD_NEW_CONN_NAME=bob",
            "DRBD_OLD_CONN_STATE=Connecting", "DRBD_NEW_CONN_STATE=Connected",
            "DRBD_OLD_PEER_ROLE=Unknown", "DRBD_NEW_PEER_ROLE=Primary",
            "DRBD_OLD_CONGESTED=false", "DRBD_NEW_CONGESTED=true",
            "DRBD_CSTATE=Connected",
        ])
    }

    /// The rule's variables come first and cannot replace the fixed ones or the event's.
    @Test func ruleVariablesComeFirstAndLoseConflicts() {
        let rule = UMHRule(type: .resource, command: "x",
                           env: ["ZED": "1", "HOME": "/root", "DRBD_RES_NAME": "fake", "A": "x y"])
        let env = rule.environment(for: UMHFixture.resourceUpdate())
        #expect(env == ["A=x y", "ZED=1"] + Self.common + [
            "DRBD_RES_NAME=r0",
            "DRBD_OLD_ROLE=Secondary", "DRBD_NEW_ROLE=Primary",
            "DRBD_OLD_MAY_PROMOTE=false", "DRBD_NEW_MAY_PROMOTE=true",
        ])
    }

    @Test func noEnvironmentForAnUpdateOfAnotherType() {
        #expect(UMHRule(type: .device, command: "x").environment(for: UMHFixture.resourceUpdate()).isEmpty)
    }
}
