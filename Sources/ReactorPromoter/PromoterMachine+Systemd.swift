import Logging
import ReactorCore

/// How `PromoterMachine` reacts to what systemd reports over the bus (`SystemdUnitEvent`), where the
/// daemon has a bus; without one nothing here runs and the 20 s ticker is the only check, as before.
///
/// Design note. The ticker only restarts a target that is inactive while DRBD lets this node promote; it
/// never notices a service of the start list that crashed under an active target (`Requires=` does not
/// stop the target when a running service dies, so the resource stays Primary with a dead service). From
/// the bus the machine learns at once that a unit of one of its resources went down: a unit that failed,
/// or a service that stopped while it was running. It then schedules a *repair* with a bounded backoff
/// (1 s, doubling to 30 s; back to 1 s after 60 s without a failure): `systemctl show` of the target, then
/// `systemctl start <target>` if the target is still active (that starts its failed dependencies again)
/// or if it is not but DRBD lets this node promote (what the ticker would do, sooner). The start is the
/// same job as every other start, failure handling included (a start that fails stops, so another node
/// can take over). Unit changes while a job of the resource runs are the job's own doing and ignored, as
/// are changes during maintenance, while frozen and while stopping. Job results and unit failures are
/// logged with the resource and counted for the metrics and `drbd-reactorctl status`.
extension PromoterMachine {
    /// The backoff of repairs: the first one after a second (systemd has settled the failed job by
    /// then), each further one twice as late, never later than 30 s (the 20 s ticker's order of magnitude).
    static let repairBackoff = Backoff(first: .seconds(1), limit: .seconds(30))
    /// A failure this long after the previous one starts the backoff from its first delay again.
    static let repairStablePeriod: Duration = .seconds(60)
    /// ActiveState values of a unit that runs (or is on its way up or down).
    static let runningStates: Set<String> = ["active", "activating", "reloading", "deactivating"]

    /// Which resource each unit belongs to: the target, its `drbd-promote@` service and the start list's
    /// units of every systemd-runner resource.
    static func unitOwners(_ config: PromoterConfig) -> [String: String] {
        var owners: [String: String] = [:]
        for r in config.resources where r.runner == .systemd {
            owners[SystemdEscape.servicesTarget(r.name)] = r.name
            owners["drbd-promote@\(SystemdEscape.unitName(r.name)).service"] = r.name
            for entry in r.start {
                if let unit = try? PromoterUnits.startUnit(entry, resource: r.name) { owners[unit.name] = r.name }
            }
        }
        return owners
    }

    /// The pure input of a bus event: logs, counts, and maybe a repair timer.
    public mutating func observe(_ event: SystemdUnitEvent, now: Instant) -> [PluginEffect] {
        guard !stopped else { return [] }
        observations.now = now
        switch event {
        case .jobRemoved(let unit, let result):
            guard let name = unitOwners[unit] else { return [] }
            observations.bus[name, default: .init()].jobResults[result, default: 0] += 1
            return [.log(result == "done" ? .info : .warning, "systemd: job of '\(unit)' finished: \(result)", resource: name)]
        case .unitState(let unit, let active, let sub, let result):
            guard let name = unitOwners[unit], let r = resources[name] else { return [] }
            let previous = unitStates.updateValue(active, forKey: unit)
            var effects: [PluginEffect] = []
            if active == "failed" && previous != "failed" {
                let what = "\(unit): \(result ?? sub)"
                observations.bus[name, default: .init()].unitFailures[unit, default: 0] += 1
                observations.bus[name, default: .init()].lastUnitFailure = what
                effects.append(.log(.warning, "systemd: unit failed: \(what)", resource: name))
            } else if active == "inactive" && unit != r.script.target && Self.runningStates.contains(previous ?? "")
                && !targetGoingDown(r.script.target)
            {
                effects.append(.log(.warning, "systemd: '\(unit)' stopped (\(result ?? sub))", resource: name))
            } else {
                return []
            }
            guard !stopping, r.isIdle, !r.frozen, !maintenance.current.covers(name) else { return effects }
            return effects + scheduleRepair(name, now: now)
        }
    }

    /// Whether the bus last said that `target` is stopping or stopped: its units stopping then is the
    /// target's stop (ours, or the operator's: for the ticker), not a unit that went down under it.
    /// systemd stops a target before the units it is ordered after, so its change comes first; but the
    /// promoter may only hear it after its own stop job ended (the child's exit comes first in a turn).
    func targetGoingDown(_ target: String) -> Bool {
        guard let state = unitStates[target] else { return false }
        return state != "active" && state != "activating" && state != "reloading"
    }

    /// Arms the resource's repair timer (unless one is armed) with the next backoff delay.
    mutating func scheduleRepair(_ name: String, now: Instant) -> [PluginEffect] {
        guard var r = resources[name], r.repairTimer == nil else { return [] }
        r.repairBackoff.reset(ifQuietSince: r.lastUnitFailure, now: now, period: Self.repairStablePeriod)
        let delay = r.repairBackoff.next()
        r.lastUnitFailure = now
        let token = freshToken()
        timers[token] = .repair(name)
        r.repairTimer = token
        resources[name] = r
        let ms = delay.nanosecondsClamped / 1_000_000
        return [.log(.info, "systemd: starting '\(r.script.target)' again in \(ms)ms", resource: name), .startTimer(token, at: now + delay)]
    }

    /// The repair timer fired: check the target and start it again (see the design note).
    mutating func repairDue(_ name: String, now: Instant) -> [PluginEffect] {
        guard var r = resources[name] else { return [] }
        r.repairTimer = nil
        resources[name] = r
        guard !stopping, !r.frozen else { return [] }
        observations.bus[name, default: .init()].restarts += 1
        return enqueue(name, r.script.repair, now: now)
    }

    /// Reader of the repair's `systemctl show`: the frames to run next.
    func repairFrames(_ r: ResourceState, activeState: String?) -> [PromoterFrame] {
        guard activeState == "active" || r.mayPromote else { return [] }
        return [PromoterFrame([.markStarted])] + r.script.tryStartStop
    }
}
