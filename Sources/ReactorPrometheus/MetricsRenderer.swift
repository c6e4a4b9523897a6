import ReactorCore

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

    /// The whole exposition: DRBD section, then the daemon's own section (one buffer, for tests).
    public func render(
        resources: [String: Resource], versions: DRBDVersions, stats: ReactorStats, process: ProcessMetrics?
    ) -> [UInt8] {
        renderDRBD(resources: resources, versions: versions) + renderDaemon(stats: stats, process: process)
    }

    /// The DRBD section in one buffer (for tests and small worlds; the server streams a snapshot).
    public func renderDRBD(resources: [String: Resource], versions: DRBDVersions) -> [UInt8] {
        ExpositionStream(snapshot(resources: resources, versions: versions)).joined
    }

    /// Everything derived from the World and the DRBD versions, evaluated now: what the cache keeps
    /// between changes and what a response streams from.
    public func snapshot(resources: [String: Resource], versions: DRBDVersions) -> ExpositionSnapshot {
        var w = ExpositionWriter(capacity: 1024)
        w.header(Families.up)
        w.sample(Families.up.nameBytes, labels: [], .unsigned(1))
        w.header(Families.version)
        w.sample(Families.version.nameBytes, labels: ExpositionWriter.labelSet(["kmod": versions.kmod, "utils": versions.utils])[...], .unsigned(1))
        w.header(Families.resources)
        w.sample(Families.resources.nameBytes, labels: [], .unsigned(UInt64(resources.count)))
        let scopes = Scopes(resources, enums: enums)
        var layout = ExpositionLayout(prelude: w.bytes)
        layout.add(scopes.resources, state: enums ? Families.resourceRole.family : nil, Families.resource)
        layout.add(scopes.connections, state: enums ? Families.connectionState.family : nil, Families.connection)
        layout.add(scopes.peerDevices, state: nil, Families.peerDevice)
        layout.add(scopes.devices, state: enums ? Families.deviceState.family : nil, Families.device)
        return ExpositionSnapshot(layout)
    }

    /// The process and health families: cheap, and different on every scrape.
    public func renderDaemon(stats: ReactorStats, process: ProcessMetrics?) -> [UInt8] {
        var layout = ExpositionLayout(prelude: [])
        if let process {
            var table = ScopeTable(familyCount: Families.process.count)
            table.add(process, labels: [], [:], Families.process, state: nil)
            layout.add(table, state: nil, Families.process)
        }
        var health = ScopeTable(familyCount: Families.health.count)
        health.add(stats, labels: [], [:], Families.health, state: nil)
        layout.add(health, state: nil, Families.health)
        var w = ExpositionWriter(capacity: 2048)
        var cursor = ExpositionLayout.Cursor()
        _ = layout.write(from: &cursor, to: &w, until: .max)
        PromoterBusFamilies.write(stats.promoterBusCounters(), to: &w)
        return w.bytes
    }
}

/// One scope's objects, evaluated once: their escaped label sets, every family's value (row-major:
/// object, then family) and the current state. Evaluating while the object is at hand, instead of
/// reading it again for each family, keeps rendering free of struct copies and reference counting.
/// The label sets lie back to back in one buffer (one allocation for thousands of objects); a child
/// scope's set starts with a copy of its parent's (a connection's with its resource's). The cache keeps
/// these tables between changes, so they are packed: a value is 9 bytes instead of an enum's 16, a
/// state one byte (the rare state we do not know keeps its text aside).
struct ScopeTable {
    let familyCount: Int
    private var labelBytes: [UInt8] = []
    /// Where each object's label set ends in `labelBytes`; it starts where the previous one ends.
    private var labelEnds: [UInt32] = []
    /// The values' payloads (bit patterns) and which case of `MetricValue` each one is.
    private var valueBits: [UInt64] = []
    private var valueCases: [ValueCase] = []
    /// The current state per object: its index in the known values, or `unknownState`.
    private var stateIndexes: [UInt8] = []
    /// The text of every current state that is not among the known values, by object.
    private var unknownStates: [Int: String] = [:]

    private enum ValueCase: UInt8 { case unsigned, signed, float }
    private static let unknownState = UInt8.max

    init(familyCount: Int) { self.familyCount = familyCount }

    /// The number of objects.
    var count: Int { labelEnds.count }

    /// The escaped label set of object `o` (`k1="v1",k2="v2"`), a view into the shared buffer.
    func labels(_ o: Int) -> ArraySlice<UInt8> {
        labelBytes[(o == 0 ? 0 : Int(labelEnds[o - 1]))..<Int(labelEnds[o])]
    }

    /// The label set of the object added last.
    var lastLabels: ArraySlice<UInt8> { labels(count - 1) }

    /// The value of family `column` for object `o`.
    @inline(__always)
    func value(_ o: Int, _ column: Int) -> MetricValue {
        let i = o * familyCount + column
        let bits = valueBits[i]
        switch valueCases[i] {
        case .unsigned: return .unsigned(bits)
        case .signed: return .signed(Int64(bitPattern: bits))
        case .float: return .float(Double(bitPattern: bits))
        }
    }

    /// The current state of object `o`: its index in the known values, or nil and its text.
    func state(_ o: Int) -> (index: Int?, text: String) {
        let index = stateIndexes[o]
        return index == Self.unknownState ? (nil, unknownStates[o] ?? "") : (Int(index), "")
    }

    mutating func reserve(_ objects: Int, states: Bool) {
        labelEnds.reserveCapacity(objects)
        labelBytes.reserveCapacity(objects * 48)
        valueBits.reserveCapacity(objects * familyCount)
        valueCases.reserveCapacity(objects * familyCount)
        if states { stateIndexes.reserveCapacity(objects) }
    }

    /// Adds an object labelled `prefix` (already escaped) followed by `pairs`.
    mutating func add<Object>(
        _ object: Object, labels prefix: ArraySlice<UInt8>, _ pairs: KeyValuePairs<String, String>,
        _ families: [ObjectFamily<Object>], state: StateFamily<Object>?
    ) {
        let start = labelBytes.count
        labelBytes += prefix
        for (key, value) in pairs {
            if labelBytes.count > start { labelBytes.append(UInt8(ascii: ",")) }
            ExpositionWriter.appendLabel(key, value, to: &labelBytes)
        }
        labelEnds.append(UInt32(labelBytes.count))
        // The closures take the object `inout` only so that it is passed by address: a generic closure
        // taking it by value gets a fresh copy (retaining its strings) for every family.
        var object = object
        for i in families.indices {
            switch families[i].value(&object) {
            case .unsigned(let v): append(v, .unsigned)
            case .signed(let v): append(UInt64(bitPattern: v), .signed)
            case .float(let v): append(v.bitPattern, .float)
            }
        }
        if let state {
            let current = state.current(&object)
            // Known value lists are a few dozen long; an index beyond a byte is treated as unknown.
            if let k = state.known.firstIndex(of: current), k < Int(Self.unknownState) {
                stateIndexes.append(UInt8(k))
            } else {
                unknownStates[stateIndexes.count] = current
                stateIndexes.append(Self.unknownState)
            }
        }
    }

    private mutating func append(_ bits: UInt64, _ kind: ValueCase) {
        valueBits.append(bits)
        valueCases.append(kind)
    }
}

/// A family with one sample per object.
struct ObjectFamily<Object>: Sendable {
    let family: MetricFamily
    /// Reads the value; `inout` only to pass the object by address (see `ScopeTable.add`).
    let value: @Sendable (inout Object) -> MetricValue

    init(_ name: String, _ kind: MetricFamily.Kind, _ help: String, _ value: @escaping @Sendable (inout Object) -> MetricValue) {
        family = MetricFamily(name, kind, help)
        self.value = value
    }
}

/// An enum-style family: the state label is named like the family (`drbd_device_state="UpToDate"`).
struct StateFamily<Object>: Sendable {
    let family: StateFamilyHeader
    /// The DRBD spellings of every known value, in the state type's `known` order.
    var known: [String] { family.known }
    /// Reads the current state; `inout` only to pass the object by address (see `ScopeTable.add`).
    let current: @Sendable (inout Object) -> String

    init(_ name: String, _ help: String, known: [String], current: @escaping @Sendable (inout Object) -> String) {
        family = StateFamilyHeader(family: MetricFamily(name, .gauge, help), known: known)
        self.current = current
    }
}

/// What rendering an enum-style family needs besides the objects: its known values, with their state
/// labels (`drbd_device_state="UpToDate"`) escaped once.
struct StateFamilyHeader: Sendable {
    let family: MetricFamily
    let known: [String]
    let knownLabels: [[UInt8]]

    init(family: MetricFamily, known: [String]) {
        self.family = family
        self.known = known
        knownLabels = known.map { ExpositionWriter.label(family.name, $0) }
    }
}

/// The World flattened into sorted, labelled and evaluated objects per scope.
struct Scopes {
    var resources = ScopeTable(familyCount: Families.resource.count)
    var connections = ScopeTable(familyCount: Families.connection.count)
    var peerDevices = ScopeTable(familyCount: Families.peerDevice.count)
    var devices = ScopeTable(familyCount: Families.device.count)

    init(_ world: [String: Resource], enums: Bool) {
        // Two volumes and two peers per resource is the common layout; the tables grow beyond it.
        resources.reserve(world.count, states: enums)
        connections.reserve(world.count * 2, states: enums)
        peerDevices.reserve(world.count * 4, states: false)
        devices.reserve(world.count * 2, states: enums)
        // The families once, not per object (each access copies their names and label texts).
        let resourceFamilies = Families.resource, connectionFamilies = Families.connection
        let peerDeviceFamilies = Families.peerDevice, deviceFamilies = Families.device
        let resourceState = enums ? Families.resourceRole : nil
        let connectionState = enums ? Families.connectionState : nil
        let deviceState = enums ? Families.deviceState : nil
        // Resources sorted by name (the names, not the resources: comparing elements would copy them);
        // the objects inside are kept in id order already (`SmallMap`).
        for name in world.keys.sorted() {
            guard let resource = world[name] else { continue }
            resources.add(resource, labels: [], ["name": name], resourceFamilies, state: resourceState)
            let resourceLabels = resources.lastLabels
            for (_, c) in resource.connections {
                connections.add(
                    c, labels: resourceLabels, ["conn_name": c.connectionName, "peer_node_id": String(c.peerNodeID)],
                    connectionFamilies, state: connectionState)
                let connectionLabels = connections.lastLabels
                for (_, pd) in c.peerDevices {
                    peerDevices.add(pd, labels: connectionLabels, ["volume": String(pd.volume)], peerDeviceFamilies, state: nil)
                }
            }
            for (_, d) in resource.devices {
                devices.add(
                    d, labels: resourceLabels, ["volume": String(d.volume), "minor": String(d.minor)],
                    deviceFamilies, state: deviceState)
            }
        }
    }
}
