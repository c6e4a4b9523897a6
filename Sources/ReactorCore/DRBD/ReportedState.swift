/// The part of each model object that change plugins are told about (the `old`/`new` of a
/// `StateUpdate`). Counters are deliberately absent: a statistics-only change updates the World (and
/// the metrics) but is not a state change.

extension Resource {
    /// role, may_promote, promotion_score, suspended, force-io-failures.
    public var reportedState: ResourceState {
        var s = ResourceState()
        s.role = role
        s.mayPromote = mayPromote
        s.promotionScore = promotionScore
        s.suspended = suspended
        s.forceIOFailures = forceIOFailures
        return s
    }
}

extension Device {
    /// disk state, client, quorum, size, open.
    public var reportedState: DeviceState {
        var s = DeviceState()
        s.diskState = diskState
        s.client = client
        s.quorum = quorum
        s.size = size
        s.open = open
        return s
    }
}

extension Connection {
    /// conn-name, connection state, peer role, congested.
    public var reportedState: ConnectionStateSet {
        var s = ConnectionStateSet()
        s.connectionName = connectionName
        s.connectionState = connectionState
        s.peerRole = peerRole
        s.congested = congested
        return s
    }
}

extension PeerDevice {
    /// replication state, peer disk state, peer client, resync suspended.
    public var reportedState: PeerDeviceState {
        var s = PeerDeviceState()
        s.replicationState = replicationState
        s.peerDiskState = peerDiskState
        s.peerClient = peerClient
        s.resyncSuspended = resyncSuspended
        return s
    }
}

extension Path {
    /// Whether the path is established.
    public var reportedState: Bool { established }
}
