/// Each node's `drbdsetup events2 --full --poll`: the objects it prints, the initial dump, change lines
/// for what changed, statistics on poll, destroy lines when a resource goes down, EOF when the node dies.
extension DRBDCluster {
    public mutating func subscribe(_ node: String) -> SubscriptionID? {
        subscribe(node, resource: nil)
    }

    /// A stream limited to one resource, as `drbdsetup events2 RES`.
    public mutating func subscribe(_ node: String, resource: String?) -> SubscriptionID? {
        guard nodes[node]?.up == true else { return nil }
        let id = nextSubscription
        nextSubscription += 1
        var subscription = Subscription(node: node, resource: resource)
        for object in objects(on: node, resource: resource) {
            subscription.queue.append(object.line("exists"))
            subscription.seen[object.key] = SeenObject(state: object.state, line: object.line("change"))
            subscription.order.append(object.key)
        }
        subscription.queue.append("exists -")
        subscriptions[id] = subscription
        return id
    }

    public mutating func unsubscribe(_ id: SubscriptionID) {
        subscriptions[id] = nil
    }

    public mutating func poll(_ id: SubscriptionID) {
        guard var subscription = subscriptions[id], subscription.open else { return }
        deliver(objects(on: subscription.node, resource: subscription.resource), to: &subscription, statistics: true)
        subscriptions[id] = subscription
    }

    public mutating func takeLines(_ id: SubscriptionID) -> [String] {
        guard let lines = subscriptions[id]?.queue else { return [] }
        subscriptions[id]?.queue = []
        return lines
    }

    public func isOpen(_ id: SubscriptionID) -> Bool { subscriptions[id]?.open ?? false }

    /// The `exists` dump of `drbdsetup events2 --now [RES]`.
    func dump(_ node: String, resource: String?) -> [String] {
        objects(on: node, resource: resource).map { $0.line("exists") } + ["exists -"]
    }

    /// Hands every open subscription the lines for what changed since it last looked.
    mutating func publish() {
        for id in subscriptions.keys.sorted() {
            guard var subscription = subscriptions[id], subscription.open else { continue }
            deliver(objects(on: subscription.node, resource: subscription.resource), to: &subscription, statistics: false)
            subscriptions[id] = subscription
        }
    }

    /// Create lines for new objects, change lines for changed ones (state only, or with `statistics`
    /// any field), destroy lines (children first) for objects gone.
    func deliver(_ current: [Events2Object], to subscription: inout Subscription, statistics: Bool) {
        let keys = Set(current.map(\.key))
        for key in subscription.order.reversed() where !keys.contains(key) {
            subscription.queue.append("destroy \(key)")
            subscription.seen[key] = nil
        }
        subscription.order.removeAll { !keys.contains($0) }
        for object in current {
            let line = object.line("change")
            if let seen = subscription.seen[object.key] {
                guard seen.state != object.state || (statistics && seen.line != line) else { continue }
                subscription.queue.append(line)
            } else {
                subscription.queue.append(object.line("create"))
                subscription.order.append(object.key)
            }
            subscription.seen[object.key] = SeenObject(state: object.state, line: line)
        }
    }

    /// Everything `node` prints for its resources (or just `resource`), in DRBD's order: the resource,
    /// its devices, then per peer the connection, its peer devices and its path.
    func objects(on node: String, resource filter: String?) -> [Events2Object] {
        guard let n = nodes[node], n.up else { return [] }
        var result: [Events2Object] = []
        for resource in spec.resources where n.resources[resource.name] != nil && (filter == nil || filter == resource.name) {
            result.append(resourceObject(node, resource))
            for v in 0..<resource.volumes { result.append(deviceObject(node, resource, volume: v)) }
            for peer in peers(of: node) {
                result.append(connectionObject(node, peer, resource))
                for v in 0..<resource.volumes { result.append(peerDeviceObject(node, peer, resource, volume: v)) }
                result.append(pathObject(node, peer, resource))
            }
        }
        return result
    }

    func resourceObject(_ node: String, _ resource: ResourceSpec) -> Events2Object {
        let res = state(node, resource.name)!  // objects(on:) only asks for resources that are up
        let attached = res.volumes.contains { $0.disk.isAttached }
        return Events2Object(
            kind: "resource", identity: "name:\(resource.name)",
            state: [
                "role:\(res.primary ? "Primary" : "Secondary")",
                "suspended:\(isSuspended(node, resource) ? "quorum" : "no")",
                "force-io-failures:\(yesNo(res.forceIOFailures))",
                "write-ordering:\(attached ? "flush" : "none")",
                "may_promote:\(yesNo(computeMayPromote(node, resource.name)))",
                "promotion_score:\(computePromotionScore(node, resource.name))",
            ],
            statistics: [])
    }

    func deviceObject(_ node: String, _ resource: ResourceSpec, volume v: Int) -> Events2Object {
        let volume = state(node, resource.name)!.volumes[v]
        return Events2Object(
            kind: "device", identity: "name:\(resource.name) volume:\(v)",
            state: [
                "minor:\(resource.firstMinor + v)",
                "backing_dev:\(volume.disk.isAttached || volume.disk == .failed ? backingDevice(resource, volume: v) : "none")",
                "disk:\(volume.disk.rawValue)", "client:\(yesNo(resource.isDiskless(node)))", "open:no",
                "quorum:\(yesNo(volume.quorum))",
            ],
            statistics: [
                "size:\(resource.sizeKiB)", "read:0", "written:0", "al-writes:0", "bm-writes:0", "upper-pending:0",
                "lower-pending:0", "al-suspended:no", "blocked:no",
            ])
    }

    func connectionObject(_ node: String, _ peer: String, _ resource: ResourceSpec) -> Events2Object {
        let (connection, peerRole) = connectionState(node, peer, resource.name)
        return Events2Object(
            kind: "connection", identity: "name:\(resource.name) peer-node-id:\(nodeID(peer)) conn-name:\(peer)",
            state: ["connection:\(connection)", "role:\(peerRole)"],
            statistics: ["congested:no", "ap-in-flight:0", "rs-in-flight:0"])
    }

    /// The connection state `node` prints for `peer`, and the peer's role as it knows it.
    func connectionState(_ node: String, _ peer: String, _ resource: String) -> (String, String) {
        if let transient = transientConnectionState[Self.connectionKey(node, peer, resource)] { return (transient, "Unknown") }
        guard isEstablished(node, peer, resource), let other = state(peer, resource) else { return ("Connecting", "Unknown") }
        return ("Connected", other.primary ? "Primary" : "Secondary")
    }

    func isShownEstablished(_ node: String, _ peer: String, _ resource: String) -> Bool {
        transientConnectionState[Self.connectionKey(node, peer, resource)] == nil && isEstablished(node, peer, resource)
    }

    func peerDeviceObject(_ node: String, _ peer: String, _ resource: ResourceSpec, volume v: Int) -> Events2Object {
        let sync = resyncBetween(node, peer, resource, volume: v)
        var replication = "Off", peerDisk = "DUnknown"
        if isShownEstablished(node, peer, resource.name), let other = state(peer, resource.name) {
            replication = sync.map { $0.target == node ? "SyncTarget" : "SyncSource" } ?? "Established"
            peerDisk = other.volumes[v].disk.rawValue
        }
        let outOfSync = sync.map { Int((1 - $0.fraction) * Double(resource.sizeKiB)) } ?? 0
        let moved = sync.map { Int($0.fraction * Double(resource.sizeKiB)) } ?? 0
        let received = sync?.target == node ? moved : 0
        let sent = sync?.source == node ? moved : 0
        return Events2Object(
            kind: "peer-device",
            identity: "name:\(resource.name) peer-node-id:\(nodeID(peer)) conn-name:\(peer) volume:\(v)",
            state: [
                "replication:\(replication)", "peer-disk:\(peerDisk)", "peer-client:\(yesNo(resource.isDiskless(peer)))",
                "resync-suspended:no",
            ],
            statistics: (sync.map { ["done:\(percent($0.fraction * 100))"] } ?? [])
                + ["received:\(received)", "sent:\(sent)", "out-of-sync:\(outOfSync)", "pending:0", "unacked:0"])
    }

    func pathObject(_ node: String, _ peer: String, _ resource: ResourceSpec) -> Events2Object {
        Events2Object(
            kind: "path",
            identity: "name:\(resource.name) peer-node-id:\(nodeID(peer)) conn-name:\(peer) local:\(address(node, resource)) peer:\(address(peer, resource))",
            state: ["established:\(yesNo(isShownEstablished(node, peer, resource.name)))"],
            statistics: [])
    }

    /// A running resync of `volume` between `node` and `peer`, either way, and how far it got.
    func resyncBetween(_ node: String, _ peer: String, _ resource: ResourceSpec, volume v: Int)
        -> (source: String, target: String, fraction: Double)?
    {
        for (target, source) in [(node, peer), (peer, node)] {
            guard let resync = state(target, resource.name)?.volumes[v].resync, resync.source == source else { continue }
            let total = seconds(resync.end - resync.start)
            let fraction = total > 0 ? seconds(now - resync.start) / total : 1
            return (source, target, min(1, max(0, fraction)))
        }
        return nil
    }

    /// The IPv4 address and port `node` uses for `resource`: 10.0.0.(node-id + 1), port 7789 + index.
    func address(_ node: String, _ resource: ResourceSpec) -> String {
        let index = spec.resources.firstIndex { $0.name == resource.name } ?? 0
        return "ipv4:10.0.0.\(nodeID(node) + 1):\(7789 + index)"
    }

    /// The backing device of a volume on a diskful node (what `drbdadm sh-ll-dev` prints).
    func backingDevice(_ resource: ResourceSpec, volume v: Int) -> String {
        "/dev/drbdpool/\(resource.name)_\(v)"
    }
}

/// A duration in seconds.
func seconds(_ duration: Duration) -> Double {
    let (s, attoseconds) = duration.components
    return Double(s) + Double(attoseconds) / 1e18
}
