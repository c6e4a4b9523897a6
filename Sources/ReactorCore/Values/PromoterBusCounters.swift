/// What the bus told a promoter about one resource, for metrics and `drbd-reactorctl status`.
public struct PromoterBusCounters: Hashable, Sendable {
    /// systemd job results (`done`, `failed`, `dependency`, ...) of the resource's units, by result.
    public var jobResults: [String: UInt64] = [:]
    /// Failures (ActiveState `failed`) by unit.
    public var unitFailures: [String: UInt64] = [:]
    /// The last one, as `<unit>: <result>` (`drbd-promote@r0.service: exit-code`).
    public var lastUnitFailure: String?
    /// Repairs started (the target started again after a unit went down).
    public var restarts: UInt64 = 0

    public init() {}
}
