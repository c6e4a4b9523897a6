import ReactorAgentX
import ReactorCore

/// Every duration the daemon's lifecycle waits for, in one place, so tests run the daemon on virtual
/// time with the production values (the defaults) or shorter ones. The watchdog period is not here: it is
/// systemd's (`WatchdogSec=`), read by the notifier.
public struct DaemonTimings: Sendable, Equatable {
    /// A respawn backoff: the first delay, doubled after each quick failure up to `maximum`, and back to
    /// `initial` once the child ran for `healthyAfter`.
    public struct Respawn: Sendable, Equatable {
        public var initial: Duration
        public var maximum: Duration
        public var healthyAfter: Duration
        public init(initial: Duration, maximum: Duration, healthyAfter: Duration) {
            self.initial = initial
            self.maximum = maximum
            self.healthyAfter = healthyAfter
        }
    }

    /// How long to wait for drbdsetup's initial state before telling systemd we are ready anyway.
    public var startupBound: Duration = .seconds(10)
    /// How long plugins get to stop at SIGTERM (their children are killed after that).
    public var stopBound: Duration = .seconds(15)
    /// How often STATUS= is refreshed when it changed.
    public var statusRefresh: Duration = .seconds(2)
    /// `drbdsetup events2` respawns: 2 s doubling up to 60 s, reset after a minute of running.
    public var events2 = Respawn(initial: .seconds(2), maximum: .seconds(60), healthyAfter: .seconds(60))
    /// How long a umh command has after SIGTERM (at a stop, a reload or its timeout) before SIGKILL.
    public var umhKillGrace: Duration = .seconds(5)
    /// AgentX: reconnecting to the master after a refused or lost connection, 1 s doubling to 30 s.
    public var agentxReconnect = AgentXSession.reconnectBackoff
    /// The promoters' systemd bus: connecting again after it went away, 1 s doubling to 60 s.
    public var systemdBusRetry = SystemdWatch.retryBackoff

    public init() {}
}
