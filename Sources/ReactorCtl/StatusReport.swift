import ReactorCore

/// A unit and its systemd states.
public struct UnitStatus: Hashable, Sendable {
    public var name: String
    /// `ActiveState` (`active`, `inactive`, `failed`, ...; `unknown`).
    public var status: String
    /// `FreezerState` (`running`, `frozen`, ...; `unknown`).
    public var freezer: String

    public init(name: String, status: String, freezer: String) {
        self.name = name
        self.status = status
        self.freezer = freezer
    }
}

/// One TCP connect attempt of `status --verbose` to a prometheus address: nil error means it connected.
public struct Probe: Hashable, Sendable {
    public var address: String
    public var error: String?

    public init(address: String, error: String?) {
        self.address = address
        self.error = error
    }
}

/// What `status` reports about one plugin.
public enum PluginStatus: Hashable, Sendable {
    case promoter(resource: String, primaryOn: PrimaryNode, target: UnitStatus, dependencies: [UnitStatus])
    /// `probes`: with `--verbose`, each address tried.
    case prometheus(address: String, probes: [Probe])
    case debugger
    case umh
    case agentx(address: String)

    /// The `--json` group this plugin belongs to.
    public var group: String {
        switch self {
        case .promoter: "promoter"
        case .prometheus: "prometheus"
        case .debugger: "debugger"
        case .umh: "umh"
        case .agentx: "agentx"
        }
    }

    /// The plugin's `--json` object; `status` is the state of a non-promoter plugin.
    func json(path: String, enabled: Bool, status: String) -> JSONText {
        var fields: [(String, JSONText)] = []
        switch self {
        case .promoter(let resource, let primaryOn, let target, let deps):
            fields = [
                ("drbd_resource", .string(resource)), ("path", .string(path)), ("enabled", .bool(enabled)),
                ("primary_on", .string(primaryOn.name)), ("target", target.json), ("dependencies", .array(deps.map(\.json))),
                ("status", .string(target.status)),
            ]
        case .prometheus(let address, _), .agentx(let address):
            fields = [("path", .string(path)), ("enabled", .bool(enabled)), ("address", .string(address)), ("status", .string(status))]
        case .debugger, .umh:
            fields = [("path", .string(path)), ("enabled", .bool(enabled)), ("status", .string(status))]
        }
        return .object(fields)
    }
}

extension UnitStatus {
    var json: JSONText { .object([("name", .string(name)), ("status", .string(status)), ("freezer", .string(freezer))]) }
}

/// `status`: every plugin of the snippets with its state, as terminal text or JSON.
public struct StatusReport: Sendable {
    public struct Entry: Sendable, Hashable {
        public var path: String
        public var enabled: Bool
        public var plugin: PluginStatus
    }

    public var entries: [Entry] = []
    /// The daemon's own view of each promoter resource (control socket), when it answered.
    public var daemon: [String: DaemonView] = [:]
    /// `ActiveState` of drbd-reactor.service: a non-promoter plugin runs exactly when the daemon does
    /// (the original always claimed "active"/"started").
    public var daemonState: String

    public init(entries: [Entry] = [], daemonState: String) {
        self.entries = entries
        self.daemonState = daemonState
    }

    /// The state word of a non-promoter plugin: the daemon's when enabled, else `inactive`.
    func pluginState(_ e: Entry) -> String { e.enabled ? daemonState : "inactive" }

    /// `--json`: `{"promoter":[...],"prometheus":[...],"debugger":[...],"umh":[...],"agentx":[...]}`,
    /// compact, with a trailing newline (the original had none).
    public func json() -> String {
        let groups = ["promoter", "prometheus", "debugger", "umh", "agentx"].map { g in
            (g, JSONText.array(entries.filter { $0.plugin.group == g }.map { e in
                let json = e.plugin.json(path: e.path, enabled: e.enabled, status: pluginState(e))
                guard case .promoter(let resource, _, _, _) = e.plugin, e.enabled, let view = daemon[resource], case .object(let fields) = json else { return json }
                return .object(fields + view.json)
            }))
        }
        return JSONText.object(groups).text + "\n"
    }

    /// The terminal text: per plugin its path, its block and an empty line.
    public func lines(paint: (String, [Style]) -> String) -> [String] {
        var out: [String] = []
        if daemonState != "active" && entries.contains(where: { if case .promoter = $0.plugin { false } else { $0.enabled } }) {
            out.append(paint("WARN:", [.bold, .red]) + " \(ServiceUnits.daemon) is \(daemonState): its plugins are not running")
        }
        for e in entries {
            out.append("\(e.path):")
            out += block(e, paint: paint)
            out.append("")
        }
        return out
    }

    func block(_ e: Entry, paint: (String, [Style]) -> String) -> [String] {
        let disabled = e.enabled ? "" : " (disabled)"
        switch e.plugin {
        case .promoter(let resource, let primaryOn, let target, let deps):
            let on: String
            switch primaryOn {
            case .local: on = "this node"
            case .peer(let n): on = "node '\(n)'"
            case .unknown: on = "<unknown>"
            }
            let head = "Promoter: Resource \(resource)\(disabled) currently active on \(on)"
            guard e.enabled else {
                if case .local = primaryOn { return [head, paint("WARN:", [.bold, .red]) + " disabled but Primary"] }
                return [head]
            }
            var why: [String] = []
            if let view = daemon[resource] {
                if view.maintenance { why.append("  maintenance: nothing is started or stopped here") }
                if !view.here, let reason = view.whyNot { why.append("  why not here: " + reason) }
                if let line = view.systemdLine { why.append("  " + line) }
            }
            return [head] + why + [Self.unitLine(target, prefix: "", paint: paint)]
                + deps.enumerated().map { i, d in Self.unitLine(d, prefix: i == deps.count - 1 ? "└─ " : "├─ ", paint: paint) }
        case .prometheus(let address, let probes):
            return ["Prometheus\(disabled): listening on \(address)"]
                + probes.map { "TCP Connect (\($0.address)): " + ($0.error.map { "failed (\($0))" } ?? "success") }
        case .debugger: return ["Debugger\(disabled): started"]
        case .umh: return ["UMH\(disabled): started"]
        case .agentx(let address): return ["AgentX\(disabled): connecting to main agent at \(address)"]
        }
    }

    /// `● ├─ unit(frozen)`: systemctl's symbol for the state, the tree prefix, the freezer state unless
    /// it is `running` or `unknown`.
    static func unitLine(_ u: UnitStatus, prefix: String, paint: (String, [Style]) -> String) -> String {
        let (symbol, styles) = symbol(u.status)
        var freezer = ""
        if u.freezer != "running" && u.freezer != "unknown" {
            freezer = "(" + paint(u.freezer, u.freezer == "freezing" || u.freezer == "frozen" ? [.blue] : []) + ")"
        }
        return paint(symbol, styles) + " " + prefix + u.name + freezer
    }

    /// systemctl's symbol and colour for an `ActiveState`.
    static func symbol(_ state: String) -> (String, [Style]) {
        switch state {
        case "active": ("●", [.bold, .green])
        case "reloading", "refreshing": ("↻", [.bold, .green])
        case "failed": ("×", [.bold, .red])
        case "activating", "deactivating": ("●", [.bold])
        case "inactive", "maintenance": ("○", [])
        default: ("?", [])
        }
    }
}

/// What the daemon says about one of its promoter resources (`ControlMessages.status`).
public struct DaemonView: Hashable, Sendable {
    public var here: Bool
    public var whyNot: String?
    public var maintenance: Bool
    /// From the daemon's view of systemd over the bus (zero and nil without a bus): units of the
    /// resource that failed, the last one (`<unit>: <result>`), and how often the target was started again.
    public var unitFailures: UInt64 = 0
    public var lastUnitFailure: String?
    public var restarts: UInt64 = 0

    public init(here: Bool, whyNot: String?, maintenance: Bool, unitFailures: UInt64 = 0, lastUnitFailure: String? = nil, restarts: UInt64 = 0) {
        self.here = here
        self.whyNot = whyNot
        self.maintenance = maintenance
        self.unitFailures = unitFailures
        self.lastUnitFailure = lastUnitFailure
        self.restarts = restarts
    }

    /// `systemd: 2 unit failures (last: a.service: exit-code), started again 2 times`, when there was any.
    var systemdLine: String? {
        guard unitFailures > 0 || restarts > 0 else { return nil }
        var line = "systemd: \(unitFailures) unit failure\(unitFailures == 1 ? "" : "s")"
        if let lastUnitFailure { line += " (last: \(lastUnitFailure))" }
        return line + ", started again \(restarts) time\(restarts == 1 ? "" : "s")"
    }

    /// The views in a status answer, by resource.
    public static func parse(_ status: JSONValue?) -> [String: DaemonView] {
        var views: [String: DaemonView] = [:]
        for p in status?["promoter"]?.array ?? [] {
            guard let name = p["resource"]?.string else { continue }
            var failures: UInt64 = 0
            if case .object(let units)? = p["unit_failures"] { failures = units.values.reduce(0) { $0 + Self.count($1) } }
            views[name] = DaemonView(
                here: p["here"]?.bool ?? false, whyNot: p["why_not"]?.string, maintenance: p["maintenance"]?.bool ?? false,
                unitFailures: failures, lastUnitFailure: p["last_unit_failure"]?.string, restarts: p["restarts"].map(Self.count) ?? 0)
        }
        return views
    }

    /// A JSON count (a non-negative whole number), 0 for anything else.
    static func count(_ v: JSONValue) -> UInt64 {
        guard case .number(let d) = v, d >= 0, d < 1e18 else { return 0 }
        return UInt64(d)
    }

    /// The fields added to a promoter's `--json` object.
    var json: [(String, JSONText)] {
        [("here", .bool(here)), ("why_not", whyNot.map(JSONText.string) ?? .null), ("maintenance", .bool(maintenance)),
         ("unit_failures", .number(Int64(clamping: unitFailures))), ("last_unit_failure", lastUnitFailure.map(JSONText.string) ?? .null),
         ("restarts", .number(Int64(clamping: restarts)))]
    }
}
