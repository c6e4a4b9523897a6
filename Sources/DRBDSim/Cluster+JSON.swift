/// `drbdsetup status [--json]`, `drbdsetup show --json` and the harness's `state` document.
extension DRBDCluster {
    func upResources(_ node: String, _ filter: String?) -> [ResourceSpec] {
        spec.resources.filter { state(node, $0.name) != nil && (filter == nil || filter == $0.name) }
    }

    func statusJSON(_ node: String, resource filter: String?) -> String {
        JSONText.array(upResources(node, filter).map { statusObject(node, $0) }).rendered(indent: 2) + "\n"
    }

    func statusObject(_ node: String, _ resource: ResourceSpec) -> JSONText {
        let res = state(node, resource.name)!  // upResources only lists resources that are up
        let suspended = isSuspended(node, resource)
        let devices: [JSONText] = res.volumes.indices.map { v in
            .object([
                ("volume", .int(v)), ("minor", .int(resource.firstMinor + v)),
                ("disk-state", .string(res.volumes[v].disk.rawValue)), ("client", .bool(resource.isDiskless(node))),
                ("open", .bool(false)), ("quorum", .bool(res.volumes[v].quorum)), ("size", .int(resource.sizeKiB)),
                ("read", .int(0)), ("written", .int(0)), ("al-writes", .int(0)), ("bm-writes", .int(0)),
                ("upper-pending", .int(0)), ("lower-pending", .int(0)),
            ])
        }
        let connections: [JSONText] = peers(of: node).map { peer in
            let (connection, peerRole) = connectionState(node, peer, resource.name)
            let established = isShownEstablished(node, peer, resource.name)
            let peerDevices: [JSONText] = res.volumes.indices.map { v in
                let sync = resyncBetween(node, peer, resource, volume: v)
                var replication = "Off", peerDisk = "DUnknown"
                if established, let other = state(peer, resource.name) {
                    replication = sync.map { $0.target == node ? "SyncTarget" : "SyncSource" } ?? "Established"
                    peerDisk = other.volumes[v].disk.rawValue
                }
                return .object([
                    ("volume", .int(v)), ("replication-state", .string(replication)),
                    ("peer-disk-state", .string(peerDisk)), ("peer-client", .bool(resource.isDiskless(peer))),
                    ("resync-suspended", .string("no")), ("received", .int(0)), ("sent", .int(0)),
                    ("out-of-sync", .int(sync.map { Int((1 - $0.fraction) * Double(resource.sizeKiB)) } ?? 0)),
                    ("pending", .int(0)), ("unacked", .int(0)), ("has-sync-details", .bool(sync != nil)),
                    ("has-online-verify-details", .bool(false)),
                    ("percent-in-sync", .number(percent(sync.map { $0.fraction * 100 } ?? 100))),
                ])
            }
            return .object([
                ("peer-node-id", .int(nodeID(peer))), ("name", .string(peer)),
                ("connection-state", .string(connection)), ("congested", .bool(false)),
                ("peer-role", .string(peerRole)), ("ap-in-flight", .int(0)), ("rs-in-flight", .int(0)),
                ("peer_devices", .array(peerDevices)),
            ])
        }
        return .object([
            ("name", .string(resource.name)), ("node-id", .int(nodeID(node))),
            ("role", .string(res.primary ? "Primary" : "Secondary")), ("suspended", .bool(suspended)),
            ("suspended-user", .bool(false)), ("suspended-no-data", .bool(false)),
            ("suspended-fencing", .bool(false)), ("suspended-quorum", .bool(suspended)),
            ("force-io-failures", .bool(res.forceIOFailures)),
            ("write-ordering", .string(res.volumes.contains { $0.disk.isAttached } ? "flush" : "none")),
            ("devices", .array(devices)), ("connections", .array(connections)),
        ])
    }

    /// `drbdsetup status` without `--json`: the short human form.
    func statusText(_ node: String, resource filter: String?) -> String {
        var out = ""
        for resource in upResources(node, filter) {
            let res = state(node, resource.name)!  // upResources only lists resources that are up
            out += "\(resource.name) role:\(res.primary ? "Primary" : "Secondary")"
            out += isSuspended(node, resource) ? " suspended:quorum\n" : "\n"
            for (v, volume) in res.volumes.enumerated() {
                out += "  volume:\(v) disk:\(volume.disk.rawValue)\(volume.quorum ? "" : " quorum:no")\n"
            }
            for peer in peers(of: node) {
                let (connection, peerRole) = connectionState(node, peer, resource.name)
                out += connection == "Connected" ? "  \(peer) role:\(peerRole)\n" : "  \(peer) connection:\(connection)\n"
            }
            out += "\n"
        }
        return out
    }

    func showJSON(_ node: String, resource filter: String?) -> String {
        let resources: [JSONText] = upResources(node, filter).map { resource in
            let volumes: [JSONText] = (0..<resource.volumes).map { v in
                .object([
                    ("volume_nr", .int(v)), ("device_minor", .int(resource.firstMinor + v)),
                    ("disk", .string(resource.isDiskless(node) ? "none" : backingDevice(resource, volume: v))),
                    ("meta-disk", .string("internal")),
                ])
            }
            let connections: [JSONText] = peers(of: node).map { peer in
                .object([
                    ("_peer_node_id", .int(nodeID(peer))),
                    ("path", .object([("_this_host", .string(address(node, resource))), ("_remote_host", .string(address(peer, resource)))])),
                    ("net", .object([
                        ("_name", .string(peer)), ("protocol", .string("C")), ("fencing", .string(resource.fencing)),
                        ("rr-conflict", .string(resource.rrConflict)), ("allow-two-primaries", .string("no")),
                    ])),
                ])
            }
            return .object([
                ("resource", .string(resource.name)),
                ("_this_host", .object([("node-id", .int(nodeID(node))), ("volumes", .array(volumes))])),
                ("connections", .array(connections)),
                ("options", .object([
                    ("auto-promote", .string(yesNo(resource.autoPromote))), ("quorum", .string(resource.quorum.rawValue)),
                    ("on-no-quorum", .string(resource.onNoQuorum.rawValue)),
                    ("on-no-data-accessible", .string(resource.onNoQuorum.rawValue)),
                    ("on-suspended-primary-outdated", .string(resource.onSuspendedPrimaryOutdated)),
                    ("quorum-minimum-redundancy", .string("off")),
                ])),
            ])
        }
        return JSONText.array(resources).rendered(indent: 4) + "\n"
    }

    /// The harness's view of everything: time, per node up/down and per resource role, quorum,
    /// may_promote, promotion_score, disk states, connections and whether it can write.
    public func stateDocument() -> JSONText {
        let nodeObjects: [JSONText] = nodeOrder.map { node in
            let resources: [JSONText] = spec.resources.compactMap { resource in
                guard let res = state(node, resource.name) else { return nil }
                let connected = peers(of: node).filter { isEstablished(node, $0, resource.name) }
                return .object([
                    ("name", .string(resource.name)), ("role", .string(res.primary ? "Primary" : "Secondary")),
                    ("quorum", .bool(allVolumesHaveQuorum(node, resource.name))),
                    ("suspended", .bool(isSuspended(node, resource))),
                    ("may_promote", .bool(computeMayPromote(node, resource.name))),
                    ("promotion_score", .int(computePromotionScore(node, resource.name))),
                    ("disks", .array(res.volumes.map { .string($0.disk.rawValue) })),
                    ("connected", .array(connected.map { .string($0) })),
                    ("can_write", .bool(computeCanWrite(node, resource.name))),
                ])
            }
            return .object([
                ("name", .string(node)), ("up", .bool(isUp(node))), ("resources", .array(resources)),
            ])
        }
        return .object([
            ("time", .number(String(seconds(now)))), ("nodes", .array(nodeObjects)),
            ("cut", .array(cutLinks.sorted().map { .array($0.split(separator: "\u{0}").map { .string(String($0)) }) })),
        ])
    }
}
