import Testing
@testable import Reactor

/// Applies events2 lines to a World, collecting the updates.
struct WorldDriver {
    var world = World()
    var updates: [StateUpdate] = []

    @discardableResult
    mutating func feed(_ lines: String...) throws -> [StateUpdate] {
        try feed(lines)
    }

    @discardableResult
    mutating func feed(_ lines: [String]) throws -> [StateUpdate] {
        var out: [StateUpdate] = []
        for line in lines { out += world.apply(try parseEvents2(line)) }
        updates += out
        return out
    }

    var resource: Resource? { world.resources["r"] }
}

/// A compact label of an update, for order assertions: `Create device 0`, `Destroy peer-device 1/0`.
func updateLabel(_ u: StateUpdate) -> String {
    switch u.kind {
    case .resource: "\(u.eventType) resource \(u.resourceName)"
    case .device(let v, _, _): "\(u.eventType) device \(v)"
    case .connection(let p, _, _): "\(u.eventType) connection \(p)"
    case .peerDevice(let p, let v, _, _): "\(u.eventType) peer-device \(p)/\(v)"
    case .path(let p, let k, _, _): "\(u.eventType) path \(p) \(k.local)"
    }
}

private let resR = "create resource name:r role:Secondary suspended:no force-io-failures:no may_promote:no promotion_score:0"
private let devR0 = "create device name:r volume:0 minor:1000 backing_dev:none disk:Diskless client:no open:no quorum:yes"
private let conR1 = "create connection name:r peer-node-id:1 conn-name:p connection:StandAlone role:Unknown"
private let pdR10 = "create peer-device name:r peer-node-id:1 conn-name:p volume:0 replication:Off peer-disk:DUnknown peer-client:no resync-suspended:no"
private let pathR1 = "create path name:r peer-node-id:1 conn-name:p local:ipv4:1.2.3.4:7789 peer:ipv4:5.6.7.8:7790 established:no"

@Suite struct WorldTests {
    // MARK: creating and changing

    @Test func createYieldsUpdatesWithDefaultsAsOld() throws {
        var d = WorldDriver()
        let ups = try d.feed(resR, devR0)
        #expect(ups.map(updateLabel) == ["Create resource r", "Create device 0"])
        var new = ResourceState()
        new.role = .secondary
        #expect(ups[0].kind == .resource(old: ResourceState(), new: new))
        var dev = DeviceState()
        dev.diskState = .diskless
        dev.quorum = true
        #expect(ups[1].kind == .device(volume: 0, old: DeviceState(), new: dev))
        #expect(ups[1].resource.devices[0]?.minor == 1000, "the update carries the resource after applying")
        #expect(ups[0].resource.devices.isEmpty)
    }

    @Test func createOfDefaultStateStillYieldsAnUpdate() throws {
        var d = WorldDriver()
        let ups = try d.feed("create resource name:r")
        #expect(ups.count == 1)
        #expect(ups.first?.kind == .resource(old: ResourceState(), new: ResourceState()))
    }

    @Test func partialChangeUpdatesOnlyItsKeys() throws {
        var d = WorldDriver()
        try d.feed(resR, devR0)
        let ups = try d.feed("change resource name:r may_promote:yes promotion_score:10101")
        #expect(d.resource?.role == .secondary, "role kept")
        #expect(d.resource?.mayPromote == true)
        #expect(d.resource?.promotionScore == 10101)
        var old = ResourceState()
        old.role = .secondary
        var new = old
        new.mayPromote = true
        new.promotionScore = 10101
        #expect(ups.map(\.kind) == [.resource(old: old, new: new)])
        #expect(ups.first?.eventType == .change)
        try d.feed("change device name:r volume:0 disk:UpToDate")
        #expect(d.resource?.devices[0]?.minor == 1000, "minor kept")
        #expect(d.resource?.devices[0]?.quorum == true, "quorum kept")
        #expect(d.resource?.devices[0]?.diskState == .upToDate)
    }

    @Test func forceIOFailuresIsStoredAndReported() throws {
        var d = WorldDriver()
        try d.feed(resR)
        let ups = try d.feed("change resource name:r force-io-failures:yes")
        #expect(d.resource?.forceIOFailures == true)
        guard case .resource(let old, let new) = ups.first?.kind else {
            Issue.record("no resource update")
            return
        }
        #expect(old.forceIOFailures == false)
        #expect(new.forceIOFailures == true)
    }

    @Test func identicalLineYieldsNothingAndKeepsGeneration() throws {
        var d = WorldDriver()
        try d.feed(resR, devR0)
        let generation = d.world.generation
        #expect(try d.feed(resR, devR0).isEmpty)
        #expect(d.world.generation == generation)
    }

    @Test func statisticsOnlyChangeBumpsGenerationWithoutUpdate() throws {
        var d = WorldDriver()
        try d.feed(resR, devR0, conR1, pdR10)
        let g0 = d.world.generation
        #expect(try d.feed("change device name:r volume:0 read:100 written:7 al-writes:3").isEmpty)
        #expect(d.resource?.devices[0]?.read == 100)
        #expect(d.resource?.devices[0]?.written == 7)
        #expect(d.world.generation > g0)
        let g1 = d.world.generation
        #expect(try d.feed("change peer-device name:r peer-node-id:1 volume:0 received:5 sent:9 out-of-sync:1").isEmpty)
        #expect(d.resource?.connections[1]?.peerDevices[0]?.sent == 9)
        #expect(d.world.generation > g1)
        let g2 = d.world.generation
        #expect(try d.feed("change connection name:r peer-node-id:1 ap-in-flight:4").isEmpty)
        #expect(d.resource?.connections[1]?.apInFlight == 4)
        #expect(d.world.generation > g2)
    }

    @Test func sizeChangeIsReported() throws {
        var d = WorldDriver()
        try d.feed(resR, devR0)
        let ups = try d.feed("change device name:r volume:0 size:1024")
        #expect(ups.count == 1)
    }

    @Test func changeForUnknownChildOfKnownResourceCreatesIt() throws {
        var d = WorldDriver()
        try d.feed(resR)
        let ups = try d.feed("change device name:r volume:3 disk:UpToDate")
        #expect(ups.map(updateLabel) == ["Change device 3"])
        guard case .device(_, let old, let new) = ups.first?.kind else { Issue.record("the parser or World returned another kind of object"); return }
        #expect(old == DeviceState())
        #expect(new.diskState == .upToDate)
        #expect(d.resource?.devices.keys.sorted() == [3])
    }

    @Test func childLinesForUnknownResourceInventNothing() throws {
        var d = WorldDriver()
        let ups = try d.feed(
            "change device name:ghost volume:0 disk:UpToDate",
            "create connection name:ghost peer-node-id:1 connection:Connected",
            "change peer-device name:ghost peer-node-id:1 volume:0 replication:Established",
            "change path name:ghost peer-node-id:1 local:a peer:b established:yes")
        #expect(ups.isEmpty)
        #expect(d.world.resources.isEmpty)
        #expect(d.world.generation == 0)
        #expect(d.world.orphanRecords == 4)
    }

    @Test func peerDeviceForUnknownConnectionInventsNoConnection() throws {
        var d = WorldDriver()
        try d.feed(resR)
        let g = d.world.generation
        let ups = try d.feed(
            "create peer-device name:r peer-node-id:7 volume:0 replication:Established",
            "create path name:r peer-node-id:7 local:a peer:b established:yes")
        #expect(ups.isEmpty)
        #expect(d.resource?.connections.isEmpty == true)
        #expect(d.world.generation == g)
        #expect(d.world.orphanRecords == 2)
    }

    @Test func connectionChangeKeepsPeerDevicesAndPaths() throws {
        var d = WorldDriver()
        try d.feed(resR, conR1, pdR10, pathR1)
        let ups = try d.feed("change connection name:r peer-node-id:1 conn-name:p connection:Connected role:Secondary")
        #expect(ups.map(updateLabel) == ["Change connection 1"])
        #expect(d.resource?.connections[1]?.peerDevices.count == 1)
        #expect(d.resource?.connections[1]?.paths.count == 1)
        #expect(d.resource?.connections[1]?.connectionState == .connected)
        #expect(d.resource?.connections[1]?.peerRole == .secondary)
    }

    @Test func pathChangesAreStoredAndReported() throws {
        var d = WorldDriver()
        try d.feed(resR, conR1)
        let created = try d.feed(pathR1)
        let key = PathKey(local: "ipv4:1.2.3.4:7789", peer: "ipv4:5.6.7.8:7790")
        #expect(created.map(\.kind) == [.path(peerNodeID: 1, key: key, old: false, new: false)])
        let ups = try d.feed("change path name:r peer-node-id:1 conn-name:p local:ipv4:1.2.3.4:7789 peer:ipv4:5.6.7.8:7790 established:yes")
        #expect(ups.map(\.kind) == [.path(peerNodeID: 1, key: key, old: false, new: true)])
        #expect(d.resource?.connections[1]?.paths[key]?.established == true)
    }

    @Test func unknownStateWordIsKept() throws {
        var d = WorldDriver()
        try d.feed(resR, devR0)
        try d.feed("change device name:r volume:0 disk:Quantum")
        #expect(d.resource?.devices[0]?.diskState == .other("Quantum"))
    }

    @Test func endMarkerAndHelpersChangeNothing() throws {
        var d = WorldDriver()
        try d.feed(resR)
        let g = d.world.generation
        #expect(try d.feed("exists -", "call helper name:r helper:x", "response helper name:r helper:x status:0").isEmpty)
        #expect(d.world.generation == g)
    }

    // MARK: destroying

    @Test func destroyYieldsOldStateAndRemoves() throws {
        var d = WorldDriver()
        try d.feed(resR, devR0, "create device name:r volume:1 disk:UpToDate")
        let ups = try d.feed("destroy device name:r volume:1")
        var old = DeviceState()
        old.diskState = .upToDate
        #expect(ups.map(\.kind) == [.device(volume: 1, old: old, new: DeviceState())])
        #expect(ups.first?.eventType == .destroy)
        #expect(ups.first?.resource.devices.keys.sorted() == [0], "the resource after the removal")
        #expect(d.resource?.devices.keys.sorted() == [0])
    }

    @Test func destroyOfUnknownObjectsYieldsNothing() throws {
        var d = WorldDriver()
        try d.feed(resR)
        let g = d.world.generation
        let ups = try d.feed(
            "destroy device name:r volume:9", "destroy connection name:r peer-node-id:9",
            "destroy peer-device name:r peer-node-id:9 volume:0", "destroy path name:r peer-node-id:9 local:a peer:b",
            "destroy resource name:ghost", "destroy device name:ghost volume:0")
        #expect(ups.isEmpty)
        #expect(d.world.generation == g)
        #expect(d.world.orphanRecords == 0, "a destroy of something absent is not an orphan")
        #expect(Array(d.world.resources.keys) == ["r"])
    }

    @Test func destroyResourceWithChildrenDestroysChildrenFirst() throws {
        var d = WorldDriver()
        try d.feed(resR, devR0, conR1, pdR10, pathR1, "change resource name:r role:Primary")
        let ups = try d.feed("destroy resource name:r")
        #expect(ups.map(updateLabel) == [
            "Destroy path 1 ipv4:1.2.3.4:7789", "Destroy peer-device 1/0", "Destroy connection 1", "Destroy device 0",
            "Destroy resource r",
        ])
        #expect(d.world.resources.isEmpty)
        guard case .resource(let old, let new) = ups.last?.kind else { Issue.record("the parser or World returned another kind of object"); return }
        #expect(old.role == .primary, "the last state")
        #expect(new == ResourceState())
        #expect(ups.last?.resource.role == .primary)
        #expect(ups.last?.resource.connections.isEmpty == true)
    }

    @Test func destroyConnectionTakesItsChildren() throws {
        var d = WorldDriver()
        try d.feed(resR, conR1, pdR10, pathR1)
        let ups = try d.feed("destroy connection name:r peer-node-id:1 conn-name:p")
        #expect(ups.map(updateLabel) == ["Destroy path 1 ipv4:1.2.3.4:7789", "Destroy peer-device 1/0", "Destroy connection 1"])
        #expect(d.resource?.connections.isEmpty == true)
    }

    @Test func recreateAfterDestroyStartsFromDefaults() throws {
        var d = WorldDriver()
        try d.feed(resR, "create device name:r volume:0 disk:UpToDate read:5", "destroy device name:r volume:0")
        let ups = try d.feed("create device name:r volume:0 disk:Diskless")
        guard case .device(_, let old, _) = ups.first?.kind else { Issue.record("the parser or World returned another kind of object"); return }
        #expect(old == DeviceState())
        #expect(d.resource?.devices[0]?.read == 0)
    }

    // MARK: rename

    @Test func renameMovesTheResource() throws {
        var d = WorldDriver()
        try d.feed(resR, devR0, "change resource name:r role:Primary")
        let ups = try d.feed("rename resource name:r new_name:s")
        #expect(d.world.resources["r"] == nil)
        #expect(d.world.resources["s"]?.name == "s")
        #expect(d.world.resources["s"]?.role == .primary)
        #expect(d.world.resources["s"]?.devices.count == 1)
        #expect(ups.map(updateLabel) == [
            "Destroy device 0", "Destroy resource r", "Create resource s", "Create device 0", "Change resource s",
        ])
        #expect(try d.feed("rename resource name:nobody new_name:x").isEmpty)
        #expect(d.world.resources.keys.sorted() == ["s"])
    }

    // MARK: replay and flush

    @Test func replayOrder() throws {
        var d = WorldDriver()
        try d.feed(
            resR, "create device name:r volume:1 disk:UpToDate", devR0, conR1, pdR10, pathR1,
            "create connection name:r peer-node-id:0 conn-name:q connection:Connected",
            "change resource name:r role:Primary may_promote:no promotion_score:10101",
            "create resource name:a role:Secondary")
        let g = d.world.generation
        let replay = d.world.replay()
        #expect(replay.map(updateLabel) == [
            "Exists resource a", "Change resource a",
            "Exists resource r", "Exists device 0", "Exists device 1", "Exists connection 0", "Exists connection 1",
            "Exists path 1 ipv4:1.2.3.4:7789", "Exists peer-device 1/0", "Change resource r",
        ])
        #expect(d.world.generation == g, "replay changes nothing")
        // The first update shows an empty resource; each step adds what it announces.
        let rFirst = replay[2]
        #expect(rFirst.kind == .resource(old: ResourceState(), new: ResourceState()))
        #expect(rFirst.resource.devices.isEmpty)
        #expect(rFirst.resource.role == .unknown)
        #expect(replay[3].resource.devices.keys.sorted() == [0])
        #expect(replay[6].resource.connections[1]?.peerDevices.isEmpty == true)
        #expect(replay[8].resource.connections[1]?.peerDevices.count == 1)
        // may_promote/role arrive last, with the full resource.
        guard case .resource(let old, let new) = replay[9].kind else { Issue.record("the parser or World returned another kind of object"); return }
        #expect(old == ResourceState())
        #expect(new.role == .primary)
        #expect(new.promotionScore == 10101)
        #expect(replay[9].resource == d.resource)
    }

    @Test func replayOfDefaultResourceHasNoFinalChange() throws {
        var d = WorldDriver()
        try d.feed("create resource name:r")
        #expect(d.world.replay().map(updateLabel) == ["Exists resource r"])
        #expect(World().replay().isEmpty)
    }

    @Test func removeAllDestroysEverythingChildrenFirst() throws {
        var d = WorldDriver()
        try d.feed(resR, devR0, conR1, pdR10, pathR1, "create resource name:b")
        let g = d.world.generation
        let ups = d.world.removeAll()
        #expect(ups.map(updateLabel) == [
            "Destroy resource b",
            "Destroy path 1 ipv4:1.2.3.4:7789", "Destroy peer-device 1/0", "Destroy connection 1", "Destroy device 0",
            "Destroy resource r",
        ])
        #expect(ups.allSatisfy { $0.eventType == .destroy })
        #expect(d.world.resources.isEmpty)
        #expect(d.world.generation > g)
        let g2 = d.world.generation
        #expect(d.world.removeAll().isEmpty)
        #expect(d.world.generation == g2)
    }

    // MARK: fixtures

    /// What each recorded output must leave in the World. Every fixture in the directory must be listed.
    static let fixtureExpectations: [String: @Sendable (WorldDriver) -> Void] = [
        "events2-all-create-change.full.events2": { expectAllCreateChange($0, statistics: true, writeOrdering: "none") },
        "events2-all-create-change.statistics.events2": { expectAllCreateChange($0, statistics: true, writeOrdering: "none") },
        "events2-all-create-change.plain.events2": { expectAllCreateChange($0, statistics: false, writeOrdering: "") },
        "events2-all-create-destroy.plain.events2": { d in
            #expect(d.world.resources.isEmpty)
            #expect(d.updates.suffix(5).map(updateLabel) == [
                "Destroy path 1 ipv4:1.2.3.4:7789", "Destroy peer-device 1/0", "Destroy connection 1", "Destroy device 0",
                "Destroy resource some-resource",
            ])
        },
        "events2-all-create-helper.plain.events2": { d in
            let r = d.world.resources["some-resource"]
            #expect(r?.role == .secondary)
            #expect(r?.devices[0]?.diskState == .diskless)
            #expect(r?.connections[1]?.connectionState == .standAlone)
            #expect(r?.connections[1]?.peerDevices[0]?.replicationState == .off)
            #expect(r?.connections[1]?.paths.values.first?.established == false)
            #expect(d.updates.count == 5, "helper lines yield nothing")
        },
        "events2-change-before-exists.plain.events2": { d in
            let r = d.world.resources["some-resource"]
            #expect(r?.role == .primary)
            #expect(r?.mayPromote == false)
            #expect(r?.promotionScore == 10101)
            #expect(r?.devices[0]?.diskState == .upToDate)
            #expect(r?.devices[0]?.backingDevice == "/dev/sda")
        },
        "events2-create-before-exists.plain.events2": expectSecondaryDiskless,
        "events2-exists-before-create.plain.events2": expectSecondaryDiskless,
        "events2-destroy-before-exists.plain.events2": expectEmpty,
        "events2-no-resources.plain.events2": expectEmpty,
        "events2-device-create-destroy.plain.events2": { d in
            #expect(d.world.resources.isEmpty)
            let devices = d.updates.filter { if case .device = $0.kind { true } else { false } }
            #expect(devices.filter { $0.eventType == .create }.count == 8)
            #expect(devices.filter { $0.eventType == .destroy }.count == 8)
        },
        "events2-first-out-of-order.plain.events2": expectTwoDevicesOneConnection,
        "events2-out-of-order.plain.events2": expectTwoDevicesOneConnection,
        "events2-may-promote-peer-data.plain.events2": { d in
            let r = d.world.resources["some-resource"]
            #expect(r?.mayPromote == true)
            #expect(r?.promotionScore == 1)
            #expect(r?.devices[0]?.diskState == .diskless)
            #expect(r?.connections[1]?.connectionState == .connected)
            #expect(r?.connections[1]?.peerDevices[0]?.peerDiskState == .upToDate)
            #expect(r?.connections[1]?.peerDevices[0]?.replicationState == .established)
        },
        "events2-may-promote-peer-role.plain.events2": { d in
            let r = d.world.resources["some-resource"]
            #expect(r?.mayPromote == false)
            #expect(r?.promotionScore == 10101)
            #expect(r?.connections[1]?.peerRole == .primary)
            #expect(r?.connections[1]?.connectionState == .connected, "kept from the earlier line")
        },
        "events2-may-promote-quorum.plain.events2": { d in
            let r = d.world.resources["some-resource"]
            #expect(r?.mayPromote == false)
            #expect(r?.promotionScore == 0)
            #expect(r?.devices[0]?.quorum == false)
            #expect(r?.devices[0]?.diskState == .upToDate)
        },
        "events2-promotion-score-devices.plain.events2": { d in
            let r = d.world.resources["some-resource"]
            #expect(r?.mayPromote == true)
            #expect(r?.promotionScore == 10201)
            #expect(r?.devices.keys.sorted() == [0, 1])
            #expect(r?.devices.values.allSatisfy { $0.diskState == .upToDate } == true)
        },
        "events2-promotion-score-inconsistent.plain.events2": { d in
            let r = d.world.resources["some-resource"]
            #expect(r?.devices[0]?.diskState == .inconsistent)
            #expect(r?.mayPromote == true)
            #expect(r?.promotionScore == 10001)
            #expect(r?.connections[1]?.peerDevices[0]?.peerDiskState == .upToDate)
        },
        "events2-resource-create-destroy.plain.events2": { d in
            #expect(d.world.resources.isEmpty)
            #expect(d.updates.map(updateLabel) == ["Create resource some-resource", "Destroy resource some-resource"])
        },
        "events2-resource-exists.plain.events2": { d in
            let r = d.world.resources["some-resource"]
            #expect(r?.role == .secondary)
            #expect(r?.devices.isEmpty == true)
            #expect(d.updates.map(updateLabel) == ["Exists resource some-resource"])
        },
        "events2-sync.plain.events2": { d in
            let pd = d.world.resources["some-resource"]?.connections[1]?.peerDevices[0]
            #expect(pd?.replicationState == .syncSource)
            #expect(pd?.peerDiskState == .inconsistent)
            #expect(pd?.outOfSync == 0)
        },
        "events2-sync.statistics.events2": { d in
            let pd = d.world.resources["some-resource"]?.connections[1]?.peerDevices[0]
            #expect(pd?.replicationState == .syncSource)
            #expect(pd?.outOfSync == 2500)
            #expect(pd?.received == 5)
            #expect(d.world.resources["some-resource"]?.devices[0]?.alWrites == 40)
        },
    ]

    @Test func everyFixtureHasAnExpectation() throws {
        #expect(Set(try DRBDFixtures.names()) == Set(Self.fixtureExpectations.keys))
    }

    @Test(arguments: try DRBDFixtures.names())
    func fixtureLeavesExpectedWorld(_ name: String) throws {
        var d = WorldDriver()
        try d.feed(try DRBDFixtures.lines(name))
        #expect(d.world.orphanRecords == 0)
        guard let check = Self.fixtureExpectations[name] else {
            Issue.record("no expectation written down for \(name)")
            return
        }
        check(d)
        // A replay of the end state, applied to a fresh World, rebuilds the same World.
        #expect(rebuild(from: d.world.replay()) == d.world.resources)
    }

    static func expectEmpty(_ d: WorldDriver) {
        #expect(d.world.resources.isEmpty)
        #expect(d.updates.isEmpty)
    }

    static func expectSecondaryDiskless(_ d: WorldDriver) {
        let r = d.world.resources["some-resource"]
        #expect(r?.role == .secondary)
        #expect(r?.devices[0]?.diskState == .diskless)
        #expect(r?.devices[0]?.backingDevice == nil)
        #expect(r?.devices[0]?.minor == 1000)
        #expect(d.updates.map { $0.eventType } == [.exists, .exists])
    }

    static func expectTwoDevicesOneConnection(_ d: WorldDriver) {
        let r = d.world.resources["some-resource"]
        #expect(r?.devices.keys.sorted() == [0, 1])
        #expect(r?.devices[1]?.minor == 1001)
        #expect(r?.connections.keys.sorted() == [1])
        #expect(r?.connections[1]?.connectionName == "some-peer")
    }

    static func expectAllCreateChange(_ d: WorldDriver, statistics: Bool, writeOrdering: String) {
        guard let r = d.world.resources["some-resource"] else {
            Issue.record("resource missing")
            return
        }
        #expect(r.role == .primary)
        #expect(r.mayPromote == false)
        #expect(r.promotionScore == 10102)
        #expect(r.suspended == false)
        #expect(r.writeOrdering == writeOrdering)
        let dev = r.devices[0]
        #expect(dev?.diskState == .upToDate)
        #expect(dev?.backingDevice == "/dev/sda")
        #expect(dev?.minor == 1000)
        #expect(dev?.quorum == true)
        #expect(dev?.size == (statistics ? 5 : 0))
        #expect(dev?.read == (statistics ? 10 : 0))
        #expect(dev?.written == (statistics ? 15 : 0))
        #expect(dev?.bmWrites == (statistics ? 50 : 0))
        #expect(dev?.upperPending == (statistics ? 60 : 0))
        #expect(dev?.lowerPending == (statistics ? 70 : 0))
        let c = r.connections[1]
        #expect(c?.connectionName == "some-peer")
        #expect(c?.connectionState == .connected)
        #expect(c?.peerRole == .secondary)
        #expect(c?.apInFlight == (statistics ? 10 : 0))
        #expect(c?.rsInFlight == (statistics ? 20 : 0))
        let pd = c?.peerDevices[0]
        #expect(pd?.replicationState == .established)
        #expect(pd?.peerDiskState == .upToDate)
        #expect(pd?.sent == (statistics ? 10 : 0))
        #expect(pd?.pending == (statistics ? 30 : 0))
        #expect(pd?.unacked == (statistics ? 40 : 0))
        #expect(c?.paths.count == 1)
        #expect(c?.paths.values.first?.established == true)
        // The last update is the promotion.
        guard case .resource(let old, let new)? = d.updates.last?.kind else {
            Issue.record("last update is not the resource")
            return
        }
        #expect(old.role == .secondary)
        #expect(new.role == .primary)
    }

    /// The resources a plugin would reconstruct from replay updates (each update carries its resource).
    func rebuild(from updates: [StateUpdate]) -> [String: Resource] {
        var out: [String: Resource] = [:]
        for u in updates { out[u.resourceName] = u.resource }
        return out
    }
}
