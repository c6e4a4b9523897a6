import ReactorCore
import ReactorPromoter

/// What only promoters have a use for: systemd's reports over the bus and the maintenance state reach
/// every running instance as inputs through the host's runner (each promoter ignores units that are not
/// its own; other plugins ignore both), and the promoters' state is read for the metrics and the
/// control socket.
extension PluginHost {
    /// Hands a unit change or job result from the bus to every running instance.
    public func deliver(systemd event: SystemdUnitEvent) {
        if case .jobRemoved(let unit, let result) = event { batchJobEnded(unit: unit, result: result) }
        broadcast(.systemd(event))
    }

    /// Hands a new maintenance state (drbd-reactorctl maintenance) to every running instance.
    public func setMaintenance(_ maintenance: PromoterMaintenance) { broadcast(.maintenance(maintenance)) }

    /// The bus counters of every running promoter's resources (for the metrics), by resource.
    public func promoterBusCounters() -> [String: PromoterBusCounters] {
        var all: [String: PromoterBusCounters] = [:]
        for instance in instances where !instance.stopping {
            guard let promoter = instance.machine as? PromoterMachine else { continue }
            all.merge(promoter.busCounters) { a, _ in a }
        }
        return all
    }

    /// The reports of every running promoter instance (for the control socket).
    public func promoterReports(now: Instant) -> [PromoterResourceReport] {
        instances.filter { !$0.stopping }.compactMap { $0.machine as? PromoterMachine }.flatMap { $0.report(now: now) }
    }
}
