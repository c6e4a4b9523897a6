import Logging
import ReactorCore
import ReactorPromoter

/// Design note: the promoter launcher's sequence as a machine (`PromoterLauncher` carries it out).
///
/// Prepared instances (their drop-ins written) wait until a pass of the configuration is committed;
/// then `drbdadm --version` must report what the promoter needs (`PromoterVersionGate`, otherwise every
/// pending instance is dropped with an error), then one `systemctl daemon-reload` runs, and when it has
/// ended the pending instances start, in configuration order (a failed reload is logged and they start
/// anyway: without the drop-ins the targets only promote). Instances prepared while a reload runs get a
/// second one after it (their files may have been written after systemd read the directory); an
/// instance dropped again before its start (a reload removed it, or the daemon stops) never starts.
struct PromoterLaunchMachine<Key: Hashable>: Machine {
    enum Input {
        /// An instance's drop-ins are written; it waits for the next commit.
        case prepared(Key, PromoterConfig)
        /// Forget these pending instances.
        case drop([Key])
        /// A (re)start pass of the configuration is complete.
        case commit
        /// What `drbdadm --version` said (`.unknown` when it could not be started).
        case versions(DRBDVersions)
        /// `systemctl daemon-reload` ended: nil when it succeeded, else how it failed.
        case reloaded(String?)
    }

    enum Effect: MachineEffect {
        case queryVersions
        case daemonReload
        /// Start these instances now, in this order.
        case start([(key: Key, config: PromoterConfig)])
        case log(Logger.Level, String)

        /// The launcher runs as long as the daemon: no last word.
        var endsMachine: Bool { false }
    }

    /// Prepared instances waiting for the reload, in configuration order.
    private(set) var pending: [(key: Key, config: PromoterConfig)] = []
    private var reloading = false
    private var reloadAgain = false
    private var added = false

    mutating func handle(_ input: Input, now: Instant) -> [Effect] {
        switch input {
        case .prepared(let key, let config):
            pending.append((key, config))
            added = true
            return []
        case .drop(let keys):
            pending.removeAll { keys.contains($0.key) }
            return []
        case .commit:
            guard added else { return [] }
            added = false
            if reloading {
                reloadAgain = true
                return []
            }
            reloading = true
            return [.queryVersions]
        case .versions(let versions):
            guard let problem = PromoterVersionGate.problem(with: versions) else { return [.daemonReload] }
            // Everything pending is dropped, also what was added while the query ran: no reload is owed.
            let count = pending.count
            pending = []
            reloading = false
            reloadAgain = false
            return [.log(.error, "Not starting \(count) promoter plugin(s): \(problem).")]
        case .reloaded(let failure):
            reloading = false
            var effects: [Effect] = []
            if let failure {
                effects.append(.log(.error, "'systemctl daemon-reload' failed (\(failure)); starting the promoters anyway, their drop-ins may not be loaded."))
            }
            if reloadAgain {
                reloadAgain = false
                reloading = true
                return effects + [.queryVersions]
            }
            let ready = pending
            pending = []
            return effects + (ready.isEmpty ? [] : [.start(ready)])
        }
    }
}
