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

    /// The daemon's per-line step: the bytes of a line parsed and applied in one call, the end marker
    /// told apart, garbage refused with the parser's error and the World left as it was.
    @Test func applyLineParsesAppliesAndFlagsTheEndMarker() throws {
        var world = World()
        func bytes(_ s: String) -> ArraySlice<UInt8> { Array(s.utf8)[...] }
        let created = try world.apply(line: bytes(resR))
        #expect(created.updates.map(updateLabel) == ["Create resource r"])
        #expect(!created.endOfInitialState)
        let marker = try world.apply(line: bytes("exists -"))
        #expect(marker.updates.isEmpty)
        #expect(marker.endOfInitialState)
        let g = world.generation
        #expect(throws: Events2ParseError.self) { try world.apply(line: bytes("create nonsense name:r")) }
        #expect(world.generation == g)
        #expect(world.resources["r"]?.role == .secondary)
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

    // MARK: corpus

    /// What each corpus file must leave in the World, said in facts (the `.world` dumps say it whole).
    static let fixtureExpectations: [String: @Sendable (WorldDriver, Int) -> Void] = [
        "lifecycle.full.events2": { d, ignored in
            #expect(ignored == 0)
            #expect(d.world.resources.keys.sorted() == ["db", "web"])
            let web = d.world.resources["web"]
            #expect(web?.role == .primary)
            #expect(web?.promotionScore == 10202)
            #expect(web?.writeOrdering == "flush")
            #expect(web?.devices[0]?.diskState == .upToDate)
            #expect(web?.devices[0]?.open == true)
            #expect(web?.devices[0]?.read == 100)
            #expect(web?.devices[1]?.alWrites == 5)
            #expect(web?.devices[1]?.blocked == "upper")
            let beta = web?.connections[2]
            #expect(beta?.connectionState == .connected)
            #expect(beta?.paths.values.first?.established == true)
            #expect(beta?.peerDevices[0]?.replicationState == .established)
            #expect(beta?.peerDevices[0]?.outOfSync == 0)
            #expect(beta?.peerDevices[0]?.received == 1048576)
            #expect(d.world.resources["db"]?.devices[0]?.client == true)
            #expect(d.world.resources["db"]?.devices[0]?.backingDevice == nil)
            // The last change of the resource is the promotion.
            let promotion = d.updates.last { if case .resource = $0.kind { true } else { false } }
            if case .resource(let old, let new)? = promotion?.kind {
                #expect(old.role == .secondary && new.role == .primary)
            } else {
                Issue.record("no resource update")
            }
        },
        "create-destroy.plain.events2": { d, ignored in
            #expect(ignored == 0)
            #expect(d.world.resources.keys.sorted() == ["keep"])
            #expect(d.updates.filter { $0.eventType == .destroy }.map(updateLabel) == [
                "Destroy path 1 ipv6:[fd00::1]:7001", "Destroy peer-device 1/0", "Destroy connection 1", "Destroy device 0",
                "Destroy resource tmp",
            ])
        },
        "rename-and-helper.plain.events2": { d, ignored in
            #expect(ignored == 0)
            #expect(d.world.resources["old"] == nil)
            let r = d.world.resources["new"]
            #expect(r?.role == .primary)
            #expect(r?.connections[3]?.connectionName == "delta")
            #expect(r?.connections[3]?.congested == true)
            #expect(r?.devices[0]?.minor == 40)
        },
        "out-of-order.plain.events2": { d, ignored in
            #expect(ignored == 0)
            #expect(d.world.resources["ghost"] == nil)
            #expect(d.world.orphanRecords > 0)
            #expect(d.world.resources["late"]?.role == .primary)
        },
        "oddities.plain.events2": { d, ignored in
            // garbage, unknown object, bad number, binary junk; the over-long line never reaches the parser
            #expect(ignored == 4)
            let r = d.world.resources["odd"]
            #expect(r?.role == .primary)
            #expect(r?.promotionScore == 7)
            #expect(r?.devices[0]?.diskState == .outdated)
            #expect(r?.devices[0]?.quorum == false)
        },
        "crlf.plain.events2": { d, ignored in
            #expect(ignored == 0)
            #expect(d.world.resources["crlf"]?.devices[0]?.backingDevice == "/dev/vg0/crlf")
        },
        "empty.plain.events2": { d, ignored in
            #expect(ignored == 0)
            #expect(d.world.resources.isEmpty && d.updates.isEmpty)
        },
    ]

    @Test func everyFixtureHasAnExpectation() throws {
        #expect(Set(try DRBDFixtures.names()) == Set(Self.fixtureExpectations.keys))
    }

    @Test(arguments: try DRBDFixtures.names())
    func fixtureLeavesExpectedWorld(_ name: String) throws {
        var d = WorldDriver()
        let ignored = d.feedLeniently(try DRBDFixtures.rawLines(name))
        let check = try #require(Self.fixtureExpectations[name], "no expectation written down for \(name)")
        check(d, ignored)
        // A replay of the end state, applied to a fresh World, rebuilds the same World.
        #expect(rebuild(from: d.world.replay()) == d.world.resources)
    }

    /// The resources a plugin would reconstruct from replay updates (each update carries its resource).
    func rebuild(from updates: [StateUpdate]) -> [String: Resource] {
        var out: [String: Resource] = [:]
        for u in updates { out[u.resourceName] = u.resource }
        return out
    }
}
