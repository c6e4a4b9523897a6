import Logging
import ReactorCore
import ReactorLoop
import ReactorPromoter
import ReactorSystem

/// Design note: promoter instances need their systemd drop-ins in place and loaded before they act, so
/// the daemon does not start them at once. For each new instance the launcher generates the drop-ins
/// (pure, `PromoterUnits`) and writes them as `.writeFile` effects through its `IOExecutor` (atomically,
/// under the systemd directory); what happens then
/// (`drbdadm --version` and its gate, **one** `systemctl daemon-reload` per pass, starting the instances
/// on the plugin host, a second reload for instances added meanwhile) is `PromoterLaunchMachine`'s, run
/// on the one `EffectRunner`; this object runs its children on the loop. Nothing waits meanwhile:
/// updates keep flowing to the other plugins, and a promoter started later first sees the then current
/// state (the host's replay).
final class PromoterLauncher {
    private let loop: EventLoop
    private let logger: Logger
    private let host: PluginHost<PluginConfig>
    private let versions: DRBDVersionSource
    let context: PromoterContext
    /// The current state as updates, for instances started now (set by the daemon, which owns the World).
    var replay: () -> [StateUpdate] = { [] }
    /// The maintenance state new instances start in (set by the daemon).
    var maintenance = PromoterMaintenance()
    private var machine = PromoterLaunchMachine<PluginConfig>()
    /// The machine's runner; this object's own, so its closures' `unowned self` cannot outlive it.
    private lazy var runner = EffectRunner<PromoterLaunchMachine<PluginConfig>.Input, PromoterLaunchMachine<PluginConfig>.Effect>(
        clock: { [unowned loop] in loop.now }, logger: logger)
    private lazy var instance = runner.add(
        handle: { [unowned self] input, now in self.machine.handle(input, now: now) },
        perform: { [unowned self] effect in self.perform(effect) })

    /// Carries out the drop-in writes.
    private let files: IOExecutor<[UInt8]>

    init(loop: EventLoop, logger: Logger, host: PluginHost<PluginConfig>, versions: DRBDVersionSource, context: PromoterContext) {
        self.loop = loop
        files = IOExecutor(loop: loop, logger: logger, what: "promoter drop-in", sourceName: "promoter drop-in")
        self.versions = versions
        self.logger = logger
        self.host = host
        self.context = context
    }

    /// The configurations prepared but not started yet (count as running for the reload diff).
    var pendingKeys: [PluginConfig] { machine.pending.map(\.key) }

    /// Generates and writes the drop-ins of every systemd-runner resource of `config`. Any error means
    /// the instance is not started (like the original: "Could not start plugin, ignoring it").
    func prepare(_ key: PluginConfig, _ config: PromoterConfig) {
        do {
            let (writes, warnings) = try Self.dropInWrites(config, under: context.systemdDirectory)
            for w in warnings { logger.warning("\(w.text)", metadata: ["resource": .string(w.resource)]) }
            for write in writes {
                if let failure = files.perform(write) { throw PromoterLaunchError.write(failure.description) }
            }
            logger.info("promoter: wrote \(writes.count) systemd drop-in(s) under '\(context.systemdDirectory)'.")
            feed(.prepared(key, config))
        } catch {
            logger.error("Could not start promoter plugin, ignoring it: \(error)")
        }
    }

    /// The drop-ins of every systemd-runner resource of `config` as file writes under `directory`, in
    /// order, with the generation warnings (resource name, text).
    static func dropInWrites(_ config: PromoterConfig, under directory: String) throws(PromoterUnitError)
        -> (writes: [IOEffect<[UInt8]>], warnings: [(resource: String, text: String)])
    {
        var writes: [IOEffect<[UInt8]>] = []
        var warnings: [(resource: String, text: String)] = []
        for resource in config.resources where resource.runner == .systemd {
            let (files, texts) = try PromoterUnits.files(for: resource)
            warnings += texts.map { (resource.name, $0) }
            writes += files.map { .writeFile(path: directory + "/" + $0.path, contents: $0.contents, mode: 0o644) }
        }
        return (writes, warnings)
    }

    /// Forgets pending instances whose configuration satisfies `predicate` (removed again, or stopping).
    func drop(where predicate: (PluginConfig) -> Bool) {
        let keys = pendingKeys.filter(predicate)
        if !keys.isEmpty { feed(.drop(keys)) }
    }

    /// After a pass of `prepare` calls: reloads systemd if anything new was prepared.
    func commit() { feed(.commit) }

    private func feed(_ input: PromoterLaunchMachine<PluginConfig>.Input) { runner.send(input, to: instance) }

    private func perform(_ effect: PromoterLaunchMachine<PluginConfig>.Effect) {
        switch effect {
        case .queryVersions:
            versions.request { [weak self] versions in self?.feed(.versions(versions)) }
        case .daemonReload:
            daemonReload()
        case .start(let ready):
            for p in ready {
                host.start(p.key, machine: PromoterMachine(config: p.config, context: context, maintenance: maintenance), replay: replay())
            }
        case .log(let level, let message):
            logger.log(level: level, "\(message)")
        }
    }

    private func daemonReload() {
        do {
            try loop.spawn(
                argv: ["systemctl", "daemon-reload"], environment: context.environment,
                stdio: .init(pipeStdin: false, captureStdout: false, captureStderr: true), name: "systemctl daemon-reload",
                onLine: { [logger] _, line in logger.info("systemctl daemon-reload: \(String(decoding: line, as: UTF8.self))") }
            ) { [weak self] exit in self?.feed(.reloaded(exit.success ? nil : "\(exit)")) }
        } catch {
            feed(.reloaded("could not be started: \(error)"))
        }
    }
}

/// Why a promoter instance could not be prepared.
enum PromoterLaunchError: Error, CustomStringConvertible {
    /// A drop-in could not be written (the executor's reason names the path).
    case write(String)

    var description: String {
        switch self {
        case .write(let reason): reason
        }
    }
}

extension PromoterContext {
    /// The environment variable that moves the generated drop-ins elsewhere (tests; default
    /// `/run/systemd/system`).
    public static let systemdDirectoryVariable = "DRBD_REACTOR_SYSTEMD_DIR"

    /// The context of this process, read once at daemon start through `files` (the daemon's loop): the
    /// node name (`uname -n`, from /proc/sys/kernel/hostname), the children's environment, the systemd
    /// directory, cgroup v2.
    public static func current(files: some FileReading) -> PromoterContext {
        let hostname = (try? files.readFile("/proc/sys/kernel/hostname")).map { String(decoding: $0, as: UTF8.self).trimmingBlanks }
        var dir = ProcessEnvironment.get(systemdDirectoryVariable) ?? ""
        if dir.isEmpty { dir = "/run/systemd/system" }
        while dir.count > 1 && dir.hasSuffix("/") { dir.removeLast() }
        return PromoterContext(
            nodeName: hostname.flatMap { $0.isEmpty ? nil : $0 }, environment: ChildProcess.inheritedEnvironment(),
            systemdDirectory: dir, unifiedCgroups: (try? files.fileInfo("/sys/fs/cgroup/cgroup.controllers")) != nil)
    }
}
