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

/// Parses `line` or fails the test with the parse error.
func parseEvents2(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Events2Record {
    do {
        return try Events2Parser.parse(line)
    } catch {
        Issue.record("parse failed: \(error) for \(line)", sourceLocation: sourceLocation)
        throw error
    }
}

/// The parse error of `line` (nil when it parsed).
func events2Error(_ line: String) -> Events2ParseError? {
    do {
        _ = try Events2Parser.parse(line)
        return nil
    } catch {
        return error
    }
}

@Suite struct Events2ParserTests {
    // MARK: every key of every object

    @Test func resourceAllKeys() throws {
        let r = try parseEvents2(
            "exists resource name:foo role:Primary suspended:yes force-io-failures:yes write-ordering:flush may_promote:yes promotion_score:23")
        #expect(r.verb == .exists)
        #expect(r.unknownKeys.isEmpty)
        var want = Events2Resource(name: "foo")
        want.role = .primary
        want.suspended = true
        want.forceIOFailures = true
        want.writeOrdering = "flush"
        want.mayPromote = true
        want.promotionScore = 23
        #expect(r.object == .resource(want))
    }

    @Test func deviceAllKeys() throws {
        let r = try parseEvents2(
            "change device name:foo volume:1 minor:2 disk:Attaching backing_dev:/dev/sda1 client:no open:yes quorum:yes size:3 read:4 written:5 al-writes:6 bm-writes:7 upper-pending:8 lower-pending:9 al-suspended:yes blocked:upper,lower")
        var want = Events2Device(name: "foo", volume: 1)
        want.minor = 2
        want.diskState = .attaching
        want.backingDevice = .some("/dev/sda1")
        want.client = false
        want.open = true
        want.quorum = true
        (want.size, want.read, want.written, want.alWrites, want.bmWrites) = (3, 4, 5, 6, 7)
        (want.upperPending, want.lowerPending) = (8, 9)
        want.alSuspended = true
        want.blocked = "upper,lower"
        #expect(r.verb == .change)
        #expect(r.object == .device(want))
        #expect(r.unknownKeys.isEmpty)
    }

    @Test func backingDevNoneIsPresentButNil() throws {
        guard case .device(let d) = try parseEvents2("create device name:r volume:0 backing_dev:none").object else {
            Issue.record("not a device")
            return
        }
        #expect(d.backingDevice == .some(nil))
        guard case .device(let absent) = try parseEvents2("change device name:r volume:0 disk:Failed").object else { Issue.record("the parser or World returned another kind of object"); return }
        #expect(absent.backingDevice == nil)
        #expect(absent.minor == nil)
        #expect(absent.diskState == .failed)
    }

    @Test func connectionAllKeys() throws {
        let r = try parseEvents2(
            "exists connection name:foo peer-node-id:1 conn-name:bar connection:Connected role:Primary congested:yes ap-in-flight:11 rs-in-flight:12")
        var want = Events2Connection(name: "foo", peerNodeID: 1)
        want.connectionName = "bar"
        want.connectionState = .connected
        want.peerRole = .primary
        want.congested = true
        want.apInFlight = 11
        want.rsInFlight = 12
        #expect(r.object == .connection(want))
    }

    @Test func peerDeviceAllKeysAndIgnoredProgress() throws {
        let r = try parseEvents2(
            "change peer-device name:foo peer-node-id:1 conn-name:bar volume:2 replication:SyncTarget peer-disk:UpToDate peer-client:yes resync-suspended:dependency done:37.50 received:3 sent:4 out-of-sync:5 pending:6 unacked:7 dbdt1:0.24 eta:nan")
        var want = Events2PeerDevice(name: "foo", peerNodeID: 1, volume: 2)
        want.connectionName = "bar"
        want.replicationState = .syncTarget
        want.peerDiskState = .upToDate
        want.peerClient = true
        want.resyncSuspended = true
        (want.received, want.sent, want.outOfSync, want.pending, want.unacked) = (3, 4, 5, 6, 7)
        #expect(r.object == .peerDevice(want))
        #expect(r.unknownKeys.isEmpty, "done/dbdt1/eta are known and ignored")
    }

    @Test func pathIPv4AndIPv6SplitAtFirstColon() throws {
        let v4 = try parseEvents2(
            "change path name:foo peer-node-id:3 conn-name:bar local:ipv4:1.2.3.4:7020 peer:ipv4:1.2.3.5:7020 established:yes")
        var want = Events2Path(name: "foo", peerNodeID: 3, key: PathKey(local: "ipv4:1.2.3.4:7020", peer: "ipv4:1.2.3.5:7020"))
        want.connectionName = "bar"
        want.established = true
        #expect(v4.object == .path(want))

        let v6 = try parseEvents2(
            "create path name:foo peer-node-id:3 conn-name:bar local:ipv6:[fd00::1]:7789 peer:ipv6:[fe80::2%eth0]:7789 established:no")
        guard case .path(let p) = v6.object else {
            Issue.record("not a path")
            return
        }
        #expect(p.key == PathKey(local: "ipv6:[fd00::1]:7789", peer: "ipv6:[fe80::2%eth0]:7789"))
        #expect(p.established == false)
    }

    @Test func helperCallAndResponse() throws {
        let call = try parseEvents2("call helper name:r peer-node-id:2 conn-name:c volume:0 minor:3 helper:before-resync-target")
        var want = Events2Helper(name: "r", helper: "before-resync-target")
        (want.peerNodeID, want.connectionName, want.volume, want.minor) = (2, "c", 0, 3)
        #expect(call.verb == .call)
        #expect(call.object == .helper(want))
        let response = try parseEvents2("response helper name:r peer-node-id:2 conn-name:c helper:disconnected status:-1")
        guard case .helper(let h) = response.object else { Issue.record("the parser or World returned another kind of object"); return }
        #expect(response.verb == .response)
        #expect(h.status == -1)
        #expect(h.helper == "disconnected")
    }

    @Test func endOfInitialStateAndRename() throws {
        #expect(try parseEvents2("exists -") == Events2Record(verb: .exists, object: .endOfInitialState))
        let rename = try parseEvents2("rename resource name:a new_name:b")
        var want = Events2Resource(name: "a")
        want.newName = "b"
        #expect(rename == Events2Record(verb: .rename, object: .resource(want)))
    }

    @Test func verbsMapToEventTypes() throws {
        for (verb, type) in [("exists", EventType.exists), ("create", .create), ("change", .change), ("destroy", .destroy)] {
            let r = try parseEvents2("\(verb) resource name:r")
            #expect(r.verb.eventType == type)
        }
        #expect(Events2Verb.rename.eventType == nil)
        #expect(Events2Verb.call.eventType == nil)
    }

    @Test func partialLineCarriesOnlyItsKeys() throws {
        let r = try parseEvents2("change resource name:some-resource may_promote:yes promotion_score:10101")
        var want = Events2Resource(name: "some-resource")
        want.mayPromote = true
        want.promotionScore = 10101
        #expect(r.object == .resource(want))
    }

    // MARK: spellings

    @Test(arguments: Role.known) func roleSpellings(_ role: Role) throws {
        let r = try parseEvents2("change connection name:r peer-node-id:1 role:\(role)")
        guard case .connection(let c) = r.object else { Issue.record("the parser or World returned another kind of object"); return }
        #expect(c.peerRole == role)
        guard case .resource(let res) = try parseEvents2("change resource name:r role:\(role)").object else { Issue.record("the parser or World returned another kind of object"); return }
        #expect(res.role == role)
    }

    @Test(arguments: DiskState.known) func diskStateSpellings(_ disk: DiskState) throws {
        guard case .device(let d) = try parseEvents2("change device name:r volume:0 disk:\(disk)").object,
            case .peerDevice(let p) = try parseEvents2("change peer-device name:r peer-node-id:1 volume:0 peer-disk:\(disk)").object
        else {
            Issue.record("wrong object")
            return
        }
        #expect(d.diskState == disk)
        #expect(p.peerDiskState == disk)
    }

    @Test(arguments: ConnectionState.known) func connectionStateSpellings(_ state: ConnectionState) throws {
        guard case .connection(let c) = try parseEvents2("change connection name:r peer-node-id:1 connection:\(state)").object else { Issue.record("the parser or World returned another kind of object"); return }
        #expect(c.connectionState == state)
    }

    @Test(arguments: ReplicationState.known) func replicationStateSpellings(_ state: ReplicationState) throws {
        guard case .peerDevice(let p) = try parseEvents2("change peer-device name:r peer-node-id:1 volume:0 replication:\(state)").object else { Issue.record("the parser or World returned another kind of object"); return }
        #expect(p.replicationState == state)
    }

    @Test func spellingsAreExact() throws {
        guard case .device(let d) = try parseEvents2("change device name:r volume:0 disk:uptodate").object else { Issue.record("the parser or World returned another kind of object"); return }
        #expect(d.diskState == .other("uptodate"))
    }

    @Test func unknownStateWordKeepsTheLine() throws {
        let r = try parseEvents2("change resource name:r role:Sideways may_promote:yes promotion_score:5")
        var want = Events2Resource(name: "r")
        want.role = .other("Sideways")
        want.mayPromote = true
        want.promotionScore = 5
        #expect(r.object == .resource(want))
        guard case .peerDevice(let p) = try parseEvents2("change peer-device name:r peer-node-id:1 volume:0 replication:WFNewState peer-disk:Quantum").object else { Issue.record("the parser or World returned another kind of object"); return }
        #expect(p.replicationState == .other("WFNewState"))
        #expect(p.peerDiskState == .other("Quantum"))
    }

    @Test(arguments: [
        ("yes", true), ("no", false), ("true", true), ("false", false), ("user", true), ("quorum,user", true),
        ("no-data", true), ("unknown", true),
    ])
    func resourceBools(_ word: String, _ value: Bool) throws {
        guard case .resource(let r) = try parseEvents2("change resource name:r suspended:\(word) force-io-failures:\(word) may_promote:\(word)").object else { Issue.record("the parser or World returned another kind of object"); return }
        #expect(r.suspended == value)
        #expect(r.forceIOFailures == value)
        #expect(r.mayPromote == value)
    }

    @Test func unknownIsFalseForClientOpenAndPeerClient() throws {
        guard case .device(let d) = try parseEvents2("change device name:r volume:0 client:unknown open:unknown quorum:unknown").object,
            case .peerDevice(let p) = try parseEvents2("change peer-device name:r peer-node-id:1 volume:0 peer-client:unknown resync-suspended:peer").object
        else { Issue.record("the parser or World returned another kind of object"); return }
        #expect(d.client == false)
        #expect(d.open == false)
        #expect(d.quorum == true, "only client/open/peer-client treat 'unknown' as false")
        #expect(p.peerClient == false)
        #expect(p.resyncSuspended == true)
    }

    // MARK: numbers

    @Test func countersAre64Bit() throws {
        guard case .device(let d) = try parseEvents2("change device name:r volume:0 size:18446744073709551615 read:4294967296").object else { Issue.record("the parser or World returned another kind of object"); return }
        #expect(d.size == UInt64.max)
        #expect(d.read == 4_294_967_296)
        #expect(events2Error("change device name:r volume:0 size:18446744073709551616")
            == .badNumber(key: "size", value: "18446744073709551616"))
    }

    @Test func signed32BitFields() throws {
        guard case .resource(let r) = try parseEvents2("change resource name:r promotion_score:-2147483648").object else { Issue.record("the parser or World returned another kind of object"); return }
        #expect(r.promotionScore == Int32.min)
        #expect(events2Error("change resource name:r promotion_score:2147483648")
            == .badNumber(key: "promotion_score", value: "2147483648"))
        #expect(events2Error("change device name:r volume:-") == .badNumber(key: "volume", value: "-"))
        #expect(events2Error("change device name:r volume:+1") == .badNumber(key: "volume", value: "+1"))
    }

    // MARK: malformed lines

    @Test(arguments: [
        ("", Events2ParseError.emptyLine),
        ("  \t ", .emptyLine),
        ("garbage", .unknownVerb("garbage")),
        ("xxx resource name:foo", .unknownVerb("xxx")),
        ("EXISTS resource name:foo", .unknownVerb("EXISTS")),
        ("exists", .missingObject(verb: .exists)),
        ("exists xxx name:foo", .unknownObject(verb: .exists, object: "xxx")),
        ("call helper", .missingKey(object: "helper", key: "name")),
        ("response helper", .missingKey(object: "helper", key: "name")),
        ("call helper name:r", .missingKey(object: "helper", key: "helper")),
        ("call resource name:r", .verbObjectMismatch(verb: .call, object: "resource")),
        ("exists helper name:r helper:x", .verbObjectMismatch(verb: .exists, object: "helper")),
        ("rename device name:r volume:0", .verbObjectMismatch(verb: .rename, object: "device")),
        ("change -", .verbObjectMismatch(verb: .change, object: "-")),
        ("rename resource name:a", .missingKey(object: "resource", key: "new_name")),
        ("change resource role:Primary", .missingKey(object: "resource", key: "name")),
        ("change device name:r minor:1", .missingKey(object: "device", key: "volume")),
        ("change connection name:r", .missingKey(object: "connection", key: "peer-node-id")),
        ("change peer-device name:r peer-node-id:1", .missingKey(object: "peer-device", key: "volume")),
        ("change path name:r peer-node-id:1 local:ipv4:1.2.3.4:1", .missingKey(object: "path", key: "peer")),
        ("change device name:r volume:zero", .badNumber(key: "volume", value: "zero")),
        ("change device name:r volume:0 size:12k", .badNumber(key: "size", value: "12k")),
        ("change resource name:r role:", .missingValue(key: "role")),
        ("change resource name:", .missingValue(key: "name")),
        ("change device name:r volume:0 backing_dev:", .missingValue(key: "backing_dev")),
    ])
    func malformedLines(_ line: String, _ error: Events2ParseError) {
        #expect(events2Error(line) == error)
    }

    @Test func errorsDescribeFieldAndValue() {
        #expect(Events2ParseError.badNumber(key: "size", value: "12k").description == "'size' is not a number in range: '12k'")
        #expect(Events2ParseError.missingKey(object: "device", key: "volume").description == "device line without 'volume'")
        #expect(Events2ParseError.unknownObject(verb: .exists, object: "xxx").description == "unknown object 'xxx' after 'exists'")
    }

    @Test func unknownKeysAreReportedNotFatal() throws {
        let r = try parseEvents2(
            "exists resource xxx:bla name:foo role:Primary suspended:yes write-ordering:foo may_promote:yes promotion_score:23 lonely future-key:1:2")
        #expect(r.unknownKeys == ["xxx", "lonely", "future-key"])
        guard case .resource(let res) = r.object else { Issue.record("the parser or World returned another kind of object"); return }
        #expect(res.name == "foo")
        #expect(res.promotionScore == 23)
        let c = try parseEvents2("change connection name:r peer-node-id:1 connection:StandAlone sync-state:SplitBrain")
        #expect(c.unknownKeys == ["sync-state"])
    }

    @Test func whitespaceAndBytes() throws {
        let r = try parseEvents2("\tchange   device\tname:r volume:0 disk:UpToDate\r")
        guard case .device(let d) = r.object else { Issue.record("the parser or World returned another kind of object"); return }
        #expect(d.diskState == .upToDate)
        // Invalid UTF-8 in a value is replaced, not fatal.
        let bytes = Array("change resource name:r".utf8) + [0xFF, 0xFE] + Array(" role:Primary".utf8)
        let bad = try Events2Parser.parse(bytes)
        guard case .resource(let res) = bad.object else { Issue.record("the parser or World returned another kind of object"); return }
        #expect(res.role == .primary)
        #expect(res.name.hasPrefix("r"))
        // A slice of a larger buffer (how the reader hands lines over).
        let buffer = Array("xx\nexists -\nyy".utf8)
        #expect(try Events2Parser.parse(buffer[3..<11]).object == .endOfInitialState)
    }

    @Test func lastOccurrenceOfAKeyWins() throws {
        guard case .resource(let r) = try parseEvents2("change resource name:r role:Primary role:Secondary").object else { Issue.record("the parser or World returned another kind of object"); return }
        #expect(r.role == .secondary)
    }

    // MARK: fixtures

    /// Resync progress: `done:`, `eta:` and `dbdt1:` are known keys, the counters are taken.
    @Test func corpusSyncLineWithProgress() throws {
        let line = try #require(try DRBDFixtures.lines("lifecycle.full.events2").first { $0.contains("done:25.00") })
        let r = try parseEvents2(line)
        let p = try #require({ if case .peerDevice(let p) = r.object { p } else { nil } }())
        #expect(p.outOfSync == 786432)
        #expect(p.received == 262144)
        #expect(r.unknownKeys.isEmpty)
    }
}

/// The stand-in `Tests/Support/bin/drbdsetup` replays a fixture that parses line by line, answers `n`,
/// and records its argv and polls.
@Suite struct Events2StandInTests {
    @Test func replaysFixtureAndAnswersPolls() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let logDir = FileManager.default.temporaryDirectory.appendingPathComponent("standin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: logDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: logDir) }
        let fixture = DRBDFixtures.directory + "/lifecycle.full.events2"
        let poll = logDir.appendingPathComponent("poll.events2")
        try "change device name:web volume:0 read:99\n".write(to: poll, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = root.appendingPathComponent("Support/bin/drbdsetup")
        process.arguments = ["events2", "--full", "--poll"]
        process.environment = [
            "STANDIN_LOG_DIR": logDir.path, "STANDIN_EVENTS2": fixture, "STANDIN_POLL_EVENTS2": poll.path,
            "PATH": "/usr/bin:/bin",
        ]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        stdin.fileHandleForWriting.write(Data("n\nn\n".utf8))
        try stdin.fileHandleForWriting.close()
        let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)

        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.count == (try DRBDFixtures.lines("lifecycle.full.events2")).count + 2)
        var world = World()
        for line in lines { _ = world.apply(try parseEvents2(line)) }
        #expect(world.resources["web"]?.devices[0]?.read == 99)
        let argv = try String(contentsOf: logDir.appendingPathComponent("drbdsetup.argv"), encoding: .utf8)
        #expect(argv == "drbdsetup events2 --full --poll\n")
        let polls = try String(contentsOf: logDir.appendingPathComponent("drbdsetup.polls"), encoding: .utf8)
        #expect(polls.split(separator: "\n").count == 2)
    }
}
