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

/// A small deterministic generator (SplitMix64) for the fuzz-style tests.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Bytes from a hex string with spaces.
func hex(_ s: String) -> [UInt8] {
    s.split(separator: " ").flatMap { word -> [UInt8] in
        stride(from: 0, to: word.count, by: 2).map { i in
            let start = word.index(word.startIndex, offsetBy: i)
            return UInt8(word[start..<word.index(start, offsetBy: 2)], radix: 16)!
        }
    }
}

@Suite struct AgentXCodecTests {
    static let sub: OID = [1, 3, 6, 1, 4, 1, 23302]

    /// One PDU of every type, with every field set to something recognisable.
    static let samples: [AgentXPDU] = {
        let vbs = [
            VarBind(sub.appending(1), .integer(-5)), VarBind(sub.appending(2), .string("abcde")),
            VarBind([1, 2], .null), VarBind([1, 3, 6, 1, 2, 1], .objectIdentifier(sub)),
            VarBind([1, 3, 6, 1, 300, 1], .ipAddress([10, 0, 0, 1])), VarBind(sub, .counter32(7)),
            VarBind(sub, .gauge32(UInt32.max)), VarBind(sub, .timeTicks(100)), VarBind(sub, .opaque([1, 2, 3, 4])),
            VarBind(sub, .counter64(0x0123_4567_89ab_cdef)), VarBind(sub, .noSuchObject), VarBind(sub, .noSuchInstance),
            VarBind(sub, .endOfMibView),
        ]
        let ranges = [SearchRange(start: sub, include: true, end: sub.appending(9)), SearchRange(start: [0], include: false, end: .null)]
        let payloads: [AgentXPayload] = [
            .open(timeout: 60, id: sub, description: Array("DRBD".utf8)), .close(reason: 5),
            .register(timeout: 0, priority: 127, subtree: sub, rangeSubid: 0, upperBound: 0),
            .register(timeout: 3, priority: 1, subtree: sub, rangeSubid: 7, upperBound: 9),
            .unregister(priority: 127, subtree: sub, rangeSubid: 2, upperBound: 4),
            .get(ranges), .getNext(ranges), .getBulk(nonRepeaters: 1, maxRepetitions: 10, ranges), .getNext([]),
            .testSet(vbs), .commitSet, .undoSet, .cleanupSet, .notify(vbs), .ping, .indexAllocate(vbs),
            .indexDeallocate(vbs), .addAgentCaps(id: sub, description: Array("caps!".utf8)), .removeAgentCaps(id: sub),
            .response(sysUpTime: 12345, error: 263, index: 2, vbs),
        ]
        var out = payloads.map { AgentXPDU(sessionID: 1, transactionID: 2, packetID: 3, payload: $0) }
        out.append(AgentXPDU(sessionID: 9, transactionID: 8, packetID: 7, flags: [.instanceRegistration], context: Array("ctx".utf8), payload: .get(ranges)))
        return out
    }()

    @Test(arguments: [true, false])
    func everyTypeRoundTrips(bigEndian: Bool) throws {
        for pdu in Self.samples {
            let bytes = AgentXCodec.encode(pdu, bigEndian: bigEndian)
            #expect(bytes.count % 4 == 0)
            #expect(bytes[2] & 0x10 == (bigEndian ? 0x10 : 0))
            #expect(try AgentXCodec.decodeOne(bytes) == pdu, "\(pdu.payload)")
        }
    }

    @Test func openMatchesHandEncodedBytes() {
        let open = AgentXPDU(packetID: 1, payload: .open(timeout: 60, id: Self.sub, description: Array("DRBD".utf8)))
        // header: version 1, Open, NETWORK_BYTE_ORDER, session 0, transaction 0, packet 1, 24 bytes;
        // timeout 60; OID 1.3.6.1.4.1.23302 as prefix 4 + [1, 23302]; "DRBD" (no padding needed).
        let expected = hex("01011000 00000000 00000000 00000001 00000018 3c000000 02040000 00000001 00005b06 00000004 44524244")
        #expect(AgentXCodec.encode(open) == expected)
    }

    @Test func littleEndianGetFromAMasterDecodes() throws {
        // As net-snmp sends it without NETWORK_BYTE_ORDER: session 7, transaction 2, packet 3,
        // Get of 1.3.6.1.4.1.23302.1.1.1 (prefix 4, five sub-identifiers) up to the null OID.
        let bytes = hex("01050000 07000000 02000000 03000000 1c000000 05040000 01000000 065b0000 01000000 01000000 01000000 00000000")
        let pdu = try AgentXCodec.decodeOne(bytes)
        #expect(pdu == AgentXPDU(sessionID: 7, transactionID: 2, packetID: 3, payload: .get([SearchRange(start: Self.sub.appending(1, 1, 1))])))
    }

    @Test func octetStringsArePaddedAndCounter64IsOrdered() {
        var w = AgentXWriter(bigEndian: true)
        w.octets(Array("abcde".utf8))
        #expect(w.bytes == hex("00000005 61626364 65000000"))
        var be = AgentXWriter(bigEndian: true), le = AgentXWriter(bigEndian: false)
        be.u64(0x0000_0001_0000_0002)
        le.u64(0x0000_0001_0000_0002)
        #expect(be.bytes == hex("00000001 00000002"))
        #expect(le.bytes == hex("02000000 01000000"))
    }

    @Test func oidsOutsideTheInternetPrefixAreSentWhole() {
        var w = AgentXWriter(bigEndian: true)
        w.oid([1, 3, 6, 2, 5], include: true)
        #expect(w.bytes == hex("05000100 00000001 00000003 00000006 00000002 00000005"))
        var n = AgentXWriter(bigEndian: true)
        n.oid(.null)
        #expect(n.bytes == hex("00000000"))
    }

    @Test func incompleteInputWaitsForMore() throws {
        let bytes = AgentXCodec.encode(Self.samples[0])
        for cut in [0, 1, 19, 20, bytes.count - 1] {
            #expect(try AgentXCodec.decode(bytes[..<cut]) == nil)
        }
        let two = bytes + AgentXCodec.encode(Self.samples[1])
        let first = try #require(try AgentXCodec.decode(two[...]))
        #expect(first.length == bytes.count)
        #expect(try AgentXCodec.decode(two[first.length...])?.pdu == Self.samples[1])
    }

    @Test func malformedInputIsATypedError() {
        let get = hex("01050000 07000000 02000000 03000000 1c000000 05040000 01000000 065b0000 01000000 01000000 01000000 00000000")
        func error(_ bytes: [UInt8]) -> AgentXDecodeError? {
            do { _ = try AgentXCodec.decodeOne(bytes); return nil } catch { return error }
        }
        #expect(error(Array(get[..<12])) == .truncated("header"))
        #expect(error(Array(get.dropLast(4))) == .truncated("payload"))
        #expect(error(get + [0, 0, 0, 0]) == .trailingBytes(4))
        var v2 = get; v2[0] = 2
        #expect(error(v2) == .unsupportedVersion(2))
        var t0 = get; t0[1] = 0
        #expect(error(t0) == .unknownType(0))
        var t19 = get; t19[1] = 19
        #expect(error(t19) == .unknownType(19))
        var odd = get; odd[16] = 0x1b
        #expect(error(odd) == .misalignedLength(27))
        var huge = get; huge[19] = 0x10
        #expect(error(huge) == .payloadTooLong(0x1000_001c))
        // The header says 8 payload bytes: the OID inside claims five sub-identifiers.
        var short = Array(get[..<28]); short[16] = 8
        #expect(error(short) == .truncated("search range start"))
        // 129 sub-identifiers.
        var long = get; long[20] = 129
        #expect(error(long) == .oidTooLong(129))
        let badType = hex("01081000 00000000 00000000 00000000 00000008 00630000 00000000")
        #expect(error(badType) == .unknownValueType(99))
        let badIP = hex("01081000 00000000 00000000 00000000 00000010 00400000 00000000 00000002 0a000000")
        #expect(error(badIP) == .badIPAddress(2))
        let longString = hex("01081000 00000000 00000000 00000000 0000000c 00040000 00000000 00000100")
        #expect(error(longString) == .truncated("OctetString"))
    }

    @Test func randomBytesNeverCrash() {
        var rng = SeededRandom(state: 2741)
        var decoded = 0
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                // A valid PDU with a few bytes changed: gets past the header checks far more often.
                bytes = AgentXCodec.encode(Self.samples[Int.random(in: 0..<Self.samples.count, using: &rng)], bigEndian: Bool.random(using: &rng))
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                if Bool.random(using: &rng) { bytes.removeLast(Int.random(in: 0..<bytes.count, using: &rng)) }
            } else {
                bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                if bytes.count > 1, Bool.random(using: &rng) { bytes[0] = 1; bytes[1] = UInt8.random(in: 1...18, using: &rng) }
            }
            guard let pdu = try? AgentXCodec.decodeOne(bytes) else { continue }
            decoded += 1
            // Whatever decodes re-encodes to something that decodes to the same PDU.
            #expect((try? AgentXCodec.decodeOne(AgentXCodec.encode(pdu))) == pdu)
        }
        #expect(decoded > 100)
    }
}
