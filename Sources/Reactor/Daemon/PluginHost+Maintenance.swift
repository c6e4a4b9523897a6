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
