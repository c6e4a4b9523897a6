
/// Builders for promoter machine tests: configs, DRBD state updates, and a driver that answers the
/// machine's children like the real programs would.
enum PromoterFixture {
    static let t0 = Instant(nanoseconds: 1_000_000_000)
    static let env = ["PATH=/standin"]
    static let context = PromoterContext(nodeName: "n1", environment: env, systemdDirectory: "/sd", unifiedCgroups: true)

    static func config(_ name: String = "r0", _ tweak: (inout PromoterResourceConfig) -> Void = { _ in }) -> PromoterResourceConfig {
        var r = PromoterResourceConfig(name: name)
        r.start = ["a.service"]
        r.adjustResourceOnStart = false
        tweak(&r)
        return r
    }

    static func machine(_ resources: PromoterResourceConfig...) -> PromoterMachine {
        PromoterMachine(config: PromoterConfig(resources: resources), context: context)
    }

    /// `drbdsetup show --show-defaults --json` of a well-configured resource.
    static func showJSON(_ name: String = "r0", quorum: String = "majority", onNoQuorum: String = "io-error", fencing: String = "dont-care") -> String {
        """
        [{"resource": "\(name)", "options": {"auto-promote": false, "quorum": "\(quorum)", "on-no-quorum": "\(onNoQuorum)",
          "on-suspended-primary-outdated": "force-secondary", "on-no-data-accessible": "\(onNoQuorum)"},
          "connections": [{"net": {"rr-conflict": "retry-connect", "fencing": "\(fencing)"}}]}]
        """
    }

    /// A resource with one UpToDate-or-`disk` volume and one peer (`peer-a`, node id 1).
    static func resource(_ name: String = "r0", role: Role = .secondary, disk: DiskState? = .upToDate, quorum: Bool = true,
                         peerDisk: DiskState = .upToDate, connection: ConnectionState = .connected) -> Resource {
        var r = Resource(name: name)
        r.role = role
        if let disk {
            var d = Device(volume: 0)
            d.diskState = disk
            d.quorum = quorum
            r.devices[0] = d
        }
        var c = Connection(peerNodeID: 1)
        c.connectionName = "peer-a"
        c.connectionState = connection
        var pd = PeerDevice(volume: 0)
        pd.peerDiskState = peerDisk
        c.peerDevices[0] = pd
        r.connections[1] = c
        return r
    }

    static func mayPromote(_ r: Resource, from old: Bool = false, to new: Bool = true, event: EventType = .change) -> StateUpdate {
        var o = ResourceState(), n = ResourceState()
        o.mayPromote = old
        n.mayPromote = new
        o.role = r.role
        n.role = r.role
        return StateUpdate(eventType: event, resourceName: r.name, kind: .resource(old: o, new: n), resource: r)
    }

    static func role(_ r: Resource, from old: Role, to new: Role) -> StateUpdate {
        var o = ResourceState(), n = ResourceState()
        o.role = old
        n.role = new
        return StateUpdate(eventType: .change, resourceName: r.name, kind: .resource(old: o, new: n), resource: r)
    }

    static func quorum(_ r: Resource, from old: Bool, to new: Bool) -> StateUpdate {
        var o = DeviceState(), n = DeviceState()
        o.diskState = .upToDate
        n.diskState = .upToDate
        o.quorum = old
        n.quorum = new
        return StateUpdate(eventType: .change, resourceName: r.name, kind: .device(volume: 0, old: o, new: n), resource: r)
    }

    static func disk(_ r: Resource, from old: DiskState, to new: DiskState) -> StateUpdate {
        var o = DeviceState(), n = DeviceState()
        o.diskState = old
        n.diskState = new
        return StateUpdate(eventType: .change, resourceName: r.name, kind: .device(volume: 0, old: o, new: n), resource: r)
    }

    static func peerDisk(_ r: Resource, from old: DiskState, to new: DiskState) -> StateUpdate {
        var o = PeerDeviceState(), n = PeerDeviceState()
        o.peerDiskState = old
        n.peerDiskState = new
        return StateUpdate(eventType: .change, resourceName: r.name, kind: .peerDevice(peerNodeID: 1, volume: 0, old: o, new: n), resource: r)
    }
}

/// Drives a machine: remembers which children run, answers them, and records everything in order.
struct PromoterDriver {
    var machine: PromoterMachine
    var now = PromoterFixture.t0
    /// Running children by token.
    var running: [PluginToken: [String]] = [:]
    /// Armed timers by token.
    var timers: [PluginToken: Instant] = [:]
    /// Every effect so far.
    var effects: [PluginEffect] = []

    init(_ machine: PromoterMachine) { self.machine = machine }

    @discardableResult
    mutating func feed(_ input: PluginInput) -> [PluginEffect] { record(machine.handle(input, now: now)) }

    /// Feeds what systemd reported over the bus.
    @discardableResult
    mutating func observe(_ event: SystemdUnitEvent) -> [PluginEffect] { record(machine.observe(event, now: now)) }

    /// Tracks the children and timers of `out` and appends it to `effects`.
    private mutating func record(_ out: [PluginEffect]) -> [PluginEffect] {
        for e in out {
            switch e {
            case .spawn(let t, let req):
                precondition(req.environment == PromoterFixture.env && req.captureOutput)
                running[t] = req.argv
            case .startTimer(let t, let at): timers[t] = at
            case .cancelTimer(let t): timers[t] = nil
            default: break
            }
        }
        effects += out
        return out
    }

    /// The argv of the spawns in `effects`, in order.
    static func commands(_ effects: [PluginEffect]) -> [[String]] {
        effects.compactMap { if case .spawn(_, let r) = $0 { r.argv } else { nil } }
    }

    /// The log messages in `effects` at `level` or above.
    static func logs(_ effects: [PluginEffect], atLeast level: Logger.Level = .info) -> [String] {
        effects.compactMap { if case .log(let l, let m, _) = $0, l >= level { m } else { nil } }
    }

    /// The token of the running child whose argv starts with `prefix`.
    func token(_ prefix: [String]) -> PluginToken? {
        running.filter { Array($0.value.prefix(prefix.count)) == prefix }.keys.min()
    }

    /// Ends the running child that starts with `prefix` (it must exist) after it printed `stdout`.
    @discardableResult
    mutating func answer(_ prefix: [String], exit: Int32 = 0, stdout: [String] = []) -> [PluginEffect] {
        guard let t = token(prefix) else { preconditionFailure("no running child \(prefix); running: \(running.values)") }
        var out: [PluginEffect] = []
        for line in stdout { out += feed(.childOutput(t, .stdout, line)) }
        running[t] = nil
        return out + feed(.childExited(t, .exited(exit)))
    }

    /// Fires the earliest armed timer, moving the clock to its deadline.
    @discardableResult
    mutating func fireTimer() -> [PluginEffect] {
        guard let (t, at) = timers.min(by: { $0.value < $1.value }) else { preconditionFailure("no timer") }
        timers[t] = nil
        now = at
        return feed(.timer(t))
    }

    /// Answers the policy detection for `name` like a well-configured quorum resource.
    @discardableResult
    mutating func detect(_ name: String = "r0", json: String? = nil) -> [PluginEffect] {
        answer(["drbdsetup", "show", "--show-defaults", "--json", name], stdout: [json ?? PromoterFixture.showJSON(name)])
    }

    /// Answers a whole successful systemd start of `name`'s target.
    mutating func startSucceeds(_ name: String = "r0") {
        let target = SystemdEscape.servicesTarget(name)
        answer(["systemctl", "reset-failed", target])
        answer(["systemctl", "start", target])
        answer(["systemctl", "show", "--property=ActiveState", target], stdout: ["ActiveState=active"])
    }
}

import Logging
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorLoop
@testable import ReactorLog
@testable import ReactorPromoter
@testable import ReactorUMH
@testable import ReactorDebugger
@testable import ReactorAgentX
@testable import ReactorPrometheus
@testable import ReactorDaemon
