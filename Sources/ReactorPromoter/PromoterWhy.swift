import ReactorCore

/// Why a promoter resource does or does not run on this node, from the machine's report and the DRBD
/// state (`World`): the answer of `drbd-reactorctl status` and the control socket.
public enum PromoterWhy {
    public struct Answer: Hashable, Sendable {
        /// DRBD is Primary here.
        public var here: Bool
        /// The node where it is Primary (this node's name when here), if any.
        public var primaryOn: String?
        /// Why not here (nil when here).
        public var whyNot: String?
    }

    public static func explain(_ r: PromoterResourceReport, drbd: Resource?, nodeName: String) -> Answer {
        guard let drbd else { return Answer(here: false, primaryOn: nil, whyNot: "DRBD does not know the resource on this node (is it up?)") }
        if drbd.role == .primary { return Answer(here: true, primaryOn: nodeName, whyNot: nil) }
        let peer = drbd.connections.values.first { $0.peerRole == .primary }?.connectionName
        let why: String
        if r.maintenance {
            why = "maintenance (drbd-reactorctl maintenance): nothing is started or stopped here"
        } else if let peer {
            why = r.lastFailure != nil || r.mayPromote ? "lost the race to node '\(peer)'" : "Primary on node '\(peer)'"
        } else if let delay = r.delayLeft {
            why = "waiting for the promote delay, \(seconds(delay)) s left"
        } else if let failure = r.lastFailure, let ago = r.lastFailureAgo {
            why = "last start failed \(seconds(ago)) s ago: \(failure)"
        } else if !r.mayPromote {
            why = "not may_promote: DRBD does not allow promotion here (no quorum or no UpToDate data)"
        } else if r.busy {
            why = "starting"
        } else {
            why = "may promote: the promoter starts it at its next check (every 20 s)"
        }
        return Answer(here: false, primaryOn: peer, whyNot: why)
    }

    /// Whole seconds, rounded up (a delay of 0.2 s left is "1 s left").
    public static func seconds(_ d: Duration) -> Int64 { (d.nanosecondsClamped + 999_999_999) / 1_000_000_000 }
}
