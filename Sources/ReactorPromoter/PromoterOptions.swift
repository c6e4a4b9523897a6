import ReactorCore

/// The promoter's enumerated config values, spelled exactly (and case-sensitively) as in drbd-reactor 1.x.

/// How a resource's services are started and stopped.
public enum PromoterRunner: String, Hashable, Sendable, CaseIterable {
    /// `start` entries are units (or OCF agents) pulled in by `drbd-services@<res>.target`.
    case systemd
    /// `start`/`stop` entries are shell commands run with `sh -c`, one after another.
    case shell
}

/// A systemd dependency directive (`dependencies-as`, `target-as`).
public enum SystemdDependency: String, Hashable, Sendable, CaseIterable {
    case wants = "Wants", requires = "Requires", requisite = "Requisite", bindsTo = "BindsTo"
}

/// What systemd does when demoting fails (`FailureAction=` of `drbd-demote-or-escalate@`).
public enum DemoteFailureAction: String, Hashable, Sendable, CaseIterable {
    case none, reboot
    case rebootForce = "reboot-force", rebootImmediate = "reboot-immediate"
    case poweroff
    case poweroffForce = "poweroff-force", poweroffImmediate = "poweroff-immediate"
    case exit
    case exitForce = "exit-force"
}

/// Whether `preferred-nodes` also moves services back to a better node once it is UpToDate again.
public enum PreferredNodesPolicy: String, Hashable, Sendable, CaseIterable {
    case always
    case startOnly = "start-only"
}

/// What to do with the services when the local node loses quorum.
public enum QuorumLossPolicy: String, Hashable, Sendable, CaseIterable {
    case shutdown, freeze
}

/// What to do when a Primary loses its local disk.
public enum DiskDetachPolicy: String, Hashable, Sendable, CaseIterable {
    case ignore
    case failOver = "fail-over"
}

/// How DRBD itself avoids split brain for a resource, detected from its options.
public enum SplitBrainPolicy: String, Hashable, Sendable {
    case quorum, fencing
}
