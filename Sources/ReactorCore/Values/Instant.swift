/// A point on the monotonic clock (CLOCK_MONOTONIC), in nanoseconds.
///
/// The one time type of the daemon: machines receive `now` as an `Instant` and tests make their own.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    public static let zero = Instant(nanoseconds: 0)

    public static func < (a: Instant, b: Instant) -> Bool { a.nanoseconds < b.nanoseconds }

    /// `self` moved forward by `d` (negative durations move back, saturating at zero).
    public static func + (a: Instant, d: Duration) -> Instant {
        let ns = d.nanosecondsClamped
        if ns >= 0 { return Instant(nanoseconds: a.nanoseconds &+ UInt64(ns)) }
        let back = UInt64(-ns)
        return Instant(nanoseconds: a.nanoseconds > back ? a.nanoseconds - back : 0)
    }

    /// The duration from `b` to `a` (negative when `a` is earlier).
    public static func - (a: Instant, b: Instant) -> Duration {
        .nanoseconds(Int64(bitPattern: a.nanoseconds &- b.nanoseconds))
    }

    public var description: String { "\(nanoseconds)ns" }
}

extension Duration {
    /// This duration in whole nanoseconds, clamped to the Int64 range.
    public var nanosecondsClamped: Int64 {
        let (s, atto) = components
        let (mul, o1) = s.multipliedReportingOverflow(by: 1_000_000_000)
        if o1 { return s < 0 ? .min : .max }
        let (sum, o2) = mul.addingReportingOverflow(atto / 1_000_000_000)
        if o2 { return s < 0 ? .min : .max }
        return sum
    }

    /// This duration in seconds as a Double (for logs and metrics).
    public var seconds: Double { Double(nanosecondsClamped) / 1e9 }
}
