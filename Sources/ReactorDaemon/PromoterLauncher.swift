import Logging
import ReactorCore
import ReactorLoop
import ReactorPromoter
import ReactorSystem

/// Design note: promoter instances need their systemd drop-ins in place and loaded before they act, so
/// the daemon does not start them at once. For each new instance the launcher generates the drop-ins
/// (pure, `PromoterUnits`) and writes them (atomically, under the systemd directory); once all new
/// instances of a (re)start pass are prepared, it runs **one** `systemctl daemon-reload` as a child of
/// the loop and starts the instances on the plugin host when it has exited. Nothing
/// waits for it meanwhile: updates keep flowing to the other plugins, and a promoter started later
/// first sees the then current state (the host's replay). A failed reload is logged and the instances
/// start anyway (the original exited; without the drop-ins the targets only promote).
///
/// Before each reload, `drbdadm --version` (a child too) must report what the promoter needs
/// (`PromoterVersionGate`); otherwise the pending instances are dropped with an error, and the other
/// plugins run on.
///
/// Instances added while a reload runs get a second reload after it (their files may have been written
/// after systemd read the directory); a pending instance that a reload of the configuration removed
/// again is simply dropped.
final class PromoterLauncher {
    private let loop: EventLoop
    private let logger: Logger
    private let host: PluginHost<PluginConfig>
    let context: PromoterContext
    /// The current state as updates, for instances started now (set by the daemon, which owns the World).
    var replay: () -> [StateUpdate] = { [] }
    /// The maintenance state new instances start in (set by the daemon).
    var maintenance = PromoterMaintenance()
    /// Prepared instances waiting for the reload, in configuration order.
    private(set) var pending: [(key: PluginConfig, config: PromoterConfig)] = []
    private var reloading = false
    private var reloadAgain = false
    private var added = false

    init(loop: EventLoop, logger: Logger, host: PluginHost<PluginConfig>, context: PromoterContext) {
        self.loop = loop
        self.logger = logger
        self.host = host
        self.context = context
    }

    /// The configurations prepared but not started yet (count as running for the reload diff).
    var pendingKeys: [PluginConfig] { pending.map(\.key) }

    /// Generates and writes the drop-ins of every systemd-runner resource of `config`. Any error means
    /// the instance is not started (like the original: "Could not start plugin, ignoring it").
    func prepare(_ key: PluginConfig, _ config: PromoterConfig) {
        do {
            var count = 0
            for resource in config.resources where resource.runner == .systemd {
                let (files, warnings) = try PromoterUnits.files(for: resource)
                for w in warnings { logger.warning("\(w)", metadata: ["resource": .string(resource.name)]) }
                for f in files {
                    let path = context.systemdDirectory + "/" + f.path
                    do { try FileSystem.writeAtomically(path, f.contents) } catch {
                        throw PromoterLaunchError.write(path: path, reason: error.description)
                    }
                    count += 1
                }
            }
            logger.info("promoter: wrote \(count) systemd drop-in(s) under '\(context.systemdDirectory)'.")
            pending.append((key, config))
            added = true
        } catch {
            logger.error("Could not start promoter plugin, ignoring it: \(error)")
        }
    }

    /// Forgets pending instances whose configuration satisfies `predicate` (removed again, or stopping).
    func drop(where predicate: (PluginConfig) -> Bool) {
        pending.removeAll { predicate($0.key) }
    }

    /// After a pass of `prepare` calls: reloads systemd if anything new was prepared.
    func commit() {
        guard added else { return }
        added = false
        if reloading {
            reloadAgain = true
        } else {
            reload()
        }
    }

    /// Checks the DRBD versions, then reloads systemd (or drops what is pending).
    private func reload() {
        reloading = true
        let query = DRBDVersionQuery.start(loop: loop, logger: logger) { [weak self] versions in self?.versionsKnown(versions) }
        if query == nil { versionsKnown(.unknown) }  // drbdadm could not be started (logged)
    }

    private func versionsKnown(_ versions: DRBDVersions) {
        if let problem = PromoterVersionGate.problem(with: versions) {
            // Everything pending is dropped, also what was added while the query ran: no reload is owed.
            logger.error("Not starting \(pending.count) promoter plugin(s): \(problem).")
            pending = []
            reloading = false
            reloadAgain = false
            return
        }
        daemonReload()
    }

    private func daemonReload() {
        do {
            try loop.spawn(
                argv: ["systemctl", "daemon-reload"], environment: context.environment,
                stdio: .init(pipeStdin: false, captureStdout: false, captureStderr: true), name: "systemctl daemon-reload",
                onLine: { [logger] _, line in logger.info("systemctl daemon-reload: \(String(decoding: line, as: UTF8.self))") }
            ) { [weak self] exit in self?.reloaded(exit.success ? nil : "\(exit)") }
        } catch {
            reloaded("could not be started: \(error)")
        }
    }

    /// The reload ended (`failure` says how, when it failed): reload again or start what is pending.
    private func reloaded(_ failure: String?) {
        reloading = false
        if let failure {
            logger.error("'systemctl daemon-reload' failed (\(failure)); starting the promoters anyway, their drop-ins may not be loaded.")
        }
        if reloadAgain {
            reloadAgain = false
            reload()
            return
        }
        let ready = pending
        pending = []
        for p in ready { host.start(p.key, machine: PromoterMachine(config: p.config, context: context, maintenance: maintenance), replay: replay()) }
    }
}

/// Why a promoter instance could not be prepared.
enum PromoterLaunchError: Error, CustomStringConvertible {
    case write(path: String, reason: String)

    var description: String {
        switch self {
        case .write(let path, let reason): "cannot write '\(path)': \(reason)"
        }
    }
}

extension PromoterContext {
    /// The environment variable that moves the generated drop-ins elsewhere (tests; default
    /// `/run/systemd/system`).
    public static let systemdDirectoryVariable = "DRBD_REACTOR_SYSTEMD_DIR"

    /// The context of this process, read once at daemon start: the node name (`uname -n`, from
    /// /proc/sys/kernel/hostname), the children's environment, the systemd directory, cgroup v2.
    public static func current() -> PromoterContext {
        let hostname = (try? FileSystem.readFile("/proc/sys/kernel/hostname")).map { String(decoding: $0, as: UTF8.self).trimmingBlanks }
        var dir = ProcessEnvironment.get(systemdDirectoryVariable) ?? ""
        if dir.isEmpty { dir = "/run/systemd/system" }
        while dir.count > 1 && dir.hasSuffix("/") { dir.removeLast() }
        return PromoterContext(
            nodeName: hostname.flatMap { $0.isEmpty ? nil : $0 }, environment: ChildProcess.inheritedEnvironment(),
            systemdDirectory: dir, unifiedCgroups: (try? FileSystem.info("/sys/fs/cgroup/cgroup.controllers")) != nil)
    }
}
