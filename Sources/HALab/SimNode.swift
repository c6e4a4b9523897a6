import DRBDSim
import ReactorCore
import ReactorPromoter
import ReactorLoop
import ReactorSystem

/// One simulated machine: its file system (vendor unit files; the daemon's files in memory, /run
/// emptied by a crash as a tmpfs is), its systemd, and the daemon running on it (`SimDaemon`: the real
/// daemon, whose children answer from the models). Programs systemd starts for units run here:
/// `drbdsetup`/`drbdadm` (and drbd-utils' `drbd-service-shim.sh`) against the DRBD model; the
/// services' own processes simply succeed.
final class SimNode {
    let name: String
    unowned let sim: Simulation
    private(set) var up = true
    /// Bumped by every crash: callbacks of an earlier life of the node are dropped.
    private(set) var life = 0
    /// The vendor unit files (under /lib/systemd/system), which survive a crash.
    private let vendorUnits: [String: String]
    /// The node's files as its daemon runs see them: config, run directory, drop-ins.
    let fileSystem = VirtualFileSystem()
    /// Where the daemon writes its drop-ins (emptied by a crash).
    let systemdDirectory = "/run/systemd/system"
    private(set) var systemd: SystemdModel!
    var daemon: SimDaemon?
    /// `systemctl` calls take this much longer until `slowUntil` (a fault).
    var slowBy: Duration = .zero
    var slowUntil: Duration = .zero
    /// Faults that leave the services where they are until the next UpToDate transition (so the
    /// preferred-node invariant does not expect a move back to this node).
    var hadServiceFault = false

    init(name: String, sim: Simulation, vendorUnits: [String: String]) {
        self.name = name
        self.sim = sim
        self.vendorUnits = vendorUnits
        systemd = makeSystemd()
    }

    /// The unit files systemd sees: the vendor units and the drop-ins the daemon wrote, by the path
    /// they have on a real node.
    var files: [String: String] {
        var all = vendorUnits
        for path in fileSystem.paths(under: systemdDirectory) where fileSystem.kind(path) == .regularFile {
            all[path] = fileSystem.contents(path)
        }
        return all
    }

    private func makeSystemd() -> SystemdModel {
        let life = self.life
        return SystemdModel(host: .init(
            files: { [unowned self] in self.files },
            run: { [unowned self] argv in self.runTool(argv) },
            after: { [unowned self] delay, action in
                self.sim.after(delay) { if self.up && self.life == life { action() } }
            },
            failureAction: { [unowned self] action in
                self.sim.trace(self.name, "systemd: FailureAction=\(action)")
                self.sim.after(.zero) { if self.life == life { self.sim.reboot(self.name) } }
            },
            trace: { [unowned self] line in self.sim.trace(self.name, "systemd: " + line) },
            publish: { [unowned self] message in self.daemon?.publish(message) }))
    }

    // MARK: - Life cycle

    func crash() {
        guard up else { return }
        up = false
        life += 1
        daemon?.die()
        daemon = nil
        systemd = nil
        fileSystem.empty("/run")
    }

    func boot() {
        guard !up else { return }
        up = true
        systemd = makeSystemd()
        let life = self.life
        sim.after(sim.millis(500, 3000)) { if self.up && self.life == life { self.startDaemon() } }
    }

    func startDaemon() {
        guard up, daemon == nil else { return }
        do {
            let d = try SimDaemon(node: self, config: sim.scenario.promoter)
            daemon = d
            try d.start()
        } catch {
            sim.trace(name, "daemon: could not start: \(error)")
        }
    }

    /// `systemctl restart drbd-reactor`: stop (bounded), then a new process.
    func restartDaemon() {
        guard up, let d = daemon else { return }
        let life = self.life
        d.stop { [unowned self] in
            self.daemon = nil
            self.sim.after(.milliseconds(200)) { if self.up && self.life == life { self.startDaemon() } }
        }
    }

    // MARK: - Programs

    /// A program systemd runs for a unit: the shim's verbs as drbd-utils' `drbd-service-shim.sh` maps
    /// them, the DRBD tools against the model, anything else (the services' `sleep`) succeeds.
    func runTool(_ argv: [String]) -> Int32 {
        guard let first = argv.first else { return 0 }
        let program = first.split(separator: "/").last.map(String.init) ?? first
        func drbd(_ args: [String]) -> Int32 { sim.cluster.run(name, args).exitCode }
        switch program {
        case "drbdsetup", "drbdadm":
            return drbd([program] + argv.dropFirst())
        case "drbd-service-shim.sh":
            guard argv.count >= 3 else { return 1 }
            let verb = argv[1], res = argv[2]
            switch verb {
            case "primary": return drbd(["drbdsetup", "primary", res])
            case "adjust": return drbd(["drbdadm", "adjust", res])
            case "secondary": return drbd(["drbdsetup", "secondary", res])
            case "secondary-force": return drbd(["drbdsetup", "secondary", "--force=yes", res])
            case "secondary-secondary-force":
                return drbd(["drbdsetup", "secondary", res]) == 0 ? 0 : drbd(["drbdsetup", "secondary", "--force=yes", res])
            case "secondary-or-escalate", "secondary-secondary-force-or-escalate":
                // The shim's secondary_check: a resource that is not configured counts as demoted.
                func check(_ args: [String]) -> Int32 {
                    let rc = drbd(["drbdsetup", "secondary"] + args + [res])
                    if rc == 0 { return 0 }
                    return sim.cluster.run(name, ["drbdsetup", "events2", "--now", res]).stdout.trimmingBlanks == "exists -" ? 0 : rc
                }
                let rc = check([])
                if rc == 0 || verb == "secondary-or-escalate" { return rc }
                return check(["--force=yes"])
            default: return 1
            }
        default:
            return 0
        }
    }

    /// How long a child takes: DRBD tools a few ms, systemctl a bit more (much more while slow).
    func latency(_ argv: [String]) -> Duration {
        switch argv.first {
        case "systemctl": return sim.millis(5, 60) + (sim.now < slowUntil ? slowBy : .zero)
        case "drbdsetup", "drbdadm": return sim.millis(2, 30)
        default: return sim.millis(1, 10)
        }
    }

    // MARK: - Observation

    /// Whether any of the resource's services is active here (frozen ones count: they still hold
    /// their resources).
    func servicesUp(_ r: PromoterResourceConfig) -> Bool {
        up && r.start.contains { systemd.isActive($0) }
    }

    /// Whether the resource's services all run here (target active, every service active, none frozen).
    func servicesRunning(_ r: PromoterResourceConfig) -> Bool {
        up && systemd.isActive(SystemdEscape.servicesTarget(r.name))
            && r.start.allSatisfy { systemd.isActive($0) && !systemd.frozen.contains($0) }
    }

    /// Whether every active service of the resource is frozen.
    func servicesFrozenOrDown(_ r: PromoterResourceConfig) -> Bool {
        !up || r.start.allSatisfy { !systemd.isActive($0) || systemd.frozen.contains($0) }
    }
}
