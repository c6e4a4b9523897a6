import ReactorCore

/// Why bytes from the master are not a valid AgentX PDU. Every malformed input ends up as one of these
/// (the session logs it and drops the connection), never as a crash.
public enum AgentXDecodeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `h.version` is not 1.
    case unsupportedVersion(UInt8)
    /// `h.type` is not a PDU type of RFC 2741.
    case unknownType(UInt8)
    /// `h.payload_length` is not a multiple of 4 (every AgentX field is 4-byte aligned).
    case misalignedLength(UInt32)
    /// `h.payload_length` is over the limit this subagent accepts.
    case payloadTooLong(UInt32)
    /// The payload ends inside a field (`what` names it).
    case truncated(String)
    /// An OID with more than 128 sub-identifiers (RFC 2741 5.1).
    case oidTooLong(UInt8)
    /// A varbind type code that is not in RFC 2741 5.4.
    case unknownValueType(UInt16)
    /// An IpAddress value that is not 4 bytes long.
    case badIPAddress(Int)
    /// Bytes left over after the payload's last field.
    case trailingBytes(Int)

    public var description: String {
        switch self {
        case .unsupportedVersion(let v): "unsupported AgentX version \(v)"
        case .unknownType(let t): "unknown PDU type \(t)"
        case .misalignedLength(let n): "payload length \(n) is not a multiple of 4"
        case .payloadTooLong(let n): "payload length \(n) is too long"
        case .truncated(let what): "payload ends inside \(what)"
        case .oidTooLong(let n): "OID with \(n) sub-identifiers"
        case .unknownValueType(let t): "unknown varbind type \(t)"
        case .badIPAddress(let n): "IpAddress of \(n) bytes"
        case .trailingBytes(let n): "\(n) bytes after the last field"
        }
    }
}
