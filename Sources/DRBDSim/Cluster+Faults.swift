/// Faults and lifecycle: what the harness does to the cluster (crash, boot, network cuts, disk
/// failures) and what `drbdadm up`/`down` do to one node's resources.
extension DRBDCluster {
    public mutating func crash(_ node: String) {
        guard var n = nodes[node], n.up else { return }
        for name in n.resources.keys.sorted() {
            saveMetaData(node, name)
        }
        let connected = peers(of: node).map { ($0, connectedResources($0, node)) }
        n.up = false
        n.resources = [:]
        nodes[node] = n
        for id in subscriptions.keys.sorted() where subscriptions[id]?.node == node {
            subscriptions[id]?.open = false
        }
        updateAllQuorum()
        for (peer, names) in connected {
            showConnectionLoss(between: peer, node, resources: names, as: "NetworkFailure")
        }
        settle()
    }

    public mutating func boot(_ node: String) {
        guard var n = nodes[node], !n.up else { return }
        n.up = true
        nodes[node] = n
    }

    public mutating func cut(_ a: String, _ b: String) {
        guard a != b, !linkIsCut(a, b) else { return }
        cutAll([(a, b)])
    }

    /// Breaks the links in one state change: no node writes through a link that is cut with the
    /// others (a Primary cut off by a partition must not stay quorate with a half-cut peer).
    mutating func cutAll(_ pairs: [(String, String)]) {
        let losses = pairs.map { (a: $0.0, b: $0.1, resources: connectedResources($0.0, $0.1)) }
        for (a, b) in pairs { cutLinks.insert(Self.linkKey(a, b)) }
        updateAllQuorum()
        showConnectionLosses(losses, as: "NetworkFailure")
        settle()
    }

    public mutating func heal(_ a: String, _ b: String) {
        guard cutLinks.remove(Self.linkKey(a, b)) != nil else { return }
        settle()
    }

    public mutating func partition(_ groups: [[String]]) {
        var group: [String: Int] = [:]
        for (index, members) in groups.enumerated() {
            for member in members { group[member] = index }
        }
        var pairs: [(String, String)] = []
        for (i, a) in nodeOrder.enumerated() {
            for b in nodeOrder[(i + 1)...] where !linkIsCut(a, b) {
                if let ga = group[a], let gb = group[b], ga != gb { pairs.append((a, b)) }
            }
        }
        guard !pairs.isEmpty else { return }
        cutAll(pairs)
    }

    public mutating func healAll() {
        guard !cutLinks.isEmpty else { return }
        cutLinks = []
        settle()
    }

    public mutating func failDisk(_ node: String, _ resource: String, volume: Int? = nil) {
        guard var res = state(node, resource) else { return }
        let volumes = volume.map { [$0] } ?? Array(res.volumes.indices)
        var failed: [Int] = []
        for v in volumes where res.volumes.indices.contains(v) && res.volumes[v].disk.isAttached {
            failedDisks.insert(VolumeKey(node: node, resource: resource, volume: v))
            res.volumes[v].disk = .failed
            res.volumes[v].resync = nil
            failed.append(v)
        }
        guard !failed.isEmpty else { return }
        // DRBD prints Failed, then detaches (on-io-error detach) and prints Diskless.
        nodes[node]?.resources[resource] = res
        publish()
        for v in failed { res.volumes[v].disk = .diskless }
        nodes[node]?.resources[resource] = res
        settle()
    }

    public mutating func attachDisk(_ node: String, _ resource: String, volume: Int? = nil) {
        guard let spec = resourceSpec(resource), !spec.isDiskless(node) else { return }
        let volumes = volume.map { [$0] } ?? Array(0..<spec.volumes)
        for v in volumes {
            failedDisks.remove(VolumeKey(node: node, resource: resource, volume: v))
            guard var res = state(node, resource), res.volumes.indices.contains(v), res.volumes[v].disk == .diskless
            else { continue }
            // The meta data says the disk was up to date when it failed; a peer that wrote since then has
            // a newer generation, and the handshake makes this disk a resync target.
            res.volumes[v].disk = .outdated
            nodes[node]?.resources[resource] = res
        }
        settle()
    }

    // MARK: drbdadm up / down

    /// Creates `resource` on `node` from its meta data (`drbdadm up`): devices attached as they were,
    /// Secondary, connections to every peer.
    mutating func bringUp(_ node: String, _ resource: ResourceSpec) {
        let meta = metaData[node]?[resource.name] ?? []
        var volumes: [VolumeState] = []
        for v in 0..<resource.volumes {
            let saved = v < meta.count ? meta[v] : MetaVolume(disk: .inconsistent, generation: 0)
            var disk = saved.disk
            if resource.isDiskless(node) || failedDisks.contains(VolumeKey(node: node, resource: resource.name, volume: v)) {
                disk = .diskless
            } else if disk == .diskless || disk == .failed {
                disk = .outdated
            }
            volumes.append(VolumeState(disk: disk, generation: saved.generation, quorum: false))
        }
        nodes[node]?.resources[resource.name] = ResourceState(primary: false, volumes: volumes)
    }

    /// Removes `resource` from `node` (`drbdadm down`): it demotes, detaches and disconnects; the
    /// peers print the connection torn down and remember the node left with its data outdated.
    mutating func takeDown(_ node: String, _ resource: String) {
        guard let res = state(node, resource) else { return }
        saveMetaData(node, resource)
        let connected = peers(of: node).filter { isEstablished(node, $0, resource) }
        nodes[node]?.resources[resource] = nil
        for peer in peers(of: node) where state(peer, resource) != nil {
            if !res.primary { nodes[peer]?.resources[resource]?.outdatedPeers.insert(node) }
        }
        for peer in connected {
            showConnectionLoss(between: peer, node, resources: [resource], as: "TearDown")
        }
        settle()
    }

    mutating func saveMetaData(_ node: String, _ resource: String) {
        guard let res = state(node, resource) else { return }
        metaData[node, default: [:]][resource] = res.volumes.map { MetaVolume(disk: $0.disk, generation: $0.generation) }
    }

    /// Resources `a` and `b` are connected for right now.
    func connectedResources(_ a: String, _ b: String) -> [String] {
        spec.resources.map(\.name).filter { isEstablished(a, b, $0) }
    }

    /// Prints, on `a` (and on `b` if it is still up), the short-lived steps a lost connection goes
    /// through before DRBD tries again: `failure` (NetworkFailure, TearDown), then Unconnected. The
    /// following `settle()` prints the resting state, Connecting.
    mutating func showConnectionLoss(between a: String, _ b: String, resources: [String], as failure: String) {
        showConnectionLosses([(a, b, resources)], as: failure)
    }

    /// `showConnectionLoss` for several links that break at once: each step is printed for all of them.
    mutating func showConnectionLosses(_ losses: [(a: String, b: String, resources: [String])], as failure: String) {
        guard losses.contains(where: { !$0.resources.isEmpty }) else { return }
        for step in [failure, "Unconnected"] {
            for (a, b, resources) in losses {
                for resource in resources {
                    transientConnectionState[Self.connectionKey(a, b, resource)] = step
                    transientConnectionState[Self.connectionKey(b, a, resource)] = step
                }
            }
            publish()
        }
        transientConnectionState = [:]
    }

    static func connectionKey(_ node: String, _ peer: String, _ resource: String) -> String {
        "\(node)\u{0}\(peer)\u{0}\(resource)"
    }
}
