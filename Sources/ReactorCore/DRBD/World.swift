/// The state model: every DRBD resource as the events2 stream describes it, and the diffs that applying
/// a record produces for change plugins.
///
/// Design notes:
/// - Objects are created by lines about themselves (`exists`/`create`/`change`; a `change` for an unknown
///   object creates it, because with `--full` every line carries all fields) but never by lines about
///   their children: a device, connection, peer-device or path line for a resource that does not exist,
///   or a peer-device/path line for an unknown connection, is dropped (counted in `orphanRecords`). The
///   original invented an empty resource or connection from such lines.
/// - A destroy of an unknown object yields nothing and changes nothing. A destroy of a resource or
///   connection that still has children first yields a Destroy for each child (paths, peer devices,
///   connections, devices, as DRBD orders them), so no plugin keeps an object that no longer exists.
/// - `rename resource` moves the resource: Destroy updates for the old name, then the resource under its
///   new name announced as Create updates (the original ignored renames).
/// - Path changes are stored and reported (`UpdateKind.path`, established old -> new); the original
///   reported none.
/// - Created and destroyed objects always yield an update; an update yields one only when the reported
///   state (`ReportedState.swift`) changed. A statistics-only change updates the World and `generation`.
public struct World: Sendable {
    public private(set) var resources: [String: Resource] = [:]
    /// Incremented whenever anything stored changed, statistics included (renderers cache on it).
    public private(set) var generation: UInt64 = 0
    /// Records dropped because their resource or connection does not exist (for a debug counter).
    public private(set) var orphanRecords: UInt64 = 0
    /// The resource the previous line named and where it is stored: DRBD prints a resource's objects
    /// together, so the next line often names it again and then skips hashing the name. Cleared whenever
    /// a resource is added or removed (which may move every entry).
    private var lastLookup: (name: String, index: [String: Resource].Index)?

    public init() {}

    /// Parses one events2 line and applies it: the daemon's step per line. One call, so that the parsed
    /// record stays inside this module (returned across it, it is copied once more per line). Returns
    /// the updates for change plugins, in order, and whether the line was the end-of-initial-state marker.
    public mutating func apply(line: ArraySlice<UInt8>) throws(Events2ParseError) -> (updates: [StateUpdate], endOfInitialState: Bool) {
        let record = try Events2Parser.parse(line)
        // A case match, not `==`: the derived equality would copy the whole object.
        if case .endOfInitialState = record.object { return (apply(record), true) }
        return (apply(record), false)
    }

    /// Applies one parsed line; returns the updates for change plugins, in order.
    public mutating func apply(_ record: Events2Record) -> [StateUpdate] {
        if record.verb == .rename, case .resource(let r) = record.object { return rename(r) }
        guard let event = record.verb.eventType else { return [] }
        let destroy = event == .destroy
        switch record.object {
        case .endOfInitialState, .helper:
            return []
        case .resource(let r):
            return applyResource(r, event)
        case .device(let d):
            return applyInside(d.name, event) { r in
                r.devices.transition(d.volume, destroy: destroy, make: { Device(volume: d.volume) }, apply: d.apply,
                    reported: \.reportedState, empty: DeviceState()) { .device(volume: d.volume, old: $0, new: $1) }
            }
        case .connection(let c) where destroy:
            return tearDownConnection(c)
        case .connection(let c):
            return applyInside(c.name, event) { r in
                r.connections.transition(c.peerNodeID, destroy: false, make: { Connection(peerNodeID: c.peerNodeID) }, apply: c.apply,
                    reported: \.reportedState, empty: ConnectionStateSet()) { .connection(peerNodeID: c.peerNodeID, old: $0, new: $1) }
            }
        case .peerDevice(let p):
            return applyInside(p.name, event, connection: p.peerNodeID) { c in
                c.peerDevices.transition(p.volume, destroy: destroy, make: { PeerDevice(volume: p.volume) }, apply: p.apply,
                    reported: \.reportedState, empty: PeerDeviceState()) {
                        .peerDevice(peerNodeID: p.peerNodeID, volume: p.volume, old: $0, new: $1)
                    }
            }
        case .path(let p):
            return applyInside(p.name, event, connection: p.peerNodeID) { c in
                c.paths.transition(p.key, destroy: destroy, make: { Path(key: p.key) }, apply: p.apply,
                    reported: \.reportedState, empty: false) { .path(peerNodeID: p.peerNodeID, key: p.key, old: $0, new: $1) }
            }
        }
    }

    /// A resource line: create/update the resource itself, or tear it down with everything below it.
    private mutating func applyResource(_ rec: Events2Resource, _ event: EventType) -> [StateUpdate] {
        if event == .destroy {
            lastLookup = nil
            guard var gone = resources.removeValue(forKey: rec.name) else { return [] }
            generation &+= 1
            return gone.tearDown()
        }
        let count = resources.count
        let outcome = resources.transition(rec.name, destroy: false, make: { Resource(name: rec.name) }, apply: rec.apply,
            reported: \.reportedState, empty: ResourceState()) { .resource(old: $0, new: $1) }
        if resources.count != count { lastLookup = nil }
        // The resource is looked up again (hashing its name) only when there is an update to carry it.
        return finish(outcome, rec.name, event, resource: outcome.kind == nil ? nil : resources[rec.name])
    }

    /// Runs `body` on the stored resource `name` in place; drops the record if there is none.
    private mutating func applyInside(
        _ name: String, _ event: EventType, _ body: (inout Resource) -> Outcome
    ) -> [StateUpdate] {
        guard let i = resourceIndex(name) else {
            if event != .destroy { orphanRecords &+= 1 }
            return []
        }
        let outcome = body(&resources.values[i])
        return finish(outcome, name, event, resource: outcome.kind == nil ? nil : resources.values[i])
    }

    /// Runs `body` on connection `peerNodeID` of resource `name` in place; drops the record if either
    /// does not exist.
    private mutating func applyInside(
        _ name: String, _ event: EventType, connection peerNodeID: Int32, _ body: (inout Connection) -> Outcome
    ) -> [StateUpdate] {
        applyInside(name, event) { r in
            guard let i = r.connections.index(forKey: peerNodeID) else {
                return event == .destroy ? Outcome() : .orphaned
            }
            return body(&r.connections[valueAt: i])
        }
    }

    /// A destroy connection line: the connection's paths and peer devices first, then the connection.
    private mutating func tearDownConnection(_ c: Events2Connection) -> [StateUpdate] {
        guard let i = resourceIndex(c.name) else { return [] }
        let updates = resources.values[i].tearDownConnection(c.peerNodeID)
        if !updates.isEmpty { generation &+= 1 }
        return updates
    }

    /// Where resource `name` is stored, or nil; see `lastLookup`.
    private mutating func resourceIndex(_ name: String) -> [String: Resource].Index? {
        if let last = lastLookup, last.name == name { return last.index }
        guard let i = resources.index(forKey: name) else { return nil }
        lastLookup = (name, i)
        return i
    }

    /// Bumps `generation` and builds the update, as `outcome` says.
    private mutating func finish(
        _ outcome: Outcome, _ name: String, _ event: EventType, resource: Resource?
    ) -> [StateUpdate] {
        if outcome.orphan { orphanRecords &+= 1 }
        if outcome.stored { generation &+= 1 }
        guard let kind = outcome.kind, let resource else { return [] }
        return [StateUpdate(eventType: event, resourceName: name, kind: kind, resource: resource)]
    }
}

// MARK: - Whole-resource operations

/// Replay, flush and rename are built from the two per-resource sequences in Resource+Lifecycle.swift,
/// so a plugin sees the same shape of updates whichever way a resource comes or goes.
extension World {
    /// The current state as Exists updates, for a change plugin that starts now:
    /// per resource (by name) the resource with default state, its devices, per connection the
    /// connection, its paths and its peer devices, and last a Change from the default to the real
    /// role/may_promote/score, so may_promote never arrives before the devices.
    public func replay() -> [StateUpdate] {
        resources.sorted { $0.key < $1.key }.flatMap { $0.value.announce(as: .exists) }
    }

    /// Empties the World (drbdsetup exited, its state is unknown): a Destroy update for every object,
    /// children before their resource.
    public mutating func removeAll() -> [StateUpdate] {
        guard !resources.isEmpty else { return [] }
        lastLookup = nil
        var updates: [StateUpdate] = []
        for name in resources.keys.sorted() {
            if var gone = resources.removeValue(forKey: name) { updates += gone.tearDown() }
        }
        generation &+= 1
        return updates
    }

    /// `rename resource name:OLD new_name:NEW`: Destroy updates for OLD, then NEW announced as Create.
    /// A resource already named NEW (which DRBD does not allow) is torn down first. Renaming an unknown
    /// resource does nothing.
    mutating func rename(_ rec: Events2Resource) -> [StateUpdate] {
        lastLookup = nil
        guard let newName = rec.newName, newName != rec.name,
            var renamed = resources.removeValue(forKey: rec.name)
        else { return [] }
        var old = renamed
        var updates = old.tearDown()
        if var clash = resources.removeValue(forKey: newName) { updates += clash.tearDown() }
        renamed.name = newName
        resources[newName] = renamed
        generation &+= 1
        return updates + renamed.announce(as: .create)
    }
}
