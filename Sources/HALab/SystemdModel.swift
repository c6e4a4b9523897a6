import ReactorCore
import ReactorDaemon

/// One node's systemd, close enough for the promoter's units: it reads the unit files and drop-ins
/// from the node's file system at `daemon-reload` (so the promoter's drop-ins count only as written and
/// loaded), and runs start/stop jobs with systemd's dependency semantics:
/// - start pulls in `Requires=`, `Wants=`, `BindsTo=` and `Requisite=` (which must already be active),
///   starts them in `After=` order (targets order after what they pull in), and fails a unit whose
///   required (`Requires=`/`BindsTo=`) unit did not become active ("dependency");
/// - `ExecCondition=` failing (exit 1-254) leaves a unit inactive without failing it; `Type=oneshot`
///   with `RemainAfterExit=yes` stays active after its `ExecStart=`;
/// - stop propagates to units that are `PartOf=`, `Requires=` or `BindsTo=` the stopped one, in reverse
///   `After=` order, running `ExecStop=`; a unit whose `BindsTo=` unit is no longer active is stopped;
/// - a failing unit starts its `OnFailure=` units, and a failing unit with `FailureAction=` reboots
///   the node; `Conflicts=` stops the other unit first;
/// - a service can be made to fail its next start, to hang in `activating` until its start timeout
///   (`TimeoutStartSec=`, default 10 s here) and then fail, or to crash while active (the faults).
/// Every state change is signalled on the node's bus (`Host.publish`: PropertiesChanged, and JobRemoved
/// when a start job ends), so the daemon's systemd watch hears the lab's systemd as it hears the real one.
/// Not modelled: `Restart=`, start rate limits, job merging beyond "a stop cancels a pending start".
public final class SystemdModel {
    /// A unit's `ActiveState=`.
    public enum State: String, Sendable { case inactive, activating, active, deactivating, failed }

    /// What the next start of a service does (a fault sets it, the start consumes it).
    public enum StartFault: Sendable { case fail, hang }

    /// What the model needs from the node it runs on.
    public struct Host {
        /// The node's files (unit files, drop-ins), read at `daemon-reload`.
        var files: () -> [String: String]
        /// Runs a program as the node would (the DRBD tools); returns the exit status.
        var run: ([String]) -> Int32
        /// Calls back after `delay` unless the node rebooted meanwhile.
        var after: (Duration, @escaping () -> Void) -> Void
        /// A `FailureAction=` other than none fired.
        var failureAction: (String) -> Void
        var trace: (String) -> Void
        /// Tells the node's bus what systemd would signal (a unit's change, a job's end).
        var publish: (BusMessage) -> Void = { _ in }
    }

    let host: Host
    private var loaded: [String: String] = [:]
    private var definitions: [String: UnitDefinition?] = [:]
    public private(set) var states: [String: State] = [:]
    public private(set) var frozen: Set<String> = []
    public var startFaults: [String: StartFault] = [:]
    /// Start jobs waiting for a hanging unit, with the clients waiting for them.
    private var pending: [Job] = []
    private var nextJob = 0

    /// A start job in progress (only jobs that wait for a hanging unit live longer than one call).
    final class Job {
        let id: Int
        let anchor: String
        var order: [String]
        var index = 0
        var waiters: [(Bool, String) -> Void] = []
        var done = false
        init(id: Int, anchor: String, order: [String]) {
            self.id = id
            self.anchor = anchor
            self.order = order
        }
    }

    init(host: Host) {
        self.host = host
        daemonReload()
    }

    public func state(_ unit: String) -> State { states[unit] ?? .inactive }
    public func isActive(_ unit: String) -> Bool { state(unit) == .active }

    func definition(_ unit: String) -> UnitDefinition? {
        if let d = definitions[unit] { return d }
        let d = UnitLoader.load(unit, files: loaded)
        definitions[unit] = d
        return d
    }

    public func daemonReload() {
        loaded = host.files()
        definitions = [:]
    }

    // MARK: - systemctl

    /// `systemctl ARGS`: exit status and stdout lines, handed to `reply` (at once, or when the job a
    /// `start` waits for ends).
    func systemctl(_ args: [String], reply: @escaping (Int32, [String]) -> Void) {
        let words = args.filter { !$0.hasPrefix("--") }
        guard let verb = words.first else { return reply(1, []) }
        let units = Array(words.dropFirst())
        switch verb {
        case "daemon-reload":
            daemonReload()
            reply(0, [])
        case "start":
            guard let unit = units.first else { return reply(1, []) }
            start(unit) { ok, why in
                if !ok { self.host.trace("systemctl start \(unit): \(why)") }
                reply(ok ? 0 : 1, [])
            }
        case "stop":
            for u in units { stop(u) }
            reply(0, [])
        case "reset-failed":
            for u in units where state(u) == .failed { set(u, .inactive) }
            reply(0, [])
        case "show":
            reply(0, units.map { _ in "ActiveState=\(state(units[0]).rawValue)" })
        case "is-active":
            reply(units.allSatisfy(isActive) ? 0 : 3, units.map { state($0).rawValue })
        case "list-dependencies":
            guard let unit = units.first, let def = definition(unit) else { return reply(1, []) }
            reply(0, [unit] + Set(def.pulled).sorted().map { "  " + $0 })
        case "freeze", "thaw":
            let ok = units.allSatisfy { isActive($0) && definition($0)?.isTarget == false }
            if ok { for u in units { if verb == "freeze" { frozen.insert(u) } else { frozen.remove(u) } } }
            reply(ok ? 0 : 1, [])
        default:
            reply(1, [])
        }
    }

    // MARK: - Start

    /// Starts `unit` and what it pulls in; `done(success, why)` once the anchor's job ended.
    func start(_ unit: String, done: @escaping (Bool, String) -> Void) {
        guard definition(unit) != nil else { return done(false, "Unit \(unit) not found.") }
        var closure: [String] = [], seen: Set<String> = []
        func visit(_ u: String) {
            guard seen.insert(u).inserted else { return }
            closure.append(u)
            for d in definition(u)?.pulled ?? [] { visit(d) }
        }
        visit(unit)
        for u in closure {
            for c in definition(u)?.units("Conflicts") ?? [] where state(c) != .inactive && state(c) != .failed { stop(c) }
        }
        let job = Job(id: nextJob, anchor: unit, order: orderForStart(closure))
        nextJob += 1
        job.waiters.append(done)
        run(job)
    }

    /// Units sorted so that every unit comes after the units it is ordered `After=` (stable otherwise).
    func orderForStart(_ units: [String]) -> [String] {
        let set = Set(units)
        var before: [String: Set<String>] = [:]  // unit -> units that must start first
        for u in units {
            for a in definition(u)?.after ?? [] where set.contains(a) { before[u, default: []].insert(a) }
            for b in definition(u)?.units("Before") ?? [] where set.contains(b) { before[b, default: []].insert(u) }
        }
        var out: [String] = [], placed: Set<String> = []
        var progress = true
        while out.count < units.count && progress {
            progress = false
            for u in units where !placed.contains(u) && (before[u] ?? []).isSubset(of: placed) {
                out.append(u)
                placed.insert(u)
                progress = true
            }
        }
        return out + units.filter { !placed.contains($0) }  // an ordering cycle: systemd breaks it somewhere too
    }

    private func run(_ job: Job) {
        while job.index < job.order.count {
            let u = job.order[job.index]
            if state(u) == .activating { return wait(job) }
            job.index += 1
            guard state(u) != .active, let def = definition(u) else { continue }
            // A unit whose required units (ordered before it) did not come up is not started.
            let hard = def.units("Requires") + def.units("BindsTo")
            let after = Set(def.after)
            if hard.contains(where: { after.contains($0) && !isActive($0) }) || def.units("Requisite").contains(where: { !isActive($0) }) {
                continue
            }
            activate(def)
            if state(u) == .activating { return wait(job) }
        }
        finish(job)
    }

    private func wait(_ job: Job) {
        if !pending.contains(where: { $0 === job }) { pending.append(job) }
    }

    private func finish(_ job: Job) {
        guard !job.done else { return }
        job.done = true
        pending.removeAll { $0 === job }
        enforceBindings()
        let ok = isActive(job.anchor)
        host.publish(SystemdSignals.jobRemoved(id: UInt32(truncatingIfNeeded: job.id), unit: job.anchor, result: ok ? "done" : "failed"))
        for w in job.waiters { w(ok, ok ? "" : "Job for \(job.anchor) failed (\(state(job.anchor).rawValue)).") }
    }

    /// Runs a unit's start: conditions, then the start commands (or, for a lab service, its fault).
    private func activate(_ def: UnitDefinition) {
        let u = def.name
        if def.isTarget {
            set(u, .active)
            return
        }
        for (argv, _) in def.commands("ExecCondition") {
            let rc = host.run(argv)
            if rc != 0 {
                host.trace("\(u): condition '\(argv.joined(separator: " "))' failed (\(rc)), not starting")
                set(u, rc == 255 ? .failed : .inactive)
                return
            }
        }
        switch startFaults.removeValue(forKey: u) {
        case .fail?:
            host.trace("\(u): start failed (fault)")
            failed(u, result: "exit-code")
            return
        case .hang?:
            host.trace("\(u): start hangs (fault)")
            set(u, .activating)
            let timeout = Duration.seconds(Int(def.value("TimeoutStartSec") ?? "10") ?? 10)
            host.after(timeout) { [weak self] in self?.startTimedOut(u) }
            return
        case nil:
            break
        }
        for (argv, ignore) in def.commands("ExecStart") where host.run(argv) != 0 && !ignore {
            failed(u, result: "exit-code")
            return
        }
        set(u, def.value("Type") == "oneshot" && def.value("RemainAfterExit") != "yes" ? .inactive : .active)
    }

    private func startTimedOut(_ unit: String) {
        guard state(unit) == .activating else { return }
        host.trace("\(unit): start timed out")
        failed(unit, result: "timeout")
        for job in pending where job.order.contains(unit) { run(job) }
    }

    // MARK: - Stop

    /// Stops `unit` and every unit that is part of it, requires it or is bound to it.
    public func stop(_ unit: String) {
        var closure: [String] = [], seen: Set<String> = []
        func visit(_ u: String) {
            guard seen.insert(u).inserted else { return }
            closure.append(u)
            for other in states.keys.sorted() {
                guard state(other) != .inactive, let def = definition(other) else { continue }
                if def.units("PartOf").contains(u) || def.units("Requires").contains(u) || def.units("BindsTo").contains(u) { visit(other) }
            }
        }
        visit(unit)
        for u in orderForStart(closure).reversed() where state(u) != .inactive { deactivate(u) }
        cancelJobs(touching: Set(closure))
        enforceBindings()
    }

    private func deactivate(_ u: String) {
        if state(u) == .failed { return }  // stays failed until reset-failed
        frozen.remove(u)
        if state(u) == .activating {
            set(u, .inactive)
            return
        }
        let def = definition(u)
        for (argv, ignore) in def?.commands("ExecStop") ?? [] where host.run(argv) != 0 && !ignore {
            host.trace("\(u): stop command '\(argv.joined(separator: " "))' failed")
            failed(u, result: "exit-code")
            return
        }
        set(u, .inactive)
    }

    private func cancelJobs(touching units: Set<String>) {
        for job in pending where job.order.contains(where: units.contains) {
            job.index = job.order.count
            finish(job)
        }
    }

    /// A unit bound (`BindsTo=`) to a unit that is not active is stopped, until nothing changes.
    private func enforceBindings() {
        var changed = true
        while changed {
            changed = false
            for (u, s) in states where s == .active || s == .activating {
                guard let def = definition(u) else { continue }
                if def.units("BindsTo").contains(where: { state($0) != .active && state($0) != .activating }) {
                    host.trace("\(u): stopped, a unit it is bound to is not active")
                    stop(u)
                    changed = true
                    break
                }
            }
        }
    }

    // MARK: - States

    /// Sets a unit's state and, when it changed, signals it on the node's bus as systemd does: for a
    /// service that failed, first its `Result`, then the unit's `ActiveState`/`SubState`.
    private func set(_ u: String, _ new: State, result: String? = nil) {
        let old = state(u)
        states[u] = new
        guard new != old else { return }
        let target = u.hasSuffix(".target")
        let sub =
            switch new {
            case .inactive: "dead"
            case .activating: "start"
            case .active: target ? "active" : "running"
            case .deactivating: "stop"
            case .failed: "failed"
            }
        for m in SystemdSignals.unitChanged(u, activeState: new.rawValue, subState: sub, result: target ? nil : result) { host.publish(m) }
    }

    // MARK: - Failures

    /// The unit failed: `OnFailure=` units start, `FailureAction=` fires.
    private func failed(_ u: String, result: String) {
        set(u, .failed, result: result)
        frozen.remove(u)
        guard let def = definition(u) else { return }
        for f in def.units("OnFailure") { start(f) { _, _ in } }
        if let action = def.value("FailureAction"), action != "none" { host.failureAction(action) }
    }

    /// Fault: an active service's main process dies.
    public func crash(_ unit: String) {
        guard isActive(unit) else { return }
        host.trace("\(unit): crashed (fault)")
        failed(unit, result: "signal")
        enforceBindings()
    }

    /// Every active service, for invariants.
    public func activeUnits() -> [String] { states.filter { $0.value == .active }.map(\.key).sorted() }
}
