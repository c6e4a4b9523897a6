/// Names one socket connection (or listener) between a machine and the code that owns its file
/// descriptor: machines speak of connections only by id, never by fd. Never reused by one owner.
public struct ConnectionID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let raw: UInt64
    public init(raw: UInt64) { self.raw = raw }
    public static func < (a: ConnectionID, b: ConnectionID) -> Bool { a.raw < b.raw }
    public var description: String { "connection \(raw)" }
}
