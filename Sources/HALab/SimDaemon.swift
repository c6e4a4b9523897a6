import DRBDSim
import ReactorCore
import ReactorPromoter

/// One run of the daemon on a simulated node, doing what `Daemon`, `PromoterLauncher`, `PluginHost`
/// and `Events2Source` do, but on the virtual clock: the REAL `Events2Parser`, `World` and
/// `PromoterMachine` with an effect runner whose children are the node's programs (with latency) and
/// whose timers are events of the simulation.
///
/// - start: the promoter's drop-ins are generated (`PromoterUnits.files`) and written, then
///   `drbdadm --version` and one `systemctl daemon-reload` run as children, then the instance starts
///   with the World replayed; `drbdsetup events2` is started at once;
/// - events2 EOF: the World is emptied (`removeAll`, Destroy updates delivered) and drbdsetup is
///   started again after a backoff of 2 s doubling to 60 s (back to 2 s after a minute of running);
/// - reload with a changed section: the old instance gets `.stop`, the new one starts as above;
/// - stop: `.stop` to every instance, then the process ends when they all said `.stopped`, or after
///   15 s with their children killed.
final class SimDaemon {
    unowned let node: SimNode
    var sim: Simulation { node.sim }
    private(set) var alive = true
    private(set) var world = World()
    private var config: PromoterConfig
    private var instances: [Instance] = []
    private var launch = 0
    private var reloads = 0
    private var stopping = false
    private var onExit: (() -> Void)?
    private var events2: SubscriptionID?
    private var events2Since: Duration = .zero
    private var backoff: Duration = .seconds(2)

    /// One promoter instance and what the host tracks for it.
    final class Instance {
        var machine: PromoterMachine
        var children: [PluginToken: Child] = [:]
        var timers: [PluginToken: Int] = [:]
        var nextTimer = 0
        var stopping = false
        var stopped = false
        init(machine: PromoterMachine) { self.machine = machine }
    }

    /// A running child (ends once: exit, kill, or the daemon's death).
    final class Child {
        var done = false
    }

    init(node: SimNode, config: PromoterConfig) {
        self.node = node
        self.config = config
    }

    var isRunningEvents2: Bool { events2 != nil }

    func start() {
        sim.trace(node.name, "daemon: started")
        prepare()
        spawnEvents2()
    }

    /// Writes the drop-ins, checks versions and reloads systemd, then starts the instance (the newest
    /// prepared one, if a reload came meanwhile).
    private func prepare() {
        for r in config.resources where r.runner == .systemd {
            guard let (files, _) = try? PromoterUnits.files(for: r) else { continue }
            for f in files { node.files["/run/systemd/system/" + f.path] = f.contents }
        }
        launch += 1
        let launch = self.launch, config = self.config
        child(["drbdadm", "--version"]) { [unowned self] _, _ in
            self.child(["systemctl", "daemon-reload"]) { [unowned self] _, _ in
                guard launch == self.launch, !self.stopping else { return }
                let context = PromoterContext(nodeName: self.node.name, environment: [])
                let instance = Instance(machine: PromoterMachine(config: config, context: context))
                self.instances.append(instance)
                self.sim.trace(self.node.name, "daemon: promoter started (\(config.id ?? "-"))")
                self.feed(instance, .start)
                for u in self.world.replay() { self.feed(instance, .update(u)) }
            }
        }
    }

    /// A child of the daemon itself (not of a plugin).
    private func child(_ argv: [String], then: @escaping (Int32, [String]) -> Void) {
        sim.after(node.latency(argv)) { [weak self] in
            guard let self, self.alive else { return }
            self.node.exec(argv) { [weak self] rc, lines in
                guard let self, self.alive else { return }
                then(rc, lines)
            }
        }
    }

    /// SIGHUP with a changed promoter section: the old instance stops, a new one is launched.
    func reload() {
        guard !stopping else { return }
        reloads += 1
        config.id = "reload-\(reloads)"
        sim.trace(node.name, "daemon: reload")
        for i in instances where !i.stopping {
            i.stopping = true
            feed(i, .stop)
        }
        prepare()
    }

    /// SIGTERM: stop the plugins (at most 15 s), then `exit`.
    func stop(exit: @escaping () -> Void) {
        guard !stopping else { return }
        stopping = true
        onExit = exit
        sim.trace(node.name, "daemon: stopping")
        if let id = events2 { sim.cluster.unsubscribe(id) }
        events2 = nil
        for i in instances where !i.stopping {
            i.stopping = true
            feed(i, .stop)
        }
        instances.removeAll { $0.stopped }
        if instances.isEmpty { return finish() }
        sim.after(.seconds(15)) { [weak self] in
            guard let self, self.alive else { return }
            self.sim.trace(self.node.name, "daemon: plugins did not stop within 15 s, killing their children")
            self.finish()
        }
    }

    private func finish() {
        guard alive else { return }
        sim.trace(node.name, "daemon: exited")
        die()
        onExit?()
    }

    /// The process is gone (exit or node crash): its children and timers with it.
    func die() {
        alive = false
        if let id = events2 { sim.cluster.unsubscribe(id) }
        events2 = nil
        for i in instances { for c in i.children.values { c.done = true } }
        instances = []
    }

    // MARK: - events2

    private func spawnEvents2() {
        guard alive, !stopping else { return }
        guard let id = sim.cluster.subscribe(node.name) else { return gone() }
        events2 = id
        events2Since = sim.now
    }

    /// Delivers what drbdsetup printed since the last call; EOF when the subscription ended.
    func pump() {
        guard alive, let id = events2 else { return }
        for line in sim.cluster.takeLines(id) { ingest(line) }
        if !sim.cluster.isOpen(id) { gone() }
    }

    /// Fault: drbdsetup exits.
    func killEvents2() {
        guard alive, let id = events2 else { return }
        sim.cluster.unsubscribe(id)
        gone()
    }

    private func ingest(_ line: String) {
        guard let record = try? Events2Parser.parse(line) else {
            sim.trace(node.name, "daemon: unparsable events2 line '\(line)'")
            return
        }
        deliver(world.apply(record))
    }

    private func gone() {
        events2 = nil
        sim.trace(node.name, "daemon: drbdsetup events2 gone, forgetting the state")
        deliver(world.removeAll())
        backoff = sim.now - events2Since >= .seconds(60) ? .seconds(2) : backoff
        let wait = backoff
        backoff = min(backoff * 2, .seconds(60))
        sim.after(wait) { [weak self] in
            guard let self, self.alive, self.events2 == nil else { return }
            self.spawnEvents2()
        }
    }

    private func deliver(_ updates: [StateUpdate]) {
        guard !updates.isEmpty else { return }
        for i in instances where !i.stopping {
            for u in updates { feed(i, .update(u)) }
        }
    }

    // MARK: - Effects

    private func feed(_ instance: Instance, _ input: PluginInput) {
        guard alive, !instance.stopped else { return }
        let effects = instance.machine.handle(input, now: sim.instant)
        for e in effects { run(e, instance) }
    }

    private func run(_ effect: PluginEffect, _ instance: Instance) {
        switch effect {
        case .log(let level, let message, _):
            sim.trace(node.name, "promoter \(level): \(message)")
        case .spawn(let token, let request):
            let c = Child()
            instance.children[token] = c
            let argv = request.argv
            sim.trace(node.name, "spawn: \(argv.joined(separator: " "))")
            sim.countSpawn(argv)
            sim.after(node.latency(argv)) { [weak self] in
                guard let self, self.alive, !c.done else { return }
                self.node.exec(argv) { [weak self] rc, lines in
                    guard let self, self.alive, !c.done else { return }
                    c.done = true
                    instance.children[token] = nil
                    if rc != 0 { self.sim.trace(self.node.name, "exit \(rc): \(argv.joined(separator: " "))") }
                    for l in lines { self.feed(instance, .childOutput(token, .stdout, l)) }
                    self.feed(instance, .childExited(token, .exited(rc)))
                }
            }
        case .signal(let token, let signal):
            guard let c = instance.children.removeValue(forKey: token), !c.done else { return }
            c.done = true
            sim.after(.zero) { [weak self] in self?.feed(instance, .childExited(token, .signaled(signal))) }
        case .startTimer(let token, let at):
            instance.nextTimer += 1
            let id = instance.nextTimer
            instance.timers[token] = id
            sim.at(sim.duration(at)) { [weak self] in
                guard let self, instance.timers[token] == id else { return }
                instance.timers[token] = nil
                self.feed(instance, .timer(token))
            }
        case .cancelTimer(let token):
            instance.timers[token] = nil
        case .removeFile(let path):
            node.files[path] = nil
        case .stopped:
            instance.stopped = true
            instances.removeAll { $0 === instance }
            if stopping && instances.isEmpty { sim.after(.zero) { [weak self] in self?.finish() } }
        }
    }
}
