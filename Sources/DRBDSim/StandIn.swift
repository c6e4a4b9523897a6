// STAND-IN for halab-model's DRBDSim (its public API), written by halab-sim so that the HA lab's
// fast tier builds and runs before the real model lands. DELETE THIS FILE when merging halab-model (its
// Sources/DRBDSim replaces it; same public API). Rough on purpose: one volume, quorum as a plain majority
// of connected nodes, a Primary disconnected from the others outdates them, resync after a fixed time,
// a suspended (suspend-io) Primary that reconnects to a newer Primary is forced to Secondary, two Primaries
// never connect (no allow-two-primaries), events2 lines
// as snapshot diffs per node.

/// A node of the cluster (stand-in).
public struct NodeSpec: Hashable, Sendable { public var name: String; public var id: Int; public init(name: String, id: Int) { self.name = name; self.id = id } }
/// `quorum` (stand-in).
public enum QuorumSetting: String, Sendable { case off, majority }
/// `on-no-quorum` (stand-in).
public enum OnNoQuorum: String, Sendable { case ioError = "io-error", suspendIO = "suspend-io" }
/// A resource of the cluster (stand-in).
public struct ResourceSpec: Hashable, Sendable {
    public var name: String
    public var volumes: Int = 1
    public var firstMinor: Int = 0
    public var disklessNodes: Set<String> = []
    public var quorum: QuorumSetting = .majority
    public var onNoQuorum: OnNoQuorum = .ioError
    public var resyncDuration: Duration = .seconds(2)
    public init(name: String) { self.name = name }
}
/// Nodes and resources (stand-in).
public struct ClusterSpec: Hashable, Sendable { public var nodes: [NodeSpec]; public var resources: [ResourceSpec]; public init(nodes: [NodeSpec], resources: [ResourceSpec]) { self.nodes = nodes; self.resources = resources } }
/// A command's exit status and output (stand-in).
public struct CommandResult: Hashable, Sendable { public var exitCode: Int32; public var stdout: String; public var stderr: String }
public typealias SubscriptionID = Int
/// The DRBD cluster (stand-in for halab-model's model).
public struct DRBDCluster: Sendable {
    struct Res: Sendable { var role = "Secondary"; var disk = "UpToDate"; var since: Duration = .zero }
    let spec: ClusterSpec
    var upNodes: Set<String>
    var res: [String: [String: Res]] = [:]   // node -> resource -> state
    var cuts: Set<String> = []
    var resync: [String: Duration] = [:]     // "node res" -> done at
    struct Sub: Sendable { var node: String; var lines: [String] = []; var open = true; var last: [String: String] = [:]; var order: [String] = [] }
    var subs: [Int: Sub] = [:]
    var nextSub = 1
    public private(set) var now: Duration = .zero

    public init(spec: ClusterSpec) {
        self.spec = spec
        upNodes = Set(spec.nodes.map(\.name))
        for n in spec.nodes { for r in spec.resources { res[n.name, default: [:]][r.name] = Res(disk: r.disklessNodes.contains(n.name) ? "Diskless" : "UpToDate") } }
    }
    func rspec(_ r: String) -> ResourceSpec { spec.resources.first { $0.name == r }! }
    func id(_ n: String) -> Int { spec.nodes.first { $0.name == n }!.id }
    static func key(_ a: String, _ b: String) -> String { a < b ? "\(a) \(b)" : "\(b) \(a)" }

    public mutating func advance(to t: Duration) {
        now = t
        var changed = false
        for (k, at) in resync where at <= t {
            let p = k.split(separator: " ").map(String.init)
            if res[p[0]]?[p[1]]?.disk == "Outdated" || res[p[0]]?[p[1]]?.disk == "Inconsistent" { res[p[0]]?[p[1]]?.disk = "UpToDate" }
            resync[k] = nil
            changed = true
        }
        if changed { refresh() }
    }
    public func nextDeadline() -> Duration? { resync.values.min() }
    mutating func outdateDisconnected() {
        for n in upNodes { for (r, s) in res[n] ?? [:] where s.role == "Primary" && hasQuorum(n, r) {
            for p in upNodes where p != n && !isConnected(n, p, r) && res[p]?[r]?.disk == "UpToDate" { res[p]?[r]?.disk = "Outdated" }
        } }
    }
    mutating func startResyncs() {
        for n in upNodes { for (r, s) in res[n] ?? [:] where s.disk == "Outdated" || s.disk == "Inconsistent" {
            if upNodes.contains(where: { $0 != n && isConnected(n, $0, r) && res[$0]?[r]?.disk == "UpToDate" }), resync["\(n) \(r)"] == nil {
                resync["\(n) \(r)"] = now + rspec(r).resyncDuration
            }
        } }
    }
    mutating func changed() {
        forceSecondary(); outdateDisconnected(); startResyncs(); refresh()
        for n in upNodes { for r in (res[n] ?? [:]).keys { hadQuorum["\(n) \(r)"] = hasQuorum(n, r) } }
    }
    var hadQuorum: [String: Bool] = [:]
    mutating func forceSecondary() {
        for n in upNodes { for (r, s) in res[n] ?? [:] where s.role == "Primary" && hadQuorum["\(n) \(r)"] == false && rspec(r).onNoQuorum == .suspendIO {
            if upNodes.contains(where: { $0 != n && linked(n, $0, r) && res[$0]?[r]?.role == "Primary" && res[$0]![r]!.since > s.since }) {
                res[n]?[r]?.role = "Secondary"; res[n]?[r]?.disk = "Outdated"
            }
        } }
    }
    public mutating func crash(_ node: String) {
        upNodes.remove(node); res[node] = [:]
        for (id, s) in subs where s.node == node { subs[id]?.open = false }
        changed()
    }
    public mutating func boot(_ node: String) { upNodes.insert(node); res[node] = [:]; changed() }
    public mutating func cut(_ a: String, _ b: String) { cuts.insert(Self.key(a, b)); changed() }
    public mutating func heal(_ a: String, _ b: String) { cuts.remove(Self.key(a, b)); changed() }
    public mutating func partition(_ groups: [[String]]) {
        for (i, g) in groups.enumerated() { for h in groups[(i + 1)...] { for a in g { for b in h { cuts.insert(Self.key(a, b)) } } } }
        changed()
    }
    public mutating func healAll() { cuts = []; changed() }
    public mutating func failDisk(_ node: String, _ resource: String, volume: Int? = nil) {
        guard res[node]?[resource] != nil else { return }
        res[node]?[resource]?.disk = "Diskless"; changed()
    }
    public mutating func attachDisk(_ node: String, _ resource: String, volume: Int? = nil) {
        guard res[node]?[resource]?.disk == "Diskless", !rspec(resource).disklessNodes.contains(node) else { return }
        res[node]?[resource]?.disk = "Outdated"; changed()
    }
    public mutating func subscribe(_ node: String) -> SubscriptionID? {
        guard upNodes.contains(node) else { return nil }
        let id = nextSub; nextSub += 1
        subs[id] = Sub(node: node)
        emit(id, initial: true)
        return id
    }
    public mutating func unsubscribe(_ id: SubscriptionID) { subs[id] = nil }
    public mutating func poll(_ id: SubscriptionID) {}
    public mutating func takeLines(_ id: SubscriptionID) -> [String] { let l = subs[id]?.lines ?? []; subs[id]?.lines = []; return l }
    public func isOpen(_ id: SubscriptionID) -> Bool { subs[id]?.open ?? false }

    func snapshot(_ n: String) -> [(String, String)] {
        var out: [(String, String)] = []
        for r in spec.resources.map(\.name).sorted() {
            guard let s = res[n]?[r] else { continue }
            let q = hasQuorum(n, r)
            let susp = s.role == "Primary" && !q && rspec(r).onNoQuorum == .suspendIO ? "quorum" : "no"
            out.append(("r \(r)", "resource name:\(r) role:\(s.role) suspended:\(susp) force-io-failures:no write-ordering:flush may_promote:\(mayPromote(n, r) ? "yes" : "no") promotion_score:1"))
            out.append(("d \(r)", "device name:\(r) volume:0 minor:\(rspec(r).firstMinor) disk:\(s.disk) client:\(rspec(r).disklessNodes.contains(n) ? "yes" : "no") quorum:\(q ? "yes" : "no") size:1 read:0 written:0 al-writes:0 bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no blocked:no"))
            for p in spec.nodes where p.name != n {
                let c = isConnected(n, p.name, r)
                let pr = res[p.name]?[r]
                out.append(("c \(r) \(p.name)", "connection name:\(r) peer-node-id:\(p.id) conn-name:\(p.name) connection:\(c ? "Connected" : "Connecting") role:\(c ? pr!.role : "Unknown") congested:no ap-in-flight:0 rs-in-flight:0"))
                out.append(("p \(r) \(p.name)", "peer-device name:\(r) peer-node-id:\(p.id) conn-name:\(p.name) volume:0 replication:\(c ? "Established" : "Off") peer-disk:\(c ? pr!.disk : "DUnknown") peer-client:\(rspec(r).disklessNodes.contains(p.name) ? "yes" : "no") resync-suspended:no received:0 sent:0 out-of-sync:0 pending:0 unacked:0"))
            }
        }
        return out
    }
    mutating func emit(_ id: Int, initial: Bool) {
        guard var s = subs[id], s.open else { return }
        let snap = snapshot(s.node)
        var now: [String: String] = [:]
        for (k, v) in snap {
            now[k] = v
            if initial { s.lines.append("exists " + v) }
            else if s.last[k] == nil { s.lines.append("create " + v) }
            else if s.last[k] != v { s.lines.append("change " + v) }
        }
        for k in s.order.reversed() where now[k] == nil {
            let v = s.last[k]!
            let words = v.split(separator: " ")
            let keep = words.prefix { !$0.hasPrefix("role:") && !$0.hasPrefix("minor:") && !$0.hasPrefix("connection:") && !$0.hasPrefix("replication:") }
            s.lines.append("destroy " + keep.joined(separator: " "))
        }
        if initial { s.lines.append("exists -") }
        s.last = now; s.order = snap.map(\.0)
        subs[id] = s
    }
    mutating func refresh() { for id in subs.keys.sorted() { emit(id, initial: false) } }

    public mutating func run(_ node: String, _ argv: [String]) -> CommandResult {
        func ok(_ s: String = "") -> CommandResult { CommandResult(exitCode: 0, stdout: s, stderr: "") }
        func fail(_ code: Int32, _ e: String) -> CommandResult { CommandResult(exitCode: code, stdout: "", stderr: e) }
        guard upNodes.contains(node) else { return fail(20, "node down") }
        let args = argv.filter { !$0.hasPrefix("-") }
        guard args.count >= 2 else { return argv.contains("--version") ? ok("DRBDADM_VERSION_CODE=0x091d00\nDRBD_KERNEL_VERSION_CODE=0x090200") : fail(1, "usage") }
        let verb = args[1], r = args.count > 2 ? args[2] : ""
        switch (args[0], verb) {
        case ("drbdadm", "adjust"), ("drbdadm", "up"):
            let names = r == "all" ? spec.resources.map(\.name) : [r]
            for n in names where res[node]?[n] == nil {
                let others = upNodes.contains { $0 != node && res[$0]?[n]?.disk == "UpToDate" }
                res[node, default: [:]][n] = Res(disk: rspec(n).disklessNodes.contains(node) ? "Diskless" : (others ? "Outdated" : "UpToDate"))
            }
            changed(); return ok()
        case ("drbdadm", "sh-ll-dev"): return ok(rspec(r).disklessNodes.contains(node) ? "none" : "/dev/vg/\(r)")
        case ("drbdsetup", "primary"), ("drbdadm", "primary"):
            guard let s = res[node]?[r] else { return fail(10, "\(r): No such resource") }
            if s.role == "Primary" { return ok() }
            guard hasQuorum(node, r) else { return fail(11, "\(r): State change failed: (-23) No quorum") }
            guard upToDateReachable(node, r) else { return fail(11, "\(r): State change failed: (-2) Need access to UpToDate data") }
            guard !upNodes.contains(where: { $0 != node && isConnected(node, $0, r) && res[$0]?[r]?.role == "Primary" }) else { return fail(11, "\(r): State change failed: (-1) Multiple primaries not allowed by config") }
            res[node]?[r]?.role = "Primary"; res[node]?[r]?.since = now; changed(); return ok()
        case ("drbdsetup", "secondary"), ("drbdadm", "secondary"):
            guard res[node]?[r] != nil else { return fail(10, "\(r): No such resource") }
            res[node]?[r]?.role = "Secondary"; changed(); return ok()
        case ("drbdsetup", "status"):
            let conns = spec.nodes.filter { $0.name != node && isConnected(node, $0.name, r) }.map { "{\"peer-node-id\":\($0.id),\"name\":\"\($0.name)\",\"peer-role\":\"\(res[$0.name]![r]!.role)\"}" }
            return ok("[{\"name\":\"\(r)\",\"role\":\"\(res[node]?[r]?.role ?? "")\",\"connections\":[\(conns.joined(separator: ","))]}]")
        case ("drbdsetup", "show"):
            let nq = rspec(r).onNoQuorum.rawValue
            return ok("[{\"resource\":\"\(r)\",\"options\":{\"auto-promote\":false,\"quorum\":\"majority\",\"on-no-quorum\":\"\(nq)\",\"on-suspended-primary-outdated\":\"force-secondary\",\"on-no-data-accessible\":\"\(nq)\"},\"connections\":[{\"net\":{\"rr-conflict\":\"retry-connect\",\"fencing\":\"dont-care\"}}]}]")
        case ("drbdsetup", "events2"): return ok(res[node]?[r] == nil ? "exists -" : "")
        default: return ok()
        }
    }
    public func isUp(_ node: String) -> Bool { upNodes.contains(node) }
    public func role(_ node: String, _ resource: String) -> String? { res[node]?[resource]?.role }
    public func hasQuorum(_ node: String, _ r: String) -> Bool {
        guard res[node]?[r] != nil else { return false }
        let reach = 1 + spec.nodes.filter { $0.name != node && isConnected(node, $0.name, r) }.count
        return reach * 2 > spec.nodes.count
    }
    func upToDateReachable(_ n: String, _ r: String) -> Bool {
        res[n]?[r]?.disk == "UpToDate" || upNodes.contains { $0 != n && isConnected(n, $0, r) && res[$0]?[r]?.disk == "UpToDate" }
    }
    public func mayPromote(_ node: String, _ r: String) -> Bool {
        guard let s = res[node]?[r], s.role == "Secondary" else { return false }
        return hasQuorum(node, r) && upToDateReachable(node, r) && !upNodes.contains { $0 != node && isConnected(node, $0, r) && res[$0]?[r]?.role == "Primary" }
    }
    public func diskState(_ node: String, _ resource: String, volume: Int) -> String? { res[node]?[resource]?.disk }
    /// Both ends up with the resource, the link not cut.
    func linked(_ a: String, _ b: String, _ r: String) -> Bool {
        upNodes.contains(a) && upNodes.contains(b) && res[a]?[r] != nil && res[b]?[r] != nil && !cuts.contains(Self.key(a, b))
    }
    /// Linked, and not two Primaries (DRBD refuses that connection without allow-two-primaries).
    public func isConnected(_ a: String, _ b: String, _ r: String) -> Bool {
        linked(a, b, r) && !(res[a]?[r]?.role == "Primary" && res[b]?[r]?.role == "Primary")
    }
    public func canWrite(_ node: String, _ r: String) -> Bool {
        res[node]?[r]?.role == "Primary" && hasQuorum(node, r) && upToDateReachable(node, r)
    }
}
