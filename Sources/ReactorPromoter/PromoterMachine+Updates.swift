import Logging
import ReactorCore

/// How `PromoterMachine` reacts to state updates: the split-brain avoidance
/// policy is detected first, then may_promote starts, quorum loss stops or freezes, a lost disk may fail
/// over and a better preferred node gets the services back. Actions are queued as jobs (see
/// `PromoterMachine+Jobs.swift`).
extension PromoterMachine {
    /// An update of a configured resource (Exists or Change only, like the original): processed once the
    /// resource's split-brain avoidance policy is known, detected on its first update. A destroyed
    /// resource (`drbdadm down`, or drbdsetup gone) only stops counting as may-promote, so the ticker
    /// does not keep starting a target for a resource that is not there.
    mutating func received(_ update: StateUpdate, now: Instant) -> [PluginEffect] {
        if update.eventType == .destroy, case .resource = update.kind { resources[update.resourceName]?.mayPromote = false }
        guard update.eventType == .exists || update.eventType == .change, var r = resources[update.resourceName] else { return [] }
        if r.policy != nil { return process(update, now: now) }
        if r.buffered.count >= Self.bufferLimit { r.buffered.removeFirst() }
        r.buffered.append(update)
        var effects: [PluginEffect] = []
        if r.detecting == nil {
            let token = freshToken()
            r.detecting = token
            r.detectionOutput = []
            children[token] = .detection(update.resourceName)
            effects.append(spawn(token, ["drbdsetup", "show", "--show-defaults", "--json", update.resourceName]))
        }
        resources[update.resourceName] = r
        return effects
    }

    /// The detection's `drbdsetup show` ended: on success the waiting updates are processed in order;
    /// on failure they are dropped and the next update tries again.
    mutating func detected(_ name: String, success: Bool, failure: String, now: Instant) -> [PluginEffect] {
        guard var r = resources[name] else { return [] }
        r.detecting = nil
        let waiting = r.buffered
        r.buffered = []
        var effects: [PluginEffect] = []
        do {
            guard success else { throw PromoterDRBD.PolicyError(description: "'drbdsetup show' failed: \(failure)") }
            let (policy, warnings) = try PromoterDRBD.splitBrainPolicy(
                showJSON: r.detectionOutput.joined(separator: "\n"), config: r.config, unifiedCgroups: context.unifiedCgroups)
            r.policy = policy
            effects.append(.log(.info, "Detected split-brain avoidance policy: '\(policy.rawValue)'", resource: name))
            effects += warnings.map { .log(.warning, $0, resource: name) }
        } catch {
            effects.append(.log(.error, "IGNORING resource '\(name)': \(error)", resource: name))
        }
        r.detectionOutput = []
        resources[name] = r
        guard r.policy != nil, !stopping else { return effects }
        for u in waiting { effects += process(u, now: now) }
        return effects
    }

    /// The reactions to one update (start, stop or freeze, fail over, give back), given the resource's policy.
    mutating func process(_ update: StateUpdate, now: Instant) -> [PluginEffect] {
        let name = update.resourceName
        guard let r = resources[name], let policy = r.policy else { return [] }
        let c = r.config, role = update.resource.role
        switch update.kind {
        case .resource(let old, let new):
            resources[name]?.mayPromote = new.mayPromote
            // One update can both demote and allow a promote: stop first, then promote (1.x-like code
            // that returned after the promote left the stale services of a forced Secondary running).
            var effects: [PluginEffect] = []
            // Only after our freeze or when idle: 1.x took every Primary -> Secondary for this, also the demotion by
            // our own stop, and such a stale stop, queued behind the next promote, stopped the services
            // that promote had just started (a start/stop loop, HA lab seed 894).
            // `.unknown`: first reported after a drbdsetup respawn, demoted while nobody watched.
            // Idle: no stop of ours is running, so DRBD demoted us (a demotion by our own stop arrives
            // while that stop runs).
            if old.role != .secondary && new.role == .secondary && policy == .quorum && c.onQuorumLoss == .freeze && (r.frozen || r.isIdle) {
                resources[name]?.frozen = false
                effects += [.log(.info, "resource '\(name)' got forced to Secondary while frozen, stopping services", resource: name)]
                    + enqueue(name, r.script.stopForOutsideReason, now: now)
            }
            // The replay of a (re)started plugin: a Primary whose devices came without quorum.
            if policy == .quorum && old.role != .primary && new.role == .primary && update.resource.devices.values.contains(where: { !$0.quorum }) {
                effects += quorumLost(name, atStart: true, now: now)
            }
            if !old.mayPromote && new.mayPromote { effects += promote(update, policy: policy, now: now) }
            // First seen as Primary (a plugin started later gets the replay, whose peer devices come
            // before the role): a more preferred peer UpToDate already is a fail-back missed meanwhile
            // (HA lab seed 4825: the peer's resync ended while the daemon restarted). Not after our own
            // promotion (old Secondary): winning a race against that peer must not loop.
            if old.role == .unknown && new.role == .primary && !c.preferredNodes.isEmpty && c.preferredNodesPolicy == .always,
                let peer = update.resource.connections.first(where: { id, conn in
                    conn.peerDevices.values.contains { !$0.peerClient && $0.peerDiskState == .upToDate } && isBetterPreferred(conn.connectionName, c)
                })?.key
            {
                effects += failBack(update, peer: peer, now: now)
            }
            return effects
        case .device(_, let old, let new):
            guard policy != .fencing else { return [] }
            if old.quorum && !new.quorum { return quorumLost(name, atStart: false, now: now) }
            // A fresh drbdsetup (respawned, or the daemon restarted) shows a Primary already without quorum.
            if update.eventType == .exists && !new.quorum && role == .primary { return quorumLost(name, atStart: true, now: now) }
            // Also after a freeze of ours on a Secondary (1.x thawed only a Primary): that freeze may
            // still wait behind a start that makes this node Primary, and would leave the services
            // frozen on a quorate Primary (HA lab seed 425).
            if !old.quorum && new.quorum && c.onQuorumLoss == .freeze && (role == .primary || r.frozen) {
                resources[name]?.frozen = false
                return [.log(.info, "resource '\(name)' gained quorum, thawing Primary", resource: name)]
                    + enqueue(name, r.script.freeze(.thaw), now: now)
            }
            if old.diskState != .diskless && new.diskState == .diskless && !old.client && !new.client && role == .primary {
                return diskDetached(update, now: now)
            }
        case .peerDevice(let peer, _, let old, let new):
            guard !c.preferredNodes.isEmpty, c.preferredNodesPolicy == .always, old.peerDiskState != .upToDate,
                new.peerDiskState == .upToDate, role == .primary
            else { return [] }
            return failBack(update, peer: peer, now: now)
        case .connection, .path:
            break
        }
        return []
    }

    /// Quorum is gone: stop the services, or freeze them with `on-quorum-loss = freeze`. `atStart`: the
    /// loss was not seen as a transition, the Primary already had no quorum when its state was first reported (the loss happened while drbdsetup was respawned or the daemon restarted;
    /// 1.x only reacted to the transition and kept such services running without quorum).
    mutating func quorumLost(_ name: String, atStart: Bool, now: Instant) -> [PluginEffect] {
        guard let r = resources[name] else { return [] }
        let text = atStart ? "run: resource '\(name)' is Primary without quorum at start" : "run: resource '\(name)' lost quorum"
        let log = PluginEffect.log(.info, text, resource: name)
        resources[name]?.frozen = r.config.onQuorumLoss == .freeze
        return [log] + enqueue(name, r.config.onQuorumLoss == .freeze ? r.script.freeze(.freeze) : r.script.stopForOutsideReason, now: now)
    }

    /// may_promote became true: after the delay (disk state, preferred position, policy, times the
    /// factor), start; unless the resource started less than 20 s (minus the delay) ago.
    mutating func promote(_ update: StateUpdate, policy: SplitBrainPolicy, now: Instant) -> [PluginEffect] {
        let name = update.resourceName
        guard let r = resources[name] else { return [] }
        let other = UInt64(PromoterDRBD.preferredPosition(r.config.preferredNodes, nodeName: context.nodeName))
            + PromoterDRBD.policySeconds(update.resource, config: r.config, policy: policy)
        guard let disk = PromoterDRBD.diskSeconds(update.resource) else {
            return enqueue(name, r.script.promoteAfterLookingAtDevices(otherSeconds: other), now: now)
        }
        let (effects, frames) = promote(r, seconds: disk + other, now: now)
        return effects + enqueue(name, frames, now: now)
    }

    /// The frames of a promote with a known delay, or none (and a debug line) if the resource started
    /// less than 20 s minus the delay ago.
    func promote(_ r: ResourceState, seconds: UInt64, now: Instant) -> ([PluginEffect], [PromoterFrame]) {
        let name = r.config.name
        let ms = PromoterDRBD.promoteDelayMilliseconds(seconds: seconds, factor: r.config.sleepBeforePromoteFactor)
        if let last = r.lastStart, (now - last) + .milliseconds(Int64(clamping: ms)) < Self.tickInterval {
            return ([.log(.debug, "got may_promote but start interval for '\(name)' too fast", resource: name)], [])
        }
        return ([], r.script.promote(afterMilliseconds: ms))
    }

    /// A Primary lost its disk: with `fail-over`, stop if some peer is UpToDate (and not a client).
    mutating func diskDetached(_ update: StateUpdate, now: Instant) -> [PluginEffect] {
        let name = update.resourceName
        guard let r = resources[name] else { return [] }
        let policy = r.config.onDiskDetach.rawValue
        var effects: [PluginEffect] = [.log(.info, "resource '\(name)' lost local disk", resource: name)]
        guard r.config.onDiskDetach == .failOver else {
            return effects + [.log(.info, "resource '\(name)' on-disk-detach policy is '\(policy)', not taking action", resource: name)]
        }
        effects.append(.log(.info, "resource '\(name)' on-disk-detach policy is '\(policy)', checking for UpToDate peer", resource: name))
        let peers = update.resource.connections.values.flatMap(\.peerDevices.values)
        guard peers.contains(where: { !$0.peerClient && $0.peerDiskState == .upToDate }) else {
            return effects + [.log(.info, "resource '\(name)' lost local disk, did not find UpToDate peer", resource: name)]
        }
        effects.append(.log(.info, "resource '\(name)' lost local disk, found UpToDate peer", resource: name))
        return effects + enqueue(name, r.script.stopForOutsideReason, now: now)
    }

    /// Whether `peer` comes before this node in `preferred-nodes`.
    func isBetterPreferred(_ peer: String?, _ c: PromoterResourceConfig) -> Bool {
        guard let peer, let position = c.preferredNodes.firstIndex(of: peer), let nodeName = context.nodeName else { return false }
        return position < (c.preferredNodes.firstIndex(of: nodeName) ?? c.preferredNodes.count)
    }

    /// A peer became UpToDate while we are Primary: if it is a better preferred node, hand over (stop).
    mutating func failBack(_ update: StateUpdate, peer: Int32, now: Instant) -> [PluginEffect] {
        let name = update.resourceName
        guard let r = resources[name] else { return [] }
        let nodes = r.config.preferredNodes
        guard let peerName = update.resource.connections[peer]?.connectionName else {
            return [.log(.warning, "Could not find peer device for resource '\(name)'", resource: name)]
        }
        guard let peerPosition = nodes.firstIndex(of: peerName) else {
            return [.log(.debug, "Peer '\(peerName)' was not found in preferred_nodes, continue", resource: name)]
        }
        guard let nodeName = context.nodeName else {
            return [.log(.warning, "Could not determine 'uname -n'", resource: name)]
        }
        guard peerPosition < (nodes.firstIndex(of: nodeName) ?? nodes.count) else { return [] }
        return [.log(.info, "run: resource '\(name)' has a new preferred node ('\(peerName)'), stopping services locally ('\(nodeName)')", resource: name)]
            + enqueue(name, r.script.stopForOutsideReason, now: now)
    }
}
