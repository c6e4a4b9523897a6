import ReactorCore

/// What the promoter reads from DRBD: the answers of `drbdsetup status --json`, `drbdsetup show --json`
/// and `drbdadm sh-ll-dev` (all run as children; only their output reaches these pure functions), and
/// the promote delay computed from a resource's state.
public enum PromoterDRBD {
    /// Why the split-brain avoidance policy of a resource could not be detected.
    public struct PolicyError: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Whether `drbdsetup status --json <resource>` shows a peer of `resource` as Primary. Anything
    /// unreadable counts as "not known to be": the caller then tries to start.
    public static func peerIsPrimary(statusJSON text: String, resource: String) -> Bool {
        guard let list = (try? JSONValue.parse(text))?.array else { return false }
        for res in list where res["name"]?.string == resource {
            if res["connections"]?.array?.contains(where: { $0["peer-role"]?.string == "Primary" }) == true { return true }
        }
        return false
    }

    /// The policy from `drbdsetup show --show-defaults --json <resource>`: `quorum = off` means
    /// fencing (which then must not be `dont-care` on any connection), anything else quorum; plus the
    /// option warnings of the one-time check. `unifiedCgroups` says whether
    /// `/sys/fs/cgroup/cgroup.controllers` exists (freeze needs cgroup v2).
    public static func splitBrainPolicy(
        showJSON text: String, config: PromoterResourceConfig, unifiedCgroups: Bool
    ) throws(PolicyError) -> (policy: SplitBrainPolicy, warnings: [String]) {
        let doc: JSONValue
        do { doc = try JSONValue.parse(text) } catch { throw PolicyError(description: "'drbdsetup show' output: \(error)") }
        guard let list = doc.array, list.count == 1, let res = list.first else {
            throw PolicyError(description: "'drbdsetup show' did not describe exactly one resource")
        }
        guard let name = res["resource"]?.string, name == config.name else {
            throw PolicyError(description: "res name to check ('\(config.name)') and drbdsetup show output ('\(res["resource"]?.string ?? "")') did not match")
        }
        func option(_ key: String) throws(PolicyError) -> String {
            guard let v = res["options"]?[key] else { throw PolicyError(description: "'drbdsetup show' output lacks options.\(key)") }
            switch v {
            case .string(let s): return s
            case .bool(let b): return b ? "yes" : "no"
            default: throw PolicyError(description: "'drbdsetup show' output: options.\(key) is not a string")
            }
        }
        let nets = (res["connections"]?.array ?? []).map { $0["net"] }
        func net(_ key: String) -> [String] { nets.map { $0?[key]?.string ?? "" } }
        let quorum = try option("quorum")
        let policy: SplitBrainPolicy = quorum == "off" ? .fencing : .quorum
        if policy == .fencing, net("fencing").contains("dont-care") {
            throw PolicyError(description: "quorum is 'off', but also fencing is 'dont-care'")
        }
        var warnings: [String] = []
        func expect(_ what: String, _ wanted: String, _ actual: String) {
            if wanted != actual {
                warnings.append("resource '\(config.name)': DRBD option '\(what)' should be '\(wanted)', but is '\(actual)'")
            }
        }
        expect("auto-promote", "no", try option("auto-promote"))
        expect("quorum", policy == .quorum ? "majority" : "off", quorum)
        expect("on-suspended-primary-outdated", "force-secondary", try option("on-suspended-primary-outdated"))
        if policy == .quorum {
            let wanted = config.onQuorumLoss == .shutdown ? "io-error" : "suspend-io"
            expect("on-no-quorum", wanted, try option("on-no-quorum"))
            expect("on-no-data-accessible", wanted, try option("on-no-data-accessible"))
            if config.onQuorumLoss == .freeze {
                for v in net("rr-conflict") { expect("rr-conflict", "retry-connect", v) }
                if !unifiedCgroups { warnings.append("You don't have unified cgroups, the plugin will not work as intended") }
            }
        } else {
            for v in net("fencing") where v == "dont-care" {
                warnings.append("resource '\(config.name)': DRBD option 'fencing' should be not be 'dont-care'")
            }
        }
        return (policy, warnings)
    }

    /// The backing devices `drbdadm sh-ll-dev` printed, one per line (`none` = diskless).
    public static func backingDevices(_ lines: [String]) -> [String] {
        lines.map(\.trimmingBlanks).filter { !$0.isEmpty }
    }

    /// Seconds of delay for a diskless node (so a node with data wins the race).
    static let disklessSeconds: UInt64 = 6

    /// The disk part of the promote delay: the worst local disk state, or nil when there are no local
    /// devices (then `sh-ll-dev` decides: a `none` device is diskless).
    public static func diskSeconds(_ resource: Resource) -> UInt64? {
        resource.devices.values.map { d -> UInt64 in
            switch d.diskState {
            case .inconsistent: 3
            case .outdated: 2
            case .consistent: 1
            case .upToDate: 0
            default: disklessSeconds  // Diskless, Attaching, Detaching, Failed, Negotiating, DUnknown, unknown words
            }
        }.max()
    }

    /// This node's position in `preferred-nodes` (not listed: after all of them; unknown node name: 0).
    public static func preferredPosition(_ nodes: [String], nodeName: String?) -> Int {
        guard let nodeName else { return 0 }
        return nodes.firstIndex(of: nodeName) ?? nodes.count
    }

    /// The policy part of the delay: with fencing, `fencing-promote-delay` if any connection is not
    /// Connected; with quorum and `on-quorum-loss = freeze`, 2 s for a Secondary (a frozen Primary that
    /// comes back should win).
    public static func policySeconds(_ resource: Resource, config: PromoterResourceConfig, policy: SplitBrainPolicy) -> UInt64 {
        switch policy {
        case .fencing:
            resource.connections.values.contains { $0.connectionState != .connected } ? config.fencingPromoteDelay : 0
        case .quorum:
            config.onQuorumLoss == .freeze && resource.role == .secondary ? 2 : 0
        }
    }

    /// `seconds` scaled to milliseconds by `sleep-before-promote-factor`.
    public static func promoteDelayMilliseconds(seconds: UInt64, factor: UInt32) -> UInt64 {
        seconds * 1000 * UInt64(factor)
    }
}
