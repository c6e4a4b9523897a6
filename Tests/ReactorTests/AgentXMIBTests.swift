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

/// The World of the e2e scenario (two resources, three devices, five peer devices).
func scenarioWorld() throws -> World {
    let path = String(#filePath.dropLast("ReactorTests/AgentXMIBTests.swift".count)) + "e2e/data/prometheus.full.events2"
    let text = String(decoding: try FileSystem.readFile(path), as: UTF8.self)
    var driver = WorldDriver()
    try driver.feed(text.split(separator: "\n").map(String.init))
    return driver.world
}

@Suite struct AgentXMIBTests {
    let versions = DRBDVersions(kmod: "9.2.11", utils: "9.29.0")

    func snapshot(peerStates: Bool = true) throws -> MIBSnapshot {
        DRBDMIB.snapshot(resources: try scenarioWorld().resources, versions: versions, peerStates: peerStates)
    }

    func value(_ mib: MIBSnapshot, _ column: UInt32, _ minor: UInt32) -> AgentXValue {
        mib.get(DRBDMIB.entry.appending(column, minor)).value
    }

    @Test func scalarsAndRowsFollowTheScenario() throws {
        let mib = try snapshot()
        #expect(mib.get(DRBDMIB.moduleVersion).value == .string("9.2.11"))
        #expect(mib.get(DRBDMIB.utilsVersion).value == .string("9.29.0"))
        // 2 scalars + 49 columns x 3 minors, sorted.
        #expect(mib.entries.count == 2 + 49 * 3)
        #expect(zip(mib.entries, mib.entries.dropFirst()).allSatisfy { $0.name < $1.name })
        #expect(value(mib, 1, 1000) == .integer(1000))
        #expect(value(mib, 2, 1002) == .string("r1"))
        #expect(value(mib, 3, 1000) == .string("Primary"))
        #expect(value(mib, 3, 1002) == .string("Secondary"))
        #expect(value(mib, 4, 1000) == .truth(false))
        #expect(value(mib, 5, 1001) == .string("flush"))
        #expect(value(mib, 6, 1000) == .integer(2))
        #expect(value(mib, 7, 1000) == .integer(2))
        #expect(value(mib, 8, 1001) == .integer(10102))
        #expect(value(mib, 9, 1001) == .integer(1))
        #expect(value(mib, 10, 1002) == .string("Diskless"))
        #expect(value(mib, 11, 1000) == .string("/dev/vg0/r0_00000"))
        #expect(value(mib, 11, 1002) == .string("none"))
        #expect(value(mib, 12, 1002) == .integer(2))
        #expect(value(mib, 13, 1000) == .integer(1))
        #expect(value(mib, 14, 1000) == .gauge32(1_048_576))
        #expect(value(mib, 15, 1000) == .gauge32(1024))
        #expect(value(mib, 16, 1000) == .counter64(2048))
        #expect(value(mib, 17, 1001) == .counter64(300))
        #expect(value(mib, 18, 1000) == .counter64(12))
        #expect(value(mib, 19, 1000) == .counter64(3))
        #expect(value(mib, 20, 1000) == .gauge32(1))
        #expect(value(mib, 21, 1000) == .gauge32(2))
        #expect(value(mib, 22, 1000) == .integer(2))
        #expect(value(mib, 23, 1000) == .string("no"))
    }

    @Test func peerColumnsCountPeersOfTheSameVolume() throws {
        let mib = try snapshot()
        #expect(value(mib, 24, 1000) == .integer(2))  // r0/0: node-b and node-c
        #expect(value(mib, 34, 1000) == .integer(2))  // both UpToDate
        #expect(value(mib, 34, 1001) == .integer(1))
        #expect(value(mib, 30, 1001) == .integer(1))  // node-c Inconsistent
        #expect(value(mib, 36, 1001) == .integer(1))  // node-b Established
        #expect(value(mib, 42, 1001) == .integer(1))  // node-c SyncSource
        #expect(value(mib, 24, 1002) == .integer(1))
        #expect(value(mib, 32, 1002) == .integer(1))  // DUnknown
        #expect(value(mib, 35, 1002) == .integer(1))  // Off
        #expect(value(mib, 49, 1002) == .integer(0))
    }

    @Test func withoutPeerStatesThereAreNoPeerColumns() throws {
        let mib = try snapshot(peerStates: false)
        #expect(mib.entries.count == 2 + 23 * 3)
        #expect(value(mib, 24, 1000) == .noSuchObject)
        #expect(mib.next(SearchRange(start: DRBDMIB.entry.appending(23, 1002))).value == .endOfMibView)
    }

    @Test func getTellsMissingObjectsFromMissingInstances() throws {
        let mib = try snapshot()
        #expect(value(mib, 3, 999) == .noSuchInstance)
        #expect(value(mib, 50, 1000) == .noSuchObject)
        #expect(mib.get(DRBDMIB.moduleVersion.appending(0)).value == .noSuchInstance)
        #expect(mib.get([1, 3, 6, 1, 2, 1]).value == .noSuchObject)
    }

    @Test func getNextWalksInLexicographicOrder() throws {
        let mib = try snapshot()
        #expect(mib.next(SearchRange(start: DRBDMIB.root)).name == DRBDMIB.moduleVersion)
        #expect(mib.next(SearchRange(start: DRBDMIB.moduleVersion, include: true)).name == DRBDMIB.moduleVersion)
        #expect(mib.next(SearchRange(start: DRBDMIB.moduleVersion)).name == DRBDMIB.utilsVersion)
        #expect(mib.next(SearchRange(start: DRBDMIB.utilsVersion)).name == DRBDMIB.entry.appending(1, 1000))
        #expect(mib.next(SearchRange(start: DRBDMIB.entry.appending(1, 1002))).name == DRBDMIB.entry.appending(2, 1000))
        // Past the end, and bounded by an end OID: endOfMibView named by the start.
        let last = DRBDMIB.entry.appending(49, 1002)
        #expect(mib.next(SearchRange(start: last)) == VarBind(last, .endOfMibView))
        let bounded = SearchRange(start: DRBDMIB.utilsVersion, end: DRBDMIB.entry.appending(1, 1000))
        #expect(mib.next(bounded) == VarBind(DRBDMIB.utilsVersion, .endOfMibView))
        // A full walk visits every entry once.
        var walked: [OID] = []
        var at = DRBDMIB.root
        while case let vb = mib.next(SearchRange(start: at)), vb.value != .endOfMibView {
            walked.append(vb.name)
            at = vb.name
        }
        #expect(walked == mib.entries.map(\.name))
    }

    @Test func getBulkRepeatsAndStops() throws {
        let mib = try snapshot()
        let r = [SearchRange(start: DRBDMIB.root), SearchRange(start: DRBDMIB.entry.appending(2))]
        let out = mib.bulk(nonRepeaters: 1, maxRepetitions: 3, r, limit: 1000)
        #expect(out.map(\.name) == [DRBDMIB.moduleVersion] + [1000, 1001, 1002].map { DRBDMIB.entry.appending(2, $0) })
        // All repeaters at the end: stops after that round.
        let end = mib.bulk(nonRepeaters: 0, maxRepetitions: 100, [SearchRange(start: DRBDMIB.entry.appending(49, 1001))], limit: 1000)
        #expect(end.map(\.value) == [.integer(0), .endOfMibView])
        #expect(mib.bulk(nonRepeaters: 0, maxRepetitions: 1000, [SearchRange(start: DRBDMIB.root)], limit: 10).count == 10)
        #expect(mib.bulk(nonRepeaters: 5, maxRepetitions: 5, r, limit: 1000).count == 2)
    }

    @Test func sizesScaleToFitAGauge() {
        #expect(DRBDMIB.scaledSize(kib: 1_048_576) == (1_048_576, 1024))
        #expect(DRBDMIB.scaledSize(kib: UInt64(UInt32.max)) == (UInt32.max, 1024))
        #expect(DRBDMIB.scaledSize(kib: UInt64(UInt32.max) + 1) == (4_194_304, 1_048_576))
        #expect(DRBDMIB.scaledSize(kib: UInt64.max).units == 1 << 30)
    }

    @Test func cacheRebuildsOnlyWhenChangedAndOld() throws {
        let resources = try scenarioWorld().resources
        var cache = MIBCache(maxAge: .seconds(60), peerStates: true)
        let t0 = Instant(nanoseconds: 1_000_000_000)
        func take(_ access: MIBCache.Access, _ at: Instant, _ generation: UInt64) -> MIBSnapshot {
            cache.snapshot(for: access, now: at, generation: generation, versions: versions) { resources }
        }
        _ = take(.get, t0, 1)
        _ = take(.get, t0 + .seconds(100), 1)  // unchanged: no rebuild however old
        #expect(cache.builds == 1)
        _ = take(.get, t0 + .seconds(110), 2)  // changed and old
        #expect(cache.builds == 2)
        _ = take(.get, t0 + .seconds(120), 3)  // changed but young
        #expect(cache.builds == 2)
    }

    @Test func aWalkKeepsItsSnapshot() throws {
        let resources = try scenarioWorld().resources
        var cache = MIBCache(maxAge: .zero, peerStates: true)
        let t0 = Instant(nanoseconds: 1_000_000_000)
        func take(_ access: MIBCache.Access, _ at: Duration, _ generation: UInt64) -> MIBSnapshot {
            cache.snapshot(for: access, now: t0 + at, generation: generation, versions: versions) { resources }
        }
        let walk = take(.walk, .zero, 1)
        cache.walked([walk.entries[0]], now: t0)
        _ = take(.walk, .seconds(5), 2)  // same walk: no rebuild although the World changed
        #expect(cache.builds == 1)
        _ = take(.get, .seconds(5), 2)  // a Get is not part of the walk
        #expect(cache.builds == 2)
        cache.walked([VarBind(DRBDMIB.root, .endOfMibView)], now: t0 + .seconds(5))
        _ = take(.walk, .seconds(6), 3)  // the walk ended: the next one starts fresh
        #expect(cache.builds == 3)
        cache.walked([walk.entries[0]], now: t0 + .seconds(6))
        _ = take(.walk, .seconds(30), 4)  // no GetNext for longer than the walk window
        #expect(cache.builds == 4)
    }
}
