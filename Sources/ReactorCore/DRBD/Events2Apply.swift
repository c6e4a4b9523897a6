/// Copying the keys a record carried onto the stored model object. Absent keys leave the stored value
/// alone, so partial `change` lines (without `--full`) update only what they name. Every function
/// reports whether anything stored changed, which drives `World.generation`.

/// Stores `value` into `field` when the line carried it and it differs.
@inline(__always)
func merge<T: Equatable>(_ value: T?, into field: inout T, _ changed: inout Bool) {
    guard let value, value != field else { return }
    field = value
    changed = true
}

extension Events2Resource {
    /// Copies the resource's own fields (all of them, including force-io-failures, which the original
    /// forgot).
    func apply(to r: inout Resource) -> Bool {
        var changed = false
        merge(role, into: &r.role, &changed)
        merge(suspended, into: &r.suspended, &changed)
        merge(writeOrdering, into: &r.writeOrdering, &changed)
        merge(forceIOFailures, into: &r.forceIOFailures, &changed)
        merge(mayPromote, into: &r.mayPromote, &changed)
        merge(promotionScore, into: &r.promotionScore, &changed)
        return changed
    }
}

extension Events2Device {
    func apply(to d: inout Device) -> Bool {
        var changed = false
        merge(minor, into: &d.minor, &changed)
        merge(backingDevice, into: &d.backingDevice, &changed)
        merge(diskState, into: &d.diskState, &changed)
        merge(client, into: &d.client, &changed)
        merge(open, into: &d.open, &changed)
        merge(quorum, into: &d.quorum, &changed)
        merge(size, into: &d.size, &changed)
        merge(read, into: &d.read, &changed)
        merge(written, into: &d.written, &changed)
        merge(alWrites, into: &d.alWrites, &changed)
        merge(bmWrites, into: &d.bmWrites, &changed)
        merge(upperPending, into: &d.upperPending, &changed)
        merge(lowerPending, into: &d.lowerPending, &changed)
        merge(alSuspended, into: &d.alSuspended, &changed)
        merge(blocked, into: &d.blocked, &changed)
        return changed
    }
}

extension Events2Connection {
    /// Copies the connection's own fields; its peer devices and paths stay (changelog 0.5.3).
    func apply(to c: inout Connection) -> Bool {
        var changed = false
        merge(connectionName, into: &c.connectionName, &changed)
        merge(connectionState, into: &c.connectionState, &changed)
        merge(peerRole, into: &c.peerRole, &changed)
        merge(congested, into: &c.congested, &changed)
        merge(apInFlight, into: &c.apInFlight, &changed)
        merge(rsInFlight, into: &c.rsInFlight, &changed)
        return changed
    }
}

extension Events2PeerDevice {
    func apply(to p: inout PeerDevice) -> Bool {
        var changed = false
        merge(replicationState, into: &p.replicationState, &changed)
        merge(peerDiskState, into: &p.peerDiskState, &changed)
        merge(peerClient, into: &p.peerClient, &changed)
        merge(resyncSuspended, into: &p.resyncSuspended, &changed)
        merge(received, into: &p.received, &changed)
        merge(sent, into: &p.sent, &changed)
        merge(outOfSync, into: &p.outOfSync, &changed)
        merge(pending, into: &p.pending, &changed)
        merge(unacked, into: &p.unacked, &changed)
        return changed
    }
}

extension Events2Path {
    func apply(to p: inout Path) -> Bool {
        var changed = false
        merge(established, into: &p.established, &changed)
        return changed
    }
}
