import ReactorCore

/// One `[[promoter]]` section: the resources it keeps highly available.
///
/// Equality is the plugin's identity on reload (an unchanged section keeps its running plugin). The
/// resources are kept sorted by name like the original's map, so actions start in name order.
public struct PromoterConfig: Hashable, Sendable {
    public var resources: [PromoterResourceConfig]
    /// Deprecated since 1.2.0 (replaced by config identity); accepted, kept for identity, otherwise unused.
    public var id: String?

    public init(resources: [PromoterResourceConfig] = [], id: String? = nil) {
        self.resources = resources.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        self.id = id
    }

    /// The configuration of resource `name`, if this section has it.
    public func resource(_ name: String) -> PromoterResourceConfig? { resources.first { $0.name == name } }

    /// Decodes one `[[promoter]]` table strictly; non-fatal problems (an empty `start`, the deprecated
    /// `on-stop-failure`) are appended to `warnings`: file, key path, then the text of the original.
    public static func decode(_ reader: TableReader, warnings: inout [String]) throws -> PromoterConfig {
        var r = reader
        let id = try r.optionalString("id")
        var resources: [PromoterResourceConfig] = []
        if var table = try r.optionalTable("resources") {
            for name in table.table.keys {
                guard let sub = try table.optionalTable(name) else { continue }
                resources.append(try PromoterResourceConfig.decode(sub, name: name, warnings: &warnings))
            }
            try table.finish()
        }
        try r.finish()
        return PromoterConfig(resources: resources, id: id)
    }

    /// The section as TOML with every default written out; decoding it gives an equal config (SIGUSR1 dump).
    public func tomlSnippet() -> String {
        var out = "[[promoter]]\n"
        if let id { out += "id = \(TOMLWriter.quote(id))\n" }
        for res in resources { out += "\n" + res.toml() }
        return out
    }
}

/// `[promoter.resources.<name>]`: how one DRBD resource is promoted and its services run.
public struct PromoterResourceConfig: Hashable, Sendable {
    /// The DRBD resource name (the table's key).
    public var name: String
    public var start: [String] = []
    /// The shell runner's stop commands; empty means `start` reversed (the systemd runner ignores it).
    public var stop: [String] = []
    public var runner: PromoterRunner = .systemd
    public var dependenciesAs: SystemdDependency = .requires
    public var targetAs: SystemdDependency = .requires
    public var onDrbdDemoteFailure: DemoteFailureAction = .none
    public var secondaryForce = true
    public var stopServicesOnExit = false
    public var sleepBeforePromoteFactor: UInt32 = 1
    public var preferredNodes: [String] = []
    public var preferredNodesPolicy: PreferredNodesPolicy = .always
    public var onQuorumLoss: QuorumLossPolicy = .shutdown
    public var onDiskDetach: DiskDetachPolicy = .ignore
    public var fencingPromoteDelay: UInt64 = 5
    public var adjustResourceOnStart = true
    /// Deprecated and ignored (it never worked); kept for identity and the dump.
    public var onStopFailure = ""

    public init(name: String) { self.name = name }

    /// The stop commands the shell runner runs: `stop`, or `start` reversed when `stop` is empty.
    public var effectiveStop: [String] { stop.isEmpty ? start.reversed() : stop }

    static func decode(_ reader: TableReader, name: String, warnings: inout [String]) throws -> PromoterResourceConfig {
        var r = reader
        var c = PromoterResourceConfig(name: name)
        c.start = try r.optionalStringArray("start") ?? []
        c.stop = try r.optionalStringArray("stop") ?? []
        c.runner = try r.choice("runner", default: c.runner)
        c.dependenciesAs = try r.choice("dependencies-as", default: c.dependenciesAs)
        c.targetAs = try r.choice("target-as", default: c.targetAs)
        c.onDrbdDemoteFailure = try r.choice("on-drbd-demote-failure", default: c.onDrbdDemoteFailure)
        c.secondaryForce = try r.bool("secondary-force", default: c.secondaryForce)
        c.stopServicesOnExit = try r.bool("stop-services-on-exit", default: c.stopServicesOnExit)
        c.sleepBeforePromoteFactor = UInt32(try r.integer("sleep-before-promote-factor", default: 1, in: 0...Int64(UInt32.max)))
        c.preferredNodes = try r.optionalStringArray("preferred-nodes") ?? []
        c.preferredNodesPolicy = try r.choice("preferred-nodes-policy", default: c.preferredNodesPolicy)
        c.onQuorumLoss = try r.choice("on-quorum-loss", default: c.onQuorumLoss)
        c.onDiskDetach = try r.choice("on-disk-detach", default: c.onDiskDetach)
        c.fencingPromoteDelay = UInt64(try r.integer("fencing-promote-delay", default: 5, in: 0...Int64.max))
        c.adjustResourceOnStart = try r.bool("adjust-resource-on-start", default: c.adjustResourceOnStart)
        c.onStopFailure = try r.string("on-stop-failure", default: "")
        try r.finish()
        let origin = "\(r.file): '\(r.path)'"
        if c.start.isEmpty { warnings.append("\(origin): Resource '\(name)' has an empty start list") }
        if !c.onStopFailure.isEmpty {
            warnings.append("\(origin): 'on-stop-failure' is deprecated and ignored!; use 'on-drbd-demote-failure'")
        }
        return c
    }

    /// `[promoter.resources.<name>]` with every key written out.
    func toml() -> String {
        func list(_ items: [String]) -> String { "[" + items.map(TOMLWriter.quote).joined(separator: ", ") + "]" }
        var pairs: [(String, String)] = [("start", list(start))]
        if !stop.isEmpty { pairs.append(("stop", list(stop))) }
        pairs += [
            ("runner", TOMLWriter.quote(runner.rawValue)), ("dependencies-as", TOMLWriter.quote(dependenciesAs.rawValue)),
            ("target-as", TOMLWriter.quote(targetAs.rawValue)),
            ("on-drbd-demote-failure", TOMLWriter.quote(onDrbdDemoteFailure.rawValue)),
            ("secondary-force", "\(secondaryForce)"), ("stop-services-on-exit", "\(stopServicesOnExit)"),
            ("sleep-before-promote-factor", "\(sleepBeforePromoteFactor)"), ("preferred-nodes", list(preferredNodes)),
            ("preferred-nodes-policy", TOMLWriter.quote(preferredNodesPolicy.rawValue)),
            ("on-quorum-loss", TOMLWriter.quote(onQuorumLoss.rawValue)), ("on-disk-detach", TOMLWriter.quote(onDiskDetach.rawValue)),
            ("fencing-promote-delay", "\(fencingPromoteDelay)"), ("adjust-resource-on-start", "\(adjustResourceOnStart)"),
        ]
        if !onStopFailure.isEmpty { pairs.append(("on-stop-failure", TOMLWriter.quote(onStopFailure))) }
        return "[promoter.resources.\(TOMLWriter.key(name))]\n" + pairs.map { "\($0.0) = \($0.1)\n" }.joined()
    }
}
