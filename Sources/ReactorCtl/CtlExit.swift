/// drbd-reactorctl's exit statuses, for scripts that check `$?` (the README and the man page list them).
public enum CtlExit {
    /// Everything worked (for `evict`: every resource is Primary elsewhere now, or was not here).
    public static let success: Int32 = 0
    /// An error: a file, a failing systemctl call, a bad snippet, a node of a cluster context that failed.
    public static let failure: Int32 = 1
    /// A usage error (unknown subcommand or option, missing argument): 1, as the original's clap 2.
    public static let usage: Int32 = 1
    /// `evict`: a resource is still Primary on this node when the wait ended.
    public static let evictStillPrimary: Int32 = 3
    /// `evict`: a resource left this node but no node took it over in time.
    public static let evictNobodyTookOver: Int32 = 4
    /// `evict --to NODE`: a resource moved, but to another node than NODE.
    public static let evictOtherNode: Int32 = 5
}
