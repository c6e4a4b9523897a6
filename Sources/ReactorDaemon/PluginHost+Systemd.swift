import ReactorCore
import ReactorPromoter

/// Hands what systemd reported over the bus to every running promoter instance: the machine's pure
/// `observe` input (each one ignores units that are not its own), its effects carried out like any other.
/// Like `setMaintenance`, not a `PluginInput` case: only promoters have a use for it.
extension PluginHost {
    public func deliver(systemd event: SystemdUnitEvent) {
        if case .jobRemoved(let unit, let result) = event { batchJobEnded(unit: unit, result: result) }
        for instance in instances where !instance.stopping && !instance.stopped {
            guard var promoter = instance.machine as? PromoterMachine else { continue }
            let effects = promoter.observe(event, now: loop.now)
            instance.machine = promoter
            for effect in effects { run(effect, for: instance) }
        }
    }

    /// The bus counters of every running promoter's resources (for the metrics), by resource.
    public func promoterBusCounters() -> [String: PromoterBusCounters] {
        var all: [String: PromoterBusCounters] = [:]
        for instance in instances where !instance.stopping {
            guard let promoter = instance.machine as? PromoterMachine else { continue }
            all.merge(promoter.busCounters) { a, _ in a }
        }
        return all
    }
}
