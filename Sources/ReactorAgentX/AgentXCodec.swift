import ReactorCore

/// Encodes and decodes whole AgentX PDUs (RFC 2741 6): the 20-byte header and each type's payload.
///
/// Pure functions over bytes. Decoding honours each PDU's NETWORK_BYTE_ORDER flag, checks the header
/// (version 1, a known type, an aligned and bounded payload length) before reading the payload, and
/// requires the payload to be consumed exactly; every failure is an `AgentXDecodeError`.
public enum AgentXCodec {
    public static let headerLength = 20
    /// The largest payload accepted from a master. Requests are small (a GetBulk of many ranges is a
    /// few KiB); anything near this is garbage, and must not make the subagent buffer without bound.
    public static let maxPayloadLength: UInt32 = 1 << 20

    /// The PDU as bytes, in network byte order (flag set) by default or little-endian (as 1.x sent).
    public static func encode(_ pdu: AgentXPDU, bigEndian: Bool = true) -> [UInt8] {
        var body = AgentXWriter(bigEndian: bigEndian)
        if let context = pdu.context, AgentXPayload.carriesContext(pdu.payload.typeCode) { body.octets(context) }
        encodePayload(pdu.payload, into: &body)
        var flags = pdu.flags.subtracting([.networkByteOrder, .nonDefaultContext])
        if bigEndian { flags.insert(.networkByteOrder) }
        if pdu.context != nil, AgentXPayload.carriesContext(pdu.payload.typeCode) { flags.insert(.nonDefaultContext) }
        var head = AgentXWriter(bigEndian: bigEndian)
        head.u8(1)
        head.u8(pdu.payload.typeCode)
        head.u8(flags.rawValue)
        head.u8(0)
        head.u32(pdu.sessionID)
        head.u32(pdu.transactionID)
        head.u32(pdu.packetID)
        head.u32(UInt32(body.bytes.count))
        return head.bytes + body.bytes
    }

    private static func encodePayload(_ payload: AgentXPayload, into w: inout AgentXWriter) {
        switch payload {
        case .open(let timeout, let id, let description):
            w.u8(timeout); w.u8(0); w.u8(0); w.u8(0)
            w.oid(id)
            w.octets(description)
        case .close(let reason):
            w.u8(reason); w.u8(0); w.u8(0); w.u8(0)
        case .register(let timeout, let priority, let subtree, let rangeSubid, let upperBound):
            w.u8(timeout); w.u8(priority); w.u8(rangeSubid); w.u8(0)
            w.oid(subtree)
            if rangeSubid != 0 { w.u32(upperBound) }
        case .unregister(let priority, let subtree, let rangeSubid, let upperBound):
            w.u8(0); w.u8(priority); w.u8(rangeSubid); w.u8(0)
            w.oid(subtree)
            if rangeSubid != 0 { w.u32(upperBound) }
        case .get(let ranges), .getNext(let ranges):
            for r in ranges { w.range(r) }
        case .getBulk(let nonRepeaters, let maxRepetitions, let ranges):
            w.u16(nonRepeaters); w.u16(maxRepetitions)
            for r in ranges { w.range(r) }
        case .testSet(let vbs), .notify(let vbs), .indexAllocate(let vbs), .indexDeallocate(let vbs):
            for vb in vbs { w.varbind(vb) }
        case .commitSet, .undoSet, .cleanupSet, .ping:
            break
        case .addAgentCaps(let id, let description):
            w.oid(id)
            w.octets(description)
        case .removeAgentCaps(let id):
            w.oid(id)
        case .response(let sysUpTime, let error, let index, let vbs):
            w.u32(sysUpTime); w.u16(error); w.u16(index)
            for vb in vbs { w.varbind(vb) }
        }
    }

    /// The total length (header and payload) of the PDU at the start of `bytes`, once its header is
    /// complete; nil while fewer than 20 bytes are there. Throws when the header is invalid, so garbage
    /// is recognised before any more of it is buffered.
    public static func frameLength(_ bytes: ArraySlice<UInt8>) throws(AgentXDecodeError) -> Int? {
        let s = bytes.startIndex
        // Version and type are checked as soon as they arrived: a peer that is not an AgentX master
        // is recognised by its first bytes, even when it then waits for an answer.
        if let version = bytes.first, version != 1 { throw .unsupportedVersion(version) }
        if bytes.count >= 2, !(1...18).contains(bytes[s + 1]) { throw .unknownType(bytes[s + 1]) }
        guard bytes.count >= headerLength else { return nil }
        let bigEndian = AgentXFlags(rawValue: bytes[s + 2]).contains(.networkByteOrder)
        let length = AgentXReader.word(bytes[(s + 16)..<(s + 20)], bigEndian: bigEndian)
        guard length % 4 == 0 else { throw .misalignedLength(length) }
        guard length <= maxPayloadLength else { throw .payloadTooLong(length) }
        return headerLength + Int(length)
    }

    /// Decodes the first PDU of `bytes`: nil when it is not complete yet, else the PDU and how many
    /// bytes it took.
    public static func decode(_ bytes: ArraySlice<UInt8>) throws(AgentXDecodeError) -> (pdu: AgentXPDU, length: Int)? {
        guard let total = try frameLength(bytes), bytes.count >= total else { return nil }
        let s = bytes.startIndex
        let type = bytes[s + 1]
        let flags = AgentXFlags(rawValue: bytes[s + 2])
        let bigEndian = flags.contains(.networkByteOrder)
        var head = AgentXReader(bytes[(s + 4)..<(s + 16)], bigEndian: bigEndian)
        let sessionID = try head.u32("header"), transactionID = try head.u32("header"), packetID = try head.u32("header")
        var r = AgentXReader(bytes[(s + headerLength)..<(s + total)], bigEndian: bigEndian)
        var context: [UInt8]?
        if flags.contains(.nonDefaultContext), AgentXPayload.carriesContext(type) { context = try r.octets("context") }
        let payload = try decodePayload(type, &r)
        guard r.atEnd else { throw .trailingBytes(r.remaining) }
        let pdu = AgentXPDU(
            sessionID: sessionID, transactionID: transactionID, packetID: packetID,
            flags: flags.subtracting([.networkByteOrder, .nonDefaultContext]), context: context, payload: payload)
        return (pdu, total)
    }

    /// Decodes `bytes` as exactly one PDU: a short header or payload is `.truncated`, extra bytes are
    /// `.trailingBytes`.
    public static func decodeOne(_ bytes: [UInt8]) throws(AgentXDecodeError) -> AgentXPDU {
        guard bytes.count >= headerLength else { throw .truncated("header") }
        guard let (pdu, length) = try decode(bytes[...]) else { throw .truncated("payload") }
        guard length == bytes.count else { throw .trailingBytes(bytes.count - length) }
        return pdu
    }

    private static func decodePayload(_ type: UInt8, _ r: inout AgentXReader) throws(AgentXDecodeError) -> AgentXPayload {
        switch type {
        case 1:
            let timeout = try r.u8("Open timeout")
            try r.skip(3, "Open")
            let id = try r.oid("Open id").0
            return .open(timeout: timeout, id: id, description: try r.octets("Open description"))
        case 2:
            let reason = try r.u8("Close reason")
            try r.skip(3, "Close")
            return .close(reason: reason)
        case 3, 4:
            let timeout = try r.u8("Register"), priority = try r.u8("Register priority"), rangeSubid = try r.u8("Register range")
            try r.skip(1, "Register")
            let subtree = try r.oid("Register subtree").0
            let upper = rangeSubid != 0 ? try r.u32("Register upper bound") : 0
            return type == 3
                ? .register(timeout: timeout, priority: priority, subtree: subtree, rangeSubid: rangeSubid, upperBound: upper)
                : .unregister(priority: priority, subtree: subtree, rangeSubid: rangeSubid, upperBound: upper)
        case 5: return .get(try r.ranges())
        case 6: return .getNext(try r.ranges())
        case 7:
            let nonRepeaters = try r.u16("GetBulk non_repeaters"), maxRepetitions = try r.u16("GetBulk max_repetitions")
            return .getBulk(nonRepeaters: nonRepeaters, maxRepetitions: maxRepetitions, try r.ranges())
        case 8: return .testSet(try r.varbinds())
        case 9: return .commitSet
        case 10: return .undoSet
        case 11: return .cleanupSet
        case 12: return .notify(try r.varbinds())
        case 13: return .ping
        case 14: return .indexAllocate(try r.varbinds())
        case 15: return .indexDeallocate(try r.varbinds())
        case 16:
            let id = try r.oid("AddAgentCaps id").0
            return .addAgentCaps(id: id, description: try r.octets("AddAgentCaps description"))
        case 17: return .removeAgentCaps(id: try r.oid("RemoveAgentCaps id").0)
        case 18:
            let up = try r.u32("Response sysUpTime"), error = try r.u16("Response error"), index = try r.u16("Response index")
            return .response(sysUpTime: up, error: error, index: index, try r.varbinds())
        default:
            throw .unknownType(type)
        }
    }
}
