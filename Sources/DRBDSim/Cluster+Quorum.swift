/// Quorum as DRBD 9 counts it, and what depends on it: suspended I/O, may_promote, promotion_score.
///
/// Per volume, a node counts itself and each configured peer: an attached local disk votes (UpToDate
/// or merely present); a connected diskful peer votes likewise, unless its disk is detached (then it is
/// `unknown`, as a detached node counts itself); an unreachable
/// diskful peer is `unknown`, or `outdated` if it left gracefully; diskless clients count apart, as
/// connected or missing. When nobody is unknown, outdated peers are no voters (the last man standing
/// keeps quorum). Majority: votes >= voters / 2 + 1. With an even number of voters, one vote short,
/// a majority of the diskless clients connected keeps (never gains) quorum: the diskless tiebreaker.
struct QuorumCount: Hashable, Sendable {
    var upToDate = 0
    var present = 0
    var outdated = 0
    var unknown = 0
    var diskless = 0
    var missingDiskless = 0

    var votes: Int { upToDate + present }
    var voters: Int { unknown > 0 ? outdated + unknown + votes : votes }
    var quorumAt: Int { voters / 2 + 1 }

    /// The decision, given whether the volume had quorum before (the tiebreaker only keeps it).
    func hasQuorum(hadQuorum: Bool) -> Bool {
        if votes >= quorumAt { return true }
        let disklessMajorityAt = (diskless + missingDiskless) / 2 + 1
        return voters != 0 && voters % 2 == 0 && votes == quorumAt - 1 && diskless >= disklessMajorityAt && hadQuorum
    }
}

extension DRBDCluster {
    /// The counts DRBD's `calc_quorum` gathers for `volume` of `resource` on `node`.
    func quorumCount(_ node: String, _ resource: ResourceSpec, volume v: Int) -> QuorumCount {
        var count = QuorumCount()
        guard let res = state(node, resource.name) else { return count }
        switch res.volumes[v].disk {
        case .upToDate: count.upToDate += 1
        case .inconsistent, .outdated: count.present += 1
        case .diskless, .failed:
            if resource.isDiskless(node) { count.diskless += 1 } else { count.unknown += 1 }
        }
        for peer in peers(of: node) {
            let peerIsClient = resource.isDiskless(peer)
            if isEstablished(node, peer, resource.name), let other = state(peer, resource.name) {
                if peerIsClient {
                    count.diskless += 1
                } else if other.volumes[v].disk == .upToDate {
                    count.upToDate += 1
                } else if other.volumes[v].disk.isAttached {
                    count.present += 1
                } else {
                    // A diskful peer whose disk is detached votes as little as its data can be read:
                    // it counts as it counts itself, unknown.
                    count.unknown += 1
                }
            } else if peerIsClient {
                count.missingDiskless += 1
            } else if res.outdatedPeers.contains(peer) {
                count.outdated += 1
            } else {
                count.unknown += 1
            }
        }
        return count
    }

    /// Recomputes each node's quorum flags for `resource`; peers that are connected again are no longer
    /// known to be outdated.
    mutating func updateQuorum(_ resource: ResourceSpec) {
        for node in nodeOrder {
            guard var res = state(node, resource.name) else { continue }
            for peer in res.outdatedPeers where isEstablished(node, peer, resource.name) {
                res.outdatedPeers.remove(peer)
            }
            nodes[node]?.resources[resource.name] = res
            for v in res.volumes.indices {
                let quorum = resource.quorum == .off
                    || quorumCount(node, resource, volume: v).hasQuorum(hadQuorum: res.volumes[v].quorum)
                res.volumes[v].quorum = quorum
            }
            nodes[node]?.resources[resource.name] = res
        }
    }

    /// `updateQuorum` for every resource: a lost connection and the quorum it costs are one state change
    /// in DRBD, so the lines printed for the connection loss already carry the new quorum (and no
    /// `may_promote:yes` computed from the quorum of before).
    mutating func updateAllQuorum() {
        for resource in spec.resources { updateQuorum(resource) }
    }

    /// DRBD's `suspended:quorum`: on-no-quorum=suspend-io and some volume without quorum.
    func isSuspended(_ node: String, _ resource: ResourceSpec) -> Bool {
        guard resource.onNoQuorum == .suspendIO, let res = state(node, resource.name) else { return false }
        return res.volumes.contains { !$0.quorum }
    }

    /// Whether every volume of `resource` on `node` has quorum (always, with quorum off).
    func allVolumesHaveQuorum(_ node: String, _ resource: String) -> Bool {
        guard let res = state(node, resource) else { return false }
        return res.volumes.allSatisfy(\.quorum)
    }

    /// Whether `volume` can reach up-to-date data: its own disk, or a connected peer's.
    func dataAccessible(_ node: String, _ resource: String, volume v: Int) -> Bool {
        guard let res = state(node, resource) else { return false }
        if res.volumes[v].disk == .upToDate { return true }
        return peers(of: node).contains {
            isEstablished(node, $0, resource) && state($0, resource)?.volumes[v].disk == .upToDate
        }
    }

    func allDataAccessible(_ node: String, _ resource: String) -> Bool {
        guard let res = state(node, resource) else { return false }
        return res.volumes.indices.allSatisfy { dataAccessible(node, resource, volume: $0) }
    }

    /// A connected peer is Primary.
    func connectedPrimary(_ node: String, _ resource: String) -> String? {
        peers(of: node).first { isEstablished(node, $0, resource) && state($0, resource)?.primary == true }
    }

    /// events2's `may_promote`: Secondary, no connected Primary, quorum and up-to-date data on every volume.
    func computeMayPromote(_ node: String, _ resource: String) -> Bool {
        guard let res = state(node, resource), !res.primary else { return false }
        return connectedPrimary(node, resource) == nil && allVolumesHaveQuorum(node, resource)
            && allDataAccessible(node, resource)
    }

    /// events2's `promotion_score`: 0 without quorum or without access to up-to-date data; otherwise
    /// 10000, plus 100 per volume whose own disk is UpToDate, plus the number of nodes (this one
    /// included) reachable with every volume UpToDate.
    func computePromotionScore(_ node: String, _ resource: String) -> Int {
        guard let res = state(node, resource), allVolumesHaveQuorum(node, resource), allDataAccessible(node, resource)
        else { return 0 }
        let local = res.volumes.filter { $0.disk == .upToDate }.count
        let reachable = ([node] + peers(of: node).filter { isEstablished(node, $0, resource) }).filter { peer in
            state(peer, resource)?.volumes.allSatisfy { $0.disk == .upToDate } == true
        }
        return 10_000 + 100 * local + reachable.count
    }

    /// Whether writes on `node` succeed: Primary, not suspended, quorum (where configured), data reachable.
    func computeCanWrite(_ node: String, _ resource: String) -> Bool {
        guard let spec = resourceSpec(resource), let res = state(node, resource), res.primary else { return false }
        return !isSuspended(node, spec) && allVolumesHaveQuorum(node, resource) && allDataAccessible(node, resource)
    }
}
