import ReactorCore

/// The primitive AgentX encodings (RFC 2741 5): integers in the PDU's byte order, OIDs with the
/// `1.3.6.1` prefix compression, octet strings padded to 4 bytes, search ranges and varbinds.
///
/// `AgentXWriter` appends them to a buffer; `AgentXReader` reads them back from a payload, throwing a
/// typed error when a field is cut short instead of reading past the end.

/// The `1.3.6.1` (internet) prefix an OID's `prefix` byte stands for.
let internetPrefix: [UInt32] = [1, 3, 6, 1]

/// Appends AgentX fields in one byte order.
struct AgentXWriter {
    let bigEndian: Bool
    var bytes: [UInt8] = []

    init(bigEndian: Bool) { self.bigEndian = bigEndian }

    mutating func u8(_ v: UInt8) { bytes.append(v) }

    mutating func u16(_ v: UInt16) {
        let b = [UInt8(v >> 8), UInt8(v & 0xff)]
        bytes += bigEndian ? b : b.reversed()
    }

    mutating func u32(_ v: UInt32) {
        let b = [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
        bytes += bigEndian ? b : b.reversed()
    }

    mutating func u64(_ v: UInt64) {
        // The whole 8-byte value in the PDU's byte order (as net-snmp reads it): big-endian sends the
        // high half first, little-endian the low half first.
        if bigEndian {
            u32(UInt32(v >> 32))
            u32(UInt32(v & 0xffff_ffff))
        } else {
            u32(UInt32(v & 0xffff_ffff))
            u32(UInt32(v >> 32))
        }
    }

    mutating func pad() { while bytes.count % 4 != 0 { bytes.append(0) } }

    /// n_subid, prefix, include, reserved, then the sub-identifiers; `1.3.6.1.x.…` with x < 256 is
    /// sent as prefix x and the rest.
    mutating func oid(_ oid: OID, include: Bool = false) {
        var subids = oid.components
        var prefix: UInt8 = 0
        if subids.count >= 5, subids.starts(with: internetPrefix), subids[4] > 0, subids[4] < 256 {
            prefix = UInt8(subids[4])
            subids.removeFirst(5)
        }
        u8(UInt8(truncatingIfNeeded: subids.count))
        u8(prefix)
        u8(include ? 1 : 0)
        u8(0)
        for s in subids { u32(s) }
    }

    mutating func octets(_ data: [UInt8]) {
        u32(UInt32(data.count))
        bytes += data
        pad()
    }

    mutating func range(_ r: SearchRange) {
        oid(r.start, include: r.include)
        oid(r.end)
    }

    mutating func varbind(_ vb: VarBind) {
        u16(vb.value.typeCode)
        u16(0)
        oid(vb.name)
        switch vb.value {
        case .integer(let v): u32(UInt32(bitPattern: v))
        case .octetString(let d), .opaque(let d), .ipAddress(let d): octets(d)
        case .objectIdentifier(let o): oid(o)
        case .counter32(let v), .gauge32(let v), .timeTicks(let v): u32(v)
        case .counter64(let v): u64(v)
        case .null, .noSuchObject, .noSuchInstance, .endOfMibView: break
        }
    }
}

/// Reads AgentX fields from one payload in one byte order.
struct AgentXReader {
    let bytes: ArraySlice<UInt8>
    let bigEndian: Bool
    private(set) var offset: Int

    init(_ bytes: ArraySlice<UInt8>, bigEndian: Bool) {
        self.bytes = bytes
        self.bigEndian = bigEndian
        offset = bytes.startIndex
    }

    var remaining: Int { bytes.endIndex - offset }
    var atEnd: Bool { remaining == 0 }

    private mutating func take(_ n: Int, _ what: String) throws(AgentXDecodeError) -> ArraySlice<UInt8> {
        guard n >= 0, remaining >= n else { throw .truncated(what) }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }

    mutating func u8(_ what: String) throws(AgentXDecodeError) -> UInt8 { try take(1, what).first ?? 0 }

    mutating func u16(_ what: String) throws(AgentXDecodeError) -> UInt16 {
        let b = try take(2, what)
        let (hi, lo) = bigEndian ? (b[b.startIndex], b[b.startIndex + 1]) : (b[b.startIndex + 1], b[b.startIndex])
        return UInt16(hi) << 8 | UInt16(lo)
    }

    mutating func u32(_ what: String) throws(AgentXDecodeError) -> UInt32 {
        let b = try take(4, what)
        return Self.word(b, bigEndian: bigEndian)
    }

    /// Four bytes as a number in the given order.
    static func word(_ b: ArraySlice<UInt8>, bigEndian: Bool) -> UInt32 {
        let ordered = bigEndian ? Array(b) : b.reversed()
        return ordered.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    mutating func u64(_ what: String) throws(AgentXDecodeError) -> UInt64 {
        let first = UInt64(try u32(what)), second = UInt64(try u32(what))
        return bigEndian ? first << 32 | second : second << 32 | first
    }

    mutating func skip(_ n: Int, _ what: String) throws(AgentXDecodeError) { _ = try take(n, what) }

    /// An OID and its `include` byte.
    mutating func oid(_ what: String) throws(AgentXDecodeError) -> (OID, include: Bool) {
        let count = try u8(what), prefix = try u8(what), include = try u8(what)
        try skip(1, what)
        guard count <= 128 else { throw .oidTooLong(count) }
        var subids: [UInt32] = prefix == 0 ? [] : internetPrefix + [UInt32(prefix)]
        subids.reserveCapacity(subids.count + Int(count))
        for _ in 0..<count { subids.append(try u32(what)) }
        return (OID(subids), include != 0)
    }

    mutating func octets(_ what: String) throws(AgentXDecodeError) -> [UInt8] {
        let length = try u32(what)
        guard length <= UInt32(remaining) else { throw .truncated(what) }
        let data = Array(try take(Int(length), what))
        try skip((4 - Int(length) % 4) % 4, what)
        return data
    }

    mutating func range() throws(AgentXDecodeError) -> SearchRange {
        let (start, include) = try oid("search range start")
        let (end, _) = try oid("search range end")
        return SearchRange(start: start, include: include, end: end)
    }

    mutating func varbind() throws(AgentXDecodeError) -> VarBind {
        let type = try u16("varbind type")
        try skip(2, "varbind type")
        let (name, _) = try oid("varbind name")
        let value: AgentXValue
        switch type {
        case 2: value = .integer(Int32(bitPattern: try u32("Integer")))
        case 4: value = .octetString(try octets("OctetString"))
        case 5: value = .null
        case 6: value = .objectIdentifier(try oid("OID value").0)
        case 64:
            let d = try octets("IpAddress")
            guard d.count == 4 else { throw .badIPAddress(d.count) }
            value = .ipAddress(d)
        case 65: value = .counter32(try u32("Counter32"))
        case 66: value = .gauge32(try u32("Gauge32"))
        case 67: value = .timeTicks(try u32("TimeTicks"))
        case 68: value = .opaque(try octets("Opaque"))
        case 70: value = .counter64(try u64("Counter64"))
        case 128: value = .noSuchObject
        case 129: value = .noSuchInstance
        case 130: value = .endOfMibView
        default: throw .unknownValueType(type)
        }
        return VarBind(name, value)
    }

    /// Search ranges up to the end of the payload.
    mutating func ranges() throws(AgentXDecodeError) -> [SearchRange] {
        var out: [SearchRange] = []
        while !atEnd { out.append(try range()) }
        return out
    }

    /// Varbinds up to the end of the payload.
    mutating func varbinds() throws(AgentXDecodeError) -> [VarBind] {
        var out: [VarBind] = []
        while !atEnd { out.append(try varbind()) }
        return out
    }
}
