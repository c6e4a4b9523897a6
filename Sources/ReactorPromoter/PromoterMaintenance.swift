import Logging
import ReactorCore

/// Which promoter resources are in maintenance on this node (`drbd-reactorctl maintenance on|off
/// [RES...]`): the promoter keeps following their state (and reporting it) but starts and stops
/// nothing for them, so a node in maintenance (`node`) does not take any resource either. The daemon
/// reads it from a state file (`text` below) at start and on every reload.
public struct PromoterMaintenance: Hashable, Sendable {
    /// The whole node.
    public var node: Bool
    /// Single resources.
    public var resources: Set<String>

    public init(node: Bool = false, resources: Set<String> = []) {
        self.node = node
        self.resources = resources
    }

    public var isEmpty: Bool { !node && resources.isEmpty }

    /// Whether `resource` is held.
    public func covers(_ resource: String) -> Bool { node || resources.contains(resource) }

    /// The state file's format: one entry per line, `*` for the whole node, else a resource name;
    /// blank lines and `#` comments are ignored.
    public static func parse(_ text: String) -> PromoterMaintenance {
        var m = PromoterMaintenance()
        for raw in text.split(separator: "\n") {
            let line = String(raw).trimmingBlanks
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line == "*" { m.node = true } else { m.resources.insert(line) }
        }
        return m
    }

    /// The state file's text (sorted, so the same state always reads the same).
    public var text: String {
        "# drbd-reactor maintenance: '*' is the whole node, other lines are resources (drbd-reactorctl maintenance)\n"
            + (node ? "*\n" : "") + resources.sorted().map { $0 + "\n" }.joined()
    }
}

extension PromoterMachine {
    /// What the machine keeps about maintenance: the current state and the resources whose held job
    /// was logged already (once per resource and state, not on every 20 s tick).
    struct MaintenanceState: Hashable, Sendable {
        var current = PromoterMaintenance()
        var logged: Set<String> = []
    }

    /// A machine that starts in `maintenance` (its initial start is held too).
    public init(config: PromoterConfig, context: PromoterContext, maintenance: PromoterMaintenance) {
        self.init(config: config, context: context)
        self.maintenance.current = maintenance
    }

    /// The maintenance state, as last set.
    public var maintenanceState: PromoterMaintenance { maintenance.current }

    /// The pure input of a new maintenance state: logs which of this instance's resources enter or
    /// leave maintenance. A job already running finishes; no new one starts for a held resource. A
    /// resource leaving maintenance is started again by the ticker when DRBD lets it promote.
    public mutating func setMaintenance(_ new: PromoterMaintenance) -> [PluginEffect] {
        let old = maintenance.current
        maintenance = MaintenanceState(current: new, logged: [])
        return config.resources.map(\.name).sorted().compactMap { name in
            switch (old.covers(name), new.covers(name)) {
            case (false, true): .log(.info, "resource '\(name)' is in maintenance: its services are neither started nor stopped", resource: name)
            case (true, false): .log(.info, "resource '\(name)' left maintenance", resource: name)
            default: nil
            }
        }
    }

    /// For `enqueue`: nil when the resource is not in maintenance, else the effects of dropping the job
    /// (a log line, the first time).
    mutating func heldByMaintenance(_ name: String) -> [PluginEffect]? {
        guard maintenance.current.covers(name) else { return nil }
        guard maintenance.logged.insert(name).inserted else { return [] }
        return [.log(.info, "resource '\(name)' is in maintenance: not starting or stopping anything", resource: name)]
    }
}
