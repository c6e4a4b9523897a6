/// How often `start-and-monitor` runs `$AGENT monitor`, in whole seconds.
///
/// Rules (the original's): a non-negative integer, below 5 raised to 5; missing or invalid means 30.
/// The original's unit sets `monitor_inverval=30` (sic) while the wrapper reads `monitor_interval`, so
/// the unit's value never counted. Here the correct spelling wins when set, else the unit's misspelt
/// one is read: the shipped unit stays identical (drop-ins that override either spelling keep working)
/// and both spellings take effect.
public struct OCFMonitorInterval: Hashable, Sendable {
    public static let fallback: UInt64 = 30
    public static let minimum: UInt64 = 5

    public let seconds: UInt64

    public init(seconds: UInt64) { self.seconds = max(seconds, Self.minimum) }

    /// From `monitor_interval`, else `monitor_inverval`.
    public init(environment: (String) -> String?) {
        let text = environment("monitor_interval") ?? environment("monitor_inverval")
        self.init(seconds: text.flatMap(Self.parse) ?? Self.fallback)
    }

    /// Rust's `u64::from_str`: ASCII digits with an optional leading `+`, nothing else.
    static func parse(_ text: String) -> UInt64? {
        let digits = text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return UInt64(digits)
    }

    public var duration: Duration { .seconds(Int64(clamping: seconds)) }

    /// The first monitor waits one interval plus up to half an interval more, so that services started
    /// together (one target, many nodes) do not all probe in the same second.
    public func initialDelay(jitter: UInt64) -> Duration {
        .seconds(Int64(clamping: seconds + jitter % (seconds / 2)))
    }
}
