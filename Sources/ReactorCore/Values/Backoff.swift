/// The delay before trying again after a failure: the first delay, doubled after each failure up to a
/// limit, back to the first delay after a success (or once things went well for long enough).
///
/// One shape serves every "try again later" of the daemon: drbdsetup's respawn (2 s up to 60 s, reset
/// when it ran for a minute), the AgentX reconnect (1 s up to 30 s, reset once registered), the
/// promoter's repair of a unit that went down (1 s up to 30 s, reset after 60 s without a failure) and
/// the systemd bus reconnect (1 s up to 60 s, reset once subscribed). A value type without a clock:
/// the owner says when things went well.
public struct Backoff: Hashable, Sendable {
    /// The delay after the first failure, and again after a reset.
    public let first: Duration
    /// No delay is longer than this.
    public let limit: Duration
    /// The delay the next failure waits.
    public private(set) var current: Duration

    public init(first: Duration, limit: Duration) {
        precondition(first > .zero && limit >= first, "a backoff needs 0 < first <= limit")
        self.first = first
        self.limit = limit
        current = first
    }

    /// A failure: the delay to wait now; the next failure waits twice as long, at most `limit`.
    public mutating func next() -> Duration {
        defer { current = min(current * 2, limit) }
        return current
    }

    /// A success: the next failure waits `first` again.
    public mutating func reset() { current = first }

    /// Resets when at least `period` passed between `since` (when the last attempt started, or the last
    /// failure) and `now`; a nil `since` changes nothing.
    public mutating func reset(ifQuietSince since: Instant?, now: Instant, period: Duration) {
        if let since, now - since >= period { reset() }
    }
}
