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

@Suite struct DebuggerTests {
    func reader(_ text: String) throws -> TableReader {
        let table = try TOMLLoader.parse(text, file: "d.toml")
        guard case .array(let items)? = table["debugger"], case .table(let t)? = items.first else {
            throw ConfigError(file: "d.toml", line: nil, keyPath: "debugger", message: "no [[debugger]] in test input")
        }
        return TableReader(table: t, file: "d.toml", path: "debugger[0]", locator: LineLocator(text: text))
    }

    // MARK: config

    @Test func emptyTableDecodes() throws {
        let c = try DebuggerConfig.decode(try reader("[[debugger]]\n"))
        #expect(c == DebuggerConfig())
        #expect(c.warnings.isEmpty)
        #expect(c.tomlSnippet() == "[[debugger]]\n")
    }

    @Test func deprecatedIDIsAcceptedWithAWarning() throws {
        let c = try DebuggerConfig.decode(try reader("[[debugger]]\nid = \"dbg\"\n"))
        #expect(c.id == "dbg")
        #expect(c.warnings == ["'id' is deprecated and ignored!"])
        #expect(c != DebuggerConfig(), "id is part of the identity")
    }

    @Test func unknownKeysAreRejectedWithLine() throws {
        #expect(throws: ConfigError(file: "d.toml", line: 3, keyPath: "debugger[0].level", message: "unknown key (known keys here: 'id')")) {
            try DebuggerConfig.decode(try reader("[[debugger]]\nid = \"x\"\nlevel = \"debug\"\n"))
        }
        #expect(throws: ConfigError.self) { try DebuggerConfig.decode(try reader("[[debugger]]\nid = 5\n")) }
    }

    @Test(arguments: [DebuggerConfig(), DebuggerConfig(id: "a \"quoted\" id")])
    func snippetRoundTrips(_ config: DebuggerConfig) throws {
        #expect(try DebuggerConfig.decode(try reader(config.tomlSnippet())) == config)
    }

    // MARK: plugin

    func log(_ u: StateUpdate) -> [PluginEffect] {
        var p = DebuggerPlugin()
        return p.handle(.update(u), now: .zero)
    }

    func update(_ type: EventType, _ kind: UpdateKind) -> StateUpdate {
        StateUpdate(eventType: type, resourceName: "r0", kind: kind, resource: Resource(name: "r0"))
    }

    @Test func changeListsOnlyChangedFields() {
        var old = DeviceState()
        old.diskState = .upToDate
        old.quorum = true
        var new = old
        new.diskState = .outdated
        new.quorum = false
        #expect(log(update(.change, .device(volume: 0, old: old, new: new))) == [
            .log(.debug, "Change device r0/0: disk UpToDate -> Outdated, quorum true -> false", resource: "r0"),
        ])
    }

    @Test func existsListsAllNewFields() {
        var new = ResourceState()
        new.role = .primary
        new.mayPromote = true
        new.promotionScore = 10101
        #expect(log(update(.exists, .resource(old: ResourceState(), new: new))) == [
            .log(.debug, "Exists resource r0: role Primary, may_promote true, promotion_score 10101, suspended false, force-io-failures false", resource: "r0"),
        ])
    }

    @Test func destroyListsTheLastState() {
        var old = PeerDeviceState()
        old.replicationState = .syncSource
        old.peerDiskState = .inconsistent
        #expect(log(update(.destroy, .peerDevice(peerNodeID: 2, volume: 1, old: old, new: PeerDeviceState()))) == [
            .log(.debug, "Destroy peer-device r0/1 to node 2: replication SyncSource, peer-disk Inconsistent, peer-client false, resync-suspended false", resource: "r0"),
        ])
    }

    @Test func connectionAndPathLines() {
        var new = ConnectionStateSet()
        new.connectionName = "peer"
        new.connectionState = .connected
        new.peerRole = .secondary
        #expect(log(update(.create, .connection(peerNodeID: 1, old: ConnectionStateSet(), new: new))) == [
            .log(.debug, "Create connection r0 to node 1: conn-name peer, connection Connected, role Secondary, congested false", resource: "r0"),
        ])
        let key = PathKey(local: "ipv6:[fd00::1]:7789", peer: "ipv6:[fd00::2]:7789")
        #expect(log(update(.change, .path(peerNodeID: 1, key: key, old: false, new: true))) == [
            .log(.debug, "Change path r0 to node 1 local ipv6:[fd00::1]:7789 peer ipv6:[fd00::2]:7789: established false -> true", resource: "r0"),
        ])
    }

    @Test func changeWithoutReportedDifferenceSaysSo() {
        #expect(log(update(.change, .resource(old: ResourceState(), new: ResourceState()))) == [
            .log(.debug, "Change resource r0: no reported field changed", resource: "r0"),
        ])
    }

    @Test func stopAndOtherInputs() {
        var p = DebuggerPlugin(config: DebuggerConfig(id: "x"))
        #expect(p.kind == "debugger")
        #expect(p.handle(.timer(1), now: .zero).isEmpty)
        #expect(p.handle(.childExited(1, .exited(0)), now: .zero).isEmpty)
        #expect(p.handle(.stop, now: .zero) == [.stopped])
    }

    /// One log line per update, for a whole recorded scenario, in order.
    @Test func logsEveryUpdateOfAFixture() throws {
        var world = World()
        var plugin = DebuggerPlugin()
        var effects: [PluginEffect] = []
        for line in try DRBDFixtures.lines("lifecycle.full.events2") where line != "exists -" {
            for u in world.apply(try parseEvents2(line)) { effects += plugin.handle(.update(u), now: .zero) }
        }
        // One per object of the initial dump (9), one per change line (11) but the two resync progress
        // lines, which change counters only.
        #expect(effects.count == 18)
        #expect(effects.contains(.log(.debug, "Change resource web: role Secondary -> Primary, may_promote true -> false", resource: "web")))
        #expect(effects.last == .log(.debug, "Change device web/0: open false -> true", resource: "web"))
    }
}
