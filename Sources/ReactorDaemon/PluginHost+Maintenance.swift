import ReactorCore
import ReactorPromoter

/// Hands a new maintenance state (drbd-reactorctl maintenance) to every running promoter instance: the
/// machine's pure `setMaintenance` input, its effects carried out like any other.
extension PluginHost {
    public func setMaintenance(_ maintenance: PromoterMaintenance) {
        for instance in instances where !instance.stopping && !instance.stopped {
            guard var promoter = instance.machine as? PromoterMachine else { continue }
            let effects = promoter.setMaintenance(maintenance)
            instance.machine = promoter
            for effect in effects { run(effect, for: instance) }
        }
    }
}

extension PluginHost {
    /// The reports of every running promoter instance (for the control socket).
    public func promoterReports(now: Instant) -> [PromoterResourceReport] {
        instances.filter { !$0.stopping }.compactMap { $0.machine as? PromoterMachine }.flatMap { $0.report(now: now) }
    }
}
