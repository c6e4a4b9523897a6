/// What DRBD derives from the stored facts: which connections are established, handshakes and
/// resyncs on them, new data generations written by a Primary, quorum, forced demotions.
extension DRBDCluster {
    /// Recomputes the derived state until it is stable, then publishes the changes to subscribers.
    mutating func settle() {
        for _ in 0..<16 {
            var changed = false
            for resource in spec.resources {
                changed = settleOnce(resource) || changed
            }
            if !changed { break }
        }
        publish()
    }

    /// Whether the connection of `resource` between `a` and `b` is established: both run it, the link
    /// works, and the handshake does not refuse it (DRBD refuses two Primaries, and a Primary whose
    /// data is older than its peer's: it cannot become a resync target).
    func isEstablished(_ a: String, _ b: String, _ resource: String) -> Bool {
        guard a != b, let ra = state(a, resource), let rb = state(b, resource), !linkIsCut(a, b) else { return false }
        if ra.primary && rb.primary { return false }
        return !primaryHasOlderData(ra, than: rb) && !primaryHasOlderData(rb, than: ra)
    }

    /// Whether `primary` is Primary and holds, on some volume, older up-to-date data than an up-to-date
    /// `peer`. A Primary whose disk is Inconsistent (a resync target: DRBD lets one promote while its
    /// sync source is connected) reads through the peer and is not stale.
    func primaryHasOlderData(_ primary: ResourceState, than peer: ResourceState) -> Bool {
        guard primary.primary else { return false }
        return zip(primary.volumes, peer.volumes).contains { mine, theirs in
            mine.disk == .upToDate && theirs.disk == .upToDate && theirs.generation > mine.generation
        }
    }

    /// One pass over `resource` on every node; true if anything changed.
    mutating func settleOnce(_ resource: ResourceSpec) -> Bool {
        let before = nodeOrder.map { state($0, resource.name) }
        stopOrphanedResyncs(resource)
        handshake(resource)
        forceSecondaryOutdatedPrimaries(resource)
        // Quorum first (halab-sim fix): with the quorum of before a cut, a Primary just cut off from
        // everyone still "wrote" a new generation alone, which then let it promote beside the new
        // Primary after the heal.
        updateQuorum(resource)
        writeNewGenerations(resource)
        updateQuorum(resource)
        return nodeOrder.map({ state($0, resource.name) }) != before
    }

    /// A resync whose source is no longer connected (or no longer up to date) stops; the target stays
    /// Inconsistent until another handshake starts a new one.
    mutating func stopOrphanedResyncs(_ resource: ResourceSpec) {
        for node in nodeOrder {
            guard var res = state(node, resource.name) else { continue }
            for v in res.volumes.indices {
                guard let resync = res.volumes[v].resync else { continue }
                let source = state(resync.source, resource.name)
                if !isEstablished(node, resync.source, resource.name) || source?.volumes[v].disk != .upToDate {
                    res.volumes[v].resync = nil
                }
            }
            nodes[node]?.resources[resource.name] = res
        }
    }

    /// What DRBD's handshake decides on each established connection, per volume: equal generations
    /// make an Outdated disk UpToDate again; a newer up-to-date peer makes this disk Inconsistent and
    /// a resync target.
    mutating func handshake(_ resource: ResourceSpec) {
        for a in nodeOrder {
            for b in peers(of: a) where isEstablished(a, b, resource.name) {
                guard var target = state(a, resource.name), let source = state(b, resource.name) else { continue }
                for v in target.volumes.indices {
                    let mine = target.volumes[v], theirs = source.volumes[v]
                    guard mine.disk.isAttached, theirs.disk == .upToDate, mine.resync == nil else { continue }
                    if theirs.generation == mine.generation, mine.disk == .outdated {
                        target.volumes[v].disk = .upToDate
                    } else if theirs.generation > mine.generation || mine.disk == .inconsistent {
                        target.volumes[v].disk = .inconsistent
                        target.volumes[v].resync = Resync(source: b, start: now, end: now + resource.resyncDuration)
                    }
                }
                nodes[a]?.resources[resource.name] = target
            }
        }
    }

    /// `on-suspended-primary-outdated = force-secondary`: a Primary whose I/O is suspended for lack of
    /// quorum, that meets a peer with newer data, is outdated by it and so demoted, its I/O failed.
    mutating func forceSecondaryOutdatedPrimaries(_ resource: ResourceSpec) {
        guard resource.onSuspendedPrimaryOutdated == "force-secondary" else { return }
        for node in nodeOrder {
            guard var res = state(node, resource.name), res.primary, isSuspended(node, resource) else { continue }
            let outdatedBy = peers(of: node).contains { peer in
                guard !linkIsCut(node, peer), let other = state(peer, resource.name) else { return false }
                return primaryHasOlderData(res, than: other)
            }
            guard outdatedBy else { continue }
            res.primary = false
            res.forceIOFailures = true
            for v in res.volumes.indices where res.volumes[v].disk == .upToDate {
                res.volumes[v].disk = .outdated
            }
            nodes[node]?.resources[resource.name] = res
        }
    }

    /// A Primary that can write writes: where a diskful node that still holds the same generation does
    /// not get the writes (not connected, not attached), the written data become a new generation,
    /// which the up-to-date disks that do get the writes share. DRBD does this with a new current UUID.
    mutating func writeNewGenerations(_ resource: ResourceSpec) {
        for p in nodeOrder where canWrite(p, resource.name) {
            for v in 0..<resource.volumes {
                let holders = [p] + peers(of: p).filter { isEstablished(p, $0, resource.name) }
                let upToDate = holders.filter { state($0, resource.name)?.volumes[v].disk == .upToDate }
                guard let current = upToDate.compactMap({ state($0, resource.name)?.volumes[v].generation }).max()
                else { continue }
                let receiving = Set(holders.filter { state($0, resource.name)?.volumes[v].disk.isAttached == true })
                let missesWrites = nodeOrder.contains { node in
                    !resource.isDiskless(node) && !receiving.contains(node) && generation(node, resource.name, v) == current
                }
                guard missesWrites else { continue }
                let fresh = newGeneration()
                for holder in upToDate {
                    nodes[holder]?.resources[resource.name]?.volumes[v].generation = fresh
                }
            }
        }
    }

    /// The data generation of a volume on `node`, live if the resource is up there, else from the meta data.
    func generation(_ node: String, _ resource: String, _ volume: Int) -> Int? {
        if let res = state(node, resource) { return res.volumes[volume].generation }
        let meta = metaData[node]?[resource] ?? []
        return volume < meta.count ? meta[volume].generation : nil
    }

    /// Resyncs whose time is over: the target has the source's data now.
    mutating func finishResyncs() {
        for node in nodeOrder {
            guard var n = nodes[node], n.up else { continue }
            for name in n.resources.keys.sorted() {
                guard var res = n.resources[name] else { continue }
                for v in res.volumes.indices {
                    guard let resync = res.volumes[v].resync, resync.end <= now else { continue }
                    res.volumes[v].resync = nil
                    res.volumes[v].disk = .upToDate
                    if let source = generation(resync.source, name, v) { res.volumes[v].generation = source }
                }
                n.resources[name] = res
            }
            nodes[node] = n
        }
    }
}
