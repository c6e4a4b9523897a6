/// The lab's only source of randomness: SplitMix64 (Steele, Lea, Flood 2014), a 64-bit generator whose
/// whole state is one integer, so a seed names one run exactly and a run never depends on anything else
/// (no system random, no clock, no hash order).
public struct SplitMix64: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (bound > 0; the modulo bias is irrelevant for fault schedules).
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }

    /// A number in `range`.
    public mutating func within(_ range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }

    /// True with probability `percent` / 100.
    public mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    /// One element of a non-empty array.
    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    /// `lower`...`upper` milliseconds, as a duration.
    public mutating func millis(_ lower: Int, _ upper: Int) -> Duration { .milliseconds(within(lower...upper)) }
}
