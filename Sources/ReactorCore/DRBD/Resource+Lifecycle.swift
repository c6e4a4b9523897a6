/// The two per-resource update sequences the World builds everything whole-resource from: announcing a
/// resource (replay, rename) and tearing it down (destroy, flush, rename). Children are visited in the
/// order of their ids, which is the order their `SmallMap`s keep.
extension Resource {
    /// This resource as a sequence of `event` updates, built up from an empty resource so that each
    /// update's `resource` holds only what was announced so far. The resource's own state
    /// comes last as a Change, and only if it differs from the default.
    func announce(as event: EventType) -> [StateUpdate] {
        var shown = Resource(name: name)
        var updates: [StateUpdate] = []
        func emit(_ kind: UpdateKind) {
            updates.append(StateUpdate(eventType: event, resourceName: name, kind: kind, resource: shown))
        }
        emit(.resource(old: ResourceState(), new: ResourceState()))
        for (volume, device) in devices {
            shown.devices[volume] = device
            emit(.device(volume: volume, old: DeviceState(), new: device.reportedState))
        }
        for (id, connection) in connections {
            var bare = connection
            bare.peerDevices = [:]
            bare.paths = [:]
            shown.connections[id] = bare
            emit(.connection(peerNodeID: id, old: ConnectionStateSet(), new: connection.reportedState))
            for (key, path) in connection.paths {
                shown.connections[id]?.paths[key] = path
                emit(.path(peerNodeID: id, key: key, old: false, new: path.established))
            }
            for (volume, peerDevice) in connection.peerDevices {
                shown.connections[id]?.peerDevices[volume] = peerDevice
                emit(.peerDevice(peerNodeID: id, volume: volume, old: PeerDeviceState(), new: peerDevice.reportedState))
            }
        }
        if reportedState != ResourceState() {
            updates.append(StateUpdate(
                eventType: .change, resourceName: name, kind: .resource(old: ResourceState(), new: reportedState), resource: self))
        }
        return updates
    }

    /// Removes everything below this resource, yielding a Destroy update per object in DRBD's order
    /// (per connection: paths, peer devices, the connection; then devices), then the resource's own
    /// Destroy. Each update carries the resource as it is after that removal.
    mutating func tearDown() -> [StateUpdate] {
        var updates: [StateUpdate] = []
        for id in Array(connections.keys) { updates += tearDownConnection(id) }
        for volume in Array(devices.keys) {
            guard let device = devices.removeValue(forKey: volume) else { continue }
            updates.append(destroyed(.device(volume: volume, old: device.reportedState, new: DeviceState())))
        }
        updates.append(destroyed(.resource(old: reportedState, new: ResourceState())))
        return updates
    }

    /// Removes connection `id` with its paths and peer devices; nothing if it does not exist.
    mutating func tearDownConnection(_ id: Int32) -> [StateUpdate] {
        guard let connection = connections[id] else { return [] }
        var updates: [StateUpdate] = []
        for key in connection.paths.keys {
            guard let path = connections[id]?.paths.removeValue(forKey: key) else { continue }
            updates.append(destroyed(.path(peerNodeID: id, key: key, old: path.established, new: false)))
        }
        for volume in connection.peerDevices.keys {
            guard let pd = connections[id]?.peerDevices.removeValue(forKey: volume) else { continue }
            updates.append(destroyed(.peerDevice(peerNodeID: id, volume: volume, old: pd.reportedState, new: PeerDeviceState())))
        }
        connections[id] = nil
        updates.append(destroyed(.connection(peerNodeID: id, old: connection.reportedState, new: ConnectionStateSet())))
        return updates
    }

    /// A Destroy update carrying this resource as it is now.
    private func destroyed(_ kind: UpdateKind) -> StateUpdate {
        StateUpdate(eventType: .destroy, resourceName: name, kind: kind, resource: self)
    }
}
