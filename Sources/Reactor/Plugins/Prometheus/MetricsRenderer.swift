/// Renders the World as the original's metric families, plus process and daemon-health families.
///
/// Names, types, labels and units are exactly those of drbd-reactor 1.x (the Grafana dashboard queries
/// them). What we do differently, on purpose: families come in a fixed order (the original's order was
/// random), resources sorted by name and objects by id, `# HELP` before `# TYPE`, label values escaped.
/// Every family is a table row, a name plus a closure reading one object, so one loop writes them all.
public struct MetricsRenderer: Sendable {
    /// Whether to export the enum-style families (one series per possible state value).
    public var enums: Bool

    public init(enums: Bool) { self.enums = enums }

    /// The whole exposition: DRBD section, then the daemon's own section.
    public func render(
        resources: [String: Resource], versions: DRBDVersions, stats: ReactorStats, process: ProcessMetrics?
    ) -> [UInt8] {
        renderDRBD(resources: resources, versions: versions) + renderDaemon(stats: stats, process: process)
    }

    /// Everything derived from the World and the DRBD versions: what the cache keeps between changes.
    public func renderDRBD(resources: [String: Resource], versions: DRBDVersions) -> [UInt8] {
        let scopes = Scopes(resources)
        // ~110 bytes per sample line; a rough guess avoids most reallocations.
        var w = ExpositionWriter(capacity: 4096 + 110 * (5 * scopes.resources.count + 16 * scopes.devices.count
            + 7 * scopes.connections.count + 3 * scopes.peerDevices.count))
        w.header(Families.up)
        w.sample(Families.up.name, labels: [], .unsigned(1))
        w.header(Families.version)
        w.sample(Families.version.name, labels: ExpositionWriter.labelSet(["kmod": versions.kmod, "utils": versions.utils]), .unsigned(1))
        w.header(Families.resources)
        w.sample(Families.resources.name, labels: [], .unsigned(UInt64(resources.count)))
        write(scopes.resources, state: enums ? Families.resourceRole : nil, Families.resource, into: &w)
        write(scopes.connections, state: enums ? Families.connectionState : nil, Families.connection, into: &w)
        write(scopes.peerDevices, state: nil, Families.peerDevice, into: &w)
        write(scopes.devices, state: enums ? Families.deviceState : nil, Families.device, into: &w)
        return w.bytes
    }

    /// The process and health families: cheap, and different on every scrape.
    public func renderDaemon(stats: ReactorStats, process: ProcessMetrics?) -> [UInt8] {
        var w = ExpositionWriter(capacity: 2048)
        if let process { write([Labeled(labels: [], object: process)], state: nil, Families.process, into: &w) }
        write([Labeled(labels: [], object: stats)], state: nil, Families.health, into: &w)
        return w.bytes
    }

    /// The state family (if any) and then each plain family of one scope; a family without objects is
    /// left out entirely, as in the original.
    private func write<Object>(
        _ objects: [Labeled<Object>], state: StateFamily<Object>?, _ families: [ObjectFamily<Object>],
        into w: inout ExpositionWriter
    ) {
        guard !objects.isEmpty else { return }
        if let state { write(objects, state: state, into: &w) }
        for family in families {
            w.header(family.family)
            for o in objects { w.sample(family.family.name, labels: o.labels, family.value(o.object)) }
        }
    }

    /// One series per known state value (1 for the current one, 0 otherwise); a value DRBD printed that
    /// we do not know gets its own series with 1, so the current state is never invisible.
    private func write<Object>(_ objects: [Labeled<Object>], state: StateFamily<Object>, into w: inout ExpositionWriter) {
        let name = state.family.name
        let knownLabels = state.known.map { ExpositionWriter.label(name, $0) }
        w.header(state.family)
        for o in objects {
            let current = state.current(o.object)
            var matched = false
            for (text, label) in zip(state.known, knownLabels) {
                let isCurrent = text == current
                matched = matched || isCurrent
                w.sample(name, labels: o.labels, extra: label, .bool(isCurrent))
            }
            if !matched { w.sample(name, labels: o.labels, extra: ExpositionWriter.label(name, current), .unsigned(1)) }
        }
    }
}

/// An object with its escaped label set, computed once per render.
struct Labeled<Object> {
    let labels: [UInt8]
    let object: Object
}

/// A family with one sample per object.
struct ObjectFamily<Object>: Sendable {
    let family: MetricFamily
    let value: @Sendable (Object) -> MetricValue

    init(_ name: String, _ kind: MetricFamily.Kind, _ help: String, _ value: @escaping @Sendable (Object) -> MetricValue) {
        family = MetricFamily(name, kind, help)
        self.value = value
    }
}

/// An enum-style family: the state label is named like the family (`drbd_device_state="UpToDate"`).
struct StateFamily<Object>: Sendable {
    let family: MetricFamily
    /// The DRBD spellings of every known value, in the state type's `known` order.
    let known: [String]
    let current: @Sendable (Object) -> String
}

/// The World flattened into sorted, labelled objects per scope.
struct Scopes {
    var resources: [Labeled<Resource>] = []
    var connections: [Labeled<Connection>] = []
    var peerDevices: [Labeled<PeerDevice>] = []
    var devices: [Labeled<Device>] = []

    init(_ world: [String: Resource]) {
        resources.reserveCapacity(world.count)
        for (name, resource) in world.sorted(by: { $0.key < $1.key }) {
            let nameLabel = ExpositionWriter.label("name", name)
            resources.append(Labeled(labels: nameLabel, object: resource))
            for (_, c) in resource.connections.sorted(by: { $0.key < $1.key }) {
                var labels = nameLabel
                labels.append(UInt8(ascii: ","))
                ExpositionWriter.appendLabel("conn_name", c.connectionName, to: &labels)
                labels.append(UInt8(ascii: ","))
                ExpositionWriter.appendLabel("peer_node_id", String(c.peerNodeID), to: &labels)
                connections.append(Labeled(labels: labels, object: c))
                for (_, pd) in c.peerDevices.sorted(by: { $0.key < $1.key }) {
                    peerDevices.append(Labeled(labels: Self.extend(labels, ["volume": String(pd.volume)]), object: pd))
                }
            }
            for (_, d) in resource.devices.sorted(by: { $0.key < $1.key }) {
                let labels = Self.extend(nameLabel, ["volume": String(d.volume), "minor": String(d.minor)])
                devices.append(Labeled(labels: labels, object: d))
            }
        }
    }

    private static func extend(_ labels: [UInt8], _ pairs: KeyValuePairs<String, String>) -> [UInt8] {
        labels + [UInt8(ascii: ",")] + ExpositionWriter.labelSet(pairs)
    }
}
