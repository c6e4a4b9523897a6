import ReactorCore

/// What the promoter noticed for reports (the control socket's "why not here"), kept by the machine
/// beside its working state: the current time of the last input, when a running sleep ends, and the
/// last failed job of each resource.
struct PromoterObservations: Hashable, Sendable {
    /// A failed job: why, and when.
    struct Failure: Hashable, Sendable {
        var reason: String
        var at: Instant
    }

    var now = Instant.zero
    var sleepUntil: [String: Instant] = [:]
    var lastFailure: [String: Failure] = [:]
    /// What the bus reported, by resource (PromoterMachine+Systemd.swift).
    var bus: [String: PromoterBusCounters] = [:]
}

/// One promoter resource as the machine sees it.
public struct PromoterResourceReport: Hashable, Sendable {
    public var resource: String
    public var maintenance: Bool
    /// `may_promote` as last reported by DRBD.
    public var mayPromote: Bool
    /// A job (start, stop, ...) is running or queued.
    public var busy: Bool
    /// The running job sleeps (a promote delay) this long still.
    public var delayLeft: Duration?
    /// The last failed job and how long ago.
    public var lastFailure: String?
    public var lastFailureAgo: Duration?
    /// What systemd reported over the bus (empty without a bus).
    public var bus = PromoterBusCounters()
}

extension PromoterMachine {
    /// A report per configured resource, in name order.
    public func report(now: Instant) -> [PromoterResourceReport] {
        config.resources.map(\.name).sorted().compactMap { name in
            guard let r = resources[name] else { return nil }
            var delay: Duration?
            if case .sleep? = r.waiting, let until = observations.sleepUntil[name], until > now { delay = until - now }
            let failure = observations.lastFailure[name]
            return PromoterResourceReport(
                resource: name, maintenance: maintenance.current.covers(name), mayPromote: r.mayPromote, busy: !r.isIdle,
                delayLeft: delay, lastFailure: failure?.reason, lastFailureAgo: failure.map { now - $0.at },
                bus: observations.bus[name] ?? .init())
        }
    }

    /// The bus counters of every resource that has any, for the metrics (cheaper than `report`).
    public var busCounters: [String: PromoterBusCounters] { observations.bus }

    /// Hook of `advance`: a job sleeps until `until`.
    mutating func observeSleep(_ name: String, until: Instant) { observations.sleepUntil[name] = until }

    /// Hook of `fail`: a job of `name` failed.
    mutating func observeFailure(_ name: String, _ reason: String) {
        observations.lastFailure[name] = .init(reason: reason, at: observations.now)
    }
}
