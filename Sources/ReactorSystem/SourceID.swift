import ReactorCore

/// Identifies a registration with the event loop (io, timer, signal or child); never reused.
public struct SourceID: Hashable, Sendable, CustomStringConvertible {
    public let raw: UInt64
    public init(raw: UInt64) { self.raw = raw }
    public var description: String { "source \(raw)" }
}
